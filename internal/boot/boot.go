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
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

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
		keys[i] = AllowKey(c)
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
	state     State // what this boot will record: version and snapshot hash
	source    []migrations.Migration
	by        string
}

// New reads and checks the committed snapshot, the db-init files and the
// installed Directus version.
func New(cfg *Config, log *slog.Logger) (*Booter, error) {
	b := &Booter{cfg: cfg, log: log}
	host, _ := os.Hostname()
	b.by = "trm-entrypoint@" + host
	if cfg.ApplyMode != ApplySkip {
		raw, err := os.ReadFile(cfg.SnapshotPath)
		if err != nil {
			return nil, &StepError{Step: "snapshot", Err: err, Fix: "the image must contain the committed snapshot (snapshots/schema.yaml, copied to /directus/snapshots/); set TRM_SNAPSHOT to its path, or TRM_SCHEMA_APPLY=skip"}
		}
		s, err := snapshot.Parse(cfg.SnapshotPath, raw)
		if err != nil {
			return nil, &StepError{Step: "snapshot", Err: err, Fix: "restore snapshots/schema.yaml from git: it is produced by `trmctl snapshot pull`, never edited by hand"}
		}
		if s.Partial() {
			return nil, &StepError{Step: "snapshot", Err: fmt.Errorf("%s is a partial (version 2) snapshot", cfg.SnapshotPath), Fix: "commit a full snapshot from `trmctl snapshot pull`"}
		}
		if b.committed, err = s.Exclude(cfg.Exclude...); err != nil {
			return nil, &StepError{Step: "config", Err: err, Fix: "fix the patterns in TRM_SNAPSHOT_EXCLUDE"}
		}
		sum := sha256.Sum256(raw)
		b.state.SnapshotSHA256 = hex.EncodeToString(sum[:])
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

// Outcome is what a boot did.
type Outcome struct {
	// FastPath is set when nothing had changed since the last boot.
	FastPath bool
	// Reason says why the full path was taken.
	Reason string
	// Bootstrapped is set when Directus bootstrap ran.
	Bootstrapped bool
	// Plan is the schema plan (nil on the fast path or with apply mode skip).
	Plan *snapshot.Result
	// Applied is set when the schema apply ran.
	Applied  bool
	DBInit   []migrations.AppliedFile
	Duration time.Duration
}

func (b *Booter) step(name string, start time.Time, attrs ...any) {
	b.log.Info(name, append([]any{"step", name, "ms", time.Since(start).Milliseconds()}, attrs...)...)
}

// Run provisions the database. It returns when Directus may start.
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

	t := time.Now()
	fast, reason, recorded, err := b.unchanged(ctx, pool, prov)
	if err != nil {
		return nil, &StepError{Step: "check", Err: err, Fix: checkFix(err)}
	}
	if fast {
		b.step("fast-path", t, "result", "unchanged since the last boot")
		out.FastPath, out.Duration = true, time.Since(start)
		return out, nil
	}
	b.step("fast-path", t, "result", "full boot", "reason", reason)

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
	// Another replica may have provisioned while this one waited.
	if fast, reason, recorded, err = b.unchanged(ctx, pool, prov); err != nil {
		return nil, &StepError{Step: "check", Err: err, Fix: checkFix(err)}
	} else if fast {
		b.step("fast-path", t, "result", "provisioned by another replica while waiting")
		out.FastPath, out.Duration = true, time.Since(start)
		return out, nil
	}
	out.Reason = reason

	if err := b.dbInit(ctx, prov, migrations.PhasePre, out); err != nil {
		return nil, err
	}
	if recorded.DirectusVersion != b.state.DirectusVersion || !b.directusInstalled(ctx, pool) {
		t = time.Now()
		if _, err := b.cfg.CLI.Bootstrap(ctx); err != nil {
			return nil, &StepError{Step: "bootstrap", Err: err, Fix: "read Directus's error above; check DB_* and that the database user may create tables"}
		}
		out.Bootstrapped = true
		b.step("bootstrap", t, "directus", b.state.DirectusVersion)
	} else {
		b.log.Info("bootstrap", "step", "bootstrap", "result", "skipped: same Directus release, tables installed")
	}
	if err := b.schema(ctx, out); err != nil {
		return nil, err
	}
	if err := b.dbInit(ctx, prov, migrations.PhasePost, out); err != nil {
		return nil, err
	}
	if b.cfg.ApplyMode == ApplyAuto {
		t = time.Now()
		if _, err := conn.Exec(ctx, stateDDL); err != nil {
			return nil, &StepError{Step: "record", Err: err, Fix: "the database user must be able to create " + StateTable}
		}
		fp, err := writeState(ctx, conn.Conn(), b.state, b.by)
		if err != nil {
			return nil, &StepError{Step: "record", Err: err, Fix: "check the database and rerun"}
		}
		b.step("record", t, "fingerprint", fp[:12])
	}
	out.Duration = time.Since(start)
	return out, nil
}

func checkFix(err error) string {
	if fix := MigrationFix(err, EntrypointSettings()); fix != "" {
		return fix
	}
	return "check the database connection and rerun"
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

// unchanged proves, with two catalog queries, that nothing has changed
// since the last successful boot: no db-init file pending, the same
// Directus release, the same committed snapshot, and a live schema with
// the fingerprint that boot left. Any doubt is a reason for a full boot.
func (b *Booter) unchanged(ctx context.Context, pool *pgxpool.Pool, prov *migrations.Provider) (bool, string, State, error) {
	rep, err := prov.Status(ctx)
	if err != nil {
		return false, "", State{}, err
	}
	recorded, live, ok, err := readState(ctx, pool)
	switch {
	case err != nil:
		return false, "", State{}, err
	case len(rep.Violations) > 0:
		return false, "db-init guard violations", recorded, nil
	case len(rep.Pending) > 0:
		return false, fmt.Sprintf("%d db-init file(s) pending", len(rep.Pending)), recorded, nil
	case !ok:
		return false, "no record of an earlier boot", State{}, nil
	case b.cfg.ApplyMode != ApplyAuto:
		return false, "schema apply mode " + string(b.cfg.ApplyMode), recorded, nil
	case recorded.DirectusVersion != b.state.DirectusVersion:
		return false, fmt.Sprintf("Directus changed from %s to %s", recorded.DirectusVersion, b.state.DirectusVersion), recorded, nil
	case recorded.SnapshotSHA256 != b.state.SnapshotSHA256:
		return false, "committed snapshot changed", recorded, nil
	case recorded.Fingerprint != live:
		return false, "live schema changed since the last boot", recorded, nil
	}
	return true, "", recorded, nil
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
	database := directusctl.Redact(b.cfg.DatabaseURL)
	cfg, err := pgxpool.ParseConfig(b.cfg.DatabaseURL)
	if err != nil {
		return nil, &StepError{Step: "wait-db", Err: fmt.Errorf("database settings %s: %v", database, errors.Unwrap(err)), Fix: "fix DB_* (or TRM_DATABASE_URL)"}
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
			return nil, &StepError{Step: "wait-db", Err: fmt.Errorf("%s: %s", database, pgErr.Message), Fix: "check DB_USER, DB_PASSWORD and DB_DATABASE"}
		}
		if ctx.Err() != nil {
			return nil, &StepError{Step: "wait-db", Err: context.Cause(ctx), Fix: "stopped before the database answered; nothing was changed"}
		}
		if wait.Err() != nil {
			return nil, &StepError{Step: "wait-db", Err: fmt.Errorf("%s did not answer within %s (%d attempts): %v", database, b.cfg.DBWaitTimeout, attempt, err), Fix: "check that PostgreSQL runs and DB_HOST/DB_PORT point at it, or raise TRM_DB_WAIT_TIMEOUT"}
		}
		select {
		case <-wait.Done():
		case <-time.After(delay):
		}
		delay = min(delay*2, 2*time.Second)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, &StepError{Step: "wait-db", Err: err, Fix: "check DB_*"}
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
	lockCtx, cancel := context.WithTimeout(ctx, b.cfg.LockTimeout)
	defer cancel()
	lock, err := advisorylock.Acquire(lockCtx, conn.Conn(), "trm.boot/"+db)
	if err != nil {
		conn.Hijack().Close(context.Background())
		return nil, nil, &StepError{Step: "lock", Err: err, Fix: "another replica is still provisioning; if it is stuck, stop it, or raise TRM_BOOT_LOCK_TIMEOUT"}
	}
	b.step("lock", t, "waited_ms", lock.Waited.Milliseconds())
	return conn, lock, nil
}

func (b *Booter) dbInit(ctx context.Context, prov *migrations.Provider, phase migrations.Phase, out *Outcome) error {
	t := time.Now()
	res, err := prov.Apply(ctx, phase)
	if err != nil {
		return &StepError{Step: "db-init-" + string(phase), Err: err, Fix: MigrationFix(err, EntrypointSettings())}
	}
	out.DBInit = append(out.DBInit, res.Applied...)
	b.step("db-init-"+string(phase), t, "applied", len(res.Applied), "up_to_date", res.UpToDate)
	return nil
}

// livePlan snapshots the live schema with the Directus CLI and diffs it
// against the committed snapshot, both without db-init's tables.
func (b *Booter) livePlan(ctx context.Context) (full, live *snapshot.Snapshot, plan *snapshot.Result, err error) {
	raw, _, err := b.cfg.CLI.Snapshot(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	if full, err = snapshot.Parse("live schema", raw); err != nil {
		return nil, nil, nil, err
	}
	if live, err = full.Exclude(b.cfg.Exclude...); err != nil {
		return nil, nil, nil, err
	}
	return full, live, snapshot.Diff(live, b.committed), nil
}

// refused lists the destructive changes the operator did not allow.
func (b *Booter) refused(plan *snapshot.Result) []snapshot.Change {
	var out []snapshot.Change
	for _, c := range plan.Destructive() {
		if !b.cfg.Allow.Allows(c) {
			out = append(out, c)
		}
	}
	return out
}

func (b *Booter) schema(ctx context.Context, out *Outcome) error {
	if b.cfg.ApplyMode == ApplySkip {
		b.log.Info("schema", "step", "schema", "result", "skipped (TRM_SCHEMA_APPLY=skip)")
		return nil
	}
	t := time.Now()
	full, live, plan, err := b.livePlan(ctx)
	if err != nil {
		return &StepError{Step: "schema-plan", Err: err, Fix: "read Directus's error above"}
	}
	out.Plan = plan
	sum := plan.Summary()
	b.step("schema-plan", t, "create", sum.Create, "update", sum.Update, "delete", sum.Delete, "destructive", sum.Destructive)
	if plan.Empty() {
		return nil
	}
	if refused := b.refused(plan); len(refused) > 0 {
		for _, c := range refused {
			b.log.Error("destructive change refused", "step", "schema-plan", "change", Describe(c), "allow_with", "TRM_ALLOW_DESTRUCTIVE="+AllowKey(c))
		}
		keys := make([]string, len(refused))
		for i, c := range refused {
			keys[i] = AllowKey(c)
		}
		return &StepError{Step: "schema-plan", Err: &DestructiveError{Changes: refused},
			Fix: "nothing was applied. If the committed snapshot is stale, rebuild the image from a snapshot pulled from this database (`trmctl snapshot pull`); if the deletion is intended, set TRM_ALLOW_DESTRUCTIVE=" + strings.Join(keys, ",")}
	}
	if b.cfg.ApplyMode == ApplyDryRun {
		var buf bytes.Buffer
		_ = plan.WriteText(&buf, snapshot.TextOptions{})
		for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
			b.log.Info("schema plan", "step", "schema-plan", "change", line)
		}
		b.log.Info("schema", "step", "schema-apply", "result", "not applied (TRM_SCHEMA_APPLY=dry-run)")
		return nil
	}
	t = time.Now()
	if err := b.apply(ctx, full, live); err != nil {
		return &StepError{Step: "schema-apply", Err: err, Fix: "the apply ran in one transaction and was rolled back; read Directus's error above"}
	}
	out.Applied = true
	b.step("schema-apply", t)
	t = time.Now()
	_, _, after, err := b.livePlan(ctx)
	if err != nil {
		return &StepError{Step: "schema-verify", Err: err, Fix: "read Directus's error above"}
	}
	if !after.Empty() {
		var buf bytes.Buffer
		_ = after.WriteText(&buf, snapshot.TextOptions{})
		return &StepError{Step: "schema-verify", Err: fmt.Errorf("after the apply the live schema still differs from the committed snapshot:\n%s", buf.String()),
			Fix: "Directus did not apply everything; report this with the lines above. Boot stops rather than run on a schema it did not expect"}
	}
	b.step("schema-verify", t, "result", "live schema equals the committed snapshot")
	return nil
}

// apply hands Directus the committed snapshot plus the live definitions
// of db-init's tables, so that an apply, which deletes whatever its file
// lacks, never touches them.
func (b *Booter) apply(ctx context.Context, liveFull, live *snapshot.Snapshot) error {
	merged := b.committed.Clone()
	kept := map[string]bool{}
	for _, c := range live.Collections {
		kept["c:"+c.Name()] = true
	}
	for _, f := range live.Fields {
		kept["f:"+f.Collection()+"."+f.Name()] = true
	}
	for _, r := range live.Relations {
		kept["r:"+r.Collection()+"."+r.Field()] = true
	}
	for _, c := range liveFull.Collections {
		if !kept["c:"+c.Name()] {
			merged.Collections = append(merged.Collections, c)
		}
	}
	for _, f := range liveFull.Fields {
		if !kept["f:"+f.Collection()+"."+f.Name()] {
			merged.Fields = append(merged.Fields, f)
		}
	}
	for _, r := range liveFull.Relations {
		if !kept["r:"+r.Collection()+"."+r.Field()] {
			merged.Relations = append(merged.Relations, r)
		}
	}
	data, err := merged.YAML()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "trm-apply-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "schema.yaml")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return err
	}
	_, err = b.cfg.CLI.Apply(ctx, path)
	return err
}
