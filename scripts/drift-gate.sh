#!/usr/bin/env bash
# The CI drift gate: provision a fresh database exactly as the image does
# (the entrypoint, without starting Directus for good), then prove with
# `trmctl snapshot check` that the database equals the committed snapshot.
# A schema change committed without a regenerated snapshot (through Directus:
# `trmctl snapshot pull`) fails here with a readable diff.
#
# Uses a throwaway PostgreSQL cluster; TRM_SNAPSHOT and TRM_DB_INIT_DIR may
# point elsewhere (the tests use that). Needs the Directus runtime (make
# directus); builds its own binaries.
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d /tmp/trm-drift-gate.XXXXXX)
chmod 755 "$work"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export TRM_DEV_DIR="$work" TRM_DEV_PG_PORT="$port" TRM_DEV_PG_DATABASE=gate
cleanup() { scripts/dev-postgres.sh stop 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

go build -o "$work/bin/trm-entrypoint" ./cmd/entrypoint
go build -o "$work/bin/trmctl" ./cmd/trmctl
url=$(scripts/dev-postgres.sh start)
set -a
# shellcheck disable=SC1091
. directus/runtime.env
set +a
snapshot=${TRM_SNAPSHOT:-$PWD/snapshots/schema.yaml}
dbinit=${TRM_DB_INIT_DIR:-$PWD/db-init}

start=$(date +%s)
env DB_CLIENT=pg DB_CONNECTION_STRING="$url" KEY=drift-gate SECRET=drift-gate \
  ADMIN_EMAIL=admin@example.com ADMIN_PASSWORD=drift-gate \
  PACKAGE_FILE_LOCATION="$PWD/directus" EXTENSIONS_PATH="$PWD/extensions" STORAGE_LOCAL_ROOT="$work/uploads" \
  TELEMETRY=false FORCE_COLOR=0 \
  TRM_TIMESCALEDB=optional TRM_SNAPSHOT="$snapshot" TRM_DB_INIT_DIR="$dbinit" \
  TRM_DIRECTUS_DIR="$PWD/directus" TRM_START_COMMAND=true \
  "$work/bin/trm-entrypoint"
echo "drift-gate: provisioned in $(( $(date +%s) - start ))s; checking the live schema against $snapshot"
"$work/bin/trmctl" snapshot check --database-url "$url" --snapshot "$snapshot"
