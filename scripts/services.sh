#!/usr/bin/env bash
# Starts the services the tests use when they are not running: Redis on 127.0.0.1:6379 (the cluster
# bus) and PostgreSQL on 127.0.0.1:5432 (the store tests). Idempotent and quiet when both answer.
# Never fails the run: a test that needs a missing service skips, or fails when CI is set.
set -uo pipefail
redis_port=${SERVICES_REDIS_PORT:-6379}

# Waits up to $1 tenths of a second for the command that follows to succeed.
wait_for() {
  local tries=$1
  shift
  for ((i = 0; i < tries; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  return 1
}

redis_up() { [ "$(redis-cli -h 127.0.0.1 -p "$redis_port" ping 2>/dev/null)" = "PONG" ]; }
pg_up() { pg_isready -q -h 127.0.0.1 -p 5432; }

if ! command -v redis-cli >/dev/null || ! command -v redis-server >/dev/null; then
  echo "services: redis-server/redis-cli not installed (Debian: apt-get install redis-server)" >&2
elif ! redis_up; then
  echo "services: starting redis-server on 127.0.0.1:$redis_port"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly no >/dev/null
  wait_for 50 redis_up || echo "services: Redis on 127.0.0.1:$redis_port still does not answer" >&2
fi

if ! command -v pg_isready >/dev/null; then
  echo "services: PostgreSQL client tools not installed (Debian: apt-get install postgresql)" >&2
elif ! pg_up; then
  echo "services: starting PostgreSQL"
  if [ "$(id -u)" -eq 0 ]; then
    service postgresql start >/dev/null 2>&1 || true
    if ! wait_for 50 pg_up && command -v pg_lsclusters >/dev/null; then
      # No init script (or it did nothing): start each cluster directly.
      pg_lsclusters --no-header 2>/dev/null | while read -r version cluster _; do
        pg_ctlcluster "$version" "$cluster" start >/dev/null 2>&1 || true
      done
    fi
  else
    echo "services: not root; start it with: sudo service postgresql start" >&2
  fi
  wait_for 100 pg_up || echo "services: PostgreSQL on 127.0.0.1:5432 still does not answer" >&2
fi
exit 0
