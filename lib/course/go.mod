module git.dev.trmtracking.org/trm/directus/lib/course

go 1.25.0
