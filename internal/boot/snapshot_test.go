package boot

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"git.dev.trmtracking.org/trm/directus/internal/settings"
	"git.dev.trmtracking.org/trm/directus/lib/snapshot"
)

// snapshotOf is a committed snapshot as Directus 11.17.4 writes an empty
// schema, with the vendor line given ("" for none).
func snapshotOf(vendor string) string {
	s := "version: 1\ndirectus: 11.17.4\n"
	if vendor != "" {
		s += "vendor: " + vendor + "\n"
	}
	return s + "collections: []\nfields: []\nsystemFields: []\nrelations: []\n"
}

func writeSnapshot(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "schema.yaml")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// newWith runs New up to its snapshot step: what follows (db-init files,
// the Directus CLI) is missing on purpose, so reaching it means the
// snapshot passed. The access files are skipped (TestNewRefusesBadAccessFiles).
func newWith(t *testing.T, path string, maxSize int64) error {
	t.Helper()
	cfg := &Config{Config: &settings.Config{SchemaApply: settings.ApplyAuto, Snapshot: path, SnapshotMaxSize: maxSize,
		DBInitDir: filepath.Join(t.TempDir(), "no-db-init"), SkipAccess: true}, Exclude: OwnedTables}
	_, err := New(cfg, nil)
	return err
}

func stepOf(t *testing.T, err error) *StepError {
	t.Helper()
	var se *StepError
	if !errors.As(err, &se) {
		t.Fatalf("got %v, want a *StepError", err)
	}
	return se
}

// Directus's CLI applies a snapshot of any vendor without a word, and an
// empty one diffs as "no differences": the boot refuses it before it
// touches the database.
func TestNewRefusesASnapshotOfAnotherVendor(t *testing.T) {
	for _, vendor := range []string{"mysql", "sqlite", "cockroachdb"} {
		se := stepOf(t, newWith(t, writeSnapshot(t, snapshotOf(vendor)), snapshot.DefaultMaxSize))
		var ve *snapshot.VendorError
		if se.Step != "snapshot" || !errors.As(se, &ve) || ve.From != vendor || ve.To != "postgres" {
			t.Fatalf("%s: %v", vendor, se)
		}
		if !strings.Contains(se.Fix, "PostgreSQL") || !strings.Contains(se.Fix, "trmctl snapshot pull") {
			t.Fatalf("%s: fix %q", vendor, se.Fix)
		}
	}
	se := stepOf(t, newWith(t, writeSnapshot(t, snapshotOf("")), snapshot.DefaultMaxSize))
	if se.Step != "snapshot" || !strings.Contains(se.Error(), "names no database vendor") {
		t.Fatalf("no vendor: %v", se)
	}
	// The vendor of every entrypoint's database passes the check and the
	// boot goes on to db-init.
	if se := stepOf(t, newWith(t, writeSnapshot(t, snapshotOf("postgres")), snapshot.DefaultMaxSize)); se.Step != "db-init" {
		t.Fatalf("postgres: %v", se)
	}
}

func TestNewRefusesASnapshotOverTheSizeLimitWithoutReadingIt(t *testing.T) {
	p := writeSnapshot(t, snapshotOf("postgres"))
	se := stepOf(t, newWith(t, p, 64))
	var size *snapshot.SizeError
	if se.Step != "snapshot" || !errors.As(se, &size) || size.Source != p || size.Limit != 64 || size.Size <= 64 {
		t.Fatalf("got %v", se)
	}
	if !strings.Contains(se.Fix, "TRM_SNAPSHOT_MAX_SIZE") {
		t.Fatalf("fix %q", se.Fix)
	}
	// A sparse terabyte is refused by its size alone.
	huge := filepath.Join(t.TempDir(), "huge.yaml")
	f, err := os.Create(huge)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(1 << 40); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if se := stepOf(t, newWith(t, huge, snapshot.DefaultMaxSize)); !errors.As(se, &size) || size.Size != 1<<40 {
		t.Fatalf("huge: %v", se)
	}
}

// The live schemas the Directus process returns are bounded like the
// committed snapshot, and the fix names the setting.
func TestALiveSchemaOverTheSizeLimitIsRefusedNamingTheSetting(t *testing.T) {
	b := &Booter{cfg: &Config{Config: &settings.Config{SnapshotMaxSize: 64}, Exclude: OwnedTables}}
	live := []byte(`{"version":1,"directus":"11.17.4","vendor":"postgres","collections":[],"fields":[],"systemFields":[],"relations":[]}`)
	_, err := b.parseLive(live)
	var size *snapshot.SizeError
	if !errors.As(err, &size) || size.Source != "live schema" || size.Limit != 64 {
		t.Fatalf("got %v", err)
	}
	for _, step := range []string{"schema-plan", "schema-verify"} {
		if fix := b.stepFix(step, err); !strings.Contains(fix, "TRM_SNAPSHOT_MAX_SIZE") || !strings.Contains(fix, "nothing was changed") {
			t.Errorf("%s: fix %q", step, fix)
		}
	}
	b.cfg.SnapshotMaxSize = snapshot.DefaultMaxSize
	if _, err := b.parseLive(live); err != nil {
		t.Fatal(err)
	}
}

// Access files that are missing or do not describe the committed schema
// stop the boot before the database is asked anything, naming the folder.
func TestNewRefusesBadAccessFiles(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-access")
	cfg := &Config{Config: &settings.Config{SchemaApply: settings.ApplyAuto, Snapshot: writeSnapshot(t, snapshotOf("postgres")),
		SnapshotMaxSize: snapshot.DefaultMaxSize, DBInitDir: filepath.Join(t.TempDir(), "no-db-init"), AccessDir: missing}, Exclude: OwnedTables}
	_, err := New(cfg, nil)
	se := stepOf(t, err)
	if se.Step != "access" || !strings.Contains(se.Fix, "TRM_ACCESS_DIR="+missing) {
		t.Fatalf("got step %s: %v (fix %q)", se.Step, se, se.Fix)
	}
	// Skipped, the same folder is never read.
	cfg.SkipAccess = true
	if _, err := New(cfg, nil); stepOf(t, err).Step != "db-init" {
		t.Fatalf("with TRM_ACCESS_APPLY=skip: %v", err)
	}
}
