package integration

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"git.dev.trmtracking.org/trm/directus/lib/migrations"
)

// The server is the authority on where statements end and what they are.
// These tests send a script to PostgreSQL whole, as a transactional file
// is sent, and again split by the library, one statement per query, as a
// no-transaction file is sent: both must produce the same results. And
// what the server did (a COMMIT, an unterminated string) must be what
// the load-time check said.

// serverView runs each query string in a transaction that is rolled back
// and describes every statement's result: its command tag and, with
// values, its first row.
func serverView(ctx context.Context, conn *pgx.Conn, queries []string, values bool) ([]string, error) {
	if _, err := conn.Exec(ctx, "BEGIN"); err != nil {
		return nil, err
	}
	defer func() { _, _ = conn.Exec(context.WithoutCancel(ctx), "ROLLBACK") }()
	var out []string
	for _, q := range queries {
		mrr := conn.PgConn().Exec(ctx, q)
		for mrr.NextResult() {
			res := mrr.ResultReader().Read()
			desc := res.CommandTag.String()
			if desc == "" {
				// A string without a statement: not a statement's result.
				continue
			}
			if values && len(res.Rows) > 0 {
				for _, v := range res.Rows[0] {
					desc += "|" + string(v)
				}
			}
			out = append(out, desc)
		}
		if err := mrr.Close(); err != nil {
			return out, err
		}
	}
	return out, nil
}

func pieces(sql string) []string {
	var out []string
	for _, s := range migrations.SplitStatements(sql) {
		out = append(out, s.SQL)
	}
	return out
}

// checkProblems returns the rules the load-time check breaks for sql as a
// transactional file.
func checkProblems(sql string) map[migrations.SourceRule]bool {
	out := map[migrations.SourceRule]bool{}
	_, err := migrations.Load(fstest.MapFS{"001_x.sql": {Data: []byte(sql)}}, migrations.DefaultLayout())
	var se *migrations.SourceError
	if errors.As(err, &se) {
		for _, p := range se.Problems {
			out[p.Rule] = true
		}
	}
	return out
}

// Generated scripts: statements whose literals, identifiers and comments
// hide semicolons, quotes and keywords, separated at random.
func generateScript(rng *rand.Rand, fn *int) (script string, statements int) {
	atoms := []string{"'a;b'", "'it''s;'", `E'\';'`, `e'\\'`, "$$;$$", "$q$ $$ ; $q$", `U&'\0041;'`, "'x'\n'y;'", "E'x'\n'\\';'",
		"'x' -- c;\n'y'", "B'01'", "X'1F'", "1.5e3", ".5", "1", "(1)", "'a' || 'b;'", "ARRAY[1,2]", "1::int", "'/*'", "'--'",
		"$a$--$a$", "n'x;'", "'end;'", "'COMMIT'"}
	aliases := []string{"x", `"a;b"`, `U&"c;d"`, "a$$b", `"""q;"""`, `"end"`}
	seps := []string{" ", "\n", "\t", "/**/", "/* ; */", "/* /* ; */ ' */", "--;'\n", "--x\r", "\r\n", "\f"}
	sep := func() string { return seps[rng.IntN(len(seps))] }
	atom := func() string { return atoms[rng.IntN(len(atoms))] }
	var b strings.Builder
	for range 1 + rng.IntN(6) {
		var words []string
		switch rng.IntN(5) {
		case 0, 1:
			words = []string{"SELECT", atom(), "AS", aliases[rng.IntN(len(aliases))]}
		case 2:
			words = []string{"VALUES", "(", atom(), ",", atom(), ")"}
		case 3:
			*fn++
			name := fmt.Sprintf("pg_temp.f%d", *fn)
			words = []string{"CREATE", "FUNCTION", name, "(", ")", "RETURNS", "int", "LANGUAGE", "sql", "BEGIN", "ATOMIC",
				"SELECT", atom(), ";", "SELECT", "CASE", "WHEN", atom(), "IS", "NULL", "THEN", "1", "ELSE", "2", "END", ";", "END",
				";", "SELECT", name, "(", ")"}
			statements++
		case 4:
			words = []string{"DO", "$$ BEGIN PERFORM 1; END $$"}
		}
		for i, w := range words {
			if i > 0 || b.Len() > 0 {
				b.WriteString(sep())
			}
			b.WriteString(w)
		}
		b.WriteString(sep() + ";")
		statements++
	}
	return b.String(), statements
}

func TestSplitterAgreesWithTheServerOnGeneratedScripts(t *testing.T) {
	conn, err := pgx.Connect(ctx, pg.New(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rng := rand.New(rand.NewPCG(3, 4))
	fn := 0
	for i := range 400 {
		script, n := generateScript(rng, &fn)
		whole, err := serverView(ctx, conn, []string{script}, true)
		if err != nil {
			t.Fatalf("script %d %q: the server refused it: %v", i, script, err)
		}
		split := pieces(script)
		if len(split) != n {
			t.Fatalf("script %d %q: split into %d statements, built from %d:\n%q", i, script, len(split), n, split)
		}
		one, err := serverView(ctx, conn, split, true)
		if err != nil || !reflect.DeepEqual(one, whole) {
			t.Fatalf("script %d %q:\nwhole:    %q\nsplit:    %q (%v)", i, script, whole, one, err)
		}
		if ps := checkProblems(script); len(ps) != 0 {
			t.Fatalf("script %d %q: the check refuses it: %v", i, script, ps)
		}
	}
}

// boundaryTags are the command tags of statements that begin or end a
// transaction, and only of those: ROLLBACK is also the tag of ROLLBACK TO
// SAVEPOINT.
var boundaryTags = map[string]bool{"BEGIN": true, "COMMIT": true, "START TRANSACTION": true, "PREPARE TRANSACTION": true, "COMMIT PREPARED": true, "ROLLBACK PREPARED": true}

// agree compares the library's view of sql with the server's.
func agree(t *testing.T, conn *pgx.Conn, sql string) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	whole, err := serverView(ctx, conn, []string{sql}, false)
	problems := checkProblems(sql)
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &pgErr):
		if pgErr.Code == "42601" && strings.HasPrefix(pgErr.Message, "unterminated ") && !problems[migrations.RuleUnterminated] {
			t.Fatalf("%q: the server says %q, the check does not", sql, pgErr.Message)
		}
		return
	case err != nil:
		t.Fatalf("%q: %v", sql, err)
	}
	if problems[migrations.RuleUnterminated] {
		t.Fatalf("%q: the server ran it, the check calls it unterminated", sql)
	}
	boundary, rollback := false, false
	for _, tag := range whole {
		boundary = boundary || boundaryTags[tag]
		rollback = rollback || tag == "ROLLBACK"
	}
	if boundary {
		if !problems[migrations.RuleTransactionControl] {
			t.Fatalf("%q: the server ran transaction control (%q), the check did not see it", sql, whole)
		}
		return
	}
	if !rollback && problems[migrations.RuleTransactionControl] {
		t.Fatalf("%q: the check sees transaction control the server did not run (%q)", sql, whole)
	}
	one, err := serverView(ctx, conn, pieces(sql), false)
	if err != nil || !reflect.DeepEqual(one, whole) {
		t.Fatalf("%q:\nwhole: %q\nsplit: %q (%v)", sql, whole, one, err)
	}
}

// FuzzSplitterAgreesWithTheServer mutates scripts and compares: what the
// server runs whole, the split runs the same; what the server calls
// unterminated or transaction control, the check does too. COPY is left
// out (the server would wait for data).
func FuzzSplitterAgreesWithTheServer(f *testing.F) {
	for _, s := range []string{
		"SELECT 'a;b'; SELECT 2", "SELECT E'x'\n'\\';' AS v; SELECT 1", "create table t(id int); COMMIT/**/; select 1",
		"SELECT 1; END--\n;", "SELECT 1 AS a$$x$$; SELECT $q$;$q$", "SELECT U&'\\0041;', U&\"a;\"\"b\" FROM (SELECT 1 AS \"a;\"\"b\") s",
		"CREATE FUNCTION pg_temp.f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 2 END; END; SELECT pg_temp.f()",
		"SAVEPOINT s; SELECT 1; ROLLBACK TO SAVEPOINT s; RELEASE s", "SELECT B'01', X'1F' -- ;\r; SELECT 2",
		"/* a /* nested ; */ */ SELECT 1 /* ; */; SELECT 'x' /* c */;", "DO $$ BEGIN PERFORM 1; END $$; SELECT 1",
	} {
		f.Add(s)
	}
	// Fuzzing workers are fresh processes: point them at this server
	// rather than have each start its own.
	f.Setenv("TRM_TEST_DATABASE_URL", pg.AdminURL)
	dsn := pg.New(f)
	connect := func() *pgx.Conn {
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			f.Fatal(err)
		}
		if _, err := conn.Exec(ctx, "SET statement_timeout = '2s'"); err != nil {
			f.Fatal(err)
		}
		return conn
	}
	conn := connect()
	f.Cleanup(func() { conn.Close(context.Background()) })
	f.Fuzz(func(t *testing.T, sql string) {
		if len(sql) > 2000 || strings.ContainsRune(sql, 0) || strings.Contains(strings.ToLower(sql), "copy") {
			return
		}
		if conn.IsClosed() {
			conn = connect()
		}
		agree(t, conn, sql)
	})
}
