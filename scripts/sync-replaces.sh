#!/usr/bin/env bash
# Gives every module of the workspace a replace directive for every other
# intra-repository module, so `go mod tidy` works in any of them without
# go.work (the image build uses GOWORK=off). Run after adding a module.
# Replacements of modules a go.mod does not require are ignored by Go.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=git.dev.trmtracking.org/trm/directus
mapfile -t mods < <(go work edit -json | python3 -c 'import json,sys; [print(u["DiskPath"].removeprefix("./")) for u in json.load(sys.stdin)["Use"]]')
for m in "${mods[@]}"; do
  # The published libraries require no intra-repository module; their
  # go.mod stays free of replace directives.
  case "$m" in lib/migrations|lib/snapshot|lib/directusctl) continue ;; esac
  args=()
  for other in "${mods[@]}"; do
    [ "$other" = "$m" ] && continue
    rel=$(realpath -m --relative-to="$m" "$other")
    case "$rel" in .*) ;; *) rel="./$rel" ;; esac
    args+=("-replace=$prefix/$other=$rel")
  done
  (cd "$m" && go mod edit "${args[@]}")
done
echo "sync-replaces: ${#mods[@]} modules"
