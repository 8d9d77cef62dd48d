#!/usr/bin/env bash
# Builds the runner image `arena-runner:offline` (or $ARENA_RUNNER_IMAGE) with no registry and
# no pulls: FROM scratch plus a tiny root filesystem (the sandbox user in /etc/passwd, empty
# mount points). It holds no Python: the Docker backend binds the host's system directories and
# the project's Python runtime (.venv and the interpreter it points to) read-only at run time,
# at their host paths (image label arena.runtime=host). Production uses ./Dockerfile instead.
# Idempotent: does nothing when an image with the same fingerprint exists.
set -euo pipefail
cd "$(dirname "$0")/../.."
image="${ARENA_RUNNER_IMAGE:-arena-runner:offline}"
python="$(pwd)/.venv/bin/python"
[ -x "$python" ] || { echo "build_offline.sh: $python is missing (make venv first)" >&2; exit 1; }
docker info >/dev/null 2>&1 || { echo "build_offline.sh: no Docker engine answers" >&2; exit 1; }

# The container runs as the host's arena-sandbox user, so files that user may use on the host
# (the IPC socket) are usable inside too; 10001 where that user does not exist.
if id arena-sandbox >/dev/null 2>&1; then
  uid="$(id -u arena-sandbox)"; gid="$(id -g arena-sandbox)"
else
  uid=10001; gid=10001
fi
fingerprint="$( { echo "$uid:$gid"; cat "$0"; for d in bin lib lib32 lib64 libx32; do
  if [ -L "/$d" ]; then echo "/$d -> $(readlink "/$d")"; fi; done; } | sha256sum | cut -c1-16)"
current="$(docker image inspect -f '{{ index .Config.Labels "arena.fingerprint" }}' "$image" 2>/dev/null || true)"
if [ "$current" = "$fingerprint" ]; then
  echo "runner image $image is up to date ($fingerprint)"
  exit 0
fi

context="$(mktemp -d)"
trap 'rm -rf "$context"' EXIT
root="$context/rootfs"
mkdir -p "$root"/{etc,scratch,proc,dev,sys,arena/harness,arena/submission,arena/inputs,arena/pretrained,arena/ipc}
printf 'arena-sandbox:x:%s:%s:sandbox:/scratch:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' "$uid" "$gid" >"$root/etc/passwd"
printf 'arena-sandbox:x:%s:\nnogroup:x:65534:\n' "$gid" >"$root/etc/group"
ln -s /scratch "$root/tmp"
# Top-level directories that are symlinks on the host (merged /usr) are recreated as such,
# except /sbin: the engine mounts its init at /sbin/docker-init, which must not land in /usr.
mkdir -p "$root/sbin"
for d in bin lib lib32 lib64 libx32; do
  if [ -L "/$d" ]; then ln -s "$(readlink "/$d")" "$root/$d"; fi
done
chmod 1777 "$root/scratch"
cat >"$context/Dockerfile" <<DOCKERFILE
FROM scratch
COPY rootfs/ /
USER $uid:$gid
WORKDIR /scratch
LABEL arena.runtime="host" arena.user="$uid:$gid" arena.fingerprint="$fingerprint"
DOCKERFILE
# The legacy builder needs no BuildKit component; its output is shown only when it fails.
if ! output="$(DOCKER_BUILDKIT=0 docker build --quiet --tag "$image" "$context" 2>&1)"; then
  echo "$output" >&2
  exit 1
fi
echo "built runner image $image ($fingerprint)"
