module git.dev.trmtracking.org/trm/directus/lib/directusctl

go 1.25.0
