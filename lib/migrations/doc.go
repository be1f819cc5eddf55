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
// stops later runs until an operator repairs it. Transaction control
// (BEGIN, COMMIT, ROLLBACK) in a transactional file is refused at load.
//
// Within one run, only the last commit waits for the disk: flushing it
// flushes every earlier commit too, so everything is durable when Apply
// returns, and a crash during the run loses whole files (each with its
// ledger row), which run again next time.
//
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
// Errors are typed for errors.As: *SourceError, *GuardError, *FileError
// (with line and column of the failure in the file), *LockTimeoutError
// (naming the session that holds the lock) and *RepairError. The package
// never logs on its own; WithLogger receives progress.
package migrations
