package integration

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
	"git.dev.trmtracking.org/trm/directus/lib/snapshot"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testdirectus"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testenv"
)

// startProvisioner starts a provisioner on dbURL, closed when the test
// ends.
func startProvisioner(t *testing.T, dbURL string) *directusctl.Provisioner {
	t.Helper()
	if _, _, err := testdirectus.Runtime(); err != nil {
		t.Fatal(err)
	}
	cli := testdirectus.CLI(testdirectus.Env(dbURL, testenv.Port(t)))
	p, err := cli.StartProvisioner(timeout(t, 2*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// bootstrapped is a database that Directus installed, with its provisioner.
func bootstrapped(t *testing.T) (string, *directusctl.Provisioner) {
	t.Helper()
	dbURL := pg.New(t)
	p := startProvisioner(t, dbURL)
	if _, err := p.Bootstrap(timeout(t, 2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	return dbURL, p
}

// oneCollectionJSON is oneCollection as JSON, which the provisioner takes.
func oneCollectionJSON(t testing.TB) json.RawMessage {
	t.Helper()
	return asJSON(t, []byte(oneCollection))
}

// asJSON is a snapshot (YAML or JSON) as lib/snapshot writes it in JSON:
// the form the entrypoint sends, and a normal form to compare.
func asJSON(t testing.TB, doc []byte) json.RawMessage {
	t.Helper()
	s, err := snapshot.Parse("snapshot", doc)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func exec(t testing.TB, dbURL, sql string) {
	t.Helper()
	ctx := timeout(t, 30*time.Second)
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func tableExists(t testing.TB, dbURL, table string) bool {
	t.Helper()
	var ok bool
	queryRow(t, dbURL, "SELECT to_regclass($1) IS NOT NULL", []any{table}, &ok)
	return ok
}

func TestProvisionerBootstrapsDiffsAndAppliesInOneProcess(t *testing.T) {
	dbURL := pg.New(t)
	p := startProvisioner(t, dbURL)
	if info := p.Info(); info.Protocol != directusctl.ProvisionerProtocol || info.Directus != directusVersion || !strings.HasPrefix(info.Node, "v") {
		t.Errorf("info %+v", info)
	}
	ctx := timeout(t, 3*time.Minute)

	_, err := p.Snapshot(ctx)
	var pe *directusctl.ProvisionError
	if !errors.As(err, &pe) || pe.Kind != directusctl.ProvisionNotBootstrapped || pe.Op != "snapshot" {
		t.Fatalf("snapshot before bootstrap: %v, want a not-installed ProvisionError", err)
	}

	res, err := p.Bootstrap(ctx)
	if err != nil || !res.Installed || res.Migrations < 50 {
		t.Fatalf("first bootstrap: %+v, %v", res, err)
	}
	var email, token string
	queryRow(t, dbURL, "SELECT email, token FROM directus_users", nil, &email, &token)
	if email != testdirectus.AdminEmail || token != testdirectus.AdminToken {
		t.Errorf("admin %s / %s, want the one ADMIN_EMAIL and ADMIN_TOKEN name", email, token)
	}
	if res, err := p.Bootstrap(ctx); err != nil || res.Installed || res.Migrations != 0 {
		t.Fatalf("second bootstrap: %+v, %v; want nothing to do", res, err)
	}

	target := oneCollectionJSON(t)
	d, err := p.Diff(ctx, target, true)
	if err != nil {
		t.Fatal(err)
	}
	if d.Diff == nil || d.Hash == "" || len(d.Live) == 0 {
		t.Fatalf("diff %+v: want a diff, its hash and the live snapshot", d)
	}
	if names := collectionNames(t, d.Live); len(names) != 0 {
		t.Errorf("live collections before the apply: %v", names)
	}
	entries, err := d.Entries()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.String())
	}
	if want := []string{"create collections cli_items", "create fields cli_items.id", "create fields cli_items.name"}; !slices.Equal(got, want) {
		t.Errorf("diff entries %q, want %q", got, want)
	}
	pending, err := p.ApplyDiff(ctx, &d.SchemaDiff)
	if err != nil || pending == nil {
		t.Fatalf("apply: %v, %v", pending, err)
	}
	if names := collectionNames(t, pending.Live.Snapshot); !slices.Equal(names, []string{"cli_items"}) {
		t.Errorf("collections the pending apply leaves: %v", names)
	}
	if tableExists(t, dbURL, "cli_items") {
		t.Error("another connection sees cli_items before the commit")
	}
	if _, err := p.Snapshot(ctx); !isKind(err, directusctl.ProvisionBadRequest) {
		t.Errorf("a snapshot while an apply waits: %v, want a bad-request ProvisionError", err)
	}
	if err := pending.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	live, err := p.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if string(asJSON(t, live.Snapshot)) != string(asJSON(t, pending.Live.Snapshot)) || live.Hash != pending.Live.Hash {
		t.Error("the committed schema is not the one the pending apply showed")
	}
	if live.Hash == d.Hash {
		t.Error("the hash did not change with the schema")
	}
	// oneCollection lacks keys Directus fills in with their defaults, so
	// the live snapshot is the target that must compare equal.
	again, err := p.Diff(ctx, live.Snapshot, false)
	if err != nil || again.Diff != nil || len(again.Live) != 0 {
		t.Fatalf("diff after the apply: %+v, %v; want no difference and no live snapshot", again, err)
	}
	if pending, err := p.ApplyDiff(ctx, &again.SchemaDiff); err != nil || pending != nil {
		t.Errorf("an empty diff: %v, %v; want nothing pending", pending, err)
	}
	if err := p.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	if _, err := p.Snapshot(ctx); err == nil {
		t.Error("a call after Close succeeded")
	}
}

// The snapshot, diff and apply of a provisioner are Directus's own: a CLI
// snapshot of the result is the same schema.
func TestProvisionerSnapshotEqualsTheCLIs(t *testing.T) {
	dbURL, p := bootstrapped(t)
	ctx := timeout(t, 3*time.Minute)
	d, err := p.Diff(ctx, oneCollectionJSON(t), false)
	if err != nil {
		t.Fatal(err)
	}
	commit(t, ctx, p, &d.SchemaDiff)
	live, err := p.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cli := testdirectus.CLI(testdirectus.Env(dbURL, testenv.Port(t)))
	yml, _, err := cli.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := asJSON(t, yml), asJSON(t, live.Snapshot); string(a) != string(b) {
		t.Errorf("snapshots differ:\nCLI:         %s\nprovisioner: %s", a, b)
	}
}

func TestProvisionerRefusesADiffMadeFromAnotherSchema(t *testing.T) {
	dbURL, p := bootstrapped(t)
	ctx := timeout(t, 3*time.Minute)
	d, err := p.Diff(ctx, oneCollectionJSON(t), false)
	if err != nil {
		t.Fatal(err)
	}
	// Someone changes the schema between the diff and the apply.
	other := startProvisioner(t, dbURL)
	withOther := withCollection(t, mustJSON(t, p, ctx), "other_items")
	od, err := other.Diff(ctx, withOther, false)
	if err != nil {
		t.Fatal(err)
	}
	commit(t, ctx, other, &od.SchemaDiff)
	if _, err := p.ApplyDiff(ctx, &d.SchemaDiff); !isKind(err, directusctl.ProvisionStale) {
		t.Fatalf("apply of a stale diff: %v, want a stale ProvisionError", err)
	}
	if tableExists(t, dbURL, "cli_items") {
		t.Error("the stale diff was applied")
	}
	if _, err := p.Snapshot(ctx); err != nil {
		t.Errorf("the provisioner should stay usable after a refusal: %v", err)
	}
}

// commit applies d and commits it.
func commit(t *testing.T, ctx context.Context, p *directusctl.Provisioner, d *directusctl.SchemaDiff) {
	t.Helper()
	pending, err := p.ApplyDiff(ctx, d)
	if err != nil || pending == nil {
		t.Fatalf("apply: %v, %v", pending, err)
	}
	if err := pending.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}

func isKind(err error, kind string) bool {
	var pe *directusctl.ProvisionError
	return errors.As(err, &pe) && pe.Kind == kind
}

// mustJSON is the live snapshot.
func mustJSON(t *testing.T, p *directusctl.Provisioner, ctx context.Context) []byte {
	t.Helper()
	live, err := p.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return live.Snapshot
}

// A Directus error in the middle of an apply rolls back everything the
// apply did before it.
func TestProvisionerApplyThatFailsChangesNothing(t *testing.T) {
	dbURL, p := bootstrapped(t)
	ctx := timeout(t, 3*time.Minute)
	d, err := p.Diff(ctx, oneCollectionJSON(t), false)
	if err != nil {
		t.Fatal(err)
	}
	commit(t, ctx, p, &d.SchemaDiff)
	exec(t, dbURL, "INSERT INTO cli_items (name) VALUES ('a row')")
	live := mustJSON(t, p, ctx)
	// A new collection (created first) and a NOT NULL column without a
	// default on a table with a row (fails).
	target := withCollection(t, live, "new_items")
	var doc map[string]any
	if err := json.Unmarshal(target, &doc); err != nil {
		t.Fatal(err)
	}
	doc["fields"] = append(doc["fields"].([]any), map[string]any{
		"collection": "cli_items", "field": "code", "type": "string",
		"meta":   map[string]any{"collection": "cli_items", "field": "code", "interface": "input"},
		"schema": map[string]any{"name": "code", "table": "cli_items", "data_type": "character varying", "max_length": 20, "is_nullable": false},
	})
	target, _ = json.Marshal(doc)
	d, err = p.Diff(ctx, target, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err = p.ApplyDiff(ctx, &d.SchemaDiff); !isKind(err, directusctl.ProvisionFailed) {
		t.Fatalf("apply: %v, want a ProvisionError from Directus", err)
	}
	if !strings.Contains(err.Error(), "cli_items.code") {
		t.Errorf("the error should name the field that failed: %v", err)
	}
	if tableExists(t, dbURL, "new_items") {
		t.Error("new_items was created: the failed apply was not rolled back")
	}
	var n int
	queryRow(t, dbURL, "SELECT count(*) FROM directus_collections WHERE collection = 'new_items'", nil, &n)
	if n != 0 {
		t.Error("new_items is in directus_collections")
	}
	if after := mustJSON(t, p, ctx); string(after) != string(live) {
		t.Error("the live schema changed")
	}
}

// waitForLockWait returns when a backend of dbURL waits for a lock: the
// apply is inside its transaction.
func waitForLockWait(t *testing.T, dbURL string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		var n int
		queryRow(t, dbURL, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'", nil, &n)
		if n > 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("the apply never waited for the lock")
}

// holdFieldsLock blocks writes to directus_fields (reads go on) until the
// returned function is called, so that an apply stops inside its
// transaction after it created its table.
func holdFieldsLock(t *testing.T, dbURL string) (release func()) {
	t.Helper()
	ctx := timeout(t, 2*time.Minute)
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "LOCK TABLE directus_fields IN EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	released := false
	release = func() {
		if !released {
			released = true
			_ = tx.Rollback(context.Background())
			conn.Close(context.Background())
		}
	}
	t.Cleanup(release)
	return release
}

func TestProvisionerKilledDuringAnApplyChangesNothing(t *testing.T) {
	dbURL, p := bootstrapped(t)
	ctx := timeout(t, 3*time.Minute)
	d, err := p.Diff(ctx, oneCollectionJSON(t), false)
	if err != nil {
		t.Fatal(err)
	}
	release := holdFieldsLock(t, dbURL)
	done := make(chan error, 1)
	go func() { _, err := p.ApplyDiff(ctx, &d.SchemaDiff); done <- err }()
	waitForLockWait(t, dbURL)
	if err := syscall.Kill(p.Pid(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err = <-done
	release()
	var ee *directusctl.ProvisionerExitError
	if !errors.As(err, &ee) || ee.Op != "apply-diff" || ee.Signal != "killed" {
		t.Fatalf("apply: %v, want a ProvisionerExitError for apply-diff, killed", err)
	}
	if _, again := p.Snapshot(ctx); !errors.As(again, &ee) {
		t.Errorf("a call after the process died: %v, want the same exit error", again)
	}
	if tableExists(t, dbURL, "cli_items") {
		t.Error("cli_items exists: the killed apply was not rolled back")
	}
}

func TestProvisionerCancelledDuringAnApplyStopsAndChangesNothing(t *testing.T) {
	dbURL, p := bootstrapped(t)
	d, err := p.Diff(timeout(t, time.Minute), oneCollectionJSON(t), false)
	if err != nil {
		t.Fatal(err)
	}
	release := holdFieldsLock(t, dbURL)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { _, err := p.ApplyDiff(ctx, &d.SchemaDiff); done <- err }()
	waitForLockWait(t, dbURL)
	cancel()
	err = <-done
	release()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("apply: %v, want context.Canceled", err)
	}
	if err := syscall.Kill(p.Pid(), 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("the process is still there after the cancel (%v)", err)
	}
	if tableExists(t, dbURL, "cli_items") {
		t.Error("cli_items exists: the cancelled apply was not rolled back")
	}
}

func TestProvisionerThatCannotLoadDirectusSaysWhy(t *testing.T) {
	dbURL := pg.New(t)
	if _, _, err := testdirectus.Runtime(); err != nil {
		t.Fatal(err)
	}
	cli := testdirectus.CLI(testdirectus.Env(dbURL, testenv.Port(t)))
	// A broken install: the dist folder's layout, and a database module
	// that throws when Node loads it.
	dir := t.TempDir()
	for _, p := range []string{"cli", "database"} {
		if err := os.MkdirAll(dir+"/"+p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(dir+"/database/index.js", []byte("throw new Error('no Directus here')\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cli.Script = dir + "/cli/run.js"
	_, err := cli.StartProvisioner(timeout(t, time.Minute))
	var pe *directusctl.ProvisionError
	if !errors.As(err, &pe) || pe.Op != "start" || pe.Kind != directusctl.ProvisionCrash || pe.Message == "" {
		t.Fatalf("start: %v, want a crash ProvisionError with Node's message", err)
	}
}

func TestProvisionerRollbackAndExitUndoAPendingApply(t *testing.T) {
	dbURL, p := bootstrapped(t)
	ctx := timeout(t, 3*time.Minute)
	before := mustJSON(t, p, ctx)
	d, err := p.Diff(ctx, oneCollectionJSON(t), false)
	if err != nil {
		t.Fatal(err)
	}
	pending, err := p.ApplyDiff(ctx, &d.SchemaDiff)
	if err != nil || pending == nil {
		t.Fatalf("apply: %v, %v", pending, err)
	}
	if err := pending.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if after := mustJSON(t, p, ctx); string(after) != string(before) || tableExists(t, dbURL, "cli_items") {
		t.Fatal("the rolled back apply left a change")
	}

	// The same apply again, and the process asked to exit before the
	// commit: exiting rolls back.
	d, err = p.Diff(ctx, oneCollectionJSON(t), false)
	if err != nil {
		t.Fatal(err)
	}
	if pending, err = p.ApplyDiff(ctx, &d.SchemaDiff); err != nil || pending == nil {
		t.Fatalf("apply: %v, %v", pending, err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if tableExists(t, dbURL, "cli_items") {
		t.Error("closing with an apply pending left its change")
	}
}

func TestProvisionerKilledBeforeTheCommitChangesNothing(t *testing.T) {
	dbURL, p := bootstrapped(t)
	ctx := timeout(t, 3*time.Minute)
	d, err := p.Diff(ctx, oneCollectionJSON(t), false)
	if err != nil {
		t.Fatal(err)
	}
	pending, err := p.ApplyDiff(ctx, &d.SchemaDiff)
	if err != nil || pending == nil {
		t.Fatalf("apply: %v, %v", pending, err)
	}
	if err := syscall.Kill(p.Pid(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err = pending.Commit(ctx)
	var ee *directusctl.ProvisionerExitError
	if !errors.As(err, &ee) || ee.Op != "commit" {
		t.Fatalf("commit: %v, want an exit error for commit", err)
	}
	if tableExists(t, dbURL, "cli_items") {
		t.Error("cli_items exists: the uncommitted apply survived its process")
	}
}
