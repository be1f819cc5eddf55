// Package examples builds and tests each module under examples/ as the
// consumer it stands for: outside the repository's workspace
// (GOWORK=off), with its own go.mod, against a real PostgreSQL database
// made here, since an example cannot import this repository's harness.
package examples

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"git.dev.trmtracking.org/trm/directus/tests/internal/testdb"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testenv"
)

var pg *testdb.Server

func TestMain(m *testing.M) { os.Exit(testdb.Main(m, &pg)) }

// databaseEnv is where examples/processor's tests read their database.
const databaseEnv = "TRM_EXAMPLE_DATABASE_URL"

// goIn runs the go command in dir as an importer would: no workspace, no
// database unless env names one.
func goIn(t *testing.T, dir string, env []string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GOWORK=") && !strings.HasPrefix(kv, databaseEnv+"=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(append(cmd.Env, "GOWORK=off"), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

func TestProcessorExampleBuildsVetsAndIsTidyOutsideTheWorkspace(t *testing.T) {
	dir := testenv.Path(t, "examples/processor")
	for _, args := range [][]string{{"build", "./..."}, {"vet", "./..."}, {"mod", "tidy", "-diff"}} {
		if out, err := goIn(t, dir, nil, args...); err != nil {
			t.Errorf("GOWORK=off go %s in examples/processor: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// The example's tests migrate a database of their own with lib/migrations,
// diff two snapshots with lib/snapshot and price an offence with
// lib/rules.
func TestProcessorExamplePassesItsTestsAgainstRealPostgreSQL(t *testing.T) {
	dir := testenv.Path(t, "examples/processor")
	out, err := goIn(t, dir, []string{databaseEnv + "=" + pg.New(t)}, "test", "-count=1", "-v", "./...")
	if err != nil {
		t.Fatalf("GOWORK=off go test ./... in examples/processor: %v\n%s", err, out)
	}
	for _, name := range []string{"TestMigrateAppliesTheProcessorsOwnFilesOnce", "TestSchemaImpactReportsChangesToWhatTheProcessorReads", "TestSpeedingIsPricedByTheRulebook"} {
		if !strings.Contains(out, "--- PASS: "+name) {
			t.Errorf("%s did not pass:\n%s", name, out)
		}
	}
}

// Without a database the example's tests fail and say how to give one:
// they never skip.
func TestProcessorExampleFailsWithInstructionsWithoutADatabase(t *testing.T) {
	out, err := goIn(t, testenv.Path(t, "examples/processor"), nil, "test", "-count=1", "-run", "TestMigrate", "./...")
	if err == nil || !strings.Contains(out, databaseEnv+" is not set") || !strings.Contains(out, "make test") || strings.Contains(out, "SKIP") {
		t.Errorf("want a failure naming %s and make test: %v\n%s", databaseEnv, err, out)
	}
}
