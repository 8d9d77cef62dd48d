#!/usr/bin/env bash
# Makes sure a Docker engine answers and the offline runner image exists.
# Starts dockerd without networking (this machine has no registry and no bridge) when we are root.
set -uo pipefail
if ! command -v docker >/dev/null 2>&1; then
  echo "ensure_docker: the docker client is not installed (make system-deps)" >&2; exit 1
fi
if ! docker info >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "ensure_docker: no Docker engine answers and we are not root to start one" >&2; exit 1
  fi
  mkdir -p var/log
  nohup dockerd --bridge=none --iptables=false --ip6tables=false >var/log/dockerd.log 2>&1 &
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { echo "ensure_docker: dockerd did not start, see var/log/dockerd.log" >&2; exit 1; }
fi
exec grader/runner_image/build_offline.sh
