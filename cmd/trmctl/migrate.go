package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/spf13/cobra"

	"git.dev.trmtracking.org/trm/directus/internal/boot"
	"git.dev.trmtracking.org/trm/directus/lib/migrations"
)

func newMigrateCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "migrate <command>",
		Short: "Guarded db-init migrations",
		Long: `Apply and inspect the db-init SQL files (db-init/NNN_name.sql run before
Directus applies its schema, db-init/post/NNN_name.sql after).

The ledger table migrations_applied records each file's checksum; a changed,
missing, out-of-order or half-run file stops every run until it is fixed.

The database comes from --database-url, else TRM_DATABASE_URL, else
Directus's own DB_CONNECTION_STRING or DB_HOST, DB_PORT, DB_DATABASE,
DB_USER, DB_PASSWORD (each also as *_FILE).`,
	}
	f := cmd.PersistentFlags()
	settingFlag(f, "TRM_DB_INIT_DIR")
	f.String("phase", "all", "phases to act on: pre, post or all")
	settingFlag(f, "TRM_TIMESCALEDB")
	settingFlag(f, "TRM_DATABASE_URL")
	f.Bool("json", false, "print JSON for machines instead of text")
	settingFlag(f, "TRM_TIMEOUT", "30m")
	settingFlag(f, "TRM_DB_INIT_FILE_TIMEOUT")
	settingFlag(f, "TRM_DB_INIT_LOCK_TIMEOUT")
	settingFlag(f, "TRM_CONNECT_TIMEOUT")
	cmd.AddCommand(
		newMigrateStatusCmd(a), newMigratePlanCmd(a), newMigrateUpCmd(a), newMigrateVerifyCmd(a),
		newMigrateBaselineCmd(a), newMigrateRepairCmd(a), newMigrateNewCmd(a),
	)
	return cmd
}

// migrateEnv is what a migrate subcommand works with.
type migrateEnv struct {
	provider *migrations.Provider
	pool     *pgxpool.Pool
	phases   []migrations.Phase
	database string // redacted, for messages
	// server is host:port, and connectTimeout how long it had to answer.
	server         string
	connectTimeout time.Duration
	json           bool
}

// migrateSettings are trmctl's names for what an operator changes.
func migrateSettings() boot.Settings {
	return boot.Settings{Database: "--database-url (or TRM_DATABASE_URL, or DB_HOST and DB_PORT)", FileTimeout: "--file-timeout (TRM_DB_INIT_FILE_TIMEOUT)", LockTimeout: "--lock-timeout (TRM_DB_INIT_LOCK_TIMEOUT)"}
}

func (a *app) phases() ([]migrations.Phase, error) {
	switch p := a.cfg.GetString("phase"); p {
	case "all", "":
		return migrations.Phases(), nil
	default:
		ph, err := migrations.ParsePhase(p)
		if err != nil {
			return nil, usageErrorf("--phase %q: want pre, post or all", p)
		}
		return []migrations.Phase{ph}, nil
	}
}

// databaseURL is the database the settings name (their order:
// --database-url, TRM_DATABASE_URL, Directus's DB_*), checked already.
func (a *app) databaseURL() (string, error) {
	if err := a.set.RequireDatabase(); err != nil {
		return "", usageErrorf("%v", err)
	}
	return a.set.Database.URL, nil
}

// migrationsDir opens --dir, refusing a path that is not a directory with
// the fix in the message.
func (a *app) migrationsDir() (string, fs.FS, error) {
	dir := a.set.DBInitDir
	st, err := os.Stat(dir)
	if err != nil || !st.IsDir() {
		abs, _ := filepath.Abs(dir)
		return "", nil, usageErrorf("migrations directory %s does not exist or is not a directory: run from the repository root or pass --dir (TRM_DB_INIT_DIR)", abs)
	}
	return dir, os.DirFS(dir), nil
}

func (a *app) openMigrations(ctx context.Context, progress bool) (*migrateEnv, error) {
	phases, err := a.phases()
	if err != nil {
		return nil, err
	}
	ts := a.set.TimescaleDB
	_, fsys, err := a.migrationsDir()
	if err != nil {
		return nil, err
	}
	url, err := a.databaseURL()
	if err != nil {
		return nil, err
	}
	database := a.set.Database.Redacted()
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// The settings checked the URL with this parser; its message
		// quotes the URL, so it is not shown.
		return nil, usageErrorf("%s: the PostgreSQL driver refuses the database URL", a.set.Database.From)
	}
	cfg.ConnConfig.RuntimeParams["application_name"] = "trmctl migrate"
	cfg.MaxConns = 4
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = a.set.ConnectTimeout
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("database %s: %w", database, err)
	}
	opts := []migrations.Option{migrations.WithSetting("trm.timescaledb", ts),
		migrations.WithFileTimeout(a.set.DBInitFileTimeout), migrations.WithLockTimeout(a.set.DBInitLockTimeout)}
	if progress {
		opts = append(opts, migrations.WithLogger(slog.New(&progressHandler{w: a.io.err})))
	}
	p, err := migrations.New(pool, fsys, opts...)
	if err != nil {
		pool.Close()
		return nil, err
	}
	return &migrateEnv{provider: p, pool: pool, phases: phases, database: database, json: a.cfg.GetBool("json"),
		server: net.JoinHostPort(cfg.ConnConfig.Host, strconv.Itoa(int(cfg.ConnConfig.Port))), connectTimeout: cfg.ConnConfig.ConnectTimeout}, nil
}

// withTimeout bounds a command by --timeout, the lock wait included.
func (a *app) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if d := a.set.Timeout; d > 0 {
		return context.WithTimeout(ctx, d)
	}
	return context.WithCancel(ctx)
}

// explainDBError turns a failure into a message naming the database and
// what to do: a connection failure names the server and the settings to
// check, an error of lib/migrations gets the remedy for its cause.
// Passwords never reach it: pgx's errors name host, user and database
// only, and standard error goes through the redactor anyway.
func explainDBError(err error, e *migrateEnv) error {
	if err == nil {
		return nil
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		where := "--database-url, TRM_DATABASE_URL or DB_HOST and DB_PORT"
		if pgconn.Timeout(err) || errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("no PostgreSQL answered at %s (%s) within %s\nfix: check that %s name the PostgreSQL server and that it is up; a server that accepts the connection and then says nothing is not PostgreSQL, or is stuck. If it is only slow, raise --connect-timeout", e.server, e.database, e.connectTimeout, where)
		}
		return fmt.Errorf("cannot connect to %s: %v\nfix: check that PostgreSQL runs there and the settings (%s) are right", e.database, errors.Unwrap(ce), where)
	}
	if fix := boot.MigrationFix(err, migrateSettings()); fix != "" {
		return fmt.Errorf("%w\nfix: %s", err, fix)
	}
	return err
}

// migrateRun opens the provider, runs fn, and reports guard violations
// as data (exit 1) in the output format asked for.
func (a *app) migrateRun(cmd *cobra.Command, progress bool, fn func(ctx context.Context, e *migrateEnv) error) error {
	ctx, cancel := a.withTimeout(cmd.Context())
	defer cancel()
	e, err := a.openMigrations(ctx, progress && !a.cfg.GetBool("json"))
	if err != nil {
		return err
	}
	defer e.pool.Close()
	err = fn(ctx, e)
	var ge *migrations.GuardError
	if errors.As(err, &ge) {
		if e.json {
			_ = writeJSON(a.io.out, map[string]any{"ok": false, "violations": violationsJSON(ge.Violations)})
			return errSilentFailure
		}
		printViolations(a.io.err, ge.Violations, a.colour())
		return errSilentFailure
	}
	return explainDBError(err, e)
}

func newMigrateStatusCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Show every migration file and ledger row with its state",
		Long: `Show every file of the source and every ledger row: applied, baselined,
pending, changed, missing, started (a no-transaction file that never
finished) or out-of-order. Changes nothing and takes no lock.

JSON shape (--json):
  {"database": "...", "files": [{"phase", "version", "name", "path", "state",
   "no_transaction", "checksum", "ledger_checksum", "applied_at", "applied_by",
   "duration_ms"}], "violations": [{"kind", "phase", "version", "name",
   "path", "detail", "fix"}]}`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.migrateRun(cmd, false, func(ctx context.Context, e *migrateEnv) error {
				rep, err := e.provider.Status(ctx, e.phases...)
				if err != nil {
					return err
				}
				if e.json {
					return writeJSON(a.io.out, map[string]any{"database": e.database, "files": filesJSON(rep.Files), "violations": violationsJSON(rep.Violations)})
				}
				printStatus(a.io.out, e.database, rep, a.colour())
				return nil
			})
		},
	}
}

func newMigratePlanCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "plan",
		Short: "List the files `migrate up` would apply, in order",
		Long: `List the files 'migrate up' would apply now, in order. Exits 1 with the
violations when a guard would refuse the run. Changes nothing.

JSON shape (--json): {"pending": [{"phase", "version", "name", "path", "no_transaction"}]}`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.migrateRun(cmd, false, func(ctx context.Context, e *migrateEnv) error {
				return a.printPlan(ctx, e)
			})
		},
	}
}

func (a *app) printPlan(ctx context.Context, e *migrateEnv) error {
	pending, err := e.provider.Plan(ctx, e.phases...)
	if err != nil {
		return err
	}
	if e.json {
		return writeJSON(a.io.out, map[string]any{"pending": migrationsJSON(pending)})
	}
	if len(pending) == 0 {
		fmt.Fprintln(a.io.out, "Nothing to apply.")
		return nil
	}
	fmt.Fprintf(a.io.out, "%d file(s) to apply to %s:\n", len(pending), e.database)
	t := newTable(a.io.out, "PHASE", "FILE", "TRANSACTION")
	for _, m := range pending {
		tx := "yes"
		if m.NoTransaction {
			tx = "no"
		}
		t.row(string(m.Phase), m.Path, tx)
	}
	return t.flush()
}

func newMigrateUpCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Apply pending migrations",
		Long: `Apply the pending files of the selected phases, each with its ledger row
in one transaction. Safe to run from several places at once: an advisory
lock makes each file apply exactly once; when nothing is pending no lock
is taken.

JSON shape (--json): {"applied": [{"phase", "version", "name", "path",
"duration_ms"}], "up_to_date": n, "locked": bool, "lock_wait_ms": n,
"duration_ms": n}; with --dry-run, the shape of 'migrate plan'.`,
		Example: `  # Development database without TimescaleDB
  trmctl migrate up --timescaledb optional --database-url postgres://postgres@127.0.0.1:5432/directus

  # Only what runs before Directus applies its schema
  trmctl migrate up --phase pre`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.migrateRun(cmd, true, func(ctx context.Context, e *migrateEnv) error {
				if a.cfg.GetBool("dry-run") {
					return a.printPlan(ctx, e)
				}
				res, err := e.provider.Apply(ctx, e.phases...)
				if err != nil {
					return err
				}
				if e.json {
					applied := make([]map[string]any, 0, len(res.Applied))
					for _, f := range res.Applied {
						m := migrationJSON(f.Migration)
						m["duration_ms"] = ms(f.Duration)
						applied = append(applied, m)
					}
					return writeJSON(a.io.out, map[string]any{"applied": applied, "up_to_date": res.UpToDate, "locked": res.Locked, "lock_wait_ms": ms(res.LockWait), "duration_ms": ms(res.Duration)})
				}
				if len(res.Applied) == 0 {
					fmt.Fprintf(a.io.out, "Nothing to apply: %d file(s) up to date (%s).\n", res.UpToDate, round(res.Duration))
					return nil
				}
				wait := ""
				if res.LockWait > 0 {
					wait = fmt.Sprintf(", %s waiting for the lock", round(res.LockWait))
				}
				fmt.Fprintf(a.io.out, "Applied %d file(s) in %s%s; %d already up to date.\n", len(res.Applied), round(res.Duration), wait, res.UpToDate)
				return nil
			})
		},
	}
	cmd.Flags().Bool("dry-run", false, "print what would be applied and change nothing")
	return cmd
}

func newMigrateVerifyCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "verify",
		Short: "Check every guard; exit 1 on any violation",
		Long: `Check the source against the ledger without applying anything: changed,
missing, out-of-order and half-run files are violations (exit 1), each with
its fix. Pending files are not violations.

JSON shape (--json): {"ok": bool, "violations": [...]} (see 'migrate status').`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.migrateRun(cmd, false, func(ctx context.Context, e *migrateEnv) error {
				if err := e.provider.Verify(ctx); err != nil {
					return err
				}
				if e.json {
					return writeJSON(a.io.out, map[string]any{"ok": true, "violations": []any{}})
				}
				fmt.Fprintf(a.io.out, "OK: %d file(s) in the source agree with the ledger.\n", len(e.provider.Migrations()))
				return nil
			})
		},
	}
}

func newMigrateBaselineCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "baseline --through N",
		Short: "Record files up to N as applied without running them",
		Long: `Record the files of the selected phases numbered up to N as applied,
without running them, with their current checksums: for a database where
they were applied by hand before the ledger existed.

JSON shape (--json): {"baselined": [{"phase", "version", "name", "path", "no_transaction"}]}`,
		Example: `  trmctl migrate baseline --through 3 --phase pre`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			through := a.cfg.GetInt64("through")
			if through < 1 {
				return usageErrorf("--through N is required (the highest version to record as applied)")
			}
			return a.migrateRun(cmd, false, func(ctx context.Context, e *migrateEnv) error {
				done, err := e.provider.Baseline(ctx, through, e.phases...)
				if err != nil {
					return err
				}
				if e.json {
					return writeJSON(a.io.out, map[string]any{"baselined": migrationsJSON(done)})
				}
				if len(done) == 0 {
					fmt.Fprintf(a.io.out, "Nothing to baseline: every file up to %d is already in the ledger.\n", through)
					return nil
				}
				for _, m := range done {
					fmt.Fprintf(a.io.out, "baselined %s\n", m.Path)
				}
				return nil
			})
		},
	}
	cmd.Flags().Int64("through", 0, "highest version to record as applied")
	return cmd
}

func newMigrateRepairCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "repair",
		Short: "Fix the ledger after a half-run, changed or removed file",
		Long: `Fix the ledger so that runs can continue. Without flags, every started
(never finished) no-transaction file is forgotten so that the next
'migrate up' runs it again (db-init files are idempotent). Files are named
as pre/001_name, 001_name or name.

JSON shape (--json): {"actions": [{"path", "action"}]}`,
		Example: `  # A no-transaction file was killed midway: run it again
  trmctl migrate repair

  # It did finish; only the ledger update was lost
  trmctl migrate repair --mark-applied post/004_positions_gist

  # A comment was fixed in an applied file
  trmctl migrate repair --accept-checksum 002_positions`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			req := migrations.RepairRequest{
				MarkApplied:    a.cfg.GetStringSlice("mark-applied"),
				AcceptChecksum: a.cfg.GetStringSlice("accept-checksum"),
				Forget:         a.cfg.GetStringSlice("forget"),
			}
			req.RetryStarted = len(req.MarkApplied)+len(req.AcceptChecksum)+len(req.Forget) == 0
			return a.migrateRun(cmd, false, func(ctx context.Context, e *migrateEnv) error {
				actions, err := e.provider.Repair(ctx, req)
				if err != nil {
					return err
				}
				if e.json {
					out := make([]map[string]string, 0, len(actions))
					for _, ac := range actions {
						out = append(out, map[string]string{"path": ac.Path, "action": ac.Action})
					}
					return writeJSON(a.io.out, map[string]any{"actions": out})
				}
				if len(actions) == 0 {
					fmt.Fprintln(a.io.out, "Nothing to repair.")
					return nil
				}
				for _, ac := range actions {
					fmt.Fprintf(a.io.out, "%s: %s\n", ac.Path, ac.Action)
				}
				return nil
			})
		},
	}
	cmd.Flags().StringSlice("mark-applied", nil, "started files that did finish: record them as applied")
	cmd.Flags().StringSlice("accept-checksum", nil, "changed files whose edit is harmless: record their current checksum")
	cmd.Flags().StringSlice("forget", nil, "files removed from the source on purpose: delete their ledger rows")
	return cmd
}

func newMigrateNewCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "new NAME",
		Short: "Create the next numbered migration file",
		Long: `Create the next numbered file of a phase, named NAME in snake_case, with
a skeleton that reminds of the rules: idempotent statements and a closing
assertion block. Needs no database.`,
		Example: `  trmctl migrate new add_entry_constraints --post`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir, fsys, err := a.migrationsDir()
			if err != nil {
				return err
			}
			phase := migrations.PhasePre
			if a.cfg.GetBool("post") {
				phase = migrations.PhasePost
			}
			path, err := newMigrationFile(dir, fsys, phase, args[0])
			if err != nil {
				return err
			}
			if a.cfg.GetBool("json") {
				return writeJSON(a.io.out, map[string]string{"path": path})
			}
			fmt.Fprintf(a.io.out, "Created %s\n", path)
			return nil
		},
	}
	cmd.Flags().Bool("post", false, "create a post-schema file (runs after Directus applies its schema)")
	return cmd
}

// newMigrationFile writes the next file of the phase. The whole source is
// validated first, so a new file never joins a broken sequence.
func newMigrationFile(dir string, fsys fs.FS, phase migrations.Phase, name string) (string, error) {
	name = strings.ToLower(strings.NewReplacer("-", "_", " ", "_").Replace(strings.TrimSpace(name)))
	ms, err := migrations.Load(fsys, migrations.DefaultLayout())
	if err != nil {
		return "", err
	}
	var highest int64
	for _, m := range ms {
		if m.Name == name {
			return "", usageErrorf("a migration named %q exists already: %s", name, m.Path)
		}
		if m.Phase == phase && m.Version > highest {
			highest = m.Version
		}
	}
	base := fmt.Sprintf("%03d_%s.sql", highest+1, name)
	if _, _, err := migrations.ParseFileName(base); err != nil {
		return "", usageErrorf("NAME %q: use lowercase letters, digits and single underscores, e.g. add_entry_constraints", name)
	}
	sub := dir
	if phase == migrations.PhasePost {
		sub = filepath.Join(dir, "post")
		if err := os.MkdirAll(sub, 0o755); err != nil {
			return "", err
		}
	}
	path := filepath.Join(sub, base)
	stem := strings.TrimSuffix(base, ".sql")
	body := fmt.Sprintf(`-- %s: say why this change is needed.
-- Rules: idempotent statements (IF NOT EXISTS, ADD COLUMN IF NOT EXISTS),
-- never edited once applied, and a closing assertion block.

-- Assert the result, loudly.
DO $$
BEGIN
  IF false THEN
    RAISE EXCEPTION '%s: describe the shape that is missing';
  END IF;
END
$$;
`, stem, stem)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return "", err
	}
	if _, err := f.WriteString(body); err != nil {
		f.Close()
		return "", err
	}
	return path, f.Close()
}

// progressHandler prints one line per applied file with its duration, to
// stderr, so a person sees long runs advance.
type progressHandler struct {
	w     interface{ Write([]byte) (int, error) }
	attrs []slog.Attr
}

func (h *progressHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelInfo }

func (h *progressHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	r.Attrs(func(at slog.Attr) bool {
		v := at.Value.String()
		if at.Value.Kind() == slog.KindDuration {
			v = round(at.Value.Duration()).String()
		}
		fmt.Fprintf(&b, " %s=%s", at.Key, v)
		return true
	})
	b.WriteString("\n")
	_, err := h.w.Write([]byte(b.String()))
	return err
}

func (h *progressHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &progressHandler{w: h.w, attrs: append(append([]slog.Attr{}, h.attrs...), as...)}
}

func (h *progressHandler) WithGroup(string) slog.Handler { return h }

func round(d time.Duration) time.Duration {
	if d < time.Second {
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(time.Millisecond)
}

func ms(d time.Duration) float64 {
	v, _ := strconv.ParseFloat(strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 3, 64), 64)
	return v
}
