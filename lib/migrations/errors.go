package migrations

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// SourceRule names the rule a source file breaks.
type SourceRule string

const (
	// RuleFileName: the name is not NNN_name.sql.
	RuleFileName SourceRule = "file-name"
	// RuleLocation: a .sql file outside the phase directories.
	RuleLocation SourceRule = "location"
	// RuleDirective: a malformed or misplaced "-- migrate:" directive.
	RuleDirective SourceRule = "directive"
	// RuleDuplicate: a version or name used twice.
	RuleDuplicate SourceRule = "duplicate"
	// RuleTransactionControl: BEGIN, COMMIT, ROLLBACK and the like in a
	// file that runs inside the runner's transaction.
	RuleTransactionControl SourceRule = "transaction-control"
	// RuleClientData: a statement that needs the client's data channel
	// (COPY ... FROM STDIN, COPY ... TO STDOUT).
	RuleClientData SourceRule = "client-data"
	// RuleUnterminated: the file ends inside a comment, string, quoted
	// identifier, dollar quote or BEGIN ATOMIC body.
	RuleUnterminated SourceRule = "unterminated"
)

// SourceProblem is one thing wrong with one file of the source.
type SourceProblem struct {
	Path string
	Rule SourceRule
	// Line is the 1-based line of the file the problem is on; 0 when it
	// concerns the file as a whole.
	Line   int
	Reason string
	Fix    string
}

// SourceError reports every malformed, duplicate or misplaced file of the
// source. Nothing is applied while the source has problems.
type SourceError struct {
	Problems []SourceProblem
}

func (e *SourceError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "migrations source has %d problem(s):", len(e.Problems))
	for _, p := range e.Problems {
		fmt.Fprintf(&b, "\n  %s: %s; fix: %s", p.Path, p.Reason, p.Fix)
	}
	return b.String()
}

// ViolationKind names a guard.
type ViolationKind string

const (
	// Changed: an applied file's content no longer matches its checksum.
	Changed ViolationKind = "changed"
	// OutOfOrder: a pending file is numbered below the highest applied file
	// of its phase.
	OutOfOrder ViolationKind = "out-of-order"
	// Missing: the ledger records a file the source no longer has.
	Missing ViolationKind = "missing"
	// Incomplete: a no-transaction file started and never finished.
	Incomplete ViolationKind = "incomplete"
)

// Violation is one guard that refuses to let migrations run.
type Violation struct {
	Kind    ViolationKind
	Phase   Phase
	Version int64
	Name    string
	// Path is the file in the source, or the path recorded in the ledger
	// when the file is missing.
	Path string
	// Detail says exactly what differs (both checksums, the highest applied
	// version, when the file started).
	Detail string
	// Fix says what an operator does about it.
	Fix string
}

func (v Violation) String() string {
	return fmt.Sprintf("%s %s: %s; fix: %s", v.Kind, v.Path, v.Detail, v.Fix)
}

// GuardError refuses a run: the ledger and the source disagree. Nothing was
// applied.
type GuardError struct {
	Violations []Violation
}

func (e *GuardError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "refusing to run migrations: %d guard violation(s), nothing applied:", len(e.Violations))
	for _, v := range e.Violations {
		fmt.Fprintf(&b, "\n  %s", v)
	}
	return b.String()
}

// FileError is a migration that failed on the server. Its transaction was
// rolled back (for a no-transaction file: the ledger keeps a started row).
type FileError struct {
	Migration Migration
	// Line and Column locate the failure in the file when the server
	// reported a position (1-based; 0 when unknown).
	Line, Column int
	Err          error
}

func (e *FileError) Error() string {
	where := e.Migration.Path
	if e.Line > 0 {
		where = fmt.Sprintf("%s:%d:%d", where, e.Line, e.Column)
	}
	msg := fmt.Sprintf("migration %s failed: %v", where, e.Err)
	var pgErr *pgconn.PgError
	if errors.As(e.Err, &pgErr) {
		if pgErr.Detail != "" {
			msg += "; detail: " + pgErr.Detail
		}
		if pgErr.Hint != "" {
			msg += "; hint: " + pgErr.Hint
		}
	}
	if e.Migration.NoTransaction {
		msg += fmt.Sprintf("; it ran outside a transaction, so the ledger keeps it as started: check what it left behind, then run `trmctl migrate repair` (retry) or `trmctl migrate repair --mark-applied %s`", e.Migration.ID())
	} else {
		msg += "; its transaction was rolled back, fix the file and run again"
	}
	return msg
}

func (e *FileError) Unwrap() error { return e.Err }

// LockTimeoutError is returned when another runner held the migration lock
// for longer than this run was willing to wait.
type LockTimeoutError struct {
	Waited time.Duration
	// Holder describes the session holding the lock when it could be read
	// (pid, application name, client address, since when).
	Holder string
}

func (e *LockTimeoutError) Error() string {
	holder := e.Holder
	if holder == "" {
		holder = "another session"
	}
	return fmt.Sprintf("gave up waiting for the migration lock after %s: held by %s; wait for it to finish, or stop it (SELECT pg_terminate_backend(pid)) if it is stuck, then run again", e.Waited.Round(time.Millisecond), holder)
}

// RepairError names a repair target that the ledger does not hold in the
// state the repair expects.
type RepairError struct {
	Target string
	Reason string
}

func (e *RepairError) Error() string {
	return fmt.Sprintf("cannot repair %s: %s", e.Target, e.Reason)
}
