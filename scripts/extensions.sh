#!/usr/bin/env bash
# The TRM extension bundle (extensions/trm, TypeScript): its node_modules,
# its build and its unit tests, with the Node 22 of the Directus runtime.
#
#   scripts/extensions.sh build   # node_modules (cached by lockfile), then dist/ when the sources changed
#   scripts/extensions.sh test    # build's node_modules, then the type check and the unit tests (vitest)
#
# Environment:
#   TRM_CACHE_DIR   cache root outside the checkout
#                   (default ${XDG_CACHE_HOME:-$HOME/.cache}/trm)
#   TRM_EXTENSIONS_CACHE_KEEP  node_modules cache entries kept (default 3, newest used)
#
# What it does:
#   1. Node: TRM_NODE from directus/runtime.env (make directus writes it).
#   2. node_modules: `npm ci` into $CACHE/extensions-modules/<key>/node_modules, key =
#      sha256(package-lock.json + node version + arch); installed in a
#      temp dir and renamed into place only once the build tools load with that Node;
#      extensions/trm/node_modules -> that entry (symlink).
#   3. build: `directus-extension build` into extensions/trm/dist/ unless
#      dist/.trm-build-inputs (a sha256sum list of every build input: package.json,
#      package-lock.json, tsconfig.json, src/**) still matches; the list is written last,
#      so an interrupted build is redone. Tests (tests/internal/testdirectus) check the
#      same list and refuse a stale bundle.
#   4. test: tsc --noEmit, then vitest run.
set -Eeuo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
EXT=$ROOT/extensions/trm
CACHE=${TRM_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/trm}
KEEP=${TRM_EXTENSIONS_CACHE_KEEP:-3}
STAMP=$EXT/dist/.trm-build-inputs

T0=$(date +%s.%N)
STEP="start"
HINT=""
STEP_T0=$T0
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1fs", b-a}'; }
log()  { printf '[extensions] %s\n' "$*"; }
step() { STEP=$1; HINT=${2:-}; STEP_T0=$(date +%s.%N); log "==> $STEP"; }
done_step() { log "    done: $STEP ($(elapsed "$STEP_T0"))${1:+ — $1}"; }
die() {
  printf '[extensions] ERROR in step "%s": %s\n' "$STEP" "$1" >&2
  [[ -n ${2:-$HINT} ]] && printf '[extensions] fix: %s\n' "${2:-$HINT}" >&2
  exit 1
}
on_err() {
  local rc=$?
  # A subshell inherits the trap (set -E): the outer shell reports.
  (( BASH_SUBSHELL > 0 )) && exit "$rc"
  printf '[extensions] ERROR in step "%s" (exit %s, line %s)\n' "$STEP" "$rc" "${BASH_LINENO[0]}" >&2
  [[ -n $HINT ]] && printf '[extensions] fix: %s\n' "$HINT" >&2
  exit "$rc"
}
trap on_err ERR

usage() { echo "usage: scripts/extensions.sh build|test" >&2; exit 2; }
[[ $# -eq 1 ]] || usage
MODE=$1
[[ $MODE == build || $MODE == test ]] || usage

# ---------------------------------------------------------------- 1. node
step "node 22 (directus/runtime.env)" "run make directus (scripts/install-directus.sh): it installs Node 22 and writes directus/runtime.env"
[[ -f $ROOT/directus/runtime.env ]] || die "no $ROOT/directus/runtime.env"
TRM_NODE=$(sed -n 's/^TRM_NODE=//p' "$ROOT/directus/runtime.env")
[[ -x $TRM_NODE ]] || die "TRM_NODE=$TRM_NODE (directus/runtime.env) is not an executable file"
NODE_VERSION=$("$TRM_NODE" --version)
[[ $NODE_VERSION == v22.* ]] || die "TRM_NODE is $NODE_VERSION, the bundle is built for Node 22"
export PATH="$(dirname "$TRM_NODE"):$PATH"
command -v npm >/dev/null 2>&1 || die "npm not found on PATH" "install npm (apt-get install -y npm)"
for tool in sha256sum flock; do
  command -v "$tool" >/dev/null 2>&1 || die "required tool '$tool' not found on PATH" "apt-get install -y coreutils util-linux"
done
[[ -f $EXT/package.json && -f $EXT/package-lock.json ]] \
  || die "missing $EXT/package.json or package-lock.json" "restore them from git (git checkout -- extensions/trm)"
mkdir -p "$CACHE"
exec 9>"$CACHE/.extensions.lock"
if ! flock -n 9; then
  log "    another run holds $CACHE/.extensions.lock, waiting…"
  flock 9
fi
done_step "$TRM_NODE $NODE_VERSION"

# ---------------------------------------------------------------- 2. node_modules
# The tools the build and the tests run; each must load with this Node.
verify_modules() {
  (cd "$1" && node -e '
    for (const m of ["@directus/extensions-sdk/package.json", "typescript", "vitest/package.json", "ioredis"]) require.resolve(m);
  ')
}
step "node_modules (npm ci, cached by lockfile)" "see the npm log above; check registry access (npm ping) and that package.json and package-lock.json agree (cd extensions/trm && npm install --package-lock-only --save-exact with Node 22)"
# The key is the lockfile's, not package.json's: the manifest's entries
# change with the code. npm ci would refuse a package.json whose
# dependencies the lockfile does not record; a cache hit skips npm ci, so
# that is checked here.
(cd "$EXT" && node -e '
  const pkg = require("./package.json"), root = require("./package-lock.json").packages[""] ?? {};
  const sorted = (o) => JSON.stringify(Object.entries(o ?? {}).sort());
  for (const k of ["dependencies", "devDependencies"]) {
    if (sorted(pkg[k]) !== sorted(root[k])) {
      console.error(`package.json ${k} differ from package-lock.json`); process.exit(1);
    }
  }') || die "extensions/trm/package.json and package-lock.json disagree"
KEY=$( { cat "$EXT/package-lock.json"; printf '\n%s %s\n' "$NODE_VERSION" "$(uname -m)"; } \
        | sha256sum | cut -c1-32)
MODS=$CACHE/extensions-modules
ENTRY=$MODS/$KEY
mkdir -p "$MODS"
find "$MODS" -mindepth 1 -maxdepth 1 -name '.tmp-*' -exec rm -rf {} + 2>/dev/null || true
if [[ -d $ENTRY/node_modules ]]; then
  touch "$ENTRY"
  REUSED=1
else
  REUSED=0
  tmp=$(mktemp -d "$MODS/.tmp-$KEY-XXXXXX")
  cp "$EXT/package.json" "$EXT/package-lock.json" "$tmp/"
  npmlog=$tmp/npm-ci.log
  log "    npm ci into $tmp (log: $npmlog)"
  if ! (cd "$tmp" && npm ci --no-audit --no-fund --no-update-notifier --prefer-offline \
          --loglevel=warn >"$npmlog" 2>&1); then
    { grep -m 12 '^npm error' "$npmlog" || tail -n 40 "$npmlog"; } >&2
    die "npm ci failed (full log: $npmlog)"
  fi
  verify_modules "$tmp" >&2 || die "the build tools do not load with $TRM_NODE in the fresh install"
  mv -T "$tmp" "$ENTRY"
  log "    cached as $ENTRY"
  # shellcheck disable=SC2012  # entry names are hex keys
  ls -1dt "$MODS"/*/ 2>/dev/null | tail -n +"$((KEEP + 1))" | while read -r old; do
    [[ ${old%/} == "$ENTRY" ]] && continue
    log "    pruning old cache entry ${old%/}"
    rm -rf "${old%/}"
  done
fi
target=$ENTRY/node_modules
link=$EXT/node_modules
if [[ ! -L $link || $(readlink "$link") != "$target" ]]; then
  if [[ -e $link || -L $link ]]; then
    mv -T "$link" "$EXT/.node_modules.old.$$"
    rm -rf "$EXT/.node_modules.old.$$"
  fi
  ln -s "$target" "$EXT/.node_modules.new.$$"
  mv -T "$EXT/.node_modules.new.$$" "$link"
fi
verify_modules "$EXT" >&2 || die "modules do not resolve through $link" "remove $link and $ENTRY, then re-run"
done_step "$( ((REUSED)) && echo reused || echo installed ) $link -> $target"

# ---------------------------------------------------------------- 3. build
# Every input of the build, relative to extensions/trm, sorted: the stamp
# lists them with their SHA-256.
inputs() {
  (cd "$EXT" && { printf '%s\n' package.json package-lock.json tsconfig.json; find src -type f; } | LC_ALL=C sort)
}
if [[ $MODE == build ]]; then
  step "build extensions/trm/dist" "fix the error above (make ts-test type-checks the sources), then re-run make extensions"
  if [[ -f $EXT/dist/api.js && -f $STAMP ]] && (cd "$EXT" && inputs | cmp -s - <(cut -c67- "$STAMP")) \
       && (cd "$EXT" && sha256sum --quiet --strict -c "$STAMP" >/dev/null 2>&1); then
    done_step "up to date"
  else
    rm -rf "$EXT/dist"
    (cd "$EXT" && npm run --silent build)
    [[ -f $EXT/dist/api.js ]] || die "the build wrote no dist/api.js"
    (cd "$EXT" && inputs | tr '\n' '\0' | xargs -0 sha256sum) >"$STAMP.tmp"
    mv -f "$STAMP.tmp" "$STAMP"
    done_step "$EXT/dist"
  fi
fi

# ---------------------------------------------------------------- 4. test
if [[ $MODE == test ]]; then
  step "type check (tsc --noEmit)" "fix the type errors above"
  (cd "$EXT" && npm run --silent typecheck)
  done_step
  step "unit tests (vitest run)" "fix the failing tests above"
  [[ -t 1 ]] || export NO_COLOR=1
  (cd "$EXT" && CI=true npm run --silent test)
  done_step
fi

log "ok: $MODE in $(elapsed "$T0")"
