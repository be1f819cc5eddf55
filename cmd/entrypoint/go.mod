module git.dev.trmtracking.org/trm/directus/cmd/entrypoint

go 1.25.0

require (
	git.dev.trmtracking.org/trm/directus/internal/boot v0.0.0-00010101000000-000000000000
	git.dev.trmtracking.org/trm/directus/lib/directusctl v0.0.0-00010101000000-000000000000
)

require (
	git.dev.trmtracking.org/trm/directus/lib/migrations v0.0.0-00010101000000-000000000000 // indirect
	git.dev.trmtracking.org/trm/directus/lib/snapshot v0.0.0-00010101000000-000000000000 // indirect
	github.com/jackc/pgpassfile v1.0.0 // indirect
	github.com/jackc/pgservicefile v0.0.0-20240606120523-5a60cdf6a761 // indirect
	github.com/jackc/pgx/v5 v5.12.0 // indirect
	github.com/jackc/puddle/v2 v2.2.3 // indirect
	go.yaml.in/yaml/v3 v3.0.6 // indirect
	golang.org/x/sync v0.22.0 // indirect
	golang.org/x/text v0.41.0 // indirect
)

replace (
	git.dev.trmtracking.org/trm/directus/internal/boot => ../../internal/boot
	git.dev.trmtracking.org/trm/directus/lib/directusctl => ../../lib/directusctl
	git.dev.trmtracking.org/trm/directus/lib/migrations => ../../lib/migrations
	git.dev.trmtracking.org/trm/directus/lib/snapshot => ../../lib/snapshot
)

replace git.dev.trmtracking.org/trm/directus/cmd/entrypoint/e2e => ./e2e

replace git.dev.trmtracking.org/trm/directus/cmd/trmctl => ../trmctl

replace git.dev.trmtracking.org/trm/directus/internal/testdb => ../../internal/testdb

replace git.dev.trmtracking.org/trm/directus/internal/testdirectus => ../../internal/testdirectus

replace git.dev.trmtracking.org/trm/directus/lib/directusctl/integration => ../../lib/directusctl/integration

replace git.dev.trmtracking.org/trm/directus/lib/migrations/integration => ../../lib/migrations/integration

replace git.dev.trmtracking.org/trm/directus/lib/snapshot/agreement => ../../lib/snapshot/agreement

replace git.dev.trmtracking.org/trm/directus/tests/ui => ../../tests/ui

replace git.dev.trmtracking.org/trm/directus/tools/phase1schema => ../../tools/phase1schema

replace git.dev.trmtracking.org/trm/directus/tests/schema => ../../tests/schema
