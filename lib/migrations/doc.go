// Package migrations runs guarded, ledgered SQL migrations on PostgreSQL
// with pgx/v5. It is the db-init runner of the TRM business plane, and
// sibling services import it for their own SQL.
//
// # Source
//
// Migrations are files NNN_name.sql (three or more digits, an underscore,
// a lowercase snake_case name) in an fs.FS, embedded or on disk. Files at
// the root belong to the pre-schema phase (PhasePre), files under post/ to
// the post-schema phase (PhasePost), which runs after Directus has applied
// its schema. Versions are unique within a phase and names across both.
// Files that do not end in .sql are ignored; a .sql file with a malformed
// name, a duplicate, or outside the two directories is a *SourceError that
// names it.
//
// Each file runs in one transaction together with its ledger row. A file
// whose first line is
//
//	-- migrate: no-transaction
//
// runs statement by statement in autocommit mode instead, for statements
// such as CREATE INDEX CONCURRENTLY. It is recorded as started before it
// runs and applied after, so a crash in between leaves a visible row that
// stops later runs until an operator repairs it.
//
// Within one run, only the last commit waits for the disk: flushing it
// flushes every earlier commit too, so everything is durable when Apply
// returns, and a crash during the run loses whole files (each with its
// ledger row), which run again next time.
//
// # What the runner refuses, and what it guarantees anyway
//
// Files are read as PostgreSQL's lexer reads them (comments, nested or
// not, are whitespace; strings of every kind, quoted identifiers, dollar
// quotes and the BEGIN ATOMIC ... END bodies of SQL-standard functions
// are opaque; standard_conforming_strings is followed), and Load refuses,
// naming the file and line, before anything runs:
//
//   - in a transactional file, statements that begin, end or prepare a
//     transaction (BEGIN, START TRANSACTION, COMMIT, END, ROLLBACK, ABORT,
//     PREPARE TRANSACTION, COMMIT PREPARED, ROLLBACK PREPARED); SAVEPOINT,
//     RELEASE and ROLLBACK TO stay inside the file's transaction and are
//     allowed;
//   - in any file, statements that need the client's data channel
//     (COPY ... FROM STDIN, COPY ... TO STDOUT): a migration has no data
//     to send, and a runner that does not answer would wait for ever;
//   - text that ends inside a comment, string, quoted identifier, dollar
//     quote or routine body, which the server cannot parse.
//
// The guarantee does not rest on that check. A transactional file's
// ledger row is written as started in the file's transaction before the
// file runs, and set to applied after it only if the transaction is still
// the one that wrote the row. A file that ends the transaction itself
// therefore fails with CauseTransactionControl: what it ran before a
// COMMIT stays committed together with the started row (later runs stop
// at it until it is repaired), and whatever ran after is rolled back.
// The session lexes with standard_conforming_strings on and client
// encoding UTF-8, as the check does, whatever the database's defaults.
// This uses pg_current_xact_id(): PostgreSQL 13 or later.
//
// # Deadlines
//
// Each file may run for DefaultFileTimeout (WithFileTimeout): the server
// cancels any of its statements that runs longer (statement_timeout), and
// when the file as a whole has run that long the runner cancels what is
// running, then closes the connection if the server does not answer (a
// statement stuck in a protocol switch). A statement may wait
// DefaultLockTimeout for a lock another session holds (WithLockTimeout,
// lock_timeout). Either failure is a *FileError naming the file, the line
// and the statement. The context bounds the whole run, lock wait
// included.

// # Ledger and guards
//
// The ledger table (public.migrations_applied by default) records, per
// file: phase, version, name, path, SHA-256 checksum, state (started,
// applied, baselined), applied_at, duration_ms and applied_by. A run is
// refused with a *GuardError, before anything is applied, when an applied
// file changed (both checksums shown), a pending file is numbered below the
// highest applied file of its phase, an applied file is missing from the
// source, or a no-transaction file started and never finished. Each
// violation says how to fix it; Provider.Repair and Provider.Baseline are
// the fixes that touch the ledger.
//
// # Concurrency
//
// Apply first reads the ledger without any lock: when nothing is pending,
// that one query is the whole run. Otherwise it takes a session advisory
// lock keyed by database, schema and ledger table (package advisorylock)
// on a dedicated connection, at most until the context's deadline, and
// reads the ledger again under the lock. Waiters wait idle, woken by the
// holder's NOTIFY, never inside a statement: a waiter blocked in
// pg_advisory_lock would hold a snapshot, and a CREATE INDEX CONCURRENTLY
// run by the holder would wait for it forever. Several processes started
// together therefore apply each file
// exactly once and all succeed.
//
// # Settings for SQL
//
// WithSetting passes values such as trm.timescaledb=optional to every file
// as a session setting, read with current_setting('trm.timescaledb', true).
//
// # Errors
//
// Errors are typed for errors.As: *SourceError (each problem with its
// rule and line), *GuardError (each violation with its kind and the
// checksums, versions and times involved), *FileError (the file, the
// failing statement, its line and column, whether the ledger keeps the
// file as started), *DatabaseError (connecting, reading or writing the
// ledger), *LockTimeoutError (naming the session that holds the lock) and
// *RepairError. CauseOf classifies a failure (a SQL error, a deadline, a
// read-only database, a file's own transaction control, a lost
// connection) so that a caller can choose its remedy; the messages say
// what failed and where, in this package's terms only. The package never
// logs on its own; WithLogger receives progress.
package migrations
