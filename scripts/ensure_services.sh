#!/usr/bin/env bash
# The integration tests use the real PostgreSQL (127.0.0.1:5432, database `test`) and Redis
# (127.0.0.1:6379). On the CI machines both are installed; start them if they have stopped.
set -uo pipefail
if command -v pg_isready >/dev/null 2>&1 && ! pg_isready -q -h 127.0.0.1 -p 5432; then
  [ "$(id -u)" -eq 0 ] && pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
fi
if command -v redis-cli >/dev/null 2>&1 && ! redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then
  [ "$(id -u)" -eq 0 ] && redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" \
    --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
fi
pg_isready -q -h 127.0.0.1 -p 5432 || echo "WARNING: PostgreSQL does not answer on 127.0.0.1:5432" >&2
redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 || echo "WARNING: Redis does not answer on 127.0.0.1:6379" >&2
