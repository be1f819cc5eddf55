# TRM business plane. `make help` lists the targets.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

# Every package of every module of the workspace (go.work).
PKGS := git.dev.trmtracking.org/trm/directus/...
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
TEST_TIMEOUT ?= 30m
FUZZTIME ?= 20s

.PHONY: help dev dev-stop test lint api generate libs unit bench fuzz deps directus extensions ts-test build drift-gate

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

deps: ## install system packages the tests need (PostgreSQL 15 + PostGIS, Redis, HAProxy, Chromium)
	@scripts/install-deps.sh

directus: ## install the pinned Directus 11.17.4 runtime (and Node 22) into directus/
	@scripts/install-directus.sh

extensions: directus ## the TypeScript extension bundle extensions/trm: node_modules cached by lockfile, dist/ built when its sources changed
	@scripts/extensions.sh build

ts-test: directus ## the extension bundle's type check and unit tests (vitest on Node 22)
	@scripts/extensions.sh test

build: ## build trmctl and the entrypoint into bin/
	go build -o bin/trmctl ./cmd/trmctl
	go build -o bin/trm-entrypoint ./cmd/entrypoint

dev: deps directus extensions build ## the main job: PostgreSQL + PostGIS, Redis, the entrypoint's boot, Directus on :8055
	@scripts/dev.sh

dev-stop: ## stop the local development database and Redis if a run left them (the data stays in .dev/)
	@scripts/dev-redis.sh stop
	@scripts/dev-postgres.sh stop

lint: ## gofmt, go vet and staticcheck on every module and the example; each library's API matches its lib/*/api.txt; access/ is canonical, docs/access-matrix.md and the bundle's catalog.gen.ts current; the README's table of settings is the generated one
	@unformatted=$$(git ls-files '*.go' | xargs gofmt -l); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	go vet $(PKGS)
	go run $(STATICCHECK) $(PKGS)
	cd examples/processor && GOWORK=off go vet ./... && GOWORK=off go run $(STATICCHECK) ./...
	go run ./tools/apidump
	go run ./cmd/trmctl access fmt --check
	go run ./cmd/trmctl access matrix --check
	go run ./tools/tscatalog
	go run ./tools/settingsdoc -check

generate: ## rewrite generated files: the extension bundle's enumerations (extensions/trm/src/lib/catalog.gen.ts) from internal/catalog
	go run ./tools/tscatalog -w

api: ## rewrite each library's lib/*/api.txt from its exported API (then tag by the README's "Versions")
	go run ./tools/apidump -w

libs: ## each library on its own (GOWORK=off): builds, vets, tests, go mod tidy leaves it unchanged
	@scripts/check-libs.sh

test: deps directus extensions ts-test lint libs build ## lint, the libraries on their own, the extension bundle's unit tests, every test (real PostgreSQL, real Directus), the drift gate: what CI runs
	TRM_REQUIRE_CORPUS=1 go test -count=1 -timeout $(TEST_TIMEOUT) $(PKGS)
	@scripts/drift-gate.sh

drift-gate: directus extensions build ## provision a fresh database with the entrypoint; fail if it differs from snapshots/schema.yaml
	@scripts/drift-gate.sh

unit: ## tests that need no database nor Directus
	go test -count=1 git.dev.trmtracking.org/trm/directus/lib/... ./cmd/... ./internal/... ./tools/...

bench: deps directus extensions ## benchmarks (figures for the issue notes)
	go test -run '^$$' -bench . -benchmem -timeout $(TEST_TIMEOUT) $(PKGS)

fuzz: ## run each fuzz target for FUZZTIME
	@for pkg in ./lib/migrations ./lib/snapshot ./lib/rules ./lib/directusctl ./lib/course ./internal/seed ./internal/boot ./internal/access ./internal/settings; do \
	  for f in $$(go test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; go test -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done
