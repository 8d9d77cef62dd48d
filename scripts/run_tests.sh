#!/usr/bin/env bash
# `make test`: the whole suite. Starts what the tests need (Docker engine + runner image,
# PostgreSQL, Redis, hidden data), then runs pytest. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure_services.sh
scripts/ensure_docker.sh
export ARENA_TEST_DATABASE_URL="${ARENA_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
export ARENA_TEST_REDIS_URL="${ARENA_TEST_REDIS_URL:-redis://127.0.0.1:6379/15}"
.venv/bin/python -m arena_datasets build-hidden
exec .venv/bin/python -m pytest -p no:cacheprovider --timeout=900 --durations=25 "$@"
