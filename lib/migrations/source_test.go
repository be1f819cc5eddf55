package migrations

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

func mapFS(kv ...string) fstest.MapFS {
	m := fstest.MapFS{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = &fstest.MapFile{Data: []byte(kv[i+1])}
	}
	return m
}

func TestParseFileNameAcceptsOnlyNumberedSnakeCase(t *testing.T) {
	good := map[string]int64{"001_extensions.sql": 1, "042_a.sql": 42, "1000_add_gist_indexes.sql": 1000, "007_v2_schema.sql": 7}
	for name, want := range good {
		v, _, err := ParseFileName(name)
		if err != nil || v != want {
			t.Errorf("%s: got %d, %v; want %d", name, v, err, want)
		}
	}
	for _, name := range []string{"1_a.sql", "01_a.sql", "001-a.sql", "001_A.sql", "001_a__b.sql", "001_.sql", "001_a_.sql", "001_a.SQL", "abc_a.sql", "000_zero.sql", "001_a.up.sql", "99999999999999999999_big.sql"} {
		if _, _, err := ParseFileName(name); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestLoadSortsPhasesAndIgnoresNonSQLFiles(t *testing.T) {
	ms, err := Load(mapFS("002_b.sql", "", "001_a.sql", "", "post/001_c.sql", "", "README.md", "", "post/notes.txt", ""), DefaultLayout())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range ms {
		got = append(got, m.ID())
	}
	if strings.Join(got, " ") != "pre/001_a pre/002_b post/001_c" {
		t.Fatalf("order: %v", got)
	}
}

func TestLoadReportsEveryProblemNamingTheFile(t *testing.T) {
	_, err := Load(mapFS(
		"001_a.sql", "",
		"001_b.sql", "", // same number as 001_a
		"post/001_a.sql", "", // same name across phases
		"002_Bad.sql", "",
		"old/003_c.sql", "",
		"004_d.sql", "SELECT 1;\n-- migrate: no-transaction\n",
		"005_e.sql", "-- migrate: no-transactions\n",
		"006_f.sql", "BEGIN;\nSELECT 1;\nCOMMIT;",
		"007_g.sql", "CREATE TABLE g (a int);\nCOPY g FROM STDIN;\n1\n\\.\n",
		"008_h.sql", "SELECT 1;\nSELECT 'unterminated;\n",
	), DefaultLayout())
	var se *SourceError
	if !errors.As(err, &se) {
		t.Fatalf("want *SourceError, got %v", err)
	}
	type problem struct {
		rule   SourceRule
		line   int
		reason string
	}
	want := map[string][]problem{
		"001_b.sql":      {{RuleDuplicate, 0, "version 1 is also used"}},
		"post/001_a.sql": {{RuleDuplicate, 0, `name "a" is also used`}},
		"002_Bad.sql":    {{RuleFileName, 0, "does not match"}},
		"old/003_c.sql":  {{RuleLocation, 0, "outside the phase directories"}},
		"004_d.sql":      {{RuleDirective, 0, "must be on the first line"}},
		"005_e.sql":      {{RuleDirective, 0, "unknown directive"}},
		// Every offending line is reported, not only the first.
		"006_f.sql": {{RuleTransactionControl, 1, "transaction control (BEGIN)"}, {RuleTransactionControl, 3, "transaction control (COMMIT)"}},
		"007_g.sql": {{RuleClientData, 2, "COPY ... FROM STDIN needs data from the client"}},
		"008_h.sql": {{RuleUnterminated, 2, "unterminated quoted string"}},
	}
	got := map[string][]SourceProblem{}
	for _, p := range se.Problems {
		got[p.Path] = append(got[p.Path], p)
		if p.Fix == "" {
			t.Errorf("%s: no fix given", p.Path)
		}
		if strings.Contains(p.Fix, "trmctl") || strings.Contains(p.Fix, "make ") {
			t.Errorf("%s: the library names a tool of its own repository: %s", p.Path, p.Fix)
		}
	}
	n := 0
	for path, ws := range want {
		n += len(ws)
		if len(got[path]) != len(ws) {
			t.Errorf("%s: %d problems %v, want %d", path, len(got[path]), got[path], len(ws))
			continue
		}
		for i, w := range ws {
			if g := got[path][i]; g.Rule != w.rule || g.Line != w.line || !strings.Contains(g.Reason, w.reason) {
				t.Errorf("%s: got %s line %d %q, want %s line %d containing %q", path, g.Rule, g.Line, g.Reason, w.rule, w.line, w.reason)
			}
		}
	}
	if len(se.Problems) != n {
		t.Errorf("%d problems, want %d: %v", len(se.Problems), n, err)
	}
}

func TestNoTransactionFileMayControlTransactions(t *testing.T) {
	ms, err := Load(mapFS("001_a.sql", "-- migrate: no-transaction\nBEGIN;\nSELECT 1;\nCOMMIT;\n"), DefaultLayout())
	if err != nil || !ms[0].NoTransaction {
		t.Fatalf("got %+v, %v", ms, err)
	}
}

func TestChecksumReadsCRLFAsLF(t *testing.T) {
	if Checksum([]byte("a\r\nb\r\n")) != Checksum([]byte("a\nb\n")) {
		t.Fatal("CRLF changes the checksum")
	}
	if Checksum([]byte("a\nb")) == Checksum([]byte("a\nc")) {
		t.Fatal("content change not seen")
	}
}

func TestOptionsAreValidated(t *testing.T) {
	for name, o := range map[string]Option{
		"bad setting name":   WithSetting("timescaledb", "x"),
		"upper-case setting": WithSetting("TRM.X", "x"),
		"empty table":        WithLedgerTable("public", ""),
		"nil logger":         WithLogger(nil),
		"empty applied-by":   WithAppliedBy(" "),
		"NUL in applied-by":  WithAppliedBy("a\x00b"),
		"negative file time": WithFileTimeout(-time.Second),
		"negative lock time": WithLockTimeout(-time.Second),
	} {
		if err := o(&config{}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func FuzzParseFileName(f *testing.F) {
	for _, s := range []string{"001_a.sql", "1000_b_c.sql", "01_x.sql", "001_.sql", "", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		v, n, err := ParseFileName(name)
		if err != nil {
			return
		}
		if v <= 0 || n == "" || !strings.HasSuffix(name, "_"+n+".sql") {
			t.Fatalf("%q accepted as version %d name %q", name, v, n)
		}
	})
}

func FuzzParseDirectives(f *testing.F) {
	for _, s := range []string{"-- migrate: no-transaction\nSELECT 1;", "SELECT 1;", "-- migrate: bogus", "x\n-- migrate: no-transaction", "-- MIGRATE: No-Transaction\r\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, sql string) {
		noTx, err := parseDirectives(sql)
		if err == nil && noTx && !strings.Contains(strings.ToLower(strings.SplitN(sql, "\n", 2)[0]), "no-transaction") {
			t.Fatalf("%q: no-transaction without the directive on line 1", sql)
		}
	})
}
