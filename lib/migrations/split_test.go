package migrations

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

func splitText(sql string, standardStrings bool) []string {
	var out []string
	for _, s := range scanStatements(sql, 0, standardStrings).stmts {
		out = append(out, s.SQL)
	}
	return out
}

func TestSplitStatementsKnowsQuotesCommentsAndDollarQuoting(t *testing.T) {
	cases := map[string][]string{
		"SELECT 1; SELECT 2;":                                  {"SELECT 1;", " SELECT 2;"},
		"SELECT 'a;b'; SELECT 'it''s;';":                       {"SELECT 'a;b';", " SELECT 'it''s;';"},
		`SELECT E'\';'; SELECT 2;`:                             {`SELECT E'\';';`, " SELECT 2;"},
		`SELECT "a;b" FROM t; SELECT 2`:                        {`SELECT "a;b" FROM t;`, " SELECT 2"},
		"-- a; comment\nSELECT 1;":                             {"-- a; comment\nSELECT 1;"},
		"/* a; /* nested; */ still; */ SELECT 1;":              {"/* a; /* nested; */ still; */ SELECT 1;"},
		"DO $$ BEGIN PERFORM 1; END $$; SELECT 2;":             {"DO $$ BEGIN PERFORM 1; END $$;", " SELECT 2;"},
		"CREATE FUNCTION f() AS $fn$ a; $x$ b; $fn$; SELECT 1": {"CREATE FUNCTION f() AS $fn$ a; $x$ b; $fn$;", " SELECT 1"},
		"PREPARE p AS SELECT $1; EXECUTE p(1);":                {"PREPARE p AS SELECT $1;", " EXECUTE p(1);"},
		"SELECT 1;\n-- trailing comment\n;;  ":                 {"SELECT 1;"},
		"":                                                     nil,
		// A -- comment ends at a carriage return too.
		"SELECT 1 --x\r; SELECT 2;": {"SELECT 1 --x\r;", " SELECT 2;"},
		// A string continues across a newline into the next quote, in the
		// same mode: the \' below is escaped.
		"SELECT E'x'\n'\\';'; SELECT 2;": {"SELECT E'x'\n'\\';';", " SELECT 2;"},
		// Identifiers may hold '$': no dollar quote starts inside one.
		"SELECT 1 AS a$$x$$; SELECT 2;": {"SELECT 1 AS a$$x$$;", " SELECT 2;"},
		// U&'' strings know no backslash escape.
		`SELECT U&'\0041;'; SELECT 2;`: {`SELECT U&'\0041;';`, " SELECT 2;"},
		// SQL-standard bodies hold semicolons, and CASE ... END inside them.
		"CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 2 END; END; SELECT 3;": {
			"CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 2 END; END;", " SELECT 3;"},
		"create or replace procedure p() language sql begin/**/atomic insert into t values (1); end; call p();": {
			"create or replace procedure p() language sql begin/**/atomic insert into t values (1); end;", " call p();"},
		// A function named begin has no body to count.
		"CREATE FUNCTION begin() RETURNS int AS $$ SELECT 1 $$ LANGUAGE sql; SELECT 2;": {
			"CREATE FUNCTION begin() RETURNS int AS $$ SELECT 1 $$ LANGUAGE sql;", " SELECT 2;"},
	}
	for in, want := range cases {
		var got []string
		for _, s := range SplitStatements(in) {
			got = append(got, s.SQL)
			if in[s.Offset:s.Offset+len(s.SQL)] != s.SQL {
				t.Errorf("%q: offset %d does not point at %q", in, s.Offset, s.SQL)
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%q:\n got %q\nwant %q", in, got, want)
		}
	}
}

func TestSplitFollowsStandardConformingStrings(t *testing.T) {
	// With standard_conforming_strings off, '...' escapes with
	// backslashes; B'' strings never double their quotes, so the next
	// quote opens a new string in that mode.
	for in, want := range map[string]map[bool][]string{
		`SELECT 'a\';'; SELECT 2;`: {
			true:  {`SELECT 'a\';`, `'; SELECT 2;`},
			false: {`SELECT 'a\';';`, " SELECT 2;"},
		},
		`SELECT B'1''\';'; SELECT 2;`: {
			true:  {`SELECT B'1''\';`, `'; SELECT 2;`},
			false: {`SELECT B'1''\';';`, " SELECT 2;"},
		},
	} {
		for standard, w := range want {
			if got := splitText(in, standard); !reflect.DeepEqual(got, w) {
				t.Errorf("%q standard_conforming_strings=%v:\n got %q\nwant %q", in, standard, got, w)
			}
		}
	}
}

// boundaries names the statements of sql that begin or end a transaction.
func boundaries(sql string) []string {
	var out []string
	for _, s := range scanStatements(sql, 0, true).stmts {
		if kind, name := transactionControl(sql, s); kind == txBoundary {
			out = append(out, name)
		}
	}
	return out
}

func TestTransactionControlIsSeenThroughCommentsAsTheServerSeesIt(t *testing.T) {
	for sql, want := range map[string]string{
		// The bypasses found in review: comments are whitespace.
		"create table t(id int); COMMIT/**/; select 1/0;": "COMMIT",
		"create table t(id int);\nEND--\n;\nselect 1;":    "END",
		"END--\r;":                                 "END",
		"/* a /* nested; */ b */ commit;":          "COMMIT",
		"Commit And Chain;":                        "COMMIT",
		"begin isolation level serializable;":      "BEGIN",
		"BEGIN;":                                   "BEGIN",
		"start transaction read only;":             "START TRANSACTION",
		"end work;":                                "END",
		"ROLLBACK;":                                "ROLLBACK",
		"rollback work and no chain;":              "ROLLBACK",
		"abort;":                                   "ABORT",
		"PREPARE TRANSACTION 'g';":                 "PREPARE TRANSACTION",
		"prepare transaction $$g$$;":               "PREPARE TRANSACTION",
		"COMMIT PREPARED 'g';":                     "COMMIT PREPARED",
		"rollback prepared 'g';":                   "ROLLBACK PREPARED",
		"SELECT 'a'\n'b;'; COMMIT;":                "COMMIT",
		"SELECT E'\\';' /* ; */ ; -- ;\n COMMIT ;": "COMMIT",
	} {
		if got := boundaries(sql); !reflect.DeepEqual(got, []string{want}) {
			t.Errorf("%q: got %q, want %q", sql, got, want)
		}
	}
}

func TestTransactionWordsInsideBodiesAreNotTransactionControl(t *testing.T) {
	for _, sql := range []string{
		"DO $$ BEGIN PERFORM 1; END $$;",
		"CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $body$ BEGIN COMMIT; END $body$;",
		"SAVEPOINT s; SELECT 1; ROLLBACK TO SAVEPOINT s; RELEASE s; rollback work to s;",
		"-- BEGIN;\nSELECT 'COMMIT;';",
		"/* ROLLBACK; */ SELECT 1;",
		"PREPARE transaction AS SELECT 1; EXECUTE transaction; PREPARE transaction (int) AS SELECT $1;",
		`SELECT 1 AS "commit"; SELECT U&"end";`,
		"CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 2 ELSE 3 END; END;",
		"CREATE OR REPLACE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC INSERT INTO t VALUES (1); END;",
	} {
		if got := boundaries(sql); got != nil {
			t.Errorf("%q: reported %q", sql, got)
		}
	}
}

func TestStatementsThatNeedClientDataAreNamed(t *testing.T) {
	for sql, want := range map[string]string{
		"COPY t FROM STDIN;":                              "COPY ... FROM STDIN",
		"copy t (a, b) from stdin with (format csv);":     "COPY ... FROM STDIN",
		"COPY/**/t FROM--x\nSTDIN;":                       "COPY ... FROM STDIN",
		"COPY t TO STDOUT;":                               "COPY ... TO STDOUT",
		"COPY (SELECT 1 FROM stdin) TO STDOUT;":           "COPY ... TO STDOUT",
		"COPY stdin FROM '/tmp/x';":                       "",
		"COPY t FROM '/tmp/stdin';":                       "",
		"COPY t FROM PROGRAM 'cat';":                      "",
		"COPY (SELECT 1 FROM stdin) TO '/tmp/x';":         "",
		`COPY t FROM "stdin";`:                            "",
		"SELECT 'COPY t FROM STDIN';":                     "",
		"CREATE TABLE stdin (a int); COPY stdin TO '/x';": "",
	} {
		var got string
		for _, s := range scanStatements(sql, 0, true).stmts {
			if w := clientData(sql, s); w != "" {
				got = w
			}
		}
		if got != want {
			t.Errorf("%q: got %q, want %q", sql, got, want)
		}
	}
}

func TestUnterminatedTextIsReported(t *testing.T) {
	for sql, want := range map[string]string{
		"SELECT 1; /* open":   "/* comment",
		"SELECT 'open":        "quoted string",
		"SELECT E'open\\'":    "quoted string",
		`SELECT "open`:        "quoted identifier",
		"SELECT $x$ open $y$": "dollar-quoted string",
		"SELECT B'01":         "quoted string",
		"CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1;": "BEGIN ATOMIC body",
	} {
		u := scanStatements(sql, 0, true).unterminated
		if u == nil || !strings.HasPrefix(u.what, want) {
			t.Errorf("%q: got %+v, want %s", sql, u, want)
		}
	}
	for _, sql := range []string{"SELECT 1 -- open", "SELECT $1", "SELECT $ 1", "SELECT 'a'\n'b'"} {
		if u := scanStatements(sql, 0, true).unterminated; u != nil {
			t.Errorf("%q: reported %+v", sql, u)
		}
	}
}

// onlySemicolons reports whether s holds only whitespace, comments and
// semicolons.
func onlySemicolons(s string) bool {
	l := &lexer{src: s, standardStrings: true}
	for {
		tok, ok, lerr := l.next()
		if lerr != nil {
			return false
		}
		if !ok {
			return true
		}
		if tok.kind != tokSemicolon {
			return false
		}
	}
}

func FuzzSplitStatements(f *testing.F) {
	for _, s := range []string{"SELECT 1; SELECT 2;", "DO $$ a; $$;", "SELECT 'x;'", "/* ; */", "$1;$a$", "E'\\'';", "--;\n;",
		"CREATE FUNCTION f() BEGIN ATOMIC SELECT 1; END; SELECT 2", "SELECT E'x'\n'\\';';", "a$$b;", "--x\r;"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, sql string) {
		prev := 0
		for _, s := range SplitStatements(sql) {
			if s.Offset < prev || s.Offset+len(s.SQL) > len(sql) || sql[s.Offset:s.Offset+len(s.SQL)] != s.SQL {
				t.Fatalf("statement %q at %d is not a slice of the input in order", s.SQL, s.Offset)
			}
			if onlySemicolons(s.SQL) {
				t.Fatalf("blank statement %q kept", s.SQL)
			}
			// Only blank text may be dropped between statements.
			if gap := sql[prev:s.Offset]; !onlySemicolons(gap) {
				t.Fatalf("dropped %q before %q", gap, s.SQL)
			}
			// Each statement, split again, is itself: the lexer starts
			// every statement in the same state.
			if again := SplitStatements(s.SQL); len(again) != 1 || again[0].SQL != s.SQL {
				t.Fatalf("%q splits again into %q", s.SQL, again)
			}
			prev = s.Offset + len(s.SQL)
		}
		if rest := sql[prev:]; !onlySemicolons(rest) {
			t.Fatalf("dropped %q at the end", rest)
		}
	})
}

// rejoin rebuilds sql from its tokens with sep between every two, or
// returns false when it does not lex.
func rejoin(sql, sep string) (string, bool) {
	l := &lexer{src: sql, standardStrings: true}
	var parts []string
	for {
		tok, ok, lerr := l.next()
		if lerr != nil {
			return "", false
		}
		if !ok {
			return strings.Join(parts, sep), true
		}
		parts = append(parts, sql[tok.start:tok.end])
	}
}

// classes describes each statement of sql: its transaction control and
// client data, which comments and whitespace must not change.
func classes(sql string) []string {
	var out []string
	for _, s := range scanStatements(sql, 0, true).stmts {
		_, tx := transactionControl(sql, s)
		out = append(out, tx+"|"+clientData(sql, s))
	}
	return out
}

var separators = []string{" ", "\n", "\t", "\r", "/**/", "/* ; ' $$ */", "/* /* ; */ ; */", "--;'\n", "--x\r", " \f ", "\v"}

// Whatever comments and whitespace separate the tokens, the statements
// and what they do stay the same: that is the bypass class of the review
// (COMMIT/**/; END--\n;) closed as a whole.
func FuzzCommentsAndWhitespaceDoNotChangeStatements(f *testing.F) {
	for _, s := range []string{"create table t(id int); COMMIT; select 1/0;", "END;", "COPY t FROM STDIN;", "begin; rollback to s; end",
		"CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN true THEN 1 END; END; COMMIT;", "prepare transaction 'x'"} {
		for i := range separators {
			f.Add(s, uint8(i))
		}
	}
	f.Fuzz(func(t *testing.T, sql string, sep uint8) {
		canonical, ok := rejoin(sql, " ")
		if !ok {
			return
		}
		joined, _ := rejoin(sql, separators[int(sep)%len(separators)])
		if a, b := classes(canonical), classes(joined); !reflect.DeepEqual(a, b) {
			t.Fatalf("%q: %q\nwith %q between tokens: %q", canonical, a, separators[int(sep)%len(separators)], b)
		}
	})
}

// A property test over generated scripts: statements built from words
// that matter (transaction keywords, COPY, bodies) and strings that hide
// semicolons and keywords, separated at random. The split must find
// exactly the generated statements and classify each as built.
func TestGeneratedScriptsSplitAsBuilt(t *testing.T) {
	type gen struct {
		words []string
		class string
	}
	hiders := []string{"'a;COMMIT;'", "E'\\';END;'", "$$;ROLLBACK;$$", "$q$ $$ ; $q$", `"c;d"`, "U&'\\0041;'", "'x'\n'y;'", "B'01'", "X'1F'", "1.5e3", "$1"}
	kinds := []gen{
		{[]string{"COMMIT"}, "COMMIT|"},
		{[]string{"commit", "and", "chain"}, "COMMIT|"},
		{[]string{"END"}, "END|"},
		{[]string{"begin", "isolation", "level", "serializable"}, "BEGIN|"},
		{[]string{"START", "TRANSACTION"}, "START TRANSACTION|"},
		{[]string{"ROLLBACK"}, "ROLLBACK|"},
		{[]string{"ROLLBACK", "TO", "s"}, "ROLLBACK TO SAVEPOINT|"},
		{[]string{"SAVEPOINT", "s"}, "SAVEPOINT|"},
		{[]string{"ABORT"}, "ABORT|"},
		{[]string{"PREPARE", "TRANSACTION", "'g'"}, "PREPARE TRANSACTION|"},
		{[]string{"COPY", "t", "FROM", "STDIN"}, "|COPY ... FROM STDIN"},
		{[]string{"COPY", "(", "SELECT", "1", ")", "TO", "STDOUT"}, "|COPY ... TO STDOUT"},
		{[]string{"CREATE", "FUNCTION", "f", "(", ")", "RETURNS", "int", "LANGUAGE", "sql", "BEGIN", "ATOMIC", "SELECT", "1", ";", "SELECT", "CASE", "WHEN", "true", "THEN", "2", "END", ";", "END"}, "|"},
		{[]string{"SELECT"}, "|"},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 3000 {
		var b strings.Builder
		var want []string
		for range 1 + rng.IntN(5) {
			k := kinds[rng.IntN(len(kinds))]
			for j, w := range k.words {
				if j > 0 || b.Len() > 0 {
					b.WriteString(separators[rng.IntN(len(separators))])
				}
				b.WriteString(w)
				if j == len(k.words)-1 || rng.IntN(3) == 0 && w != "(" && w != "BEGIN" && k.words[j+1] != ")" && k.class == "|" {
					// Hide semicolons and keywords after the statement's
					// leading words, where they do not change its class.
					if j > 0 || len(k.words) == 1 {
						b.WriteString(separators[rng.IntN(len(separators))] + hiders[rng.IntN(len(hiders))])
					}
				}
			}
			b.WriteString(separators[rng.IntN(len(separators))] + ";")
			want = append(want, k.class)
		}
		sql := b.String()
		if got := classes(sql); !reflect.DeepEqual(got, want) {
			t.Fatalf("script %d %q:\n got %q\nwant %q", i, sql, got, want)
		}
	}
}

func ExampleSplitStatements_routineBody() {
	for _, s := range SplitStatements("CREATE FUNCTION one() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END;\nSELECT one();") {
		fmt.Printf("%q\n", strings.TrimSpace(s.SQL))
	}
	// Output:
	// "CREATE FUNCTION one() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END;"
	// "SELECT one();"
}

func TestANoTransactionFileIsCheckedInTheStringModeItSets(t *testing.T) {
	sql := "SET standard_conforming_strings = off;\nSELECT 'a\\';COPY t FROM STDIN;--';\nRESET standard_conforming_strings;\nSELECT 'b\\';\n"
	// Sent one at a time, the second statement is lexed with the mode off:
	// the COPY is inside a string, and the file is well formed.
	if ps := statementProblems("x.sql", sql, true); len(ps) != 0 {
		t.Errorf("no-transaction: %v", ps)
	}
	// Sent as one string, everything is lexed with the mode on.
	if ps := statementProblems("x.sql", sql, false); len(ps) != 1 || ps[0].Rule != RuleClientData {
		t.Errorf("transactional: %v", ps)
	}
	for stmt, want := range map[string]int{
		"SET standard_conforming_strings = off":                          0,
		"set session standard_conforming_strings to 'OF'":                0,
		"SET standard_conforming_strings TO false":                       0,
		"SET standard_conforming_strings = 0":                            0,
		"SET standard_conforming_strings = on":                           1,
		"SET standard_conforming_strings TO DEFAULT":                     1,
		"RESET standard_conforming_strings":                              1,
		"SET LOCAL standard_conforming_strings = off":                    -1,
		"SET standard_conforming_strings = o":                            -1,
		"SET standard_conforming_strings":                                -1,
		"SELECT set_config('standard_conforming_strings', 'off', false)": -1,
	} {
		s := scanStatements(stmt, 0, true).stmts[0]
		v, ok := setsStandardStrings(stmt, s)
		got := -1
		if ok {
			got = boolInt(v)
		}
		if got != want {
			t.Errorf("%q: got %d, want %d", stmt, got, want)
		}
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
