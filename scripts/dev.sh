#!/usr/bin/env bash
# The main job: the whole stack on this machine. A local PostgreSQL with
# PostGIS (kept in .dev/ between runs) and a local redis-server, provisioned
# by the entrypoint exactly as in the image, Directus on
# http://localhost:8055 with WebSockets and every shareable store in Redis
# (as in compose), and Rally Albania 2026 seeded through the REST API from
# seed/rally-albania-2026/ (seed.yaml, roadbook.gpx, the placeholder
# rules.yaml; a second run creates nothing).
# Ctrl-C stops Directus, Redis and the database.
set -euo pipefail
cd "$(dirname "$0")/.."

dev=$(realpath -m "${TRM_DEV_DIR:-.dev}")
port=${TRM_DEV_PORT:-8055}
mkdir -p "$dev"

url=$(scripts/dev-postgres.sh start)
stop_db() { scripts/dev-redis.sh stop; scripts/dev-postgres.sh stop; }
trap stop_db EXIT
redis_url=$(scripts/dev-redis.sh start)

# Secrets are made once and kept, so sessions and tokens survive restarts.
if [ ! -s "$dev/directus.env" ]; then
  umask 077
  {
    echo "KEY=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
    echo "SECRET=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')"
    echo "ADMIN_EMAIL=admin@example.com"
    echo "ADMIN_PASSWORD=$(od -An -N9 -tx1 /dev/urandom | tr -d ' \n')"
  } > "$dev/directus.env"
fi
set -a
# shellcheck disable=SC1091
. "$dev/directus.env"
# shellcheck disable=SC1091
. directus/runtime.env
set +a

export DB_CLIENT=pg DB_CONNECTION_STRING="$url"
export PORT="$port" PUBLIC_URL="http://localhost:$port" HOST=127.0.0.1
export PACKAGE_FILE_LOCATION="$PWD/directus" EXTENSIONS_PATH="$PWD/extensions" STORAGE_LOCAL_ROOT="$dev/uploads"
export TELEMETRY=false FORCE_COLOR=0
# Shared state and WebSockets as in compose.yaml (deploy/scaling.env,
# docs/scaling.md); no proxy in front, so no X-Forwarded-For is trusted.
# shellcheck disable=SC1091
set -a; . deploy/scaling.env; set +a
export REDIS="$redis_url" IP_TRUST_PROXY=false
export TRM_TIMESCALEDB=optional TRM_SNAPSHOT="$PWD/snapshots/schema.yaml" TRM_DB_INIT_DIR="$PWD/db-init" TRM_ACCESS_DIR="$PWD/access"
export TRM_DIRECTUS_DIR="$PWD/directus" TRM_START_COMMAND="$TRM_NODE $TRM_DIRECTUS_CLI start"
mkdir -p "$STORAGE_LOCAL_ROOT"

bin/trm-entrypoint &
child=$!
trap 'kill -TERM "$child" 2>/dev/null; wait "$child" 2>/dev/null; stop_db' INT TERM

# Seed once Directus answers (the entrypoint may first spend a few seconds
# provisioning): the reference data, then the course of Rally Albania 2026
# from its roadbook file and its placeholder rulebook, through the same
# imports organisers use.
for _ in $(seq 1 300); do
  if curl -sf "http://localhost:$port/server/health" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$child" 2>/dev/null; then wait "$child"; exit $?; fi
  sleep 0.5
done
TRM_DIRECTUS_EMAIL="$ADMIN_EMAIL" TRM_DIRECTUS_PASSWORD="$ADMIN_PASSWORD" \
  bin/trmctl seed apply seed/rally-albania-2026/seed.yaml --directus-url "http://localhost:$port" \
  || echo "dev: the seed failed (see above); Directus keeps running" >&2
TRM_DIRECTUS_EMAIL="$ADMIN_EMAIL" TRM_DIRECTUS_PASSWORD="$ADMIN_PASSWORD" \
  bin/trmctl course import --event rally-albania-2026 seed/rally-albania-2026/roadbook.gpx --directus-url "http://localhost:$port" \
  || echo "dev: the course import failed (see above); Directus keeps running" >&2
TRM_DIRECTUS_EMAIL="$ADMIN_EMAIL" TRM_DIRECTUS_PASSWORD="$ADMIN_PASSWORD" \
  bin/trmctl rules import --event rally-albania-2026 seed/rally-albania-2026/rules.yaml --directus-url "http://localhost:$port" \
  || echo "dev: the rules import failed (see above); Directus keeps running" >&2

echo
echo "Directus: http://localhost:$port/admin   login: $ADMIN_EMAIL (password: ADMIN_PASSWORD in $dev/directus.env)"
echo "Database: $url"
echo "Redis:    redis://127.0.0.1:$(cat "$dev/redis/port") (password in $dev/redis/password)"
echo "WebSocket: ws://localhost:$port/websocket, GraphQL subscriptions: ws://localhost:$port/graphql"
echo "Ctrl-C stops Directus, Redis and the database."
wait "$child"
