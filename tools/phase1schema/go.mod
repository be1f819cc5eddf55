module git.dev.trmtracking.org/trm/directus/tools/phase1schema

go 1.26.0

require git.dev.trmtracking.org/trm/directus/lib/directusctl v0.0.0-00010101000000-000000000000

replace git.dev.trmtracking.org/trm/directus/cmd/entrypoint => ../../cmd/entrypoint

replace git.dev.trmtracking.org/trm/directus/cmd/entrypoint/e2e => ../../cmd/entrypoint/e2e

replace git.dev.trmtracking.org/trm/directus/cmd/trmctl => ../../cmd/trmctl

replace git.dev.trmtracking.org/trm/directus/internal/boot => ../../internal/boot

replace git.dev.trmtracking.org/trm/directus/internal/testdb => ../../internal/testdb

replace git.dev.trmtracking.org/trm/directus/internal/testdirectus => ../../internal/testdirectus

replace git.dev.trmtracking.org/trm/directus/lib/directusctl => ../../lib/directusctl

replace git.dev.trmtracking.org/trm/directus/lib/directusctl/integration => ../../lib/directusctl/integration

replace git.dev.trmtracking.org/trm/directus/lib/migrations => ../../lib/migrations

replace git.dev.trmtracking.org/trm/directus/lib/migrations/integration => ../../lib/migrations/integration

replace git.dev.trmtracking.org/trm/directus/lib/snapshot => ../../lib/snapshot

replace git.dev.trmtracking.org/trm/directus/lib/snapshot/agreement => ../../lib/snapshot/agreement

replace git.dev.trmtracking.org/trm/directus/tests/ui => ../../tests/ui

replace git.dev.trmtracking.org/trm/directus/tests/schema => ../../tests/schema
