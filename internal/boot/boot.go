// Package boot provisions the TRM business-plane database before Directus
// starts: wait for PostgreSQL and Redis, take the boot lock, pre-schema
// db-init, Directus bootstrap, the guarded schema apply, post-schema
// db-init, and a record of what was proved so that a warm reboot can skip
// it all.
//
// cmd/entrypoint runs it in the Directus image; trmctl boot plan asks it
// what it would do.
package boot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"git.dev.trmtracking.org/trm/directus/internal/access"
	"git.dev.trmtracking.org/trm/directus/internal/settings"
	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
	"git.dev.trmtracking.org/trm/directus/lib/migrations"
	"git.dev.trmtracking.org/trm/directus/lib/migrations/advisorylock"
	"git.dev.trmtracking.org/trm/directus/lib/snapshot"
)

// StepError is a failed boot step with what the operator should do.
type StepError struct {
	Step string
	Err  error
	Fix  string
}

func (e *StepError) Error() string { return fmt.Sprintf("%s: %v", e.Step, e.Err) }
func (e *StepError) Unwrap() error { return e.Err }

// DestructiveError refuses a schema plan that would delete or risk data
// the operator did not name.
type DestructiveError struct {
	Changes []snapshot.Change
}

func (e *DestructiveError) Error() string {
	keys := make([]string, len(e.Changes))
	for i, c := range e.Changes {
		keys[i] = settings.AllowKey(c)
	}
	return fmt.Sprintf("the committed snapshot would make %d destructive change(s) to the live schema: %s", len(e.Changes), strings.Join(keys, ", "))
}

// Describe says what a destructive change does, in words.
func Describe(c snapshot.Change) string {
	what := fmt.Sprintf("%s %s %s", c.Op, c.Kind, c.Key)
	switch {
	case c.Op == snapshot.OpDelete && c.Kind == snapshot.KindCollection:
		what += " (drops the table and every row in it)"
	case c.Op == snapshot.OpDelete && c.Kind == snapshot.KindField:
		what += " (drops the column and its values)"
	case c.Op == snapshot.OpDelete && c.Kind == snapshot.KindRelation:
		what += " (drops the foreign key)"
	}
	if len(c.Reasons) > 0 {
		what += ": " + strings.Join(c.Reasons, "; ")
	}
	if c.MissingKey != "" {
		what += "; rewrite the committed snapshot with `trmctl snapshot pull` from a running Directus"
	}
	return what
}

// Booter runs one boot. New validates everything that needs no database,
// so a malformed snapshot or db-init file fails before anything changes.
type Booter struct {
	cfg       *Config
	log       *slog.Logger
	committed *snapshot.Snapshot
	// committedJSON is committed as Directus reads a snapshot.
	committedJSON []byte
	state         State // what this boot will record: version and snapshot hash
	source        []migrations.Migration
	by            string
	// access is the validated access files; nil when the boot does not
	// apply them (TRM_SCHEMA_APPLY=skip, TRM_ACCESS_APPLY=skip).
	access *access.Set
}

// New reads and checks the committed snapshot, the db-init files and the
// installed Directus version.
func New(cfg *Config, log *slog.Logger) (*Booter, error) {
	b := &Booter{cfg: cfg, log: log}
	host, _ := os.Hostname()
	b.by = "trm-entrypoint@" + host
	if cfg.SchemaApply != settings.ApplySkip {
		raw, err := readSnapshotFile(cfg.Snapshot, cfg.SnapshotMaxSize)
		var tooLarge *snapshot.SizeError
		switch {
		case errors.As(err, &tooLarge):
			return nil, &StepError{Step: "snapshot", Err: err, Fix: "a committed snapshot is a few hundred kilobytes: check that TRM_SNAPSHOT names the snapshot; if it really is this large, raise TRM_SNAPSHOT_MAX_SIZE (e.g. 200MiB)"}
		case err != nil:
			return nil, &StepError{Step: "snapshot", Err: err, Fix: "the image must contain the committed snapshot (snapshots/schema.yaml, copied to /directus/snapshots/); set TRM_SNAPSHOT to its path, or TRM_SCHEMA_APPLY=skip"}
		}
		// The hash first: then the bytes are garbage as soon as they are
		// parsed, and a large snapshot costs its tree, not its tree and
		// its text.
		sum := sha256.Sum256(raw)
		b.state.SnapshotSHA256 = hex.EncodeToString(sum[:])
		s, err := snapshot.Parse(cfg.Snapshot, raw, snapshot.WithMaxSize(cfg.SnapshotMaxSize))
		if err != nil {
			return nil, &StepError{Step: "snapshot", Err: err, Fix: "restore snapshots/schema.yaml from git: it is produced by `trmctl snapshot pull`, never edited by hand"}
		}
		// The text is garbage now: collected at once, its memory holds
		// committedJSON below (a few milliseconds; a snapshot's size less
		// at the peak).
		runtime.GC()
		if s.Partial() {
			return nil, &StepError{Step: "snapshot", Err: fmt.Errorf("%s is a partial (version 2) snapshot", cfg.Snapshot), Fix: "commit a full snapshot from `trmctl snapshot pull`"}
		}
		if err := checkVendor(cfg.Snapshot, s); err != nil {
			return nil, &StepError{Step: "snapshot", Err: err, Fix: "this Directus runs on PostgreSQL: commit a snapshot pulled from a PostgreSQL instance (`trmctl snapshot pull`); Directus applies a snapshot only to the database vendor it was taken from, and its CLI does not check"}
		}
		// A committed snapshot never holds db-init's tables (snapshot pull
		// leaves them out): filter, which copies it, only when it does.
		b.committed = s
		if owned, err := s.Excludes(cfg.Exclude...); err != nil {
			return nil, &StepError{Step: "config", Err: err, Fix: "fix the patterns in TRM_SNAPSHOT_EXCLUDE"}
		} else if owned {
			b.committed, _ = s.Exclude(cfg.Exclude...)
		}
		if b.committedJSON, err = b.committed.MarshalJSON(); err != nil {
			return nil, &StepError{Step: "snapshot", Err: err, Fix: "restore snapshots/schema.yaml from git: it is produced by `trmctl snapshot pull`, never edited by hand"}
		}
		if !cfg.SkipAccess {
			if err := b.loadAccess(s); err != nil {
				return nil, err
			}
		}
	}
	var err error
	if b.source, err = migrations.Load(os.DirFS(cfg.DBInitDir), migrations.DefaultLayout()); err != nil {
		return nil, &StepError{Step: "db-init", Err: err, Fix: "fix the files named above in db-init/ (TRM_DB_INIT_DIR=" + cfg.DBInitDir + ")"}
	}
	if b.state.DirectusVersion, err = cfg.CLI.Version(); err != nil {
		return nil, &StepError{Step: "directus", Err: err, Fix: "set TRM_DIRECTUS_CLI to @directus/api/dist/cli/run.js of the installed Directus"}
	}
	return b, nil
}

// LiveVendor is the database vendor of every schema the entrypoint
// provisions, as Directus names it in a snapshot: DB_CLIENT must be pg.
const LiveVendor = "postgres"

// checkVendor refuses a committed snapshot of another database vendor, or
// of none (written before Directus 9.23), before anything changes:
// Directus's CLI apply does not check it, and the snapshot could diff as
// equal to the live schema, or apply types and defaults written for
// another database.
func checkVendor(path string, s *snapshot.Snapshot) error {
	switch s.Vendor {
	case LiveVendor:
		return nil
	case "":
		return fmt.Errorf("%s names no database vendor (Directus before 9.23 wrote none), and this Directus runs on %s", path, LiveVendor)
	}
	return fmt.Errorf("%s: %w", path, &snapshot.VendorError{From: s.Vendor, To: LiveVendor})
}

// readSnapshotFile reads the committed snapshot, refusing a file over max
// before reading it. The boot keeps the bytes to record their hash.
func readSnapshotFile(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		raw, err := io.ReadAll(io.LimitReader(f, max+1))
		if err == nil && int64(len(raw)) > max {
			err = &snapshot.SizeError{Source: path, Limit: max}
		}
		return raw, err
	}
	if st.Size() > max {
		return nil, &snapshot.SizeError{Source: path, Size: st.Size(), Limit: max}
	}
	// One buffer of the file's size: io.ReadAll would grow one to twice it.
	raw := make([]byte, st.Size())
	if _, err := io.ReadFull(f, raw); err != nil {
		return nil, fmt.Errorf("%s changed while being read: %w", path, err)
	}
	if n, _ := f.Read(make([]byte, 1)); n > 0 {
		return nil, fmt.Errorf("%s changed while being read: it grew", path)
	}
	return raw, nil
}

// Outcome is what a boot did.
type Outcome struct {
	// Plan is what the boot decided before changing anything: the plan
	// `trmctl boot plan` shows for the same database.
	Plan *Plan
	// FastPath is set when nothing had changed since the last boot.
	FastPath bool
	// Reason says why the full path was taken.
	Reason string
	// Bootstrapped is set when Directus bootstrap ran.
	Bootstrapped bool
	// Schema is the schema plan that was executed: the decided one, or
	// the one made again from the live schema after db-init or bootstrap
	// changed it (nil on the fast path or with apply mode skip).
	Schema *snapshot.Result
	// Applied is set when the schema apply ran.
	Applied bool
	// Access is the access plan that was executed (made again inside the
	// apply's transaction), AccessApplied how many changes it made.
	Access        *access.Plan
	AccessApplied int
	DBInit        []migrations.AppliedFile
	Duration      time.Duration
	// Server is the Directus process that provisioned, still running,
	// when Config.Serve asked for it and one ran: the caller has it
	// serve (Provisioner.Serve) or closes it.
	Server *directusctl.Provisioner
}

func (b *Booter) step(name string, start time.Time, attrs ...any) {
	b.log.Info(name, append([]any{"step", name, "ms", time.Since(start).Milliseconds()}, attrs...)...)
}

// Run provisions the database. It returns when Directus may start. It
// decides first (decide, as Plan does) and refuses a plan that would
// fail before it changes anything. On a failure after the decision, the
// Outcome says what was decided and done so far.
func (b *Booter) Run(ctx context.Context) (*Outcome, error) {
	start := time.Now()
	out := &Outcome{}
	pool, err := b.connect(ctx)
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	if err := b.waitRedis(ctx); err != nil {
		return nil, err
	}
	prov, err := b.provider(pool)
	if err != nil {
		return nil, err
	}

	// The decision's first, cheap part, taken without the lock: a warm
	// reboot ends here.
	t := time.Now()
	peek, err := b.fastPath(ctx, pool, prov)
	if err != nil {
		return nil, err
	}
	if peek.FastPath {
		b.step("fast-path", t, "result", "unchanged since the last boot")
		out.Plan, out.FastPath, out.Duration = peek, true, time.Since(start)
		return out, nil
	}
	b.step("fast-path", t, "result", "full boot", "reason", peek.Reason)

	conn, lock, err := b.lock(ctx, pool)
	if err != nil {
		return nil, err
	}
	defer func() {
		if rerr := lock.Release(context.WithoutCancel(ctx)); rerr != nil {
			conn.Hijack().Close(context.Background())
			return
		}
		conn.Release()
	}()
	// The boot's Directus process: started when the decision needs the
	// live schema, else right after it, so that loading Directus overlaps
	// db-init.
	n := newNode(b.cfg.CLI)
	defer n.close()
	// Another replica may have provisioned while this one waited.
	t = time.Now()
	plan, err := b.decide(ctx, pool, prov, n)
	if err != nil {
		return nil, err
	}
	out.Plan = plan
	if plan.FastPath {
		b.step("fast-path", t, "result", "provisioned by another replica while waiting")
		out.FastPath, out.Duration = true, time.Since(start)
		return out, nil
	}
	out.Reason = plan.Reason
	if err := b.refuse(plan); err != nil {
		return out, err
	}
	b.step("plan", t, "pending", len(plan.Pending), "bootstrap", plan.Bootstrap, "schema", summary(plan.Schema))
	if plan.Bootstrap || b.cfg.SchemaApply != settings.ApplySkip {
		n.start(ctx)
	}

	changed := false
	if applied, err := b.dbInit(ctx, prov, migrations.PhasePre, out); err != nil {
		return out, err
	} else if applied > 0 {
		changed = true
	}
	if plan.Bootstrap {
		t = time.Now()
		d, err := b.process(ctx, n)
		if err != nil {
			return out, err
		}
		res, err := d.Bootstrap(ctx)
		if err != nil {
			return out, &StepError{Step: "bootstrap", Err: err, Fix: b.stepFix("bootstrap", err)}
		}
		out.Bootstrapped, changed = true, true
		b.step("bootstrap", t, "directus", b.state.DirectusVersion, "reason", plan.BootstrapReason, "installed", res.Installed, "migrations", res.Migrations)
	} else {
		b.log.Info("bootstrap", "step", "bootstrap", "result", "skipped: "+plan.BootstrapReason)
	}
	if err := b.schema(ctx, n, plan, changed, out); err != nil {
		return out, err
	}
	if _, err := b.dbInit(ctx, prov, migrations.PhasePost, out); err != nil {
		return out, err
	}
	// Access after post-schema db-init: a policy's rule may rely on what
	// db-init adds (an index, a view's data).
	if err := b.applyAccess(ctx, pool, n, out); err != nil {
		return out, err
	}
	// The process ends here unless it is to serve: the boot's last steps
	// need no Directus.
	keep := b.cfg.Serve && n.started
	if !keep {
		n.close()
	}
	if err := b.processorRole(ctx, conn.Conn()); err != nil {
		return out, err
	}
	if b.cfg.SchemaApply == settings.ApplyAuto {
		t = time.Now()
		if _, err := conn.Exec(ctx, stateDDL); err != nil {
			return out, &StepError{Step: "record", Err: err, Fix: "the database user must be able to create " + StateTable}
		}
		fp, err := writeState(ctx, conn.Conn(), b.state, b.by)
		if err != nil {
			return out, &StepError{Step: "record", Err: err, Fix: "check the database and rerun"}
		}
		b.step("record", t, "fingerprint", fp[:12])
	}
	if keep {
		if out.Server, err = b.process(ctx, n); err != nil {
			return out, err
		}
		n.handOver()
	}
	out.Duration = time.Since(start)
	return out, nil
}

// remedies are the boot's names for what an operator changes: the
// database as the settings named it, the db-init deadlines.
func (b *Booter) remedies() Settings {
	s := EntrypointSettings()
	s.Database = b.cfg.Database.Fix()
	return s
}

// checkFix says what to do when the boot cannot read the ledger or its
// state.
func (b *Booter) checkFix(err error) string {
	if fix := MigrationFix(err, b.remedies()); fix != "" {
		return fix
	}
	return "check the database connection and rerun"
}

func summary(r *snapshot.Result) string {
	if r == nil {
		return "not planned"
	}
	s := r.Summary()
	return fmt.Sprintf("%d create, %d update, %d delete, %d destructive", s.Create, s.Update, s.Delete, s.Destructive)
}

// refuse stops a boot whose plan would fail, before anything changes.
func (b *Booter) refuse(p *Plan) error {
	if len(p.Violations) > 0 {
		ge := &migrations.GuardError{Violations: p.Violations}
		return &StepError{Step: "db-init", Err: ge, Fix: "nothing was changed; " + MigrationFix(ge, b.remedies())}
	}
	if len(p.Refused) > 0 {
		return b.destructive(p.Refused)
	}
	if len(p.Unplanned) > 0 {
		return b.unplannedStop(p.Unplanned)
	}
	if len(p.AccessRefused) > 0 {
		return b.accessRefused("access-plan", p.AccessRefused)
	}
	return nil
}

func (b *Booter) destructive(refused []snapshot.Change) error {
	for _, c := range refused {
		b.log.Error("destructive change refused", "step", "schema-plan", "change", Describe(c), "allow_with", "TRM_ALLOW_DESTRUCTIVE="+settings.AllowKey(c))
	}
	keys := make([]string, len(refused))
	for i, c := range refused {
		keys[i] = settings.AllowKey(c)
	}
	return &StepError{Step: "schema-plan", Err: &DestructiveError{Changes: refused},
		Fix: "nothing was applied. If the committed snapshot is stale, rebuild the image from a snapshot pulled from this database (`trmctl snapshot pull`); if the deletion is intended, set TRM_ALLOW_DESTRUCTIVE=" + strings.Join(keys, ",")}
}

func (b *Booter) provider(pool *pgxpool.Pool) (*migrations.Provider, error) {
	p, err := migrations.New(pool, os.DirFS(b.cfg.DBInitDir),
		migrations.WithSetting("trm.timescaledb", b.cfg.TimescaleDB),
		migrations.WithAppliedBy(b.by),
		migrations.WithFileTimeout(b.cfg.DBInitFileTimeout),
		migrations.WithLockTimeout(b.cfg.DBInitLockTimeout),
		migrations.WithLogger(b.log.With("step", "db-init")))
	if err != nil {
		return nil, &StepError{Step: "db-init", Err: err, Fix: "fix the db-init files named above"}
	}
	return p, nil
}

func (b *Booter) directusInstalled(ctx context.Context, pool *pgxpool.Pool) bool {
	var ok bool
	err := pool.QueryRow(ctx, "SELECT to_regclass('directus_migrations') IS NOT NULL").Scan(&ok)
	return err == nil && ok
}

// connect waits for PostgreSQL with backoff, up to TRM_DB_WAIT_TIMEOUT.
// Wrong credentials or a missing database fail at once: waiting would not
// fix them.
func (b *Booter) connect(ctx context.Context) (*pgxpool.Pool, error) {
	start := time.Now()
	database := b.cfg.Database.Redacted()
	// The settings checked the URL with the same parser: a failure here
	// is not expected, and its message, which quotes the URL, not shown.
	cfg, err := pgxpool.ParseConfig(b.cfg.Database.URL)
	if err != nil {
		return nil, &StepError{Step: "wait-db", Err: fmt.Errorf("%s: the PostgreSQL driver refuses the database URL", b.cfg.Database.From), Fix: "fix " + b.cfg.Database.Fix()}
	}
	cfg.ConnConfig.RuntimeParams["application_name"] = "trm-entrypoint"
	cfg.MaxConns = 4
	wait, cancel := context.WithTimeout(ctx, b.cfg.DBWaitTimeout)
	defer cancel()
	delay := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		attemptCtx, cancelAttempt := context.WithTimeout(wait, 5*time.Second)
		conn, err := pgx.ConnectConfig(attemptCtx, cfg.ConnConfig)
		cancelAttempt()
		if err == nil {
			conn.Close(ctx)
			break
		}
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && (pgErr.Code == "28P01" || pgErr.Code == "28000" || pgErr.Code == "3D000") {
			return nil, &StepError{Step: "wait-db", Err: fmt.Errorf("%s: %s", database, pgErr.Message), Fix: "check the user, password and database name in " + b.cfg.Database.Fix()}
		}
		if ctx.Err() != nil {
			return nil, &StepError{Step: "wait-db", Err: context.Cause(ctx), Fix: "stopped before the database answered; nothing was changed"}
		}
		if wait.Err() != nil {
			return nil, &StepError{Step: "wait-db", Err: fmt.Errorf("%s did not answer within %s (%d attempts): %v", database, b.cfg.DBWaitTimeout, attempt, err), Fix: "check that PostgreSQL runs and that the host and port in " + b.cfg.Database.Fix() + " point at it, or raise TRM_DB_WAIT_TIMEOUT"}
		}
		select {
		case <-wait.Done():
		case <-time.After(delay):
		}
		delay = min(delay*2, 2*time.Second)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, &StepError{Step: "wait-db", Err: err, Fix: "check " + b.cfg.Database.Fix()}
	}
	b.step("wait-db", start, "database", database)
	return pool, nil
}

// lock takes the boot lock: N replicas booting at once provision once.
func (b *Booter) lock(ctx context.Context, pool *pgxpool.Pool) (*pgxpool.Conn, *advisorylock.Lock, error) {
	t := time.Now()
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, nil, &StepError{Step: "lock", Err: err, Fix: "check the database connection"}
	}
	var db string
	if err := conn.QueryRow(ctx, "SELECT current_database()").Scan(&db); err != nil {
		conn.Release()
		return nil, nil, &StepError{Step: "lock", Err: err, Fix: "check the database connection"}
	}
	lockCtx, cancel := context.WithTimeout(ctx, b.cfg.BootLockTimeout)
	defer cancel()
	lock, err := advisorylock.Acquire(lockCtx, conn.Conn(), "trm.boot/"+db)
	if err != nil {
		conn.Hijack().Close(context.Background())
		return nil, nil, &StepError{Step: "lock", Err: err, Fix: "another replica is still provisioning; if it is stuck, stop it, or raise TRM_BOOT_LOCK_TIMEOUT"}
	}
	b.step("lock", t, "waited_ms", lock.Waited.Milliseconds())
	return conn, lock, nil
}

func (b *Booter) dbInit(ctx context.Context, prov *migrations.Provider, phase migrations.Phase, out *Outcome) (int, error) {
	t := time.Now()
	res, err := prov.Apply(ctx, phase)
	if err != nil {
		fix := MigrationFix(err, b.remedies())
		if fix == "" {
			fix = "fix the file named above and rerun; `trmctl migrate status` shows the ledger"
		}
		return 0, &StepError{Step: "db-init-" + string(phase), Err: err, Fix: fix}
	}
	out.DBInit = append(out.DBInit, res.Applied...)
	b.step("db-init-"+string(phase), t, "applied", len(res.Applied), "up_to_date", res.UpToDate)
	return len(res.Applied), nil
}

// refused lists the destructive changes the operator did not allow.
func (b *Booter) refused(plan *snapshot.Result) []snapshot.Change {
	var out []snapshot.Change
	for _, c := range plan.Destructive() {
		if !b.cfg.AllowDestructive.Allows(c) {
			out = append(out, c)
		}
	}
	return out
}
