#!/usr/bin/env bash
# The CI drift gate: provision a fresh database exactly as the image does
# (the entrypoint, without starting Directus for good), then prove with
# `trmctl snapshot check` that the database equals the committed snapshot,
# and with `trmctl access diff` that its roles, policies and permissions
# equal the access files. A schema change committed without a regenerated
# snapshot (through Directus: `trmctl snapshot pull`), or access files the
# boot does not reproduce, fail here with a readable diff.
#
# Uses a throwaway PostgreSQL cluster; TRM_SNAPSHOT, TRM_DB_INIT_DIR and
# TRM_ACCESS_DIR may point elsewhere (the tests use that), and
# TRM_DRIFT_GATE_TAMPER may name an SQL file run between the boot and the
# checks: a change made by hand, which the gate must catch (its tests).
# Needs the Directus runtime (make directus); builds its own binaries.
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
accessdir=${TRM_ACCESS_DIR:-$PWD/access}

start=$(date +%s)
env DB_CLIENT=pg DB_CONNECTION_STRING="$url" KEY=drift-gate SECRET=drift-gate \
  ADMIN_EMAIL=admin@example.com ADMIN_PASSWORD=drift-gate \
  PACKAGE_FILE_LOCATION="$PWD/directus" EXTENSIONS_PATH="$PWD/extensions" STORAGE_LOCAL_ROOT="$work/uploads" \
  TELEMETRY=false FORCE_COLOR=0 \
  TRM_TIMESCALEDB=optional TRM_SNAPSHOT="$snapshot" TRM_DB_INIT_DIR="$dbinit" TRM_ACCESS_DIR="$accessdir" \
  TRM_DIRECTUS_DIR="$PWD/directus" TRM_START_COMMAND=true \
  "$work/bin/trm-entrypoint"
echo "drift-gate: provisioned in $(( $(date +%s) - start ))s; checking the live schema against $snapshot"
if [ -n "${TRM_DRIFT_GATE_TAMPER:-}" ]; then
  psql -X -q -v ON_ERROR_STOP=1 "$url" -f "$TRM_DRIFT_GATE_TAMPER"
fi
status=0
"$work/bin/trmctl" snapshot check --database-url "$url" --snapshot "$snapshot" || status=1
echo "drift-gate: checking the live roles, policies and permissions against $accessdir"
if ! "$work/bin/trmctl" access diff --database-url "$url" --snapshot "$snapshot" --access-dir "$accessdir"; then
  echo "drift-gate: the live access model differs from $accessdir: the boot must leave exactly the files' roles, policies and permissions (trmctl access diff shows what differs)" >&2
  status=1
fi
exit "$status"
