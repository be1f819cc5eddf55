package migrations

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"
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
	), DefaultLayout())
	var se *SourceError
	if !errors.As(err, &se) {
		t.Fatalf("want *SourceError, got %v", err)
	}
	want := map[string]string{
		"001_b.sql":      "version 1 is also used",
		"post/001_a.sql": `name "a" is also used`,
		"002_Bad.sql":    "does not match",
		"old/003_c.sql":  "outside the phase directories",
		"004_d.sql":      "must be on the first line",
		"005_e.sql":      "unknown directive",
		"006_f.sql":      "transaction control (BEGIN)",
	}
	got := map[string]string{}
	for _, p := range se.Problems {
		got[p.Path] = p.Reason
		if p.Fix == "" {
			t.Errorf("%s: no fix given", p.Path)
		}
	}
	for path, reason := range want {
		if !strings.Contains(got[path], reason) {
			t.Errorf("%s: reason %q, want it to contain %q", path, got[path], reason)
		}
	}
	if len(se.Problems) != len(want) {
		t.Errorf("%d problems, want %d: %v", len(se.Problems), len(want), err)
	}
}

func TestNoTransactionFileMayControlTransactions(t *testing.T) {
	ms, err := Load(mapFS("001_a.sql", "-- migrate: no-transaction\nBEGIN;\nSELECT 1;\nCOMMIT;\n"), DefaultLayout())
	if err != nil || !ms[0].NoTransaction {
		t.Fatalf("got %+v, %v", ms, err)
	}
}

func TestTransactionWordsInsideBodiesAreNotTransactionControl(t *testing.T) {
	for _, sql := range []string{
		"DO $$ BEGIN PERFORM 1; END $$;",
		"CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $body$ BEGIN COMMIT; END $body$;",
		"SAVEPOINT s; SELECT 1; ROLLBACK TO SAVEPOINT s;",
		"-- BEGIN;\nSELECT 'COMMIT;';",
		"/* ROLLBACK; */ SELECT 1;",
	} {
		if got := transactionControl(sql); got != "" {
			t.Errorf("%q: reported %s", sql, got)
		}
	}
	for sql, want := range map[string]string{"commit;": "COMMIT", "select 1; end;": "END", "start transaction;": "START TRANSACTION", "rollback;": "ROLLBACK", "/* x */ BEGIN": "BEGIN"} {
		if got := transactionControl(sql); got != want {
			t.Errorf("%q: got %q, want %q", sql, got, want)
		}
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
