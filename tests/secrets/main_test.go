// Package secrets runs a battery of failing commands of both binaries,
// the entrypoint and trmctl, with one known secret in every place a
// secret can go, and searches all their output for it: it must never be
// there, in any encoding, whatever the input (issue 8).
package secrets

import (
	"fmt"
	"os"
	"testing"

	"git.dev.trmtracking.org/trm/directus/tests/internal/testdb"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testenv"
)

var (
	pg                  *testdb.Server
	entrypoint, trmctl_ string
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "trm-secrets-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for path, bin := range map[string]*string{
		"git.dev.trmtracking.org/trm/directus/cmd/entrypoint": &entrypoint,
		"git.dev.trmtracking.org/trm/directus/cmd/trmctl":     &trmctl_,
	} {
		if *bin, err = testenv.Build(dir, path); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	code := testdb.Main(m, &pg)
	os.RemoveAll(dir)
	os.Exit(code)
}
