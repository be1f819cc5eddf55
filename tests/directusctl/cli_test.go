package integration

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testdirectus"
)

// oneCollection is a whole snapshot: the system fields' indexes as a fresh
// 11.17.4 has them, and one user collection.
const oneCollection = `version: 1
directus: ` + directusVersion + `
vendor: postgres
collections:
  - collection: cli_items
    meta:
      collection: cli_items
      hidden: false
      singleton: false
    schema:
      name: cli_items
fields:
  - collection: cli_items
    field: id
    type: integer
    meta:
      collection: cli_items
      field: id
      hidden: true
      readonly: true
      interface: input
    schema:
      name: id
      table: cli_items
      data_type: integer
      is_nullable: false
      is_unique: true
      is_primary_key: true
      has_auto_increment: true
  - collection: cli_items
    field: name
    type: string
    meta:
      collection: cli_items
      field: name
      interface: input
    schema:
      name: name
      table: cli_items
      data_type: character varying
      max_length: 255
      is_nullable: true
systemFields:
  - collection: directus_activity
    field: timestamp
    schema:
      is_indexed: true
  - collection: directus_revisions
    field: activity
    schema:
      is_indexed: true
  - collection: directus_revisions
    field: parent
    schema:
      is_indexed: true
relations: []
`

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func hasErrorLog(res *directusctl.Result) bool {
	return res != nil && slices.ContainsFunc(res.Logs, func(l directusctl.LogLine) bool { return l.Level >= 50 })
}

// One database goes through the CLI's whole life: bootstrap, bootstrap
// again, snapshot, apply, failures. The steps depend on each other, so
// they run in order.
func TestCLI(t *testing.T) {
	t.Parallel()
	if _, _, err := testdirectus.Runtime(); err != nil {
		t.Fatal(err)
	}
	db := pg.New(t)
	cli := testdirectus.CLI(testdirectus.Env(db, 0))
	cli.Dir = t.TempDir()

	t.Run("bootstrap installs Directus and the admin", func(t *testing.T) {
		res, err := cli.Bootstrap(timeout(t, 3*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if hasErrorLog(res) {
			t.Errorf("bootstrap logged errors:\n%s", res.Stdout)
		}
		var admins int
		queryRow(t, db, "SELECT count(*) FROM directus_users WHERE email = $1 AND token = $2",
			[]any{testdirectus.AdminEmail, testdirectus.AdminToken}, &admins)
		if admins != 1 {
			t.Fatalf("%d admins with the static token, want 1", admins)
		}
	})

	t.Run("bootstrap again changes nothing", func(t *testing.T) {
		res, err := cli.Bootstrap(timeout(t, 3*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(res.Stdout), "already initialized") {
			t.Errorf("the second bootstrap did not skip the install:\n%s", res.Stdout)
		}
		var admins int
		queryRow(t, db, "SELECT count(*) FROM directus_users", nil, &admins)
		if admins != 1 {
			t.Fatalf("%d users after a second bootstrap, want 1", admins)
		}
	})

	t.Run("apply creates a collection that snapshot then shows", func(t *testing.T) {
		if _, err := cli.Apply(timeout(t, time.Minute), writeFile(t, "one.yaml", oneCollection)); err != nil {
			t.Fatal(err)
		}
		var columns int
		queryRow(t, db, "SELECT count(*) FROM information_schema.columns WHERE table_name = 'cli_items'", nil, &columns)
		if columns != 2 {
			t.Fatalf("cli_items has %d columns, want 2", columns)
		}
		snap, _, err := cli.Snapshot(timeout(t, time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(snap), "version: 1\ndirectus: "+directusVersion+"\nvendor: postgres\n") {
			t.Fatalf("the snapshot does not start with version, directus %s, vendor:\n%.300s", directusVersion, snap)
		}
		if !strings.Contains(string(snap), "\n  - collection: cli_items\n") {
			t.Fatalf("the snapshot after apply lacks cli_items:\n%s", snap)
		}
		// Directus's own snapshot applied back is no change, and no error
		// (the hand-written file above is not: Directus fills in meta
		// defaults it lacks, and would set them again).
		res, err := cli.Apply(timeout(t, time.Minute), writeFile(t, "again.yaml", string(snap)))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(res.Stdout), "No changes to apply") {
			t.Errorf("applying the instance's own snapshot:\n%s", res.Stdout)
		}
	})

	t.Run("malformed YAML is exit 1 with Directus's message", func(t *testing.T) {
		path := writeFile(t, "bad.yaml", "version: 1\ncollections: [\n  - : :\n")
		_, err := cli.Apply(timeout(t, time.Minute), path)
		var ce *directusctl.CLIError
		if !errors.As(err, &ce) {
			t.Fatalf("got %v, want a *CLIError", err)
		}
		if ce.ExitCode != 1 || ce.NotBootstrapped || ce.Message == "" || ce.Command != "schema apply --yes "+path {
			t.Fatalf("got %+v", ce)
		}
		t.Logf("Directus says: %s", ce.Message)
	})

	t.Run("a cancelled context stops the command", func(t *testing.T) {
		stopping := *cli
		// If SIGTERM did not stop node, the run would last this long.
		stopping.Grace = 30 * time.Second
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, _, err := stopping.Snapshot(ctx)
		elapsed := time.Since(start)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("got %v, want an error wrapping context.DeadlineExceeded", err)
		}
		if elapsed > 10*time.Second {
			t.Fatalf("the command took %s to stop", elapsed)
		}

		done, cancelNow := context.WithCancel(context.Background())
		cancelNow()
		if _, err := cli.Bootstrap(done); !errors.Is(err, context.Canceled) {
			t.Fatalf("an already cancelled context: got %v", err)
		}
	})
}

// Directus logs "isn't installed" and exits 0: the runner must not call
// that a success.
func TestCLIApplyOnANeverBootstrappedDatabase(t *testing.T) {
	t.Parallel()
	db := pg.New(t)
	cli := testdirectus.CLI(testdirectus.Env(db, 0))
	cli.Dir = t.TempDir()
	res, err := cli.Apply(timeout(t, time.Minute), writeFile(t, "one.yaml", oneCollection))
	var ce *directusctl.CLIError
	if !errors.As(err, &ce) {
		t.Fatalf("got %v (output %s), want a *CLIError", err, res.Stdout)
	}
	if !ce.NotBootstrapped || ce.ExitCode != 0 {
		t.Fatalf("got %+v, want NotBootstrapped with Directus's exit code 0", ce)
	}
	if !strings.Contains(ce.Error(), "bootstrap") {
		t.Errorf("the message does not say to bootstrap: %v", ce)
	}
}
