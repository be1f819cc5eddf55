#!/usr/bin/env bash
# A local PostgreSQL 15 + PostGIS cluster for development, kept between
# runs in $TRM_DEV_DIR (default .dev/) so a second `make dev` reuses the
# data. PostgreSQL refuses to run as root, so as root it runs as postgres.
#
#   scripts/dev-postgres.sh start   # init if needed, start, print the URL
#   scripts/dev-postgres.sh stop
#   scripts/dev-postgres.sh url
set -euo pipefail

dir=$(realpath -m "${TRM_DEV_DIR:-.dev}")
port=${TRM_DEV_PG_PORT:-55432}
db=${TRM_DEV_PG_DATABASE:-directus}
bin=$(pg_config --bindir 2>/dev/null || true)
[ -x "$bin/initdb" ] || bin=/usr/lib/postgresql/15/bin
data="$dir/pg/data"
url="postgres://postgres@127.0.0.1:$port/$db?sslmode=disable"

as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-}" in
start)
  [ -x "$bin/initdb" ] || { echo "dev-postgres: no PostgreSQL binaries; run scripts/install-deps.sh" >&2; exit 1; }
  mkdir -p "$dir/pg"
  if [ ! -s "$data/PG_VERSION" ]; then
    chmod 755 "$dir" "$dir/pg"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$dir/pg"
    as_pg "$bin/initdb" -D "$data" -U postgres -A trust -E UTF8 --locale=C >/dev/null
    echo "dev-postgres: new cluster in $data" >&2
  fi
  if ! as_pg "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    as_pg "$bin/pg_ctl" -D "$data" -l "$dir/pg/server.log" -w -o "-p $port -k $dir/pg -c listen_addresses=127.0.0.1" start >/dev/null \
      || { echo "dev-postgres: start failed; see $dir/pg/server.log" >&2; tail -5 "$dir/pg/server.log" >&2; exit 1; }
  fi
  if ! as_pg "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -Atqc "SELECT 1 FROM pg_database WHERE datname = '$db'" postgres | grep -q 1; then
    as_pg "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres "$db"
  fi
  echo "$url"
  ;;
stop)
  if [ -s "$data/PG_VERSION" ]; then as_pg "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true; fi
  echo "dev-postgres: stopped" >&2
  ;;
url)
  echo "$url"
  ;;
*)
  echo "usage: $0 start|stop|url" >&2
  exit 2
  ;;
esac
