package boot

import (
	"errors"
	"fmt"
	"strings"

	"git.dev.trmtracking.org/trm/directus/lib/migrations"
)

// lib/migrations says what failed and where in its own terms; what an
// operator of this repository then does (which trmctl command, which
// setting) is said here, once for both binaries, keyed on its typed errors.

// Settings names, as a binary spells them, what an operator changes.
type Settings struct {
	// Database is where the database is set, e.g. "DB_HOST".
	Database string
	// FileTimeout and LockTimeout set the db-init deadlines.
	FileTimeout, LockTimeout string
}

// EntrypointSettings are the entrypoint's names for its settings.
func EntrypointSettings() Settings {
	return Settings{Database: "DB_HOST (or TRM_DATABASE_URL)", FileTimeout: "TRM_DB_INIT_FILE_TIMEOUT", LockTimeout: "TRM_DB_INIT_LOCK_TIMEOUT"}
}

// ViolationFix says how to clear a guard violation with trmctl.
func ViolationFix(v migrations.Violation) string {
	switch v.Kind {
	case migrations.Changed:
		return fmt.Sprintf("restore the applied version (git log -p -- '*%s') and put the change in a new file; if the edit is harmless (a comment), `trmctl migrate repair --accept-checksum %s`", v.Path, v.ID())
	case migrations.OutOfOrder:
		return fmt.Sprintf("renumber it above %d (`trmctl migrate new` creates the next file), or if it was already applied by hand, `trmctl migrate baseline --through %d --phase %s`", v.HighestApplied, v.Version, v.Phase)
	case migrations.Missing:
		return fmt.Sprintf("restore the file (git log --all -- '*%s*'), or if it was removed on purpose, `trmctl migrate repair --forget %s`", v.Name, v.ID())
	case migrations.Incomplete:
		fix := fmt.Sprintf("check what it left behind (e.g. an INVALID index), then `trmctl migrate repair` to run it again, or `trmctl migrate repair --mark-applied %s` if it did finish", v.ID())
		if !v.NoTransaction {
			fix = "remove the transaction control (COMMIT, ROLLBACK, ...) from the file, then " + fix
		}
		return fix
	}
	return v.Fix
}

// MigrationFix says what an operator does about an error of lib/migrations,
// or "" when it is not one.
func MigrationFix(err error, s Settings) string {
	var (
		ge *migrations.GuardError
		se *migrations.SourceError
		fe *migrations.FileError
		le *migrations.LockTimeoutError
		re *migrations.RepairError
	)
	readOnly := fmt.Sprintf("the database refused writes: %s must name the primary, not a standby or a read-only replica, and default_transaction_read_only must be off for the database and its user (SHOW default_transaction_read_only; ALTER DATABASE ... SET default_transaction_read_only = off); nothing was applied", s.Database)
	switch {
	case errors.As(err, &ge):
		fixes := make([]string, len(ge.Violations))
		for i, v := range ge.Violations {
			fixes[i] = v.Path + ": " + ViolationFix(v)
		}
		return strings.Join(fixes, "; ") + " (`trmctl migrate status` shows the ledger)"
	case errors.As(err, &se):
		return "fix the files named above; `trmctl migrate new NAME` creates the next file of a phase"
	case errors.As(err, &le):
		return "another process is applying migrations: wait for it, or stop it if it is stuck (`trmctl migrate status` shows the ledger)"
	case errors.As(err, &re):
		return "`trmctl migrate status` lists each file's state and the names repair accepts"
	case errors.As(err, &fe):
		return fileFix(fe, s, readOnly)
	}
	switch migrations.CauseOf(err) {
	case migrations.CauseReadOnly:
		return readOnly
	case migrations.CauseConnection:
		return fmt.Sprintf("check that PostgreSQL runs and that %s points at it, then run again; nothing was applied after the failure", s.Database)
	case migrations.CauseCanceled:
		return "stopped before the run finished; run again"
	}
	return ""
}

func fileFix(fe *migrations.FileError, s Settings, readOnly string) string {
	id := fe.Migration.ID()
	retry := fmt.Sprintf("then `trmctl migrate repair` to run it again, or `trmctl migrate repair --mark-applied %s` if it did finish", id)
	var fix string
	switch fe.Cause {
	case migrations.CauseReadOnly:
		return readOnly
	case migrations.CauseTimeout:
		fix = fmt.Sprintf("the file ran longer than its %s deadline: make it faster, or if it is slow but right (an index on a large table), raise %s", fe.Timeout, s.FileTimeout)
	case migrations.CauseLockTimeout:
		fix = fmt.Sprintf("another session held a lock the file needed for longer than %s: find the long transaction (pg_stat_activity: state 'idle in transaction', or an old xact_start), let it finish or stop it, and run again; or raise %s", fe.Timeout, s.LockTimeout)
	case migrations.CauseTransactionControl:
		fix = "remove the transaction control (COMMIT, ROLLBACK, BEGIN, ...) from the file: each file already commits atomically with its ledger row, or use -- migrate: no-transaction"
	case migrations.CauseClientData:
		fix = "load data with INSERT, or with COPY from a file on the database server"
	case migrations.CauseConnection:
		fix = fmt.Sprintf("the connection failed: check that PostgreSQL runs and that %s points at it", s.Database)
	case migrations.CauseCanceled:
		fix = "stopped before the file finished"
	default:
		fix = "fix the statement named above"
	}
	if fe.Started {
		return fix + "; the ledger keeps the file as started: check what it left behind (e.g. an INVALID index), " + retry
	}
	return fix + ", and run again: nothing of the file was applied"
}
