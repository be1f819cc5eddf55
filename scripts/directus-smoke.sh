#!/usr/bin/env bash
# End-to-end smoke test of the pinned Directus runtime against a throwaway
# PostgreSQL + PostGIS cluster:
#   install-directus.sh (reuses its cache) → initdb/start PG → bootstrap → bootstrap
#   again → schema snapshot → schema apply --dry-run / --yes of a one-collection
#   snapshot → start → GET /server/health → stop.
# Everything lives in a temp folder that is removed on exit (TRM_SMOKE_KEEP=1 keeps it).
#
# Environment (all optional):
#   PG_BIN                    PostgreSQL binaries   (default /usr/lib/postgresql/15/bin)
#   TRM_SMOKE_PG_PORT         PostgreSQL TCP port   (default: first free from 55500)
#   TRM_SMOKE_DIRECTUS_PORT   Directus HTTP port    (default: first free from 18055)
#   TRM_SMOKE_KEEP=1          keep the temp folder (logs, snapshot) for inspection
set -Eeuo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_PORT=${TRM_SMOKE_PG_PORT:-}
HTTP_PORT=${TRM_SMOKE_DIRECTUS_PORT:-}

# Messages go to fds 3/4 (copies of stdout/stderr): a trap that fires while a command
# runs with redirected output would otherwise print into that command's log file.
exec 3>&1 4>&2
T0=$(date +%s.%N)
STEP="start"; HINT=""; STEP_T0=$T0
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1fs", b-a}'; }
log()  { printf '[directus-smoke] %s\n' "$*" >&3; }
step() { STEP=$1; HINT=${2:-}; STEP_T0=$(date +%s.%N); log "==> $STEP"; }
done_step() { log "    done: $STEP ($(elapsed "$STEP_T0"))${1:+ — $1}"; }
die() {
  printf '[directus-smoke] FAIL in step "%s": %s\n' "$STEP" "$1" >&4
  [[ -n ${2:-$HINT} ]] && printf '[directus-smoke] fix: %s\n' "${2:-$HINT}" >&4
  exit 1
}
trap 'rc=$?; printf "[directus-smoke] FAIL in step \"%s\" (exit %s, line %s)\n" "$STEP" "$rc" "$LINENO" >&4; [[ -n $HINT ]] && printf "[directus-smoke] fix: %s\n" "$HINT" >&4; exit $rc' ERR

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {   # first port in [$1, $1+200) nobody listens on
  local p
  for ((p = $1; p < $1 + 200; p++)); do port_busy "$p" || { echo "$p"; return 0; }; done
  return 1
}

# ---------------------------------------------------------------- runtime
step "install-directus.sh"
"$ROOT/scripts/install-directus.sh" | sed 's/^/    /'
# shellcheck disable=SC1091
source "$ROOT/directus/runtime.env"
[[ -x $TRM_NODE && -f $TRM_DIRECTUS_CLI ]] || die "runtime.env points to missing files" "re-run scripts/install-directus.sh"
done_step "Directus $TRM_DIRECTUS_VERSION, $("$TRM_NODE" --version)"

# ---------------------------------------------------------------- postgres
[[ -n $PG_PORT ]] || PG_PORT=$(free_port 55500) || die "no free port in 55500-55699" "set TRM_SMOKE_PG_PORT"
[[ -n $HTTP_PORT ]] || HTTP_PORT=$(free_port 18055) || die "no free port in 18055-18254" "set TRM_SMOKE_DIRECTUS_PORT"
step "PostgreSQL cluster on port $PG_PORT" "apt-get install -y postgresql-15 postgresql-15-postgis-3 (or set PG_BIN); free port $PG_PORT or set TRM_SMOKE_PG_PORT"
[[ -x $PG_BIN/initdb && -x $PG_BIN/pg_ctl ]] || die "no PostgreSQL binaries in $PG_BIN"
pg_share=$("$PG_BIN/pg_config" --sharedir 2>/dev/null || echo /usr/share/postgresql/15)
[[ -f $pg_share/extension/postgis.control ]] || die "PostGIS is not installed ($pg_share/extension/postgis.control missing)"
port_busy "$PG_PORT" && die "port $PG_PORT is already in use"
port_busy "$HTTP_PORT" && die "port $HTTP_PORT is already in use" "free it or set TRM_SMOKE_DIRECTUS_PORT"

WORK=$(mktemp -d /tmp/trm-directus-smoke.XXXXXX)
chmod 0755 "$WORK"
PGDATA=$WORK/pgdata
mkdir -p "$PGDATA" "$WORK/run" "$WORK/extensions" "$WORK/uploads"
if [[ $EUID -eq 0 ]]; then
  id postgres >/dev/null 2>&1 || die "user postgres does not exist" "apt-get install -y postgresql-15"
  chown postgres: "$PGDATA" "$WORK/run"
  AS_PG=(runuser -u postgres --)   # the server refuses to run as root
else
  AS_PG=()
fi
DIRECTUS_PID=""
cleanup() {
  local rc=$?
  trap - ERR
  if [[ -n $DIRECTUS_PID ]] && kill -0 "$DIRECTUS_PID" 2>/dev/null; then
    kill "$DIRECTUS_PID" 2>/dev/null || true
    wait "$DIRECTUS_PID" 2>/dev/null || true
  fi
  if [[ -f $PGDATA/postmaster.pid ]]; then
    "${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$PGDATA" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  if (( rc != 0 )) && [[ -f $WORK/directus.log ]]; then
    log "last lines of the Directus server log:"; tail -n 30 "$WORK/directus.log" >&4 || true
  fi
  if [[ ${TRM_SMOKE_KEEP:-0} == 1 ]]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'log "interrupted in step \"$STEP\""; exit 130' INT TERM   # run cleanup on Ctrl-C / kill too

"${AS_PG[@]}" "$PG_BIN/initdb" -D "$PGDATA" -U postgres -A trust -E UTF8 --no-sync >"$WORK/initdb.log" 2>&1 \
  || { cat "$WORK/initdb.log" >&2; die "initdb failed"; }
"${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$WORK/run/postgres.log" -w -t 30 \
  -o "-p $PG_PORT -k $WORK/run -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
  start >/dev/null || { cat "$WORK/run/postgres.log" >&2; die "pg_ctl start failed"; }
psql=("$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres)
"${psql[@]}" -d postgres -c "ALTER USER postgres PASSWORD 'postgres'" -c "CREATE DATABASE directus"
"${psql[@]}" -d directus -c "CREATE EXTENSION postgis"
done_step "$("${psql[@]}" -d directus -Atc "select split_part(version(),' ',2) || ' + PostGIS ' || postgis_lib_version()")"

# ---------------------------------------------------------------- directus CLI
export DB_CLIENT=pg DB_HOST=127.0.0.1 DB_PORT=$PG_PORT DB_DATABASE=directus \
       DB_USER=postgres DB_PASSWORD=postgres \
       KEY=trm-smoke-key SECRET=trm-smoke-secret-0123456789abcdef \
       ADMIN_EMAIL=admin@example.com ADMIN_PASSWORD=smoke-password \
       PUBLIC_URL="http://127.0.0.1:$HTTP_PORT" HOST=127.0.0.1 PORT=$HTTP_PORT \
       EXTENSIONS_PATH=$WORK/extensions STORAGE_LOCAL_ROOT=$WORK/uploads \
       CONFIG_PATH=$WORK/no-such.env TELEMETRY=false \
       PACKAGE_FILE_LOCATION="$ROOT/directus" \
       LOG_LEVEL=warn LOG_STYLE=raw NODE_ENV=production
cd "$WORK"   # nothing may be written into the checkout
directus() { "$TRM_NODE" "$TRM_DIRECTUS_CLI" "$@"; }

step "directus bootstrap (empty database)" "see the output above; check DB_* settings and that PostgreSQL is up"
directus bootstrap >"$WORK/bootstrap.log" 2>&1 || { cat "$WORK/bootstrap.log" >&2; die "bootstrap failed"; }
n=$("${psql[@]}" -d directus -Atc "select count(*) from directus_users where email='admin@example.com'")
[[ $n == 1 ]] || die "admin user not created (count=$n)"
done_step "admin user created"

step "directus bootstrap (again, idempotent)"
directus bootstrap >"$WORK/bootstrap2.log" 2>&1 || { cat "$WORK/bootstrap2.log" >&2; die "second bootstrap failed"; }
done_step

step "directus schema snapshot"
directus schema snapshot --yes "$WORK/snapshot.yaml" >"$WORK/snapshot.log" 2>&1 \
  || { cat "$WORK/snapshot.log" >&2; die "schema snapshot failed"; }
head -n 3 "$WORK/snapshot.yaml" | grep -q "^directus: $TRM_DIRECTUS_VERSION" \
  || die "snapshot.yaml does not say directus: $TRM_DIRECTUS_VERSION"
done_step "$(wc -l <"$WORK/snapshot.yaml") lines"

cat >"$WORK/one-collection.yaml" <<EOF
version: 1
directus: $TRM_DIRECTUS_VERSION
vendor: postgres
collections:
  - collection: smoke_items
    meta:
      collection: smoke_items
      hidden: false
      singleton: false
    schema:
      name: smoke_items
fields:
  - collection: smoke_items
    field: id
    type: integer
    meta:
      collection: smoke_items
      field: id
      hidden: true
      readonly: true
      interface: input
    schema:
      name: id
      table: smoke_items
      data_type: integer
      is_nullable: false
      is_unique: true
      is_primary_key: true
      has_auto_increment: true
  - collection: smoke_items
    field: name
    type: string
    meta:
      collection: smoke_items
      field: name
      interface: input
    schema:
      name: name
      table: smoke_items
      data_type: character varying
      max_length: 255
      is_nullable: true
systemFields:
  - collection: directus_activity
    field: timestamp
    schema:
      is_indexed: true
  - collection: directus_revisions
    field: activity
    schema:
      is_indexed: true
  - collection: directus_revisions
    field: parent
    schema:
      is_indexed: true
relations: []
EOF
# (systemFields: [] would plan "Set is_indexed to false" on those three system fields.)

step "directus schema apply --dry-run"
directus schema apply --dry-run "$WORK/one-collection.yaml" >"$WORK/dry-run.log" 2>&1 \
  || { cat "$WORK/dry-run.log" >&2; die "schema apply --dry-run failed"; }
plan=$(grep -v '^{' "$WORK/dry-run.log")   # LOG_STYLE=raw: log lines are JSON, the plan is plain text
expected=$'The following changes will be applied:\n\nCollections:\n  - Create smoke_items\n\nFields:\n  - Create smoke_items.id\n  - Create smoke_items.name'
[[ $plan == "$expected" ]] || { cat "$WORK/dry-run.log" >&2; die "unexpected dry-run plan"; }
done_step "plan: 1 collection, 2 fields"

step "directus schema apply --yes"
directus schema apply --yes "$WORK/one-collection.yaml" >"$WORK/apply.log" 2>&1 \
  || { cat "$WORK/apply.log" >&2; die "schema apply failed"; }
# apply exits 0 even when it did nothing (e.g. "isn't installed"): check the table.
"${psql[@]}" -d directus -Atc "select 1 from information_schema.columns where table_name='smoke_items' and column_name='name'" | grep -q 1 \
  || { cat "$WORK/apply.log" >&2; die "smoke_items.name was not created"; }
done_step

step "directus start + GET /server/health" "see the server log above"
"$TRM_NODE" "$TRM_DIRECTUS_CLI" start >"$WORK/directus.log" 2>&1 &   # $! must be node itself
DIRECTUS_PID=$!
health=""
for _ in $(seq 1 300); do
  kill -0 "$DIRECTUS_PID" 2>/dev/null || die "server exited early"
  health=$(curl -fsS --max-time 2 "http://127.0.0.1:$HTTP_PORT/server/health" 2>/dev/null) && break
  health=""
  sleep 0.1
done
[[ -n $health ]] || die "no answer from /server/health within 30 s"
[[ $health == *'"status":"ok"'* ]] || die "health is not ok: $health"
done_step "$health"

step "stop server (SIGTERM)"
kill "$DIRECTUS_PID"
stop_rc=0; wait "$DIRECTUS_PID" || stop_rc=$?
DIRECTUS_PID=""
# @godaddy/terminus shuts down gracefully, then re-raises the signal: 143 is the normal exit.
[[ $stop_rc == 143 || $stop_rc == 0 ]] || die "server exited with $stop_rc on SIGTERM"
if grep -q '"level":[56]0' "$WORK/directus.log"; then grep '"level":[56]0' "$WORK/directus.log" >&2; die "server logged errors"; fi
done_step "exit $stop_rc"

log "ok: smoke passed in $(elapsed "$T0")"
