package trmctl

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"git.dev.trmtracking.org/trm/directus/lib/snapshot"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testdirectus"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testenv"
)

// committedSchema stands for the committed snapshot: the empty schema as
// Directus 11.17.4 wrote it (the repository's first snapshots/schema.yaml;
// a copy, so that the tests do not change with the real schema).
const committedSchema = "testdata/empty-11.17.4.yaml"

// withVendor writes a copy of a snapshot with another vendor line.
func withVendor(t *testing.T, path, vendor string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := strings.Replace(string(data), "vendor: postgres\n", "vendor: "+vendor+"\n", 1)
	p := filepath.Join(t.TempDir(), vendor+"-"+filepath.Base(path))
	if err := os.WriteFile(p, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// One Directus serves the whole scenario: each start costs seconds.
func TestSnapshotPullAndCheckAgainstALiveDirectus(t *testing.T) {
	node, script, err := testdirectus.Runtime()
	if err != nil {
		t.Fatal(err)
	}
	dbURL := pg.New(t)
	// Pre-schema db-init first, as the entrypoint does: positions and
	// migrations_applied exist before Directus is installed.
	if code, out, errOut := trmctl(t, map[string]string{"TRM_DATABASE_URL": dbURL, "TRM_TIMESCALEDB": "optional"}, "migrate", "up", "--phase", "pre", "--dir", testenv.CopyTree(t, testenv.Path(t, "db-init"))); code != 0 {
		t.Fatalf("migrate up: exit %d\n%s%s", code, out, errOut)
	}
	inst := testdirectus.Start(t, dbURL)
	dbEnv := map[string]string{"TRM_DATABASE_URL": dbURL, "TRM_NODE": node, "TRM_DIRECTUS_CLI": script}
	restEnv := map[string]string{"TRM_DIRECTUS_TOKEN": inst.Token}
	rest := func(args ...string) []string { return append(args, "--directus-url", inst.URL) }
	cliSnapshot := func() []byte {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		b, _, err := inst.CLI.Snapshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	dir := t.TempDir()

	t.Run("pull from the database writes Directus's own snapshot byte for byte", func(t *testing.T) {
		out := filepath.Join(dir, "fresh.yaml")
		code, stdout, stderr := trmctl(t, dbEnv, "snapshot", "pull", "-o", out)
		if code != 0 || stdout != "" {
			t.Fatalf("exit %d\nstdout %q\nstderr %s", code, stdout, stderr)
		}
		got, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if want := cliSnapshot(); !bytes.Equal(got, want) {
			t.Fatalf("pulled snapshot differs from `directus schema snapshot`:\n--- pulled\n%s\n--- directus\n%s", got, want)
		}
		if !strings.Contains(stderr, "Wrote "+out+": 0 collections, 0 fields, 0 relations, 3 system fields") {
			t.Errorf("stderr does not say what was written: %s", stderr)
		}
	})

	t.Run("pull from a running instance renders the same bytes and never prints the token", func(t *testing.T) {
		code, stdout, stderr := trmctl(t, restEnv, rest("snapshot", "pull", "-o", "-")...)
		fresh, _ := os.ReadFile(filepath.Join(dir, "fresh.yaml"))
		if code != 0 || stdout != string(fresh) {
			t.Fatalf("exit %d\nstderr %s\nstdout:\n%s\nwant:\n%s", code, stderr, stdout, fresh)
		}
		if strings.Contains(stdout+stderr, inst.Token) || !strings.Contains(stderr, "Wrote standard output") {
			t.Errorf("stderr %q", stderr)
		}
	})

	t.Run("check passes against a committed empty schema", func(t *testing.T) {
		code, stdout, stderr := trmctl(t, dbEnv, "snapshot", "check", "--snapshot", committedSchema)
		if code != 0 || !strings.HasPrefix(stdout, "No drift: ") {
			t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
		}
	})

	t.Run("check refuses a committed snapshot of another vendor, as Directus would", func(t *testing.T) {
		mysql := withVendor(t, committedSchema, "mysql")
		code, stdout, stderr := trmctl(t, restEnv, rest("snapshot", "check", "--snapshot", mysql)...)
		if code != 2 || stdout != "" || !strings.Contains(stderr, mysql+" is a snapshot of a mysql database and the live schema from Directus at "+inst.URL+" of a postgres one") {
			t.Fatalf("exit %d\nstdout %q\nstderr %q", code, stdout, stderr)
		}
		code, stdout, stderr = trmctl(t, restEnv, rest("snapshot", "check", "--snapshot", mysql, "--ignore-vendor")...)
		if code != 0 || !strings.HasPrefix(stdout, "No drift: ") || !strings.Contains(stderr, "warning: ") {
			t.Fatalf("--ignore-vendor: exit %d\n%s%s", code, stdout, stderr)
		}
	})

	// Track the db-init-owned tables in Directus, as someone clicking them
	// in the Admin app would: they then appear in Directus's snapshot
	// (without fields: Directus ignores the columns of a table that has no
	// single-column primary key).
	c := inst.Client()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, table := range []string{"positions", "migrations_applied"} {
		if err := c.Do(ctx, http.MethodPatch, "/collections/"+table, nil, map[string]any{"meta": map[string]any{"icon": "table"}}, nil); err != nil {
			t.Fatal(err)
		}
	}
	tracked := cliSnapshot()
	if !bytes.Contains(tracked, []byte("collection: positions")) || !bytes.Contains(tracked, []byte("collection: migrations_applied")) {
		t.Fatalf("the owned tables are not in Directus's snapshot, so the tests below would prove nothing:\n%s", tracked)
	}

	t.Run("pull leaves out the tables db-init owns even when Directus tracks them", func(t *testing.T) {
		out := filepath.Join(dir, "owned.yaml")
		code, _, stderr := trmctl(t, dbEnv, "snapshot", "pull", "-o", out)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		got, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(got, []byte("positions")) || bytes.Contains(got, []byte("migrations_applied")) {
			t.Fatalf("owned tables in the pulled snapshot:\n%s", got)
		}
		if _, err := snapshot.Parse(out, got); err != nil {
			t.Fatal(err)
		}
		// Left out, and otherwise exactly what Directus wrote.
		if fresh, _ := os.ReadFile(filepath.Join(dir, "fresh.yaml")); !bytes.Equal(got, fresh) {
			t.Fatalf("pulled snapshot is not the untracked one:\n%s", got)
		}
		if !strings.Contains(stderr, "Left out, owned by db-init: migrations_applied, positions.") {
			t.Errorf("stderr does not name what was left out: %s", stderr)
		}
	})

	t.Run("check ignores the owned tables on the live side", func(t *testing.T) {
		code, stdout, stderr := trmctl(t, restEnv, rest("snapshot", "check", "--snapshot", committedSchema)...)
		if code != 0 {
			t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
		}
	})

	// A change made live, through the API, that the committed snapshot
	// lacks.
	err = c.Do(ctx, http.MethodPost, "/collections", nil, map[string]any{
		"collection": "devices", "schema": map[string]any{}, "meta": map[string]any{"icon": "router"},
		"fields": []any{
			map[string]any{"field": "id", "type": "integer", "meta": map[string]any{"hidden": true}, "schema": map[string]any{"is_primary_key": true, "has_auto_increment": true}},
			map[string]any{"field": "imei", "type": "string", "meta": map[string]any{}, "schema": map[string]any{"max_length": 15}},
		},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("check exits 1 on drift, names the change and says what to do", func(t *testing.T) {
		code, stdout, stderr := trmctl(t, dbEnv, "snapshot", "check", "--snapshot", committedSchema)
		if code != 1 || stderr != "" {
			t.Fatalf("exit %d (want 1)\n%s\nstderr %s", code, stdout, stderr)
		}
		for _, want := range []string{
			"Schema drift: the live schema (the database, through the Directus CLI) differs from " + committedSchema,
			"  create  collection   devices\n",
			"  create  field        devices.imei\n",
			"trmctl snapshot pull --database-url <that database>",
			"git add " + committedSchema + " && git commit",
			"It is not: revert the live change",
		} {
			if !strings.Contains(stdout, want) {
				t.Errorf("report lacks %q:\n%s", want, stdout)
			}
		}
	})

	t.Run("check --format json writes the diff alone and the advice to stderr", func(t *testing.T) {
		code, stdout, stderr := trmctl(t, restEnv, rest("snapshot", "check", "--snapshot", committedSchema, "--format", "json")...)
		if code != 1 {
			t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
		}
		var doc struct {
			Changes []struct{ Kind, Key, Op string }
		}
		if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
			t.Fatalf("%v:\n%s", err, stdout)
		}
		found := false
		for _, ch := range doc.Changes {
			found = found || (ch.Kind == "collection" && ch.Key == "devices" && ch.Op == "create")
		}
		if !found || !strings.Contains(stderr, "trmctl snapshot pull") || strings.Contains(stderr, inst.Token) {
			t.Fatalf("changes %+v\nstderr %s", doc.Changes, stderr)
		}
	})

	t.Run("check --format markdown is a pull-request comment with the advice", func(t *testing.T) {
		code, stdout, _ := trmctl(t, restEnv, rest("snapshot", "check", "--snapshot", committedSchema, "--format", "markdown")...)
		if code != 1 || !strings.HasPrefix(stdout, "### Schema drift\n") || !strings.Contains(stdout, "| `devices` |") || !strings.Contains(stdout, "**What to do:**") {
			t.Fatalf("exit %d\n%s", code, stdout)
		}
	})

	t.Run("pulled from either source, the new schema is the same file and checks clean", func(t *testing.T) {
		fromDB, fromREST := filepath.Join(dir, "db.yaml"), filepath.Join(dir, "rest.yaml")
		if code, _, stderr := trmctl(t, dbEnv, "snapshot", "pull", "-o", fromDB); code != 0 {
			t.Fatalf("pull from the database: exit %d: %s", code, stderr)
		}
		code, _, stderr := trmctl(t, restEnv, rest("snapshot", "pull", "-o", fromREST)...)
		if code != 0 || !strings.Contains(stderr, "1 collections, 2 fields, 0 relations, 3 system fields") {
			t.Fatalf("pull from the instance: exit %d: %s", code, stderr)
		}
		a, _ := os.ReadFile(fromDB)
		b, _ := os.ReadFile(fromREST)
		if !bytes.Equal(a, b) {
			t.Fatalf("the two sources disagree:\n--- database\n%s\n--- instance\n%s", a, b)
		}
		if code, stdout, stderr := trmctl(t, restEnv, rest("snapshot", "check", "--snapshot", fromREST)...); code != 0 {
			t.Fatalf("check against the pulled file: exit %d\n%s%s", code, stdout, stderr)
		}
	})

	t.Run("a wrong token fails without being printed", func(t *testing.T) {
		const wrong = "not-the-admin-token-4711"
		code, stdout, stderr := trmctl(t, map[string]string{"TRM_DIRECTUS_TOKEN": wrong}, rest("snapshot", "pull", "-o", "-")...)
		if code != 1 || stdout != "" || !strings.Contains(stderr, "check the token") || strings.Contains(stderr, wrong) {
			t.Fatalf("exit %d\nstdout %q\nstderr %s", code, stdout, stderr)
		}
		code, _, stderr = trmctl(t, nil, rest("snapshot", "check", "--snapshot", committedSchema, "--token", wrong)...)
		if code != 2 || strings.Contains(stderr, wrong) {
			t.Fatalf("check: exit %d (want 2, could not compare)\n%s", code, stderr)
		}
	})
}

func TestSnapshotPullAndCheckUsageErrorsExitTwo(t *testing.T) {
	const token = "secret-token-0815"
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"bad format", nil, []string{"check", "--format", "html"}, `invalid --format "html"`},
		{"url without a token", nil, []string{"pull", "--directus-url", "http://127.0.0.1:1"}, "--directus-url needs an admin token"},
		{"token without a url", nil, []string{"pull", "--token", token}, "--token needs --directus-url"},
		{"two sources", map[string]string{"TRM_DIRECTUS_TOKEN": token}, []string{"check", "--database-url", "postgres://x@127.0.0.1/x", "--directus-url", "http://127.0.0.1:1"}, "choose one"},
		{"not an http url", map[string]string{"TRM_DIRECTUS_TOKEN": token}, []string{"pull", "--directus-url", "ftp://cms.example.org"}, "want an http or https URL"},
		{"credentials in the url", map[string]string{"TRM_DIRECTUS_TOKEN": token}, []string{"pull", "--directus-url", "http://admin:pw@127.0.0.1:1"}, "must not contain credentials"},
		{"empty output", map[string]string{"TRM_DIRECTUS_TOKEN": token}, []string{"pull", "--directus-url", "http://127.0.0.1:1", "--output", ""}, "--output is empty"},
		{"argument", nil, []string{"pull", "extra"}, "unknown command"},
		{"unreadable committed snapshot", map[string]string{"TRM_DIRECTUS_TOKEN": token}, []string{"check", "--directus-url", "http://127.0.0.1:1", "--snapshot", "testdata/nope.yaml"}, "nope.yaml: cannot read file"},
		{"unreachable instance", map[string]string{"TRM_DIRECTUS_TOKEN": token}, []string{"check", "--directus-url", "http://127.0.0.1:1", "--snapshot", committedSchema}, "read the live schema from Directus at http://127.0.0.1:1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := trmctl(t, tt.env, append([]string{"snapshot"}, tt.args...)...)
			if code != 2 || stdout != "" || !strings.Contains(stderr, tt.want) || strings.Contains(stderr, token) {
				t.Fatalf("exit %d (want 2)\nstdout %q\nstderr %q (want %q, never the token)", code, stdout, stderr, tt.want)
			}
		})
	}
}

func TestSnapshotPullThatFailsLeavesTheOldFileAsItWas(t *testing.T) {
	out := filepath.Join(t.TempDir(), "schema.yaml")
	if err := os.WriteFile(out, []byte("old\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := trmctl(t, map[string]string{"TRM_DIRECTUS_TOKEN": "t"}, "snapshot", "pull", "--directus-url", "http://127.0.0.1:1", "-o", out)
	if code != 1 || !strings.Contains(stderr, "read the live schema from Directus at http://127.0.0.1:1") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if b, _ := os.ReadFile(out); string(b) != "old\n" {
		t.Fatalf("file changed: %q", b)
	}
	entries, _ := os.ReadDir(filepath.Dir(out))
	if len(entries) != 1 {
		t.Fatalf("left behind: %v", entries)
	}
}
