#!/usr/bin/env bash
# Every library is imported by other TRM services on its own: each must
# build, vet and test with GOWORK=off from its own folder, and `go mod tidy`
# must leave its go.mod and go.sum unchanged. CI runs this (make libs).
set -euo pipefail
cd "$(dirname "$0")/.."
failed=()
for mod in lib/*/go.mod; do
  dir=$(dirname "$mod")
  echo "== $dir (GOWORK=off)"
  if ! (cd "$dir" && export GOWORK=off &&
        go build ./... && go vet ./... && go test -count=1 ./... &&
        go mod tidy -diff); then
    failed+=("$dir")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "check-libs: not usable on their own: ${failed[*]}" >&2
  echo "fix: cd <lib> && GOWORK=off go mod tidy, then make it build, vet and test there" >&2
  exit 1
fi
echo "check-libs: every library builds, vets, tests and is tidy on its own"
