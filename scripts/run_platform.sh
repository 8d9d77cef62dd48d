#!/usr/bin/env bash
# Starts Deep Dive Arena on one machine: the web server, one grading worker and the outbox
# dispatcher, on the embedded defaults (SQLite, a filesystem broker under var/).
# `make run` calls it with ARENA_DEMO=1.
# Ctrl-C stops them all.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=.venv/bin/python
PORT="${ARENA_PORT:-8000}"
export ARENA_HOME="${ARENA_HOME:-$PWD/var}"
export PYTHONPATH="$PWD:$PWD/platform${PYTHONPATH:+:$PYTHONPATH}"
export DJANGO_SETTINGS_MODULE=arena_site.settings
manage() { "$PY" platform/manage.py "$@"; }

docker_ready() {
  command -v docker >/dev/null 2>&1 &&
    timeout 10 docker info >/dev/null 2>&1 &&
    docker image inspect "${ARENA_RUNNER_IMAGE:-arena-runner:offline}" >/dev/null 2>&1
}

bwrap_ready() {
  command -v bwrap >/dev/null 2>&1 &&
    bwrap --unshare-all --die-with-parent --ro-bind / / --proc /proc --dev /dev true >/dev/null 2>&1
}

# auto: Docker if an engine answers and the runner image exists, else bubblewrap. Grading with
# no sandbox at all happens only when someone asks for it by name.
choose_sandbox() {
  case "${ARENA_SANDBOX:-auto}" in
    auto)
      if docker_ready; then echo docker
      elif bwrap_ready; then echo bwrap
      else
        echo "No sandbox is available: Docker does not answer (or the runner image" \
          "${ARENA_RUNNER_IMAGE:-arena-runner:offline} is missing) and bubblewrap" \
          "cannot start. Install bubblewrap (make system-deps), or build the runner image" \
          "(make runner-image). To grade WITHOUT any isolation on a trusted machine, set" \
          "ARENA_SANDBOX=none explicitly." >&2
        return 1
      fi ;;
    docker) docker_ready || { echo "ARENA_SANDBOX=docker but Docker or the runner image is not available." >&2; return 1; }; echo docker ;;
    bwrap) bwrap_ready || { echo "ARENA_SANDBOX=bwrap but bubblewrap cannot start a sandbox here." >&2; return 1; }; echo bwrap ;;
    none) echo none ;;
    *) echo "ARENA_SANDBOX must be auto, docker, bwrap or none (got '$ARENA_SANDBOX')." >&2; return 1 ;;
  esac
}

ARENA_SANDBOX="$(choose_sandbox)"
export ARENA_SANDBOX
if [ "$ARENA_SANDBOX" = none ]; then
  echo "WARNING: ARENA_SANDBOX=none: submissions run as ordinary processes WITHOUT a sandbox." >&2
  echo "WARNING: only use this with code you trust." >&2
fi

# GPU assignments get every GPU where the NVIDIA driver answers, and none elsewhere.
if [ -z "${ARENA_GPUS:-}" ]; then
  if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
    ARENA_GPUS=all
  else
    ARENA_GPUS=none
  fi
fi
export ARENA_GPUS

# Mails (invitations, password resets): printed in this terminal unless SMTP is configured
# (ARENA_EMAIL_BACKEND=smtp and ARENA_EMAIL_HOST..., README "Accounts, roles and e-mail").
if [ "${ARENA_DEMO:-0}" = 1 ]; then export ARENA_EMAIL_BACKEND="${ARENA_EMAIL_BACKEND:-console}"; fi

mkdir -p "$ARENA_HOME/run"
manage migrate --noinput -v 0
manage collectstatic --noinput -v 0
manage seed_course
if [ "${ARENA_DEMO:-0}" = 1 ]; then manage create_demo_users; fi
manage build_hidden_data
# Each bundle's reference solution, graded through the queue as its boards' baseline row (only
# what changed since the last start is graded again; ARENA_BASELINES=0 skips it).
if [ "${ARENA_BASELINES:-1}" = 1 ]; then manage grade_baselines; fi

pids=()
stop() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

# Two workers: one for every queue (short ones listed first), and one for the short `cpu`
# queue alone, so a week 1 upload never waits behind a week 4 grading (submissions.queue).
# The dispatcher beside them sends uploads the broker has not accepted and re-queues work a
# dead worker left behind, on its own schedule (not a queued task).
# With ARENA_SANDBOX_SLOTS=N (grader/sandbox/slots.py: each sandbox on cores of its own) the
# two workers together run N gradings: the short worker one, the main worker the rest.
SLOTS="$("$PY" -m grader.sandbox.slots concurrency)" || exit 1
MAIN_CONCURRENCY=$(( SLOTS > 1 ? SLOTS - 1 : 1 ))
"$PY" -m celery -A arena_site worker -Q cpu,cpu-long,gpu --concurrency "$MAIN_CONCURRENCY" \
  --loglevel INFO -n "main@%h" &
pids+=($!)
"$PY" -m celery -A arena_site worker -Q cpu --concurrency 1 --loglevel INFO -n "short@%h" &
pids+=($!)
# Not through manage(): a function run in the background is a subshell, and stop() would signal
# the subshell, not the dispatcher.
"$PY" platform/manage.py run_dispatcher &
pids+=($!)
"$PY" -m gunicorn arena_site.wsgi --chdir platform --bind "127.0.0.1:$PORT" \
  --workers 2 --threads 4 --access-logfile - &
pids+=($!)

cat <<INFO

  Deep Dive Arena is running at http://127.0.0.1:$PORT/   (sandbox: $ARENA_SANDBOX, GPUs: $ARENA_GPUS)
  REST API: http://127.0.0.1:$PORT/api/v1/   client: ARENA_URL=http://127.0.0.1:$PORT .venv/bin/arena login
INFO
if [ "${ARENA_DEMO:-0}" = 1 ]; then
  cat <<INFO
  Demo accounts: mentor / mentor-demo   (mentor)
                 mentee1, mentee2, mentee3 / mentee-demo   (mentees)
  Invite mentees: http://127.0.0.1:$PORT/accounts/invite/   (mails are printed here: $ARENA_EMAIL_BACKEND)
INFO
fi
echo "  Press Ctrl-C to stop."
echo

# Stop everything as soon as any process ends.
wait -n
