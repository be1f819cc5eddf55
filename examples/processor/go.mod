module example.com/processor

go 1.25.0

// A consumer outside the repository's workspace: each library is required
// as a service requires it, and replaced by its folder here so that the
// example always builds against the code next to it. A real service
// drops the replace lines and requires tags, e.g.
// git.dev.trmtracking.org/trm/directus/lib/migrations v0.3.0.
replace (
	git.dev.trmtracking.org/trm/directus/lib/directusctl => ../../lib/directusctl
	git.dev.trmtracking.org/trm/directus/lib/migrations => ../../lib/migrations
	git.dev.trmtracking.org/trm/directus/lib/rules => ../../lib/rules
	git.dev.trmtracking.org/trm/directus/lib/snapshot => ../../lib/snapshot
)

require (
	git.dev.trmtracking.org/trm/directus/lib/directusctl v0.0.0-00010101000000-000000000000
	git.dev.trmtracking.org/trm/directus/lib/migrations v0.0.0-00010101000000-000000000000
	git.dev.trmtracking.org/trm/directus/lib/rules v0.0.0-00010101000000-000000000000
	git.dev.trmtracking.org/trm/directus/lib/snapshot v0.0.0-00010101000000-000000000000
	github.com/jackc/pgx/v5 v5.13.0
)

require (
	github.com/jackc/pgpassfile v1.0.0 // indirect
	github.com/jackc/pgservicefile v0.0.0-20240606120523-5a60cdf6a761 // indirect
	github.com/jackc/puddle/v2 v2.2.3 // indirect
	go.yaml.in/yaml/v3 v3.0.6 // indirect
	golang.org/x/sync v0.22.0 // indirect
	golang.org/x/text v0.41.0 // indirect
)
