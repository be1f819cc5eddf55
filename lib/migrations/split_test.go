package migrations

import (
	"reflect"
	"testing"
)

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

func FuzzSplitStatements(f *testing.F) {
	for _, s := range []string{"SELECT 1; SELECT 2;", "DO $$ a; $$;", "SELECT 'x;'", "/* ; */", "$1;$a$", "E'\\'';", "--;\n;"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, sql string) {
		prev := 0
		for _, s := range SplitStatements(sql) {
			if s.Offset < prev || s.Offset+len(s.SQL) > len(sql) || sql[s.Offset:s.Offset+len(s.SQL)] != s.SQL {
				t.Fatalf("statement %q at %d is not a slice of the input in order", s.SQL, s.Offset)
			}
			if blank(s.SQL) {
				t.Fatalf("blank statement %q kept", s.SQL)
			}
			// Only blank text may be dropped between statements.
			if gap := sql[prev:s.Offset]; !blank(gap) {
				t.Fatalf("dropped %q before %q", gap, s.SQL)
			}
			prev = s.Offset + len(s.SQL)
		}
		if rest := sql[prev:]; !blank(rest) {
			t.Fatalf("dropped %q at the end", rest)
		}
	})
}
