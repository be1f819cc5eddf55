package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"git.dev.trmtracking.org/trm/directus/lib/migrations"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testenv"
)

var ctx = context.Background()

func TestApplyOnEmptyDatabaseRunsEveryFileInOrderAndRecordsIt(t *testing.T) {
	pool := newPool(t, pg.New(t))
	p := newProvider(t, pool, files(
		"001_a.sql", "CREATE TABLE a (id int);",
		"002_b.sql", "INSERT INTO a VALUES (1);",
		"post/001_c.sql", "INSERT INTO a VALUES (2);",
		"README.md", "not a migration",
	))
	res, err := p.Apply(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range res.Applied {
		got = append(got, a.Migration.ID())
	}
	if want := []string{"pre/001_a", "pre/002_b", "post/001_c"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("applied %v, want %v", got, want)
	}
	if !res.Locked {
		t.Error("a run with pending files must take the lock")
	}
	if n := queryInt(t, pool, "SELECT count(*) FROM a"); n != 2 {
		t.Errorf("a has %d rows, want 2", n)
	}
	if got, want := ledger(t, pool), []string{"pre/1:applied", "pre/2:applied", "post/1:applied"}; !reflect.DeepEqual(got, want) {
		t.Errorf("ledger %v, want %v", got, want)
	}
	var sum, by string
	if err := pool.QueryRow(ctx, "SELECT checksum, applied_by FROM migrations_applied WHERE name = 'a'").Scan(&sum, &by); err != nil {
		t.Fatal(err)
	}
	if sum != migrations.Checksum([]byte("CREATE TABLE a (id int);")) || by == "" {
		t.Errorf("ledger row: checksum %s applied_by %q", sum, by)
	}
}

func TestSecondRunIsANoOpWithoutLock(t *testing.T) {
	pool := newPool(t, pg.New(t))
	fsys := files("001_a.sql", "CREATE TABLE a (id int);")
	if _, err := newProvider(t, pool, fsys).Apply(ctx); err != nil {
		t.Fatal(err)
	}
	res, err := newProvider(t, pool, fsys).Apply(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Applied) != 0 || res.Locked || res.UpToDate != 1 {
		t.Fatalf("second run: %+v, want nothing applied, no lock, 1 up to date", res)
	}
}

func TestPhaseSelectionAppliesOnlyThatPhase(t *testing.T) {
	pool := newPool(t, pg.New(t))
	p := newProvider(t, pool, files("001_a.sql", "CREATE TABLE a (id int);", "post/001_b.sql", "INSERT INTO a VALUES (1);"))
	if _, err := p.Apply(ctx, migrations.PhasePre); err != nil {
		t.Fatal(err)
	}
	if got := ledger(t, pool); !reflect.DeepEqual(got, []string{"pre/1:applied"}) {
		t.Fatalf("after pre: %v", got)
	}
	if _, err := p.Apply(ctx, migrations.PhasePost); err != nil {
		t.Fatal(err)
	}
	if n := queryInt(t, pool, "SELECT count(*) FROM a"); n != 1 {
		t.Fatalf("post phase did not run: %d rows", n)
	}
}

func TestTamperedFileIsRefusedAndNothingIsApplied(t *testing.T) {
	pool := newPool(t, pg.New(t))
	if _, err := newProvider(t, pool, files("001_a.sql", "CREATE TABLE a (id int);")).Apply(ctx); err != nil {
		t.Fatal(err)
	}
	tampered := files("001_a.sql", "CREATE TABLE a (id bigint);", "002_b.sql", "CREATE TABLE b (id int);")
	_, err := newProvider(t, pool, tampered).Apply(ctx)
	var ge *migrations.GuardError
	if !errors.As(err, &ge) || len(ge.Violations) != 1 || ge.Violations[0].Kind != migrations.Changed {
		t.Fatalf("want one Changed violation, got %v", err)
	}
	v := ge.Violations[0]
	if v.ID() != "pre/001_a" || v.LedgerChecksum != migrations.Checksum([]byte("CREATE TABLE a (id int);")) || v.Checksum != migrations.Checksum([]byte("CREATE TABLE a (id bigint);")) || v.At.IsZero() || v.By == "" {
		t.Errorf("violation fields: %+v", v)
	}
	msg := err.Error()
	for _, want := range []string{"001_a.sql", v.LedgerChecksum, v.Checksum, "accepting the new checksum"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error does not mention %q:\n%s", want, msg)
		}
	}
	if tableExists(t, pool, "b") {
		t.Error("002 ran although a guard refused the run")
	}
}

func TestCRLFCheckoutIsNotTampering(t *testing.T) {
	pool := newPool(t, pg.New(t))
	if _, err := newProvider(t, pool, files("001_a.sql", "CREATE TABLE a (id int);\nSELECT 1;\n")).Apply(ctx); err != nil {
		t.Fatal(err)
	}
	if err := newProvider(t, pool, files("001_a.sql", "CREATE TABLE a (id int);\r\nSELECT 1;\r\n")).Verify(ctx); err != nil {
		t.Fatalf("CRLF line ends read as a change: %v", err)
	}
}

func TestOutOfOrderFileIsRefused(t *testing.T) {
	pool := newPool(t, pg.New(t))
	if _, err := newProvider(t, pool, files("001_a.sql", "SELECT 1;", "003_c.sql", "SELECT 1;")).Apply(ctx); err != nil {
		t.Fatal(err)
	}
	_, err := newProvider(t, pool, files("001_a.sql", "SELECT 1;", "002_b.sql", "CREATE TABLE b ();", "003_c.sql", "SELECT 1;")).Apply(ctx)
	var ge *migrations.GuardError
	if !errors.As(err, &ge) || ge.Violations[0].Kind != migrations.OutOfOrder || ge.Violations[0].Path != "002_b.sql" {
		t.Fatalf("want OutOfOrder for 002_b.sql, got %v", err)
	}
	if !strings.Contains(err.Error(), "renumber it above 3") {
		t.Errorf("error does not say how to fix: %v", err)
	}
	if tableExists(t, pool, "b") {
		t.Error("out-of-order file ran")
	}
}

func TestMissingAppliedFileIsRefused(t *testing.T) {
	pool := newPool(t, pg.New(t))
	if _, err := newProvider(t, pool, files("001_a.sql", "SELECT 1;", "002_b.sql", "SELECT 1;")).Apply(ctx); err != nil {
		t.Fatal(err)
	}
	err := newProvider(t, pool, files("002_b.sql", "SELECT 1;")).Verify(ctx)
	var ge *migrations.GuardError
	if !errors.As(err, &ge) || ge.Violations[0].Kind != migrations.Missing || ge.Violations[0].Path != "001_a.sql" {
		t.Fatalf("want Missing 001_a.sql, got %v", err)
	}
}

func TestBrokenSQLRollsBackThatFileOnlyAndNamesFileAndPosition(t *testing.T) {
	pool := newPool(t, pg.New(t))
	p := newProvider(t, pool, files(
		"001_ok.sql", "CREATE TABLE ok (id int);",
		"002_broken.sql", "CREATE TABLE half (id int);\nINSERT INTO half VALUES (1);\nSELECT * FROM  no_such_table;\n",
		"003_after.sql", "CREATE TABLE after (id int);",
	))
	_, err := p.Apply(ctx)
	var fe *migrations.FileError
	if !errors.As(err, &fe) {
		t.Fatalf("want *FileError, got %v", err)
	}
	if fe.Migration.Path != "002_broken.sql" || fe.Line != 3 || fe.Column != 16 {
		t.Errorf("error at %s:%d:%d, want 002_broken.sql:3:16", fe.Migration.Path, fe.Line, fe.Column)
	}
	if !strings.Contains(err.Error(), "002_broken.sql:3:16") || !strings.Contains(err.Error(), "no_such_table") {
		t.Errorf("message: %v", err)
	}
	if !tableExists(t, pool, "ok") || tableExists(t, pool, "half") || tableExists(t, pool, "after") {
		t.Error("want 001 applied, 002 rolled back, 003 not run")
	}
	if got := ledger(t, pool); !reflect.DeepEqual(got, []string{"pre/1:applied"}) {
		t.Errorf("ledger %v", got)
	}
}

func TestErrorPositionCountsCharactersNotBytes(t *testing.T) {
	pool := newPool(t, pg.New(t))
	_, err := newProvider(t, pool, files("001_x.sql", "-- é è ü\nSELECT 'ñ', nope;")).Apply(ctx)
	var fe *migrations.FileError
	if !errors.As(err, &fe) || fe.Line != 2 || fe.Column != 13 {
		t.Fatalf("want line 2 column 13, got %v", err)
	}
}

func TestNoTransactionFileRunsOutsideATransaction(t *testing.T) {
	pool := newPool(t, pg.New(t))
	p := newProvider(t, pool, files(
		"001_t.sql", "CREATE TABLE t (id int, note text);",
		"002_idx.sql", "-- migrate: no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS t_id ON t (id);\nINSERT INTO t VALUES (1, 'a;b');\n",
	))
	if _, err := p.Apply(ctx); err != nil {
		t.Fatal(err)
	}
	if n := queryInt(t, pool, "SELECT count(*) FROM pg_indexes WHERE indexname = 't_id'"); n != 1 {
		t.Error("concurrent index missing")
	}
	if got := ledger(t, pool); !reflect.DeepEqual(got, []string{"pre/1:applied", "pre/2:applied"}) {
		t.Errorf("ledger %v", got)
	}
}

func TestFailedNoTransactionFileBlocksUntilRepaired(t *testing.T) {
	pool := newPool(t, pg.New(t))
	broken := files("001_nt.sql", "-- migrate: no-transaction\nCREATE TABLE nt (id int);\nSELECT * FROM nope;\n")
	_, err := newProvider(t, pool, broken).Apply(ctx)
	var fe *migrations.FileError
	if !errors.As(err, &fe) || fe.Line != 3 || !fe.Started || fe.Statement != 2 || !strings.Contains(err.Error(), "the ledger keeps it as started") {
		t.Fatalf("want a FileError in statement 2 at line 3 saying the file stays started, got %v", err)
	}
	fixed := files("001_nt.sql", "-- migrate: no-transaction\nCREATE TABLE IF NOT EXISTS nt (id int);\nSELECT 1;\n")
	// A started row blocks every later run, whatever the source says now.
	_, err = newProvider(t, pool, broken).Apply(ctx)
	var ge *migrations.GuardError
	if !errors.As(err, &ge) || ge.Violations[0].Kind != migrations.Incomplete {
		t.Fatalf("want Incomplete, got %v", err)
	}
	actions, err := newProvider(t, pool, fixed).Repair(ctx, migrations.RepairRequest{RetryStarted: true})
	if err != nil || len(actions) != 1 || actions[0].Action != "will run again" {
		t.Fatalf("repair: %v %v", actions, err)
	}
	if _, err := newProvider(t, pool, fixed).Apply(ctx); err != nil {
		t.Fatal(err)
	}
	if got := ledger(t, pool); !reflect.DeepEqual(got, []string{"pre/1:applied"}) {
		t.Errorf("ledger %v", got)
	}
}

func TestNoTransactionFileKilledMidwayBlocksNextRunUntilRepaired(t *testing.T) {
	dsn := pg.New(t)
	pool := newPool(t, dsn)
	dir := writeDir(t, files(
		"001_slow.sql", "-- migrate: no-transaction\nCREATE TABLE IF NOT EXISTS slow (id int);\nSELECT pg_sleep(30);\n",
	))
	cmd := child(ctx, dsn, dir)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		return queryInt(t, pool, "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(30)%' AND state = 'active' AND pid <> pg_backend_pid()") == 1
	})
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
	// The server notices the dead client only when pg_sleep ends: end it.
	queryInt(t, pool, "SELECT count(pg_cancel_backend(pid)) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(30)%' AND pid <> pg_backend_pid()")

	p := newProvider(t, pool, os.DirFS(dir))
	_, err := p.Apply(ctx)
	var ge *migrations.GuardError
	if !errors.As(err, &ge) || ge.Violations[0].Kind != migrations.Incomplete {
		t.Fatalf("want Incomplete after the kill, got %v", err)
	}
	if _, err := p.Repair(ctx, migrations.RepairRequest{MarkApplied: []string{"slow"}}); err != nil {
		t.Fatal(err)
	}
	if err := p.Verify(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestRunnerKilledMidApplyLeavesConsistentLedger(t *testing.T) {
	dsn := pg.New(t)
	pool := newPool(t, dsn)
	fsys := files(
		"001_a.sql", "CREATE TABLE effects (file text PRIMARY KEY); INSERT INTO effects VALUES ('001');",
		"002_b.sql", "INSERT INTO effects VALUES ('002');",
		"003_slow.sql", "INSERT INTO effects VALUES ('003'); SELECT pg_sleep(30) FROM go_slow;",
		"004_d.sql", "INSERT INTO effects VALUES ('004');",
	)
	// Only the killed run sleeps: the rerun finds go_slow empty.
	if _, err := pool.Exec(ctx, "CREATE TABLE go_slow AS SELECT 1 AS once"); err != nil {
		t.Fatal(err)
	}
	dir := writeDir(t, fsys)
	cmd := child(ctx, dsn, dir)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		return queryInt(t, pool, "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(30)%' AND state = 'active' AND pid <> pg_backend_pid()") == 1
	})
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
	// Whatever the server does with the orphaned query string, each file's
	// effect and its ledger row exist together or not at all.
	queryInt(t, pool, "SELECT count(pg_cancel_backend(pid)) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(30)%' AND pid <> pg_backend_pid()")
	waitFor(t, func() bool {
		return queryInt(t, pool, "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(30)%' AND query NOT LIKE '%pg_stat_activity%'") == 0
	})
	if n := queryInt(t, pool, `SELECT count(*) FROM effects e FULL JOIN migrations_applied m ON m.version = e.file::int WHERE e.file IS NULL OR m.version IS NULL`); n != 0 {
		t.Fatalf("%d files have an effect without a ledger row or the reverse", n)
	}
	if _, err := pool.Exec(ctx, "TRUNCATE go_slow"); err != nil {
		t.Fatal(err)
	}
	if _, err := newProvider(t, pool, fsys).Apply(ctx); err != nil {
		t.Fatal(err)
	}
	if n := queryInt(t, pool, "SELECT count(*) FROM effects"); n != 4 {
		t.Fatalf("after a rerun %d effects, want 4", n)
	}
}

func TestConcurrentProcessesApplyEachFileExactlyOnceAndAllSucceed(t *testing.T) {
	dsn := pg.New(t)
	pool := newPool(t, dsn)
	fsys := files("001_log.sql", "CREATE TABLE IF NOT EXISTS runs (file text, pid int DEFAULT pg_backend_pid());\nINSERT INTO runs (file) VALUES ('001');")
	for _, name := range []string{"002_b", "003_c", "004_d", "005_e"} {
		fsys[name+".sql"] = files("x", "INSERT INTO runs (file) VALUES ('"+name+"'); SELECT pg_sleep(0.05);")["x"]
	}
	fsys["post/001_f.sql"] = files("x", "INSERT INTO runs (file) VALUES ('post');")["x"]
	// While the others wait for the lock, the winner builds an index
	// concurrently, which waits for every open snapshot in the database:
	// waiters must not hold one.
	fsys["post/002_idx.sql"] = files("x", "-- migrate: no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS runs_file ON runs (file);\nINSERT INTO runs (file) VALUES ('idx');")["x"]
	dir := writeDir(t, fsys)
	const n = 6
	reports := make([]childReport, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var out bytes.Buffer
			cmd := child(ctx, dsn, dir)
			cmd.Stdout = &out
			errs[i] = cmd.Run()
			_ = json.Unmarshal(out.Bytes(), &reports[i])
		}()
	}
	wg.Wait()
	applied := 0
	for i := range n {
		if errs[i] != nil {
			t.Errorf("process %d failed: %v %s", i, errs[i], reports[i].Error)
		}
		applied += len(reports[i].Applied)
	}
	if applied != 7 {
		t.Errorf("%d files applied across processes, want 7", applied)
	}
	if dup := queryInt(t, pool, "SELECT count(*) FROM (SELECT file FROM runs GROUP BY file HAVING count(*) > 1) d"); dup != 0 {
		t.Errorf("%d files ran more than once", dup)
	}
	if got := queryInt(t, pool, "SELECT count(*) FROM runs"); got != 7 {
		t.Errorf("runs has %d rows, want 7", got)
	}
}

func TestLockWaitBeyondDeadlineFailsNamingTheHolder(t *testing.T) {
	pool := newPool(t, pg.New(t))
	fsys := files("001_slow.sql", "SELECT pg_sleep(2);")
	done := make(chan error, 1)
	go func() {
		_, err := newProvider(t, pool, fsys).Apply(ctx)
		done <- err
	}()
	waitFor(t, func() bool {
		return queryInt(t, pool, "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(2)%' AND state = 'active' AND pid <> pg_backend_pid()") == 1
	})
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	_, err := newProvider(t, pool, fsys).Apply(short)
	var le *migrations.LockTimeoutError
	if !errors.As(err, &le) {
		t.Fatalf("want *LockTimeoutError, got %v", err)
	}
	if !strings.Contains(err.Error(), "pid ") || le.Waited < 200*time.Millisecond {
		t.Errorf("error should name the holder's pid and the wait: %v (waited %s)", err, le.Waited)
	}
	if err := <-done; err != nil {
		t.Fatalf("the holder failed: %v", err)
	}
}

func TestSessionSettingReachesTheSQL(t *testing.T) {
	pool := newPool(t, pg.New(t))
	p := newProvider(t, pool, files(
		"001_tx.sql", "CREATE TABLE seen AS SELECT 'tx' AS how, current_setting('trm.probe', true) AS v;",
		"002_notx.sql", "-- migrate: no-transaction\nINSERT INTO seen SELECT 'notx', current_setting('trm.probe', true);",
	), migrations.WithSetting("trm.probe", "it's here"))
	if _, err := p.Apply(ctx); err != nil {
		t.Fatal(err)
	}
	if n := queryInt(t, pool, "SELECT count(*) FROM seen WHERE v = 'it''s here'"); n != 2 {
		t.Fatalf("setting seen by %d of 2 files", n)
	}
}

// The repository's pre-schema db-init; its post-schema files need the
// tables Directus creates (tests/entrypoint and tests/schema cover them).
func TestDBInitAppliesWithTimescaleDBFallback(t *testing.T) {
	pool := newPool(t, pg.New(t))
	p := newProvider(t, pool, os.DirFS(dbInitDir(t)), migrations.WithSetting("trm.timescaledb", "optional"))
	res, err := p.Apply(ctx, migrations.PhasePre)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Applied) < 3 {
		t.Fatalf("applied %d files", len(res.Applied))
	}
	for _, ext := range []string{"postgis", "btree_gist"} {
		if queryInt(t, pool, "SELECT count(*) FROM pg_extension WHERE extname = $1", ext) != 1 {
			t.Errorf("extension %s missing", ext)
		}
	}
	if _, err := pool.Exec(ctx, `INSERT INTO positions (device_id, ts, latitude, longitude, altitude, angle, speed, satellites, priority, codec, attributes)
	                             VALUES ('356307042441013', now(), 41.33, 19.82, 110, 90, 54.5, 12, 0, '8E', '{}')`); err != nil {
		t.Fatalf("insert a position as the processor does: %v", err)
	}
	if queryInt(t, pool, "SELECT count(*) FROM positions WHERE faulty = false") != 1 {
		t.Error("faulty does not default to false")
	}
	// Re-running the files by hand (as the assertion blocks allow) is safe.
	for _, m := range p.Migrations() {
		if m.Phase != migrations.PhasePre {
			continue
		}
		if _, err := pool.Exec(ctx, "BEGIN; SET LOCAL trm.timescaledb = 'optional'; "+m.SQL+"; COMMIT;"); err != nil {
			t.Errorf("%s is not idempotent: %v", m.Path, err)
		}
	}
}

func TestDBInitRefusesWhenTimescaleDBIsRequiredButMissing(t *testing.T) {
	pool := newPool(t, pg.New(t))
	_, err := newProvider(t, pool, os.DirFS(dbInitDir(t))).Apply(ctx, migrations.PhasePre)
	var fe *migrations.FileError
	if !errors.As(err, &fe) || fe.Migration.Name != "extensions" || !strings.Contains(err.Error(), "TRM_TIMESCALEDB=optional") {
		t.Fatalf("want 001_extensions to fail with the opt-in hint, got %v", err)
	}
	if queryInt(t, pool, "SELECT count(*) FROM migrations_applied") != 0 || tableExists(t, pool, "positions") {
		t.Error("something was applied")
	}
}

func TestBaselineRecordsFilesAppliedByHandWithoutRunningThem(t *testing.T) {
	pool := newPool(t, pg.New(t))
	if _, err := pool.Exec(ctx, "CREATE TABLE a (id int)"); err != nil {
		t.Fatal(err)
	}
	p := newProvider(t, pool, files("001_a.sql", "CREATE TABLE a (id int);", "002_b.sql", "CREATE TABLE b (id int);"))
	done, err := p.Baseline(ctx, 1)
	if err != nil || len(done) != 1 {
		t.Fatalf("baseline: %v %v", done, err)
	}
	res, err := p.Apply(ctx)
	if err != nil || len(res.Applied) != 1 || res.Applied[0].Migration.Name != "b" {
		t.Fatalf("apply after baseline: %+v %v", res, err)
	}
	rep, err := p.Status(ctx)
	if err != nil || rep.Files[0].State != migrations.StateBaselined || rep.Files[1].State != migrations.StateApplied {
		t.Fatalf("status: %+v %v", rep, err)
	}
}

func TestRepairAcceptsAChecksumAndForgetsAMissingFile(t *testing.T) {
	pool := newPool(t, pg.New(t))
	if _, err := newProvider(t, pool, files("001_a.sql", "SELECT 1;", "002_b.sql", "SELECT 2;")).Apply(ctx); err != nil {
		t.Fatal(err)
	}
	now := files("001_a.sql", "-- explains why\nSELECT 1;")
	p := newProvider(t, pool, now)
	_, err := p.Repair(ctx, migrations.RepairRequest{AcceptChecksum: []string{"002_b"}})
	var re *migrations.RepairError
	if !errors.As(err, &re) {
		t.Fatalf("repairing a file in the wrong state: want *RepairError, got %v", err)
	}
	actions, err := p.Repair(ctx, migrations.RepairRequest{AcceptChecksum: []string{"pre/001_a"}, Forget: []string{"b"}})
	if err != nil || len(actions) != 2 {
		t.Fatalf("repair: %v %v", actions, err)
	}
	if err := p.Verify(ctx); err != nil {
		t.Fatalf("after repair: %v", err)
	}
}

func TestStatusReportsEveryState(t *testing.T) {
	pool := newPool(t, pg.New(t))
	if _, err := newProvider(t, pool, files("001_a.sql", "SELECT 1;", "002_b.sql", "SELECT 1;", "004_d.sql", "SELECT 1;")).Apply(ctx); err != nil {
		t.Fatal(err)
	}
	p := newProvider(t, pool, files("001_a.sql", "SELECT 1;", "002_b.sql", "SELECT 2;", "003_c.sql", "SELECT 1;", "005_e.sql", "SELECT 1;"))
	rep, err := p.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]migrations.State{}
	for _, f := range rep.Files {
		got[f.Path] = f.State
	}
	want := map[string]migrations.State{"001_a.sql": migrations.StateApplied, "002_b.sql": migrations.StateChanged, "003_c.sql": migrations.StateOutOfOrder, "004_d.sql": migrations.StateMissing, "005_e.sql": migrations.StatePending}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("states %v, want %v", got, want)
	}
	if len(rep.Violations) != 3 {
		t.Errorf("%d violations, want 3", len(rep.Violations))
	}
}

func TestLedgerInAnotherSchema(t *testing.T) {
	pool := newPool(t, pg.New(t))
	p := newProvider(t, pool, files("001_a.sql", "SELECT 1;"), migrations.WithLedgerTable("trm", "ledger"))
	if _, err := p.Apply(ctx); err != nil {
		t.Fatal(err)
	}
	if queryInt(t, pool, "SELECT count(*) FROM trm.ledger") != 1 {
		t.Fatal("ledger row not in trm.ledger")
	}
}

func dbInitDir(t testing.TB) string { return testenv.Path(t, "db-init") }

func waitFor(t testing.TB, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 20s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
