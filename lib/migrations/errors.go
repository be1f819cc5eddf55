package migrations

import (
	"context"
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

// SourceError reports every malformed, duplicate, misplaced or refused
// file of the source. Nothing is applied while the source has problems.
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
	// Incomplete: a file started and never finished: a no-transaction file
	// interrupted midway, or a file that ended the runner's transaction
	// itself and failed after.
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
	// Checksum is the source file's SHA-256, LedgerChecksum the recorded
	// one (Changed).
	Checksum, LedgerChecksum string
	// HighestApplied is the highest applied version of the phase
	// (OutOfOrder).
	HighestApplied int64
	// At and By are when and by whom the ledger row was written (Changed,
	// Missing, Incomplete).
	At time.Time
	By string
	// NoTransaction is whether the file runs outside a transaction
	// (Incomplete: if not, it ended the runner's transaction itself).
	NoTransaction bool
	// Detail says exactly what differs, in words.
	Detail string
	// Fix says what to do about it, in terms of this package's operations
	// (Provider.Repair, Provider.Baseline).
	Fix string
}

// ID names the file as Provider.Repair accepts it: "pre/001_name".
func (v Violation) ID() string {
	return string(v.Phase) + "/" + strings.TrimSuffix(v.Path[strings.LastIndexByte(v.Path, '/')+1:], ".sql")
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

// Cause classifies why a run failed, so that a caller can choose a remedy.
type Cause string

const (
	// CauseSQL: the server rejected a statement.
	CauseSQL Cause = "sql"
	// CauseTimeout: a file ran longer than its deadline (WithFileTimeout).
	CauseTimeout Cause = "timeout"
	// CauseLockTimeout: a statement waited longer than the lock timeout
	// (WithLockTimeout) for a lock another session held.
	CauseLockTimeout Cause = "lock-timeout"
	// CauseReadOnly: the database refused writes: it is a hot standby, or
	// default_transaction_read_only is on.
	CauseReadOnly Cause = "read-only"
	// CauseTransactionControl: a file ended the runner's transaction
	// itself, or a no-transaction file left a transaction open.
	CauseTransactionControl Cause = "transaction-control"
	// CauseClientData: a statement needed the client's data channel.
	CauseClientData Cause = "client-data"
	// CauseConnection: the connection failed or the server did not answer.
	CauseConnection Cause = "connection"
	// CauseCanceled: the caller's context was cancelled or its deadline
	// passed.
	CauseCanceled Cause = "canceled"
)

// CauseOf returns the cause of the *FileError or *DatabaseError in err's
// chain, or "" when there is none.
func CauseOf(err error) Cause {
	var fe *FileError
	if errors.As(err, &fe) {
		return fe.Cause
	}
	var de *DatabaseError
	if errors.As(err, &de) {
		return de.Cause
	}
	return ""
}

// FileError is a migration that failed on the server.
type FileError struct {
	Migration Migration
	Cause     Cause
	// Statement is the 1-based index of the failing statement among the
	// file's statements; 0 when the failure came after them (at commit)
	// or could not be placed.
	Statement int
	// Line and Column locate the failure in the file (1-based; 0 when
	// unknown): the server's error position when it reported one, else the
	// start of the failing statement.
	Line, Column int
	// Text is the start of the failing statement, on one line.
	Text string
	// Timeout is the limit that was exceeded (CauseTimeout,
	// CauseLockTimeout).
	Timeout time.Duration
	// Started says the ledger keeps the file as started: it ran outside a
	// transaction, or ended the runner's transaction itself, so part of it
	// may be committed. Runs stop at it until it is repaired.
	Started bool
	Err     error
}

func (e *FileError) Error() string {
	var b strings.Builder
	b.WriteString("migration ")
	b.WriteString(e.Migration.Path)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", e.Line, e.Column)
	}
	b.WriteString(" failed")
	switch {
	case e.Statement > 0 && e.Text != "":
		fmt.Fprintf(&b, " in statement %d (%s)", e.Statement, e.Text)
	case e.Statement > 0:
		fmt.Fprintf(&b, " in statement %d", e.Statement)
	}
	switch e.Cause {
	case CauseTimeout:
		fmt.Fprintf(&b, ": it ran longer than its %s deadline", e.Timeout)
	case CauseLockTimeout:
		fmt.Fprintf(&b, ": it waited longer than %s for a lock another session held", e.Timeout)
	case CauseReadOnly:
		b.WriteString(": the database refused writes (it is read-only: a hot standby, or default_transaction_read_only is on)")
	case CauseClientData:
		b.WriteString(": the statement needs data from the client, and a migration has none to send")
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	var pgErr *pgconn.PgError
	if errors.As(e.Err, &pgErr) {
		if pgErr.Detail != "" {
			b.WriteString("; detail: " + pgErr.Detail)
		}
		if pgErr.Hint != "" {
			b.WriteString("; hint: " + pgErr.Hint)
		}
	}
	switch {
	case e.Cause == CauseTransactionControl && e.Migration.NoTransaction:
		b.WriteString("; the file left a transaction open (BEGIN without COMMIT): what it ran since was rolled back, and the ledger keeps it as started")
	case e.Cause == CauseTransactionControl && e.Started:
		b.WriteString("; the file ended the runner's transaction itself (COMMIT, ROLLBACK or the like): what it ran before that was committed, the rest was rolled back, and the ledger keeps it as started")
	case e.Cause == CauseTransactionControl:
		b.WriteString("; the file ended the runner's transaction itself (COMMIT, ROLLBACK or the like): all of it was rolled back and nothing was recorded")
	case e.Started:
		b.WriteString("; it ran outside a transaction: the statements before the failing one stay applied, and the ledger keeps it as started")
	default:
		b.WriteString("; its transaction was rolled back: nothing of it was applied")
	}
	return b.String()
}

func (e *FileError) Unwrap() error { return e.Err }

// DatabaseError is a failure talking to the database outside any
// migration file: connecting, reading or writing the ledger.
type DatabaseError struct {
	// Op says what was being done, e.g. "read the ledger".
	Op string
	// Table is the ledger table, quoted.
	Table string
	Cause Cause
	Err   error
}

func (e *DatabaseError) Error() string {
	msg := fmt.Sprintf("migrations: %s (ledger %s)", e.Op, e.Table)
	if e.Cause == CauseReadOnly {
		msg += ": the database refused writes (it is read-only: a hot standby, or default_transaction_read_only is on)"
	}
	return msg + ": " + e.Err.Error()
}

func (e *DatabaseError) Unwrap() error { return e.Err }

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

// classify says why err happened. timedOut is set when the file's own
// deadline fired.
func classify(ctx context.Context, err error, timedOut bool) Cause {
	var pgErr *pgconn.PgError
	switch {
	case timedOut:
		return CauseTimeout
	case errors.As(err, &pgErr):
		switch {
		case pgErr.Code == "25006":
			return CauseReadOnly
		case pgErr.Code == "57014" && strings.Contains(pgErr.Message, "statement timeout"):
			return CauseTimeout
		case pgErr.Code == "55P03" && strings.Contains(pgErr.Message, "lock timeout"):
			return CauseLockTimeout
		case strings.HasPrefix(pgErr.Code, "08") || strings.HasPrefix(pgErr.Code, "57P"):
			return CauseConnection
		}
		return CauseSQL
	case ctx.Err() != nil:
		return CauseCanceled
	}
	return CauseConnection
}
