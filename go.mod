module git.dev.trmtracking.org/trm/directus

go 1.26.0

replace (
	git.dev.trmtracking.org/trm/directus/lib/course => ./lib/course
	git.dev.trmtracking.org/trm/directus/lib/directusctl => ./lib/directusctl
	git.dev.trmtracking.org/trm/directus/lib/migrations => ./lib/migrations
	git.dev.trmtracking.org/trm/directus/lib/snapshot => ./lib/snapshot
)

require (
	git.dev.trmtracking.org/trm/directus/lib/course v0.0.0-00010101000000-000000000000
	git.dev.trmtracking.org/trm/directus/lib/directusctl v0.0.0-00010101000000-000000000000
	git.dev.trmtracking.org/trm/directus/lib/migrations v0.0.0-00010101000000-000000000000
	git.dev.trmtracking.org/trm/directus/lib/snapshot v0.0.0-00010101000000-000000000000
	github.com/jackc/pgx/v5 v5.13.0
	github.com/spf13/cobra v1.10.2
	github.com/spf13/pflag v1.1.0
	github.com/spf13/viper v1.21.0
	go.yaml.in/yaml/v3 v3.0.6
)

require (
	git.dev.trmtracking.org/trm/directus/lib/rules v0.0.0-00010101000000-000000000000
	github.com/fsnotify/fsnotify v1.9.0 // indirect
	github.com/go-viper/mapstructure/v2 v2.4.0 // indirect
	github.com/inconshreveable/mousetrap v1.1.0 // indirect
	github.com/jackc/pgpassfile v1.0.0 // indirect
	github.com/jackc/pgservicefile v0.0.0-20240606120523-5a60cdf6a761 // indirect
	github.com/jackc/puddle/v2 v2.2.3 // indirect
	github.com/pelletier/go-toml/v2 v2.2.4 // indirect
	github.com/sagikazarmark/locafero v0.11.0 // indirect
	github.com/sourcegraph/conc v0.3.1-0.20240121214520-5f936abd7ae8 // indirect
	github.com/spf13/afero v1.15.0 // indirect
	github.com/spf13/cast v1.10.0 // indirect
	github.com/subosito/gotenv v1.6.0 // indirect
	golang.org/x/sync v0.22.0 // indirect
	golang.org/x/sys v0.29.0 // indirect
	golang.org/x/text v0.41.0 // indirect
)

ignore (
	./.dev
	./directus
)

replace git.dev.trmtracking.org/trm/directus/lib/rules => ./lib/rules
