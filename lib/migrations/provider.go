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
	pool       *pgxpool.Pool
	migrations []Migration
	ledger     string // quoted schema.table
	lockKey    string
	settings   []setting
	logger     *slog.Logger
	appliedBy  string
}

type setting struct{ name, value string }

type config struct {
	layout        Layout
	schema, table string
	settings      []setting
	logger        *slog.Logger
	appliedBy     string
}

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
	c := config{layout: DefaultLayout(), schema: "public", table: DefaultTable}
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
		pool:       pool,
		migrations: ms,
		ledger:     pgx.Identifier{c.schema, c.table}.Sanitize(),
		lockKey:    "trm.migrations/" + c.schema + "." + c.table,
		settings:   c.settings,
		logger:     c.logger,
		appliedBy:  c.appliedBy,
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
// yet. One round trip: the simple protocol needs no prepare step.
func (p *Provider) readLedger(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}) ([]ledgerRow, error) {
	rows, err := q.Query(ctx, "SELECT phase, version, name, path, checksum, state, applied_at, duration_ms, applied_by FROM "+p.ledger+" ORDER BY phase DESC, version", pgx.QueryExecModeSimpleProtocol)
	if err == nil {
		var out []ledgerRow
		for rows.Next() {
			var r ledgerRow
			if err := rows.Scan(&r.phase, &r.version, &r.name, &r.path, &r.sum, &r.state, &r.appliedAt, &r.durationMillis, &r.appliedBy); err != nil {
				rows.Close()
				return nil, fmt.Errorf("read ledger %s: %w", p.ledger, err)
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
	return nil, fmt.Errorf("read ledger %s: %w", p.ledger, err)
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
				Detail: fmt.Sprintf("pending, but version %d of phase %s is already applied", highest[m.Phase], m.Phase),
				Fix:    fmt.Sprintf("renumber it above %d (e.g. with `trmctl migrate new`), or if it was already applied by hand, `trmctl migrate baseline`", highest[m.Phase])})
		case !applied:
			fst.State = StatePending
			if selected[m.Phase] {
				rep.Pending = append(rep.Pending, m)
			}
		default:
			fst.LedgerChecksum, fst.AppliedAt, fst.AppliedBy = r.sum, r.appliedAt, r.appliedBy
			fst.Duration = time.Duration(r.durationMillis * float64(time.Millisecond))
			switch {
			case r.state == "started":
				fst.State = StateStarted
				rep.Violations = append(rep.Violations, Violation{Kind: Incomplete, Phase: m.Phase, Version: m.Version, Name: m.Name, Path: m.Path,
					Detail: fmt.Sprintf("ran outside a transaction, started %s by %s and never finished", r.appliedAt.Format(time.RFC3339), r.appliedBy),
					Fix:    fmt.Sprintf("check what it left behind (e.g. an INVALID index), then `trmctl migrate repair` to run it again, or `trmctl migrate repair --mark-applied %s` if it did finish", m.ID())})
			case r.sum != m.Checksum:
				fst.State = StateChanged
				rep.Violations = append(rep.Violations, Violation{Kind: Changed, Phase: m.Phase, Version: m.Version, Name: m.Name, Path: m.Path,
					Detail: fmt.Sprintf("content changed since it was applied on %s: ledger sha256 %s, file sha256 %s", r.appliedAt.Format(time.RFC3339), r.sum, m.Checksum),
					Fix:    fmt.Sprintf("restore the applied version (git log -p -- %s) and put the change in a new file; if the edit is harmless (a comment), `trmctl migrate repair --accept-checksum %s`", m.Path, m.ID())})
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
		v := Violation{Kind: Missing, Phase: r.phase, Version: r.version, Name: r.name, Path: r.path,
			Detail: fmt.Sprintf("applied on %s by %s but not in the source", r.appliedAt.Format(time.RFC3339), r.appliedBy),
			Fix:    fmt.Sprintf("restore the file (git log --all -- '*%s*'), or if it was removed on purpose, `trmctl migrate repair --forget %s/%s`", r.name, r.phase, strings.TrimSuffix(filepath.Base(r.path), ".sql"))}
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
	err = p.locked(ctx, func(conn *pgx.Conn, waited time.Duration) error {
		res.LockWait = waited
		rows, err := p.readLedger(ctx, conn)
		if err != nil {
			return err
		}
		rep := p.compare(rows, phases)
		if len(rep.Violations) > 0 {
			return &GuardError{Violations: rep.Violations}
		}
		res.UpToDate = countDone(rep.Files)
		for i, m := range rep.Pending {
			d, err := p.applyOne(ctx, conn, m, i == len(rep.Pending)-1)
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

// locked runs fn on a dedicated connection holding the migration lock,
// after making sure the ledger table exists.
func (p *Provider) locked(ctx context.Context, fn func(*pgx.Conn, time.Duration) error) (err error) {
	pc, err := p.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrations: connect: %w", err)
	}
	conn := pc.Conn()
	defer func() {
		// A connection whose session state is uncertain (a failed file, a
		// lock release that failed) must not go back to the pool: closing
		// it is what releases the lock and the session settings for sure.
		if err != nil && !conn.IsClosed() {
			pc.Hijack().Close(context.Background())
			return
		}
		pc.Release()
	}()
	var dbName string
	if err := conn.QueryRow(ctx, "SELECT current_database()").Scan(&dbName); err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	p.logger.LogAttrs(ctx, slog.LevelDebug, "taking migration lock", slog.String("key", p.lockKey))
	lock, err := advisorylock.Acquire(ctx, conn, p.lockKey+"@"+dbName)
	if err != nil {
		var te *advisorylock.TimeoutError
		if errors.As(err, &te) {
			return &LockTimeoutError{Waited: te.Waited, Holder: te.Holder}
		}
		return fmt.Errorf("migrations: %w", err)
	}
	if lock.Waited > 0 {
		p.logger.LogAttrs(ctx, slog.LevelInfo, "waited for migration lock", slog.Duration("waited", lock.Waited))
	}
	defer func() {
		if rerr := lock.Release(context.WithoutCancel(ctx)); rerr != nil && err == nil {
			err = rerr
		}
	}()
	if _, err := conn.Exec(ctx, p.ledgerDDL()); err != nil {
		return fmt.Errorf("migrations: create ledger %s: %w", p.ledger, err)
	}
	return fn(conn, lock.Waited)
}

func (p *Provider) ledgerDDL() string {
	schema := ""
	if i := strings.Index(p.ledger, "."); i > 0 && p.ledger[:i] != `"public"` {
		schema = "CREATE SCHEMA IF NOT EXISTS " + p.ledger[:i] + ";\n"
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
COMMENT ON TABLE ` + p.ledger + ` IS 'db-init migrations applied by lib/migrations. Do not edit by hand: use trmctl migrate repair.'`
}

// quote returns s as an SQL string literal. standard_conforming_strings is
// forced on in the same query string, so doubling quotes is sufficient.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// applyOne runs one file. Only the last file of a run (last) waits for its
// commit to reach the disk: flushing that commit's WAL flushes every
// earlier one, so when Apply returns all of them are durable, and a crash
// before that loses whole files (each with its ledger row), which simply
// run again. This halves the cost of a run of many small files.
func (p *Provider) applyOne(ctx context.Context, conn *pgx.Conn, m Migration, last bool) (time.Duration, error) {
	if m.NoTransaction {
		return p.applyNoTx(ctx, conn, m)
	}
	// One round trip per file: BEGIN, the settings, the file, its ledger
	// row and COMMIT in one simple-protocol query string. The duration is
	// measured by the server, from receipt of the string to the insert.
	var pre strings.Builder
	pre.WriteString("BEGIN;\nSET LOCAL standard_conforming_strings = on;\n")
	if !last {
		pre.WriteString("SET LOCAL synchronous_commit = off;\n")
	}
	for _, s := range p.settings {
		fmt.Fprintf(&pre, "SET LOCAL %s = %s;\n", s.name, quote(s.value))
	}
	prefix := pre.String()
	sql := prefix + m.SQL + "\n;\n" + fmt.Sprintf(
		"INSERT INTO %s (phase, version, name, path, checksum, state, applied_by, duration_ms) VALUES (%s, %d, %s, %s, %s, 'applied', %s, 1000 * extract(epoch FROM clock_timestamp() - statement_timestamp()));\nCOMMIT;",
		p.ledger, quote(string(m.Phase)), m.Version, quote(m.Name), quote(m.Path), quote(m.Checksum), quote(p.appliedBy))
	start := time.Now()
	_, err := conn.Exec(ctx, sql)
	took := time.Since(start)
	if err != nil {
		rollback(conn)
		return took, p.fileError(m, err, utf8.RuneCountInString(prefix), 0)
	}
	return took, nil
}

func rollback(conn *pgx.Conn) {
	if conn.IsClosed() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _ = conn.Exec(ctx, "ROLLBACK")
}

// applyNoTx records the file as started, runs its statements one by one in
// autocommit mode, then marks it applied. A crash in between leaves the
// started row, which blocks later runs until an operator repairs it.
func (p *Provider) applyNoTx(ctx context.Context, conn *pgx.Conn, m Migration) (time.Duration, error) {
	if _, err := conn.Exec(ctx, "INSERT INTO "+p.ledger+" (phase, version, name, path, checksum, state, applied_by) VALUES ($1, $2, $3, $4, $5, 'started', $6)",
		string(m.Phase), m.Version, m.Name, m.Path, m.Checksum, p.appliedBy); err != nil {
		return 0, fmt.Errorf("migration %s: record start: %w", m.Path, err)
	}
	for _, s := range p.settings {
		if _, err := conn.Exec(ctx, "SELECT set_config($1, $2, false)", s.name, s.value); err != nil {
			return 0, fmt.Errorf("migration %s: session setting %s: %w", m.Path, s.name, err)
		}
	}
	start := time.Now()
	for _, st := range SplitStatements(m.SQL) {
		if _, err := conn.Exec(ctx, st.SQL); err != nil {
			return time.Since(start), p.fileError(m, err, 0, st.Offset)
		}
	}
	took := time.Since(start)
	for _, s := range p.settings {
		if _, err := conn.Exec(ctx, "RESET "+s.name); err != nil {
			return took, fmt.Errorf("migration %s: reset session setting %s: %w", m.Path, s.name, err)
		}
	}
	if _, err := conn.Exec(ctx, "UPDATE "+p.ledger+" SET state = 'applied', duration_ms = $3 WHERE phase = $1 AND version = $2",
		string(m.Phase), m.Version, float64(took)/float64(time.Millisecond)); err != nil {
		return took, fmt.Errorf("migration %s ran but could not be marked applied (it stays started; `trmctl migrate repair --mark-applied %s`): %w", m.Path, m.ID(), err)
	}
	return took, nil
}

// fileError locates a server error in the file. The server's position
// counts characters from the start of the query string sent; prefixRunes
// is how many of them came before the file, byteOffset where in the file
// the string started.
func (p *Provider) fileError(m Migration, err error, prefixRunes, byteOffset int) error {
	fe := &FileError{Migration: m, Err: err}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Position > 0 {
		pos := int(pgErr.Position) - 1 - prefixRunes
		if pos >= 0 {
			fe.Line, fe.Column = lineColumn(m.SQL, byteOffset, pos)
		}
	}
	return fe
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
