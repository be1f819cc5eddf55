#!/usr/bin/env bash
# A local redis-server for development, beside dev-postgres.sh: loopback
# only, password-protected, without persistence (Directus keeps only
# derivable state there: docs/scaling.md). Its files live in
# $TRM_DEV_DIR/redis (default .dev/redis).
#
#   scripts/dev-redis.sh start   # start if needed, print the URL (it holds the password)
#   scripts/dev-redis.sh stop
#   scripts/dev-redis.sh url
set -euo pipefail

dir=$(realpath -m "${TRM_DEV_DIR:-.dev}")/redis
want=${TRM_DEV_REDIS_PORT:-56379}
pidfile="$dir/redis.pid"

running() { [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
url() { echo "redis://:$(cat "$dir/password")@127.0.0.1:$(cat "$dir/port")"; }

case "${1:-}" in
start)
  command -v redis-server >/dev/null || { echo "dev-redis: no redis-server; run scripts/install-deps.sh" >&2; exit 1; }
  mkdir -p "$dir"
  chmod 700 "$dir"
  if [ ! -s "$dir/password" ]; then
    (umask 077; od -An -N16 -tx1 /dev/urandom | tr -d ' \n' > "$dir/password")
  fi
  if ! running; then
    port=$want
    if ! port_free "$port"; then
      port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
      echo "dev-redis: port $want is taken; using $port (set TRM_DEV_REDIS_PORT to choose)" >&2
    fi
    echo "$port" > "$dir/port"
    # The password goes in a 0600 file, never on the command line, where
    # the process list would show it.
    (umask 077; cat > "$dir/redis.conf" <<CONF
bind 127.0.0.1
port $port
protected-mode yes
daemonize yes
pidfile $pidfile
logfile $dir/redis.log
dir $dir
save ""
appendonly no
maxmemory 256mb
maxmemory-policy volatile-lru
requirepass $(cat "$dir/password")
CONF
)
    redis-server "$dir/redis.conf" \
      || { echo "dev-redis: start failed; see $dir/redis.log" >&2; tail -5 "$dir/redis.log" >&2; exit 1; }
    for _ in $(seq 1 50); do
      if REDISCLI_AUTH=$(cat "$dir/password") redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -q PONG; then break; fi
      sleep 0.1
    done
  fi
  url
  ;;
stop)
  if running; then
    pid=$(cat "$pidfile")
    kill -TERM "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  echo "dev-redis: stopped" >&2
  ;;
url)
  url
  ;;
*)
  echo "usage: $0 start|stop|url" >&2
  exit 2
  ;;
esac
