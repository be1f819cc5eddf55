package integration

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"git.dev.trmtracking.org/trm/directus/lib/migrations"
)

// applyOrLoadError runs New then Apply, returning whichever failed.
func applyOrLoadError(t *testing.T, ctx context.Context, pool *pgxpool.Pool, fsys map[string]string, opts ...migrations.Option) error {
	t.Helper()
	kv := make([]string, 0, 2*len(fsys))
	for k, v := range fsys {
		kv = append(kv, k, v)
	}
	p, err := migrations.New(pool, files(kv...), opts...)
	if err != nil {
		return err
	}
	_, err = p.Apply(ctx)
	return err
}

// The two bypasses of the review: the server reads /**/ and -- as
// whitespace, so these are COMMIT and END, and used to commit t with no
// ledger row while the error said the file was rolled back.
func TestTransactionControlBehindCommentsIsRefusedBeforeAnythingRuns(t *testing.T) {
	for name, sql := range map[string]string{
		"block comment":        "create table t(id int); COMMIT/**/; select 1/0;",
		"line comment":         "create table t(id int);\nEND--\n;\nselect 1/0;",
		"nested comment":       "create table t(id int);\n/* a /* b */ c */ commit /* d */;\nselect 1/0;",
		"carriage return":      "create table t(id int);\nEND--x\r;\nselect 1/0;",
		"after a continuation": "create table t(id int);\nselect 'a'\n'b';\nabort;\nselect 1/0;",
	} {
		t.Run(name, func(t *testing.T) {
			pool := newPool(t, pg.New(t))
			ctx, cancel := context.WithTimeout(ctx, time.Minute)
			defer cancel()
			err := applyOrLoadError(t, ctx, pool, map[string]string{"001_t.sql": sql})
			if err == nil {
				t.Fatal("applied")
			}
			if tableExists(t, pool, "t") {
				t.Errorf("t was committed although the run failed: %v", err)
			}
			var se *migrations.SourceError
			if !errors.As(err, &se) || len(se.Problems) != 1 || se.Problems[0].Rule != migrations.RuleTransactionControl || se.Problems[0].Line < 1 {
				t.Fatalf("want one transaction-control problem with its line, got %v", err)
			}
		})
	}
}

// rewritingPool's connections replace from with to (the same length) in
// everything they send. It is a fake, and the only one here: it stands for
// transaction control that the load-time check does not recognise, which
// can no longer be written for real. The runner must still fail safely.
func rewritingPool(t *testing.T, dsn, from, to string) *pgxpool.Pool {
	t.Helper()
	if len(from) != len(to) {
		t.Fatalf("rewrite %q to %q changes the length", from, to)
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	dial := cfg.ConnConfig.DialFunc
	cfg.ConnConfig.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return rewritingConn{Conn: c, from: []byte(from), to: []byte(to)}, nil
	}
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

type rewritingConn struct {
	net.Conn
	from, to []byte
}

func (c rewritingConn) Write(b []byte) (int, error) {
	return c.Conn.Write(bytes.ReplaceAll(b, c.from, c.to))
}

func TestAFileThatEndsTheRunnersTransactionFailsSafely(t *testing.T) {
	type want struct {
		started  bool     // the ledger keeps the file as started
		tables   []string // tables that exist afterwards
		noTables []string
	}
	for name, c := range map[string]struct {
		sql, from, to string
		want
	}{
		// What ran before the COMMIT is committed: the ledger must say the
		// file started and did not finish, so that no later run goes on
		// as if nothing happened.
		"commit then an error": {"CREATE TABLE t (id int);\n/*GAP*/\nSELECT 1/0;", "/*GAP*/", "COMMIT;",
			want{true, []string{"t"}, nil}},
		// Nothing fails in the file itself: the runner's own check finds
		// that its transaction is gone, and rolls back what ran since.
		"commit then success": {"CREATE TABLE t (id int);\n/*GAP*/\nCREATE TABLE u (id int);", "/*GAP*/", "COMMIT;",
			want{true, []string{"t"}, []string{"u"}}},
		"rollback then success": {"CREATE TABLE t (id int);\n/*GAP1*/;\nCREATE TABLE u (id int);", "/*GAP1*/", "ROLLBACK",
			want{false, nil, []string{"t", "u"}}},
	} {
		t.Run(name, func(t *testing.T) {
			dsn := pg.New(t)
			pool := newPool(t, dsn)
			err := applyOrLoadError(t, ctx, rewritingPool(t, dsn, c.from, c.to), map[string]string{"001_t.sql": c.sql})
			var fe *migrations.FileError
			if !errors.As(err, &fe) || fe.Cause != migrations.CauseTransactionControl || fe.Started != c.started {
				t.Fatalf("want a FileError with cause transaction-control, started %v; got %#v", c.started, err)
			}
			if strings.Contains(err.Error(), "nothing of it was applied") && c.started {
				t.Errorf("the message claims a rollback that did not happen: %v", err)
			}
			for _, tb := range c.tables {
				if !tableExists(t, pool, tb) {
					t.Errorf("%s missing", tb)
				}
			}
			for _, tb := range c.noTables {
				if tableExists(t, pool, tb) {
					t.Errorf("%s exists", tb)
				}
			}
			wantLedger := []string{}
			if c.started {
				wantLedger = []string{"pre/1:started"}
			}
			if got := ledger(t, pool); !reflect.DeepEqual(got, wantLedger) {
				t.Fatalf("ledger %v, want %v", got, wantLedger)
			}
			if c.started {
				// The next run stops at the file until an operator looks.
				err := newProvider(t, pool, files("001_t.sql", c.sql)).Verify(ctx)
				var ge *migrations.GuardError
				if !errors.As(err, &ge) || ge.Violations[0].Kind != migrations.Incomplete || ge.Violations[0].NoTransaction {
					t.Fatalf("next run: want Incomplete, got %v", err)
				}
			}
		})
	}
}

// In a client-only encoding such as SJIS the second byte of a character
// may be 0x5C, a backslash to a byte-level lexer but not to the server,
// which reads the character whole: E'表' then hides nothing from the
// server, while the check saw one long string. The runner speaks UTF-8, in
// which the file is checked, whatever the connection asked for.
func TestAClientEncodingCannotHideTransactionControlFromTheCheck(t *testing.T) {
	dsn := pg.New(t)
	u, _ := url.Parse(dsn)
	q := u.Query()
	q.Set("client_encoding", "SJIS")
	u.RawQuery = q.Encode()
	pool := newPool(t, dsn)
	sjis := newPool(t, u.String())
	sql := "CREATE TABLE t (id int);\nSELECT E'\x95\x5c'; COMMIT; SELECT 1/0; --';\n"
	err := applyOrLoadError(t, ctx, sjis, map[string]string{"001_t.sql": sql})
	if err == nil {
		t.Fatal("applied")
	}
	if tableExists(t, pool, "t") {
		t.Fatalf("t was committed by a COMMIT hidden in the client encoding: %v", err)
	}
	if got := ledger(t, pool); len(got) != 0 {
		t.Errorf("ledger %v", got)
	}
}

func TestADatabaseWithoutStandardConformingStringsRunsFilesAsChecked(t *testing.T) {
	dsn := pg.New(t)
	adminExec(t, "ALTER DATABASE "+pgx.Identifier{dbName(t, dsn)}.Sanitize()+" SET standard_conforming_strings = off")
	pool := newPool(t, dsn)
	p := newProvider(t, pool, files(
		// Checked with standard_conforming_strings on: a\ then ;.
		"001_s.sql", `CREATE TABLE s AS SELECT 'a\' AS v;`,
		// A no-transaction file may turn it off: the rest of the file is
		// split as the server then lexes it, b';c being one string.
		"002_n.sql", "-- migrate: no-transaction\nSET standard_conforming_strings = off;\nINSERT INTO s VALUES ('b\\';c');\n",
		"003_after.sql", `INSERT INTO s VALUES ('c\');`,
	), migrations.WithSetting("trm.probe", `back\slash`))
	if _, err := p.Apply(ctx); err != nil {
		t.Fatal(err)
	}
	rows, err := pool.Query(ctx, "SELECT v FROM s ORDER BY v")
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{`a\`, "b';c", `c\`}; !reflect.DeepEqual(got, want) {
		t.Fatalf("values %q, want %q", got, want)
	}
}

func TestCopyFromStdinIsRefusedNamingFileAndLine(t *testing.T) {
	pool := newPool(t, pg.New(t))
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for sql, line := range map[string]int{
		"CREATE TABLE c (a int);\nCOPY c FROM STDIN;\n1\n\\.\n":                                           2,
		"-- migrate: no-transaction\nCREATE TABLE c (a int);\nCOPY c (a) FROM stdin WITH (FORMAT csv);\n": 3,
		"CREATE TABLE c (a int);\n\ncopy (select 1) to stdout;\n":                                         3,
	} {
		err := applyOrLoadError(t, ctx, pool, map[string]string{"001_c.sql": sql})
		var se *migrations.SourceError
		if !errors.As(err, &se) || len(se.Problems) != 1 || se.Problems[0].Rule != migrations.RuleClientData ||
			se.Problems[0].Path != "001_c.sql" || se.Problems[0].Line != line {
			t.Errorf("%q: want a client-data problem naming the file and line %d, got %v", sql, line, err)
		}
		if tableExists(t, pool, "c") {
			t.Fatalf("%q: c was created", sql)
		}
	}
}

func TestAFileRunningPastItsDeadlineFailsNamingTheStatement(t *testing.T) {
	for name, c := range map[string]struct {
		sql     string
		started bool
	}{
		"transactional":  {"CREATE TABLE a (id int);\nSELECT pg_sleep(30);\n", false},
		"no-transaction": {"-- migrate: no-transaction\nCREATE TABLE a (id int);\nSELECT pg_sleep(30);\n", true},
	} {
		t.Run(name, func(t *testing.T) {
			pool := newPool(t, pg.New(t))
			err := applyOrLoadError(t, ctx, pool, map[string]string{"001_slow.sql": c.sql}, migrations.WithFileTimeout(time.Second))
			var fe *migrations.FileError
			if !errors.As(err, &fe) || fe.Cause != migrations.CauseTimeout || fe.Timeout != time.Second || fe.Statement != 2 || fe.Line != strings.Count(c.sql[:strings.Index(c.sql, "SELECT")], "\n")+1 || fe.Started != c.started {
				t.Fatalf("want a timeout in statement 2, got %#v", err)
			}
			if msg := err.Error(); !strings.Contains(msg, "001_slow.sql:") || !strings.Contains(msg, "SELECT pg_sleep(30)") || !strings.Contains(msg, "1s deadline") {
				t.Errorf("message does not name file, statement and deadline: %s", msg)
			}
			if n := queryInt(t, pool, "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(30)%' AND pid <> pg_backend_pid()"); n != 0 {
				t.Errorf("the statement still runs on the server")
			}
		})
	}
}

// A statement that switches the protocol and then waits for the client
// (COPY ... FROM STDIN) does not heed a cancel: the runner gives up on the
// connection. The rewrite is a fake standing for such a statement that the
// load-time check does not recognise.
func TestAFileStuckInAProtocolSwitchFailsAtItsDeadline(t *testing.T) {
	dsn := pg.New(t)
	pool := newPool(t, dsn)
	err := applyOrLoadError(t, ctx, rewritingPool(t, dsn, "SELECT 1234567890;", "COPY c FROM STDIN;"),
		map[string]string{"001_c.sql": "CREATE TABLE c (a int);\nSELECT 1234567890;\n"}, migrations.WithFileTimeout(time.Second))
	var fe *migrations.FileError
	if !errors.As(err, &fe) || fe.Cause != migrations.CauseTimeout || fe.Statement != 2 || fe.Line != 2 {
		t.Fatalf("want a timeout in statement 2 at line 2, got %#v", err)
	}
	waitFor(t, func() bool {
		return queryInt(t, pool, "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%COPY c FROM STDIN%' AND pid <> pg_backend_pid()") == 0
	})
	if tableExists(t, pool, "c") || len(ledger(t, pool)) != 0 {
		t.Error("something of the file was kept")
	}
	// The lock went with the connection: the next run is not blocked.
	if _, err := newProvider(t, pool, files("001_c.sql", "CREATE TABLE c (a int);")).Apply(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestAStatementWaitingForALockFailsAtTheLockTimeout(t *testing.T) {
	pool := newPool(t, pg.New(t))
	if _, err := pool.Exec(ctx, "CREATE TABLE a (id int)"); err != nil {
		t.Fatal(err)
	}
	holder, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Rollback(ctx)
	if _, err := holder.Exec(ctx, "LOCK TABLE a IN ACCESS SHARE MODE"); err != nil {
		t.Fatal(err)
	}
	err = applyOrLoadError(t, ctx, pool, map[string]string{"001_alter.sql": "SELECT 1;\nALTER TABLE a ADD COLUMN b int;"}, migrations.WithLockTimeout(300*time.Millisecond))
	var fe *migrations.FileError
	if !errors.As(err, &fe) || fe.Cause != migrations.CauseLockTimeout || fe.Timeout != 300*time.Millisecond || fe.Statement != 2 {
		t.Fatalf("want a lock timeout in statement 2, got %#v", err)
	}
}

func TestSQLStandardFunctionBodiesWorkInBothKindsOfFile(t *testing.T) {
	pool := newPool(t, pg.New(t))
	p := newProvider(t, pool, files(
		"001_fn.sql", "CREATE FUNCTION one() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT 1;\nEND;\nCREATE TABLE ones AS SELECT one() AS v;\n",
		"002_fn_nt.sql", "-- migrate: no-transaction\nCREATE OR REPLACE FUNCTION two() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT 1;\n  SELECT CASE WHEN true THEN 2 END;\nEND;\nCREATE INDEX CONCURRENTLY IF NOT EXISTS ones_v ON ones (v);\nINSERT INTO ones SELECT two();\n",
	))
	if _, err := p.Apply(ctx); err != nil {
		t.Fatal(err)
	}
	if got := ledger(t, pool); !reflect.DeepEqual(got, []string{"pre/1:applied", "pre/2:applied"}) {
		t.Errorf("ledger %v", got)
	}
	if n := queryInt(t, pool, "SELECT sum(v)::int FROM ones"); n != 3 {
		t.Errorf("sum %d, want 3", n)
	}
}

func TestAnErrorWithoutAPositionNamesTheStatement(t *testing.T) {
	pool := newPool(t, pg.New(t))
	err := applyOrLoadError(t, ctx, pool, map[string]string{"001_x.sql": "CREATE TABLE x (id int);\n-- the third statement fails\nINSERT INTO x VALUES (1);\n\n  SELECT 1 /\n  0;\n"})
	var fe *migrations.FileError
	if !errors.As(err, &fe) || fe.Cause != migrations.CauseSQL || fe.Statement != 3 || fe.Line != 5 || fe.Column != 3 || fe.Text != "SELECT 1 / 0;" || fe.Started {
		t.Fatalf("want statement 3 at 5:3, got %#v", err)
	}
	if !strings.Contains(err.Error(), "001_x.sql:5:3 failed in statement 3 (SELECT 1 / 0;)") {
		t.Errorf("message: %v", err)
	}
}

// A COMMIT that fails (a deferred constraint) fails after the file's
// statements: no statement is blamed, and nothing is kept.
func TestAFailureAtCommitIsNotBlamedOnAStatement(t *testing.T) {
	pool := newPool(t, pg.New(t))
	err := applyOrLoadError(t, ctx, pool, map[string]string{"001_x.sql": "CREATE TABLE p (id int PRIMARY KEY);\nCREATE TABLE c (p int REFERENCES p DEFERRABLE INITIALLY DEFERRED);\nINSERT INTO c VALUES (1);\n"})
	var fe *migrations.FileError
	if !errors.As(err, &fe) || fe.Cause != migrations.CauseSQL || fe.Statement != 0 || fe.Started || !strings.Contains(err.Error(), "nothing of it was applied") {
		t.Fatalf("want a commit failure, got %#v", err)
	}
	if tableExists(t, pool, "p") || len(ledger(t, pool)) != 0 {
		t.Error("something was kept")
	}
}

func TestAReadOnlyDatabaseIsReportedAsRefusingWrites(t *testing.T) {
	dsn := pg.New(t)
	pool := newPool(t, dsn)
	// The ledger exists: the refusal must come from the database, not from
	// a missing table.
	if _, err := newProvider(t, pool, files("001_a.sql", "CREATE TABLE a (id int);")).Apply(ctx); err != nil {
		t.Fatal(err)
	}
	adminExec(t, "ALTER DATABASE "+pgx.Identifier{dbName(t, dsn)}.Sanitize()+" SET default_transaction_read_only = on")
	ro := newPool(t, dsn)
	more := files("001_a.sql", "CREATE TABLE a (id int);", "002_b.sql", "CREATE TABLE b (id int);")
	// Reading works on a read-only database.
	if rep, err := newProvider(t, ro, more).Status(ctx); err != nil || len(rep.Pending) != 1 {
		t.Fatalf("status on a read-only database: %+v %v", rep, err)
	}
	_, err := newProvider(t, ro, more).Apply(ctx)
	if migrations.CauseOf(err) != migrations.CauseReadOnly || !strings.Contains(err.Error(), "the database refused writes") {
		t.Fatalf("want cause read-only saying the database refused writes, got %v", err)
	}
	if tableExists(t, pool, "b") {
		t.Error("b was created")
	}
	// Nothing pending: a read-only database is fine.
	if _, err := newProvider(t, ro, files("001_a.sql", "CREATE TABLE a (id int);")).Apply(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestNothingTheLibraryWritesOrSaysNamesThisRepositorysTools(t *testing.T) {
	pool := newPool(t, pg.New(t))
	if _, err := newProvider(t, pool, files("001_a.sql", "SELECT 1;", "002_nt.sql", "-- migrate: no-transaction\nSELECT 1/0;")).Apply(ctx); err == nil {
		t.Fatal("002 should fail")
	}
	var comment string
	if err := pool.QueryRow(ctx, "SELECT obj_description('migrations_applied'::regclass)").Scan(&comment); err != nil {
		t.Fatal(err)
	}
	var msgs []string
	msgs = append(msgs, comment)
	for _, fsys := range []map[string]string{
		{"002_nt.sql": "SELECT 2;"}, // missing 001, changed 002, incomplete
		{"001_a.sql": "SELECT 1;", "002_nt.sql": "-- migrate: no-transaction\nSELECT 1/0;", "000_z.sql": "x"}, // bad name
	} {
		msgs = append(msgs, applyOrLoadError(t, ctx, pool, fsys).Error())
	}
	if _, err := pool.Exec(ctx, "DELETE FROM migrations_applied"); err != nil {
		t.Fatal(err)
	}
	msgs = append(msgs, applyOrLoadError(t, ctx, pool, map[string]string{"001_a.sql": "SELECT 1;", "002_nt.sql": "-- migrate: no-transaction\nSELECT 1/0;"}).Error())
	for _, m := range msgs {
		for _, word := range []string{"trmctl", "make ", "db-init", "TRM_"} {
			if strings.Contains(m, word) {
				t.Errorf("%q names %q", m, word)
			}
		}
	}
}

func adminExec(t testing.TB, sql string) {
	t.Helper()
	conn, err := pgx.Connect(ctx, pg.AdminURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func dbName(t testing.TB, dsn string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimPrefix(u.Path, "/")
}
