package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"git.dev.trmtracking.org/trm/directus/tests/internal/testenv"
)

func driftGate(t *testing.T, env ...string) (int, string) {
	t.Helper()
	cmd := exec.Command("scripts/drift-gate.sh")
	cmd.Dir = testenv.Path(t, "")
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), string(out)
	}
	if err != nil {
		t.Fatalf("drift gate: %v\n%s", err, out)
	}
	return 0, string(out)
}

// The CI drift gate must fail when the schema changes without a snapshot
// regenerated through Directus.
func TestDriftGateFailsOnASchemaChangeWithoutARegeneratedSnapshot(t *testing.T) {
	t.Run("post-schema SQL changes what Directus tracks", func(t *testing.T) {
		dbInit := testenv.CopyTree(t, testenv.Path(t, "db-init"))
		drift := "-- Drops an index Directus tracks (a systemFields entry), behind its back.\nDROP INDEX IF EXISTS directus_activity_timestamp_index;\n"
		if err := os.WriteFile(filepath.Join(dbInit, "post", "900_drift.sql"), []byte(drift), 0o644); err != nil {
			t.Fatal(err)
		}
		code, out := driftGate(t, "TRM_DB_INIT_DIR="+dbInit)
		if code != 1 || !strings.Contains(out, "drops the index on directus_activity.timestamp") || !strings.Contains(out, "trmctl snapshot pull") {
			t.Fatalf("exit %d, want 1 with the diff and the remedy:\n%s", code, out)
		}
	})
	t.Run("a hand-edited snapshot", func(t *testing.T) {
		b, err := os.ReadFile(testenv.Path(t, "snapshots/schema.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		// Turning a tracked index off by hand: Directus would not produce it.
		edited := strings.Replace(string(b), "field: timestamp\n    schema:\n      is_indexed: true", "field: timestamp\n    schema:\n      is_indexed: false", 1)
		if edited == string(b) {
			t.Fatal("the committed snapshot no longer lists directus_activity.timestamp as indexed; adapt the test")
		}
		path := filepath.Join(t.TempDir(), "schema.yaml")
		if err := os.WriteFile(path, []byte(edited), 0o644); err != nil {
			t.Fatal(err)
		}
		code, out := driftGate(t, "TRM_SNAPSHOT="+path)
		if code == 0 || !strings.Contains(out, "live schema still differs from the committed snapshot") {
			t.Fatalf("exit %d, want the boot's verification to stop a snapshot Directus cannot reproduce:\n%s", code, out)
		}
	})
}

// The drift gate covers access: roles, policies and permissions that
// differ from the access files after the boot fail it.
func TestDriftGateFailsOnAPermissionChangedByHand(t *testing.T) {
	tamper := filepath.Join(t.TempDir(), "tamper.sql")
	sql := "-- A permission widened by hand after the boot: every field of what was a field list.\n" +
		"UPDATE directus_permissions SET fields = '*' WHERE id = (SELECT min(id) FROM directus_permissions WHERE fields <> '*');\n"
	if err := os.WriteFile(tamper, []byte(sql), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out := driftGate(t, "TRM_DRIFT_GATE_TAMPER="+tamper)
	if code != 1 || !strings.Contains(out, "update permission") || !strings.Contains(out, "the live access model differs") {
		t.Fatalf("exit %d, want 1 with the access diff:\n%s", code, out)
	}
	if !strings.Contains(out, "No drift: the live schema") {
		t.Errorf("the schema check should still pass:\n%s", out)
	}
}
