package migrations

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"git.dev.trmtracking.org/trm/directus/lib/migrations/advisorylock"
)

// DefaultTable is the ledger table's name.
const DefaultTable = "migrations_applied"

// Provider runs one source of migrations against one database. It is safe
// for concurrent use, and several processes may run the same source against
// the same database at once: the ledger and an advisory lock make each file
// apply exactly once.
type Provider struct {
	pool          *pgxpool.Pool
	migrations    []Migration
	schema, table string
	ledger        string // quoted schema.table
	lockKey       string
	settings      []setting
	logger        *slog.Logger
	appliedBy     string
	fileTimeout   time.Duration
	lockTimeout   time.Duration
}

type setting struct{ name, value string }

type config struct {
	layout        Layout
	schema, table string
	settings      []setting
	logger        *slog.Logger
	appliedBy     string
	fileTimeout   time.Duration
	lockTimeout   time.Duration
}

// DefaultFileTimeout is how long one file may run unless WithFileTimeout
// says otherwise: long enough for an index on a large table, short enough
// that a file waiting for something that never comes fails while someone
// is still watching.
const DefaultFileTimeout = 10 * time.Minute

// DefaultLockTimeout is how long a statement of a file may wait for a
// lock unless WithLockTimeout says otherwise. While an ALTER TABLE waits
// for its lock, every other query on that table queues behind it: failing
// after a minute (the file is rolled back and can run again) is kinder to
// a live database than waiting for as long as the file may run.
const DefaultLockTimeout = time.Minute

// cancelGrace is how long the server gets to answer a cancel request sent
// when a file's deadline passes before the connection is closed, for
// statements that do not heed a cancel (a COPY waiting for client data).
const cancelGrace = 5 * time.Second

// Option configures a Provider. Options are validated by New.
type Option func(*config) error

// WithLedgerTable sets where the ledger lives (default public.migrations_applied).
func WithLedgerTable(schema, table string) Option {
	return func(c *config) error {
		if schema == "" || table == "" {
			return errors.New("WithLedgerTable: schema and table must not be empty")
		}
		c.schema, c.table = schema, table
		return nil
	}
}

// WithLayout sets where each phase's files live in the source (default
// DefaultLayout: pre-schema at the root, post-schema under post/).
func WithLayout(l Layout) Option {
	return func(c *config) error { c.layout = l; return nil }
}

var settingName = regexp.MustCompile(`^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$`)

// WithSetting passes a value to the migrations as a session setting, read in
// SQL with current_setting('trm.timescaledb', true). The name must be a
// custom setting with a prefix (prefix.name, lowercase).
func WithSetting(name, value string) Option {
	return func(c *config) error {
		if !settingName.MatchString(name) {
			return fmt.Errorf("WithSetting: %q is not a custom setting name such as trm.timescaledb", name)
		}
		if strings.ContainsRune(value, 0) {
			return fmt.Errorf("WithSetting %s: value contains a NUL byte", name)
		}
		c.settings = append(c.settings, setting{name, value})
		return nil
	}
}

// WithFileTimeout bounds how long each file may run (default
// DefaultFileTimeout; 0 leaves only the context's deadline). The server
// cancels any statement of the file that runs longer (statement_timeout),
// and when the whole file has run that long the runner cancels what is
// running and, if the server does not answer within a few seconds, closes
// the connection. The error is a *FileError with CauseTimeout naming the
// statement.
func WithFileTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return fmt.Errorf("WithFileTimeout: %s is negative", d)
		}
		c.fileTimeout = d
		return nil
	}
}

// WithLockTimeout bounds how long a statement of a file may wait for a
// lock another session holds (lock_timeout; default DefaultLockTimeout; 0
// for no limit but the file's). The error is a *FileError with
// CauseLockTimeout.
func WithLockTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return fmt.Errorf("WithLockTimeout: %s is negative", d)
		}
		c.lockTimeout = d
		return nil
	}
}

// WithLogger receives progress (lock waits, each file applied). The
// default discards it.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return errors.New("WithLogger: nil logger")
		}
		c.logger = l
		return nil
	}
}

// WithAppliedBy sets what the ledger records as the applier (default
// program@hostname).
func WithAppliedBy(s string) Option {
	return func(c *config) error {
		if strings.TrimSpace(s) == "" {
			return errors.New("WithAppliedBy: empty")
		}
		if strings.ContainsRune(s, 0) {
			return errors.New("WithAppliedBy: contains a NUL byte")
		}
		c.appliedBy = s
		return nil
	}
}

// New loads and validates the source and the options. It does not touch
// the database.
func New(pool *pgxpool.Pool, fsys fs.FS, opts ...Option) (*Provider, error) {
	if pool == nil {
		return nil, errors.New("migrations: nil pool")
	}
	c := config{layout: DefaultLayout(), schema: "public", table: DefaultTable, fileTimeout: DefaultFileTimeout, lockTimeout: DefaultLockTimeout}
	for _, o := range opts {
		if err := o(&c); err != nil {
			return nil, fmt.Errorf("migrations: %w", err)
		}
	}
	if c.logger == nil {
		c.logger = slog.New(slog.DiscardHandler)
	}
	if c.appliedBy == "" {
		host, _ := os.Hostname()
		c.appliedBy = filepath.Base(os.Args[0]) + "@" + host
	}
	ms, err := Load(fsys, c.layout)
	if err != nil {
		return nil, err
	}
	return &Provider{
		pool:        pool,
		migrations:  ms,
		schema:      c.schema,
		table:       c.table,
		ledger:      pgx.Identifier{c.schema, c.table}.Sanitize(),
		lockKey:     "trm.migrations/" + c.schema + "." + c.table,
		settings:    c.settings,
		logger:      c.logger,
		appliedBy:   c.appliedBy,
		fileTimeout: c.fileTimeout,
		lockTimeout: c.lockTimeout,
	}, nil
}

// Migrations returns the source's files in the order they run.
func (p *Provider) Migrations() []Migration { return append([]Migration(nil), p.migrations...) }

// State of one file, comparing the source with the ledger.
type State string

const (
	StateApplied    State = "applied"
	StateBaselined  State = "baselined"
	StatePending    State = "pending"
	StateChanged    State = "changed"
	StateMissing    State = "missing"
	StateStarted    State = "started"
	StateOutOfOrder State = "out-of-order"
)

// FileStatus is one row of Status: a source file, a ledger row, or both.
type FileStatus struct {
	Phase         Phase
	Version       int64
	Name          string
	Path          string
	State         State
	NoTransaction bool
	// Checksum is the source file's; LedgerChecksum the recorded one.
	Checksum, LedgerChecksum string
	// AppliedAt, AppliedBy and Duration come from the ledger (zero when
	// the file was never applied).
	AppliedAt time.Time
	AppliedBy string
	Duration  time.Duration
}

// Report compares the source with the ledger.
type Report struct {
	Files      []FileStatus
	Violations []Violation
	// Pending are the files that would run, in order.
	Pending []Migration
}

type ledgerRow struct {
	phase            Phase
	version          int64
	name, path, sum  string
	state, appliedBy string
	appliedAt        time.Time
	durationMillis   float64
}

// readLedger returns the ledger rows, or none when the table does not exist
// yet. One round trip: the unnamed statement is parsed, bound and run in
// one exchange, and unlike pgx's simple protocol it works whatever the
// session's standard_conforming_strings and client_encoding.
func (p *Provider) readLedger(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}) ([]ledgerRow, error) {
	rows, err := q.Query(ctx, "SELECT phase, version, name, path, checksum, state, applied_at, duration_ms, applied_by FROM "+p.ledger+" ORDER BY phase DESC, version", pgx.QueryExecModeExec)
	if err == nil {
		var out []ledgerRow
		for rows.Next() {
			var r ledgerRow
			if err := rows.Scan(&r.phase, &r.version, &r.name, &r.path, &r.sum, &r.state, &r.appliedAt, &r.durationMillis, &r.appliedBy); err != nil {
				rows.Close()
				return nil, p.dbError(ctx, "read the ledger", err)
			}
			out = append(out, r)
		}
		err = rows.Err()
		if err == nil {
			return out, nil
		}
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P01" {
		return nil, nil
	}
	return nil, p.dbError(ctx, "read the ledger", err)
}

func (p *Provider) dbError(ctx context.Context, op string, err error) *DatabaseError {
	return &DatabaseError{Op: op, Table: p.ledger, Cause: classify(ctx, err, false), Err: err}
}

// compare builds the report for the given phases (all when none). Guards
// are checked in every phase whatever the selection: the phases share one
// ledger, and a tampered post-schema file must stop a boot before its
// pre-schema step changes anything.
func (p *Provider) compare(rows []ledgerRow, phases []Phase) *Report {
	selected := phaseSet(phases)
	type key struct {
		phase   Phase
		version int64
	}
	ledger := map[key]ledgerRow{}
	highest := map[Phase]int64{}
	for _, r := range rows {
		ledger[key{r.phase, r.version}] = r
		if r.version > highest[r.phase] {
			highest[r.phase] = r.version
		}
	}
	rep := &Report{}
	seen := map[key]bool{}
	for _, m := range p.migrations {
		k := key{m.Phase, m.Version}
		seen[k] = true
		fst := FileStatus{Phase: m.Phase, Version: m.Version, Name: m.Name, Path: m.Path, Checksum: m.Checksum, NoTransaction: m.NoTransaction}
		r, applied := ledger[k]
		switch {
		case !applied && m.Version < highest[m.Phase]:
			fst.State = StateOutOfOrder
			rep.Violations = append(rep.Violations, Violation{Kind: OutOfOrder, Phase: m.Phase, Version: m.Version, Name: m.Name, Path: m.Path,
				Checksum: m.Checksum, HighestApplied: highest[m.Phase], NoTransaction: m.NoTransaction,
				Detail: fmt.Sprintf("pending, but version %d of phase %s is already applied", highest[m.Phase], m.Phase),
				Fix:    fmt.Sprintf("renumber it above %d; or, if it was already applied by hand, baseline it", highest[m.Phase])})
		case !applied:
			fst.State = StatePending
			if selected[m.Phase] {
				rep.Pending = append(rep.Pending, m)
			}
		default:
			fst.LedgerChecksum, fst.AppliedAt, fst.AppliedBy = r.sum, r.appliedAt, r.appliedBy
			fst.Duration = time.Duration(r.durationMillis * float64(time.Millisecond))
			v := Violation{Phase: m.Phase, Version: m.Version, Name: m.Name, Path: m.Path, Checksum: m.Checksum, LedgerChecksum: r.sum,
				At: r.appliedAt, By: r.appliedBy, NoTransaction: m.NoTransaction}
			switch {
			case r.state == "started":
				fst.State = StateStarted
				v.Kind = Incomplete
				if m.NoTransaction {
					v.Detail = fmt.Sprintf("ran outside a transaction, started %s by %s and never finished", r.appliedAt.Format(time.RFC3339), r.appliedBy)
					v.Fix = "check what it left behind (e.g. an INVALID index), then repair: retry it, or mark it applied if it did finish"
				} else {
					v.Detail = fmt.Sprintf("ended the runner's transaction itself (started %s by %s) and failed after: what it ran before that is committed", r.appliedAt.Format(time.RFC3339), r.appliedBy)
					v.Fix = "remove the transaction control from the file, check what the committed part left behind, then repair: retry it, or mark it applied if it did finish"
				}
				rep.Violations = append(rep.Violations, v)
			case r.sum != m.Checksum:
				fst.State = StateChanged
				v.Kind = Changed
				v.Detail = fmt.Sprintf("content changed since it was applied on %s: ledger sha256 %s, file sha256 %s", r.appliedAt.Format(time.RFC3339), r.sum, m.Checksum)
				v.Fix = "restore the applied version and put the change in a new file; if the edit is harmless (a comment), repair it by accepting the new checksum"
				rep.Violations = append(rep.Violations, v)
			case r.state == "baselined":
				fst.State = StateBaselined
			default:
				fst.State = StateApplied
			}
		}
		if selected[m.Phase] {
			rep.Files = append(rep.Files, fst)
		}
	}
	for _, r := range rows {
		if seen[key{r.phase, r.version}] {
			continue
		}
		v := Violation{Kind: Missing, Phase: r.phase, Version: r.version, Name: r.name, Path: r.path, LedgerChecksum: r.sum, At: r.appliedAt, By: r.appliedBy,
			Detail: fmt.Sprintf("applied on %s by %s but not in the source", r.appliedAt.Format(time.RFC3339), r.appliedBy),
			Fix:    "restore the file; or, if it was removed on purpose, repair the ledger by forgetting it"}
		rep.Violations = append(rep.Violations, v)
		if selected[r.phase] {
			rep.Files = append(rep.Files, FileStatus{Phase: r.phase, Version: r.version, Name: r.name, Path: r.path, State: StateMissing,
				LedgerChecksum: r.sum, AppliedAt: r.appliedAt, AppliedBy: r.appliedBy, Duration: time.Duration(r.durationMillis * float64(time.Millisecond))})
		}
	}
	return rep
}

func phaseSet(phases []Phase) map[Phase]bool {
	if len(phases) == 0 {
		phases = Phases()
	}
	s := map[Phase]bool{}
	for _, ph := range phases {
		s[ph] = true
	}
	return s
}

// Status compares the source with the ledger, for the given phases (all
// when none). It takes no lock and changes nothing.
func (p *Provider) Status(ctx context.Context, phases ...Phase) (*Report, error) {
	rows, err := p.readLedger(ctx, p.pool)
	if err != nil {
		return nil, err
	}
	return p.compare(rows, phases), nil
}

// Plan returns the files Apply would run now, or a *GuardError.
func (p *Provider) Plan(ctx context.Context, phases ...Phase) ([]Migration, error) {
	rep, err := p.Status(ctx, phases...)
	if err != nil {
		return nil, err
	}
	if len(rep.Violations) > 0 {
		return nil, &GuardError{Violations: rep.Violations}
	}
	return rep.Pending, nil
}

// Verify returns a *GuardError when any guard is violated.
func (p *Provider) Verify(ctx context.Context) error {
	_, err := p.Plan(ctx)
	return err
}

// AppliedFile is one file Apply ran.
type AppliedFile struct {
	Migration Migration
	Duration  time.Duration
}

// Result describes one Apply.
type Result struct {
	Applied []AppliedFile
	// UpToDate counts the selected files that were already applied.
	UpToDate int
	// Locked is whether the run took the lock (only when files were
	// pending); LockWait is how long it waited for another runner.
	Locked   bool
	LockWait time.Duration
	Duration time.Duration
}

// Apply runs the pending files of the given phases (all when none), each
// file with its ledger row in one transaction. When nothing is pending it
// reads the ledger once and takes no lock. Otherwise it takes the lock,
// which waits at most until ctx's deadline, and checks again under it.
func (p *Provider) Apply(ctx context.Context, phases ...Phase) (*Result, error) {
	start := time.Now()
	rep, err := p.Status(ctx, phases...)
	if err != nil {
		return nil, err
	}
	if len(rep.Violations) > 0 {
		return nil, &GuardError{Violations: rep.Violations}
	}
	if len(rep.Pending) == 0 {
		return &Result{UpToDate: countDone(rep.Files), Duration: time.Since(start)}, nil
	}
	res := &Result{Locked: true}
	err = p.locked(ctx, func(s *session) error {
		res.LockWait = s.waited
		rows, err := p.readLedger(ctx, s.conn)
		if err != nil {
			return err
		}
		rep := p.compare(rows, phases)
		if len(rep.Violations) > 0 {
			return &GuardError{Violations: rep.Violations}
		}
		res.UpToDate = countDone(rep.Files)
		for i, m := range rep.Pending {
			// A file may leave session state behind (SET, temporary
			// tables, prepared statements): the connection must not go
			// back to the caller's pool.
			s.dirty = true
			d, err := p.applyOne(ctx, s.conn, m, i == len(rep.Pending)-1)
			if err != nil {
				return err
			}
			res.Applied = append(res.Applied, AppliedFile{Migration: m, Duration: d})
			p.logger.LogAttrs(ctx, slog.LevelInfo, "migration applied", slog.String("file", m.ID()), slog.Duration("took", d))
		}
		return nil
	})
	res.Duration = time.Since(start)
	if err != nil {
		return res, err
	}
	return res, nil
}

func countDone(files []FileStatus) int {
	n := 0
	for _, f := range files {
		if f.State == StateApplied || f.State == StateBaselined {
			n++
		}
	}
	return n
}

// session is the dedicated connection that holds the migration lock.
type session struct {
	conn   *pgx.Conn
	waited time.Duration
	// dirty is set once a file ran on it: it is closed, not returned to
	// the pool.
	dirty bool
}

// locked runs fn on a dedicated connection holding the migration lock,
// after making sure the ledger table exists.
func (p *Provider) locked(ctx context.Context, fn func(*session) error) (err error) {
	pc, err := p.pool.Acquire(ctx)
	if err != nil {
		return p.dbError(ctx, "connect", err)
	}
	s := &session{conn: pc.Conn()}
	defer func() {
		// A connection whose session state is uncertain (a failed file, a
		// lock release that failed, SQL that ran on it) must not go back
		// to the pool: closing it is what releases the lock and the
		// session settings for sure.
		if (err != nil || s.dirty) && !s.conn.IsClosed() {
			pc.Hijack().Close(context.Background())
			return
		}
		pc.Release()
	}()
	var dbName string
	if err := s.conn.QueryRow(ctx, "SELECT current_database()").Scan(&dbName); err != nil {
		return p.dbError(ctx, "connect", err)
	}
	p.logger.LogAttrs(ctx, slog.LevelDebug, "taking migration lock", slog.String("key", p.lockKey))
	lock, err := advisorylock.Acquire(ctx, s.conn, p.lockKey+"@"+dbName)
	if err != nil {
		var te *advisorylock.TimeoutError
		if errors.As(err, &te) {
			return &LockTimeoutError{Waited: te.Waited, Holder: te.Holder}
		}
		return p.dbError(ctx, "take the migration lock", err)
	}
	s.waited = lock.Waited
	if lock.Waited > 0 {
		p.logger.LogAttrs(ctx, slog.LevelInfo, "waited for migration lock", slog.Duration("waited", lock.Waited))
	}
	defer func() {
		if rerr := lock.Release(context.WithoutCancel(ctx)); rerr != nil && err == nil {
			err = p.dbError(ctx, "release the migration lock", rerr)
		}
	}()
	if err := exec(ctx, s.conn, p.ledgerDDL()); err != nil {
		return p.dbError(ctx, "create the ledger", err)
	}
	return fn(s)
}

func (p *Provider) ledgerDDL() string {
	schema := ""
	if p.schema != "public" {
		schema = "CREATE SCHEMA IF NOT EXISTS " + pgx.Identifier{p.schema}.Sanitize() + ";\n"
	}
	return schema + `CREATE TABLE IF NOT EXISTS ` + p.ledger + ` (
  phase       text             NOT NULL CHECK (phase IN ('pre', 'post')),
  version     bigint           NOT NULL CHECK (version > 0),
  name        text             NOT NULL UNIQUE,
  path        text             NOT NULL,
  checksum    text             NOT NULL CHECK (checksum ~ '^[0-9a-f]{64}$'),
  state       text             NOT NULL CHECK (state IN ('started', 'applied', 'baselined')),
  applied_at  timestamptz      NOT NULL DEFAULT now(),
  duration_ms double precision NOT NULL DEFAULT 0,
  applied_by  text             NOT NULL,
  PRIMARY KEY (phase, version)
);
COMMENT ON TABLE ` + p.ledger + ` IS 'Ledger of applied SQL migrations: one row per file, with its checksum. A started row is a file that did not finish. Change it only through the migration runner''s repair and baseline operations, never by hand.'`
}

// quote returns s as an SQL string literal that lexes the same whatever
// standard_conforming_strings says: an E” string with quotes doubled and
// backslashes escaped. Values never hold NUL: the options refuse it.
func quote(s string) string {
	return "E'" + strings.NewReplacer(`\`, `\\`, `'`, `''`).Replace(s) + "'"
}

// exec runs a simple-protocol query string and discards its results.
func exec(ctx context.Context, conn *pgx.Conn, sql string) error {
	_, err := execCount(ctx, conn, sql)
	return err
}

// execCount runs a simple-protocol query string and returns how many of
// its statements completed: when one fails, the count is its index.
func execCount(ctx context.Context, conn *pgx.Conn, sql string) (int, error) {
	mrr := conn.PgConn().Exec(ctx, sql)
	done := 0
	for mrr.NextResult() {
		if _, err := mrr.ResultReader().Close(); err == nil {
			done++
		}
	}
	return done, mrr.Close()
}

// lexLikeTheCheck makes the session lex query strings as the load-time
// check did: standard_conforming_strings on (a database may default to
// off, and a file may turn it off), and client_encoding UTF8 (in a
// client-only encoding such as SJIS the second byte of a character can be
// a backslash, which the server does not see but a byte-level lexer
// does). The server reports both settings whenever they change, so this
// costs a round trip only when one is off.
func lexLikeTheCheck(ctx context.Context, conn *pgx.Conn) error {
	var set []string
	if conn.PgConn().ParameterStatus("standard_conforming_strings") != "on" {
		set = append(set, "SET standard_conforming_strings = on")
	}
	if conn.PgConn().ParameterStatus("client_encoding") != "UTF8" {
		set = append(set, "SET client_encoding = 'UTF8'")
	}
	if len(set) == 0 {
		return nil
	}
	return exec(ctx, conn, strings.Join(set, ";"))
}

// sessionSettings are the settings a file runs under, values as SQL.
func (p *Provider) sessionSettings() []setting {
	var out []setting
	if p.fileTimeout > 0 {
		out = append(out, setting{"statement_timeout", fmt.Sprint(p.fileTimeout.Milliseconds())})
	}
	out = append(out, setting{"lock_timeout", fmt.Sprint(p.lockTimeout.Milliseconds())})
	for _, s := range p.settings {
		out = append(out, setting{s.name, quote(s.value)})
	}
	return out
}

// deadline bounds one file by the file timeout: when it passes, the
// statement running is cancelled on the server, and cancelGrace later the
// connection is closed (a COPY waiting for client data does not heed a
// cancel). stop reports whether the deadline passed; it returns only once
// no cancel request is in flight, so none can hit a later statement.
func (p *Provider) deadline(ctx context.Context, conn *pgx.Conn) (context.Context, func() bool) {
	if p.fileTimeout <= 0 {
		return ctx, func() bool { return false }
	}
	fctx, cancel := context.WithTimeout(ctx, p.fileTimeout+cancelGrace)
	fired := make(chan struct{})
	t := time.AfterFunc(p.fileTimeout, func() {
		defer close(fired)
		cctx, c := context.WithTimeout(context.WithoutCancel(ctx), cancelGrace)
		defer c()
		_ = conn.PgConn().CancelRequest(cctx)
	})
	return fctx, func() bool {
		defer cancel()
		if t.Stop() {
			return false
		}
		<-fired
		return true
	}
}

// applyOne runs one file. Only the last file of a run (last) waits for its
// commit to reach the disk: flushing that commit's WAL flushes every
// earlier one, so when Apply returns all of them are durable, and a crash
// before that loses whole files (each with its ledger row), which simply
// run again. This halves the cost of a run of many small files.
func (p *Provider) applyOne(ctx context.Context, conn *pgx.Conn, m Migration, last bool) (time.Duration, error) {
	if m.NoTransaction {
		return p.applyNoTx(ctx, conn, m)
	}
	if err := lexLikeTheCheck(ctx, conn); err != nil {
		return 0, p.dbError(ctx, "prepare the session for "+m.Path, err)
	}
	// One round trip per file: BEGIN, the settings, the ledger row as
	// started, the file, the row as applied and COMMIT in one
	// simple-protocol query string.
	//
	// The started row is what keeps the ledger honest when a file ends
	// the transaction itself (a COMMIT the load-time check did not
	// recognise): it is committed with whatever ran before, so the file
	// stays visibly unfinished. The final INSERT proves the transaction is
	// still the one that wrote that row; if not, its NULL checksum fails
	// the statement, which rolls back whatever ran since.
	var pre strings.Builder
	pre.WriteString("BEGIN;\n")
	prefix := 1
	if !last {
		pre.WriteString("SET LOCAL synchronous_commit = off;\n")
		prefix++
	}
	for _, s := range p.sessionSettings() {
		fmt.Fprintf(&pre, "SET LOCAL %s = %s;\n", s.name, s.value)
		prefix++
	}
	fmt.Fprintf(&pre, "INSERT INTO %s (phase, version, name, path, checksum, state, applied_by) VALUES (%s, %d, %s, %s, %s, 'started', %s);\n",
		p.ledger, quote(string(m.Phase)), m.Version, quote(m.Name), quote(m.Path), quote(m.Checksum), quote(p.appliedBy))
	prefix++
	head := pre.String()
	sql := head + m.SQL + "\n;\n" + fmt.Sprintf(
		`INSERT INTO %[1]s (phase, version, name, path, checksum, state, applied_by, duration_ms)
VALUES (%[2]s, %[3]d, %[4]s, %[5]s,
        CASE WHEN EXISTS (SELECT FROM %[1]s WHERE phase = %[2]s AND version = %[3]d AND xmin = pg_current_xact_id()::xid) THEN %[6]s END,
        'applied', %[7]s, 1000 * extract(epoch FROM clock_timestamp() - statement_timestamp()))
ON CONFLICT (phase, version) DO UPDATE SET state = 'applied', duration_ms = EXCLUDED.duration_ms;
COMMIT;`,
		p.ledger, quote(string(m.Phase)), m.Version, quote(m.Name), quote(m.Path), quote(m.Checksum), quote(p.appliedBy))
	fctx, stop := p.deadline(ctx, conn)
	start := time.Now()
	done, err := execCount(fctx, conn, sql)
	took := time.Since(start)
	timedOut := stop()
	if err == nil && conn.PgConn().TxStatus() == 'I' {
		return took, nil
	}
	rollback(conn)
	stillOpen := err == nil
	if stillOpen {
		err = errors.New("the transaction was still open after the runner's COMMIT")
	}
	fe := p.fileError(ctx, m, err, timedOut, done-prefix, utf8.RuneCountInString(head))
	var pgErr *pgconn.PgError
	ownCheck := stillOpen || errors.As(err, &pgErr) && pgErr.Code == "23502" && pgErr.SchemaName == p.schema && pgErr.TableName == p.table && pgErr.ColumnName == "checksum"
	if started := p.startedRow(ctx, conn, m); started || ownCheck {
		// The server ran transaction control the check did not see, so
		// its count of statements is not the check's: only a position
		// the server reported locates the failure.
		fe.Cause, fe.Started, fe.Statement, fe.Text = CauseTransactionControl, started, 0, ""
		if ownCheck || positionOf(err) == 0 {
			fe.Line, fe.Column = 0, 0
		}
	}
	return took, fe
}

// startedRow reports whether the ledger holds m as started: after a
// transactional file failed, that means it committed part of itself. It
// asks on the session's connection when it survived (a pool of one would
// have no other), else on a new one.
func (p *Provider) startedRow(ctx context.Context, conn *pgx.Conn, m Migration) bool {
	qctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cancelGrace)
	defer cancel()
	q := "SELECT count(*) FROM " + p.ledger + " WHERE phase = $1 AND version = $2 AND state = 'started'"
	var n int
	var err error
	if !conn.IsClosed() {
		err = conn.QueryRow(qctx, q, string(m.Phase), m.Version).Scan(&n)
	} else {
		err = p.pool.QueryRow(qctx, q, string(m.Phase), m.Version).Scan(&n)
	}
	return err == nil && n > 0
}

func rollback(conn *pgx.Conn) {
	if conn.IsClosed() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), cancelGrace)
	defer cancel()
	_ = exec(ctx, conn, "ROLLBACK")
}

// applyNoTx records the file as started, runs its statements one by one in
// autocommit mode, then marks it applied. A crash in between leaves the
// started row, which blocks later runs until an operator repairs it.
// Statements are split as the server will lex them: when a statement
// changes standard_conforming_strings (the server reports it), the rest
// of the file is split again.
func (p *Provider) applyNoTx(ctx context.Context, conn *pgx.Conn, m Migration) (time.Duration, error) {
	if err := lexLikeTheCheck(ctx, conn); err != nil {
		return 0, p.dbError(ctx, "prepare the session for "+m.Path, err)
	}
	var begin strings.Builder
	fmt.Fprintf(&begin, "INSERT INTO %s (phase, version, name, path, checksum, state, applied_by) VALUES (%s, %d, %s, %s, %s, 'started', %s)",
		p.ledger, quote(string(m.Phase)), m.Version, quote(m.Name), quote(m.Path), quote(m.Checksum), quote(p.appliedBy))
	for _, s := range p.sessionSettings() {
		fmt.Fprintf(&begin, ";\nSET %s = %s", s.name, s.value)
	}
	if err := exec(ctx, conn, begin.String()); err != nil {
		return 0, p.dbError(ctx, "record the start of "+m.Path, err)
	}
	fctx, stop := p.deadline(ctx, conn)
	start := time.Now()
	standard := true
	stmts := scanStatements(m.SQL, 0, standard).stmts
	for i := 0; i < len(stmts); i++ {
		st := stmts[i]
		if what := clientData(m.SQL, st); what != "" {
			stop()
			fe := p.locate(&FileError{Migration: m, Cause: CauseClientData, Started: true, Err: fmt.Errorf("%s refused", what)}, i, st)
			return time.Since(start), fe
		}
		if _, err := execCount(fctx, conn, st.SQL); err != nil {
			timedOut := stop()
			fe := p.fileError(ctx, m, err, timedOut, -1, 0)
			fe.Started = true
			p.locate(fe, i, st)
			if pos := positionOf(err); pos > 0 {
				fe.Line, fe.Column = lineColumn(m.SQL, st.Offset, pos-1)
			}
			return time.Since(start), fe
		}
		if now := conn.PgConn().ParameterStatus("standard_conforming_strings") == "on"; now != standard {
			standard = now
			stmts = append(stmts[:i+1], scanStatements(m.SQL, st.Offset+len(st.SQL), standard).stmts...)
		}
	}
	took := time.Since(start)
	stop()
	if conn.PgConn().TxStatus() != 'I' {
		rollback(conn)
		return took, &FileError{Migration: m, Cause: CauseTransactionControl, Started: true, Err: errors.New("the file ended with a transaction still open")}
	}
	var end strings.Builder
	for _, s := range p.sessionSettings() {
		end.WriteString("RESET " + s.name + ";\n")
	}
	fmt.Fprintf(&end, "UPDATE %s SET state = 'applied', duration_ms = %g WHERE phase = %s AND version = %d",
		p.ledger, float64(took)/float64(time.Millisecond), quote(string(m.Phase)), m.Version)
	if err := exec(ctx, conn, end.String()); err != nil {
		return took, &FileError{Migration: m, Cause: classify(ctx, err, false), Started: true,
			Err: fmt.Errorf("every statement ran, but marking the file applied in the ledger failed: %w", err)}
	}
	return took, nil
}

// fileError builds the error of a failed file. done is how many of the
// file's statements completed before the failure (negative when not
// known); headRunes is how many characters came before the file in the
// query string, for the server's error position.
func (p *Provider) fileError(ctx context.Context, m Migration, err error, timedOut bool, done, headRunes int) *FileError {
	fe := &FileError{Migration: m, Cause: classify(ctx, err, timedOut), Err: err}
	switch fe.Cause {
	case CauseTimeout:
		fe.Timeout = p.fileTimeout
	case CauseLockTimeout:
		fe.Timeout = p.lockTimeout
	}
	if done < 0 {
		return fe
	}
	stmts := scanStatements(m.SQL, 0, true).stmts
	if done < len(stmts) {
		p.locate(fe, done, stmts[done])
	}
	if pos := positionOf(err) - 1 - headRunes; pos >= 0 && pos < utf8.RuneCountInString(m.SQL) {
		fe.Line, fe.Column = lineColumn(m.SQL, 0, pos)
	}
	return fe
}

// locate names the i-th (0-based) statement st of the file as the one
// that failed.
func (p *Provider) locate(fe *FileError, i int, st stmt) *FileError {
	fe.Statement = i + 1
	fe.Line, fe.Column = lineColumn(fe.Migration.SQL, 0, utf8.RuneCountInString(fe.Migration.SQL[:st.first]))
	fe.Text = excerpt(fe.Migration.SQL[st.first : st.Offset+len(st.SQL)])
	return fe
}

// positionOf returns the server's 1-based character position of an
// error, or 0.
func positionOf(err error) int {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return int(pgErr.Position)
	}
	return 0
}

// excerpt shortens a statement to one line for a message.
func excerpt(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	const max = 60
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max-3]) + "..."
}

// lineColumn converts a character position, counted from byteOffset in
// sql, into a 1-based line and column of sql.
func lineColumn(sql string, byteOffset, runePos int) (line, col int) {
	i := byteOffset
	for n := 0; n < runePos && i < len(sql); n++ {
		_, size := utf8.DecodeRuneInString(sql[i:])
		i += size
	}
	before := sql[:i]
	line = strings.Count(before, "\n") + 1
	col = utf8.RuneCountInString(before[strings.LastIndexByte(before, '\n')+1:]) + 1
	return line, col
}
