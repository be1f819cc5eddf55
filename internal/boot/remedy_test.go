package boot

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"git.dev.trmtracking.org/trm/directus/lib/migrations"
)

// The library says what failed in its own terms; the entrypoint's fix is
// chosen from the error's type and cause, and names this repository's
// tools and settings.
func TestTheEntrypointsFixFollowsTheCauseOfADBInitFailure(t *testing.T) {
	m := migrations.Migration{Phase: migrations.PhasePost, Version: 4, Name: "gist", Path: "post/004_gist.sql"}
	readOnly := &pgconn.PgError{Severity: "ERROR", Code: "25006", Message: "cannot execute CREATE TABLE in a read-only transaction"}
	for name, c := range map[string]struct {
		err     error
		want    []string
		notWant []string
	}{
		"read-only ledger": {&migrations.DatabaseError{Op: "create the ledger", Table: `"public"."migrations_applied"`, Cause: migrations.CauseReadOnly, Err: readOnly},
			[]string{"refused writes", "DB_HOST", "default_transaction_read_only"}, []string{"fix the file"}},
		"read-only file": {&migrations.FileError{Migration: m, Cause: migrations.CauseReadOnly, Err: readOnly},
			[]string{"refused writes", "primary"}, []string{"fix the file", "fix the statement"}},
		"timeout": {&migrations.FileError{Migration: m, Cause: migrations.CauseTimeout, Timeout: 10 * time.Minute, Started: true, Err: errors.New("x")},
			[]string{"10m0s deadline", "TRM_DB_INIT_FILE_TIMEOUT", "trmctl migrate repair --mark-applied post/004_gist"}, nil},
		"lock timeout": {&migrations.FileError{Migration: m, Cause: migrations.CauseLockTimeout, Timeout: time.Minute, Err: errors.New("x")},
			[]string{"TRM_DB_INIT_LOCK_TIMEOUT", "nothing of the file was applied"}, []string{"repair"}},
		"sql, rolled back": {&migrations.FileError{Migration: m, Cause: migrations.CauseSQL, Err: errors.New("x")},
			[]string{"fix the statement", "nothing of the file was applied"}, []string{"repair"}},
		"transaction control, partly committed": {&migrations.FileError{Migration: m, Cause: migrations.CauseTransactionControl, Started: true, Err: errors.New("x")},
			[]string{"remove the transaction control", "trmctl migrate repair"}, nil},
		"guard": {&migrations.GuardError{Violations: []migrations.Violation{{Kind: migrations.Changed, Phase: migrations.PhasePre, Version: 2, Name: "positions", Path: "002_positions.sql"}}},
			[]string{"002_positions.sql: restore", "trmctl migrate repair --accept-checksum pre/002_positions"}, nil},
	} {
		fix := MigrationFix(c.err, EntrypointSettings())
		for _, w := range c.want {
			if !strings.Contains(fix, w) {
				t.Errorf("%s: fix %q lacks %q", name, fix, w)
			}
		}
		for _, w := range c.notWant {
			if strings.Contains(fix, w) {
				t.Errorf("%s: fix %q says %q", name, fix, w)
			}
		}
	}
	if fix := MigrationFix(errors.New("unrelated"), EntrypointSettings()); fix != "" {
		t.Errorf("an error of another package got a fix: %q", fix)
	}
}

func TestEveryViolationKindHasAToolFix(t *testing.T) {
	for _, k := range []migrations.ViolationKind{migrations.Changed, migrations.OutOfOrder, migrations.Missing, migrations.Incomplete} {
		v := migrations.Violation{Kind: k, Phase: migrations.PhasePre, Version: 3, Name: "x", Path: "003_x.sql", HighestApplied: 5}
		if fix := ViolationFix(v); !strings.Contains(fix, "trmctl migrate") {
			t.Errorf("%s: %q", k, fix)
		}
	}
}
