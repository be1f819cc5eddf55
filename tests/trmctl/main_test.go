// Package trmctl runs the trmctl binary, as an operator would, against
// real PostgreSQL with PostGIS and a real Directus 11.17.4.
package trmctl

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"git.dev.trmtracking.org/trm/directus/tests/internal/testdb"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testenv"
)

var (
	pg  *testdb.Server
	bin string
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "trm-trmctl-")
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

// trmctl runs the binary with exactly the given environment (plus PATH),
// so that nothing of the developer's shell leaks into a test.
func trmctl(t testing.TB, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdin = strings.NewReader("")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
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
