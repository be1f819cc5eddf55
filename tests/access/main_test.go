// Package access proves the access model on a real Directus 11.17.4 with
// the repository's schema, extensions and access files: the access files
// round-trip through an instance, a second apply changes nothing, a removal
// people would feel is refused without an allowance, and every cell of the
// isolation matrix (role × collection × action × own organisation, other
// organisation, anonymous), generated from the files, is answered by the
// REST API exactly as the files say, and every read cell by GraphQL too.
// BenchmarkReads measures the reads of issue 13 on 10,000 entries.
//
// One Directus serves the whole package (provisioning and starting it is
// most of the run time): TestAccess runs every part, in order, on it.
package access

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"git.dev.trmtracking.org/trm/directus/internal/access"
	"git.dev.trmtracking.org/trm/directus/lib/snapshot"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testdb"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testenv"
)

var (
	pg  *testdb.Server
	bin string
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "trm-access-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if bin, err = testenv.Build(dir, "git.dev.trmtracking.org/trm/directus/cmd/trmctl"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := testdb.Main(m, &pg)
	os.RemoveAll(dir)
	os.Exit(code)
}

func committed(t testing.TB) (*access.Set, *access.Catalog) {
	t.Helper()
	snap, err := snapshot.ReadFile(testenv.Path(t, "snapshots/schema.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cat := access.NewCatalog(snap)
	s, err := access.ReadDir(testenv.Path(t, "access"))
	if err != nil {
		t.Fatal(err)
	}
	if err := access.Validate(s, cat); err != nil {
		t.Fatal(err)
	}
	return s, cat
}

// trmctl runs the binary from the repository root with exactly the given
// environment (plus PATH).
func trmctl(t testing.TB, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = root
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdin = strings.NewReader("")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		t.Fatalf("run trmctl: %v", err)
	}
	return code, out.String(), errb.String()
}
