package trmctl

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"git.dev.trmtracking.org/trm/directus/tests/internal/testenv"
)

// The post-schema phase needs Directus's tables, which these tests do not
// create: they work on the pre-schema phase.
func TestMigrateUpAppliesDBInitThenIsANoOp(t *testing.T) {
	env := map[string]string{"TRM_DATABASE_URL": pg.New(t), "TRM_TIMESCALEDB": "optional", "TRM_PHASE": "pre"}
	dir := testenv.CopyTree(t, testenv.Path(t, "db-init"))
	code, out, errOut := trmctl(t, env, "migrate", "up", "--dir", dir)
	if code != 0 || !strings.Contains(out, "Applied 3 file(s)") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "migration applied file=pre/001_extensions took=") {
		t.Errorf("no progress lines on stderr:\n%s", errOut)
	}
	code, out, _ = trmctl(t, env, "migrate", "up", "--dir", dir)
	if code != 0 || !strings.Contains(out, "Nothing to apply: 3 file(s) up to date") {
		t.Fatalf("second run: exit %d\n%s", code, out)
	}
}

func TestMigrateStatusJSONListsEveryFileWithItsState(t *testing.T) {
	env := map[string]string{"TRM_DATABASE_URL": pg.New(t)}
	dir := testenv.CopyTree(t, testenv.Path(t, "db-init"))
	if code, out, errOut := trmctl(t, env, "migrate", "up", "--dir", dir, "--timescaledb", "optional", "--phase", "pre"); code != 0 {
		t.Fatalf("up: %d %s %s", code, out, errOut)
	}
	later := filepath.Join(dir, "post", "900_later.sql")
	if err := os.WriteFile(later, []byte("SELECT 1;"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ := trmctl(t, env, "migrate", "status", "--dir", dir, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	var got struct {
		Database string `json:"database"`
		Files    []struct {
			Phase, Path, State string
			AppliedAt          *string `json:"applied_at"`
		} `json:"files"`
		Violations []any `json:"violations"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	states := map[string]string{}
	for _, f := range got.Files {
		states[f.Phase+"/"+f.Path] = f.State
	}
	for file, want := range map[string]string{"pre/001_extensions.sql": "applied", "pre/002_positions.sql": "applied", "pre/003_positions_faulty.sql": "applied", "post/post/900_later.sql": "pending"} {
		if states[file] != want {
			t.Errorf("%s is %q, want %q (all: %v)", file, states[file], want, states)
		}
	}
	if got.Violations == nil || got.Files[0].AppliedAt == nil {
		t.Error("violations must be an empty list and applied_at set for applied files")
	}
}

func TestMigrateVerifyExitsOneOnATamperedFileAndSaysHowToFixIt(t *testing.T) {
	env := map[string]string{"TRM_DATABASE_URL": pg.New(t), "TRM_TIMESCALEDB": "optional"}
	dir := testenv.CopyTree(t, testenv.Path(t, "db-init"))
	if code, _, errOut := trmctl(t, env, "migrate", "up", "--dir", dir, "--phase", "pre"); code != 0 {
		t.Fatal(errOut)
	}
	f := filepath.Join(dir, "002_positions.sql")
	b, _ := os.ReadFile(f)
	if err := os.WriteFile(f, append(b, []byte("\n-- edited after the fact\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := trmctl(t, env, "migrate", "verify", "--dir", dir)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"changed 002_positions.sql", "ledger sha256", "repair --accept-checksum pre/002_positions"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	code, out, _ = trmctl(t, env, "migrate", "up", "--dir", dir, "--json")
	if code != 1 || !strings.Contains(out, `"kind": "changed"`) {
		t.Errorf("up --json on a tampered source: exit %d\n%s", code, out)
	}
}

func TestMigrateUsageErrorsExitTwo(t *testing.T) {
	env := map[string]string{"TRM_DATABASE_URL": "postgres://nobody@127.0.0.1:1/x"}
	cases := map[string][]string{
		"unknown flag":        {"migrate", "up", "--bogus"},
		"unknown command":     {"migrate", "sideways"},
		"bad phase":           {"migrate", "status", "--phase", "middle"},
		"bad timescaledb":     {"migrate", "up", "--timescaledb", "maybe"},
		"missing dir":         {"migrate", "status", "--dir", "/nonexistent/db-init"},
		"baseline no through": {"migrate", "baseline"},
		"extra argument":      {"migrate", "status", "now"},
		"new without name":    {"migrate", "new"},
	}
	for name, args := range cases {
		if code, _, errOut := trmctl(t, env, args...); code != 2 || errOut == "" {
			t.Errorf("%s: exit %d, stderr %q; want 2 with a message", name, code, errOut)
		}
	}
	if code, _, errOut := trmctl(t, map[string]string{}, "migrate", "status", "--dir", "../../db-init"); code != 2 || !strings.Contains(errOut, "TRM_DATABASE_URL") {
		t.Errorf("no database: exit %d %q", code, errOut)
	}
}

func TestMigrateUnreachableDatabaseFailsWithoutShowingThePassword(t *testing.T) {
	for _, env := range []map[string]string{
		{"TRM_DATABASE_URL": "postgres://trm:hunter2@127.0.0.1:1/directus?connect_timeout=2"},
		{"DB_HOST": "127.0.0.1", "DB_PORT": "1", "DB_DATABASE": "directus", "DB_USER": "trm", "DB_PASSWORD": "hunter2"},
	} {
		code, out, errOut := trmctl(t, env, "migrate", "status", "--dir", "../../db-init")
		if code != 1 || !strings.Contains(errOut, "cannot connect to postgres://trm:xxxxx@127.0.0.1:1/directus") {
			t.Errorf("exit %d\n%s", code, errOut)
		}
		if strings.Contains(out+errOut, "hunter2") {
			t.Errorf("password printed:\n%s%s", out, errOut)
		}
	}
}

func TestMigrateReadsDirectusDBVariables(t *testing.T) {
	url := pg.New(t)
	// testdb URLs are postgres://postgres@127.0.0.1:PORT/NAME?sslmode=disable
	rest := strings.TrimPrefix(strings.SplitN(url, "?", 2)[0], "postgres://postgres@")
	hostPort, name, _ := strings.Cut(rest, "/")
	host, port, _ := strings.Cut(hostPort, ":")
	env := map[string]string{"DB_HOST": host, "DB_PORT": port, "DB_DATABASE": name, "DB_USER": "postgres", "TRM_TIMESCALEDB": "optional"}
	if code, out, errOut := trmctl(t, env, "migrate", "up", "--dir", "../../db-init", "--phase", "pre"); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
}

func TestMigrateNewCreatesTheNextFileOfThePhase(t *testing.T) {
	dir := testenv.CopyTree(t, testenv.Path(t, "db-init"))
	// The expected numbers follow whatever db-init holds today.
	next := func(sub string) string {
		ms, _ := filepath.Glob(filepath.Join(dir, sub, "[0-9][0-9][0-9]_*.sql"))
		return fmt.Sprintf("%03d", len(ms)+1)
	}
	wantPre, wantPost := next(""), next("post")
	code, out, errOut := trmctl(t, nil, "migrate", "new", "add-gist-indexes", "--dir", dir)
	if code != 0 || !strings.Contains(out, wantPre+"_add_gist_indexes.sql") {
		t.Fatalf("exit %d %s %s", code, out, errOut)
	}
	code, out, _ = trmctl(t, nil, "migrate", "new", "entry_constraints", "--post", "--dir", dir)
	if code != 0 || !strings.Contains(out, filepath.Join("post", wantPost+"_entry_constraints.sql")) {
		t.Fatalf("post: exit %d %s", code, out)
	}
	if code, _, errOut := trmctl(t, nil, "migrate", "new", "positions", "--dir", dir); code != 2 || !strings.Contains(errOut, "exists already") {
		t.Errorf("duplicate name: exit %d %s", code, errOut)
	}
	if code, _, _ := trmctl(t, nil, "migrate", "new", "Bad Name!", "--dir", dir); code != 2 {
		t.Errorf("bad name: exit %d", code)
	}
}

func TestMigrateRepairAndBaselineOnACleanDatabase(t *testing.T) {
	env := map[string]string{"TRM_DATABASE_URL": pg.New(t), "TRM_TIMESCALEDB": "optional"}
	if code, out, errOut := trmctl(t, env, "migrate", "repair", "--dir", "../../db-init"); code != 0 || !strings.Contains(out, "Nothing to repair.") {
		t.Fatalf("repair: %d %s %s", code, out, errOut)
	}
	if code, out, errOut := trmctl(t, env, "migrate", "baseline", "--through", "1", "--dir", "../../db-init"); code != 0 || !strings.Contains(out, "baselined 001_extensions.sql") {
		t.Fatalf("baseline: %d %s %s", code, out, errOut)
	}
}

// silentServer accepts TCP connections and never answers: a fake, because
// a real host that accepts and then says nothing (a stuck proxy, a wrong
// port) cannot be made to order. It returns host:port.
func silentServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

func TestMigrateAgainstAServerThatNeverAnswersNamesItAndStops(t *testing.T) {
	addr := silentServer(t)
	for name, c := range map[string]struct {
		env  map[string]string
		args []string
	}{
		"connect-timeout flag":       {map[string]string{"TRM_DATABASE_URL": "postgres://trm:hunter2@" + addr + "/directus"}, []string{"--connect-timeout", "1s"}},
		"connect_timeout in the URL": {map[string]string{"TRM_DATABASE_URL": "postgres://trm:hunter2@" + addr + "/directus?connect_timeout=1"}, nil},
		"environment":                {map[string]string{"TRM_DATABASE_URL": "postgres://trm:hunter2@" + addr + "/directus", "TRM_CONNECT_TIMEOUT": "1s"}, nil},
	} {
		t.Run(name, func(t *testing.T) {
			done := make(chan struct{})
			var code int
			var out, errOut string
			go func() {
				defer close(done)
				code, out, errOut = trmctl(t, c.env, append([]string{"migrate", "status", "--dir", "../../db-init"}, c.args...)...)
			}()
			select {
			case <-done:
			case <-time.After(time.Minute):
				t.Fatal("trmctl still waits for a server that never answers")
			}
			if code != 1 || !strings.Contains(errOut, "no PostgreSQL answered at "+addr) || !strings.Contains(errOut, "within 1s") || !strings.Contains(errOut, "fix: check that --database-url") {
				t.Errorf("exit %d\n%s", code, errOut)
			}
			if strings.Contains(out+errOut, "hunter2") {
				t.Errorf("password printed:\n%s%s", out, errOut)
			}
		})
	}
}

// Every duration setting goes through its flag's parser, whether it comes
// from a flag, the environment or the config file.
func TestDurationSettingsAreCheckedWhereverTheyComeFrom(t *testing.T) {
	cfgFile := filepath.Join(t.TempDir(), "trmctl.yaml")
	if err := os.WriteFile(cfgFile, []byte("timeout: abc\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	db := map[string]string{"TRM_DATABASE_URL": "postgres://nobody@127.0.0.1:1/x"}
	with := func(k, v string) map[string]string {
		env := map[string]string{k: v}
		for k, v := range db {
			env[k] = v
		}
		return env
	}
	for name, c := range map[string]struct {
		env  map[string]string
		args []string
		want string
	}{
		"TRM_TIMEOUT, migrate":        {with("TRM_TIMEOUT", "abc"), []string{"migrate", "status"}, `TRM_TIMEOUT="abc": not a duration`},
		"TRM_TIMEOUT, boot plan":      {with("TRM_TIMEOUT", "abc"), []string{"boot", "plan"}, "TRM_TIMEOUT"},
		"TRM_TIMEOUT, snapshot check": {with("TRM_TIMEOUT", "5 minutes"), []string{"snapshot", "check"}, "TRM_TIMEOUT"},
		"TRM_TIMEOUT, unknown unit":   {with("TRM_TIMEOUT", "90x"), []string{"migrate", "up"}, "TRM_TIMEOUT"},
		"TRM_DB_INIT_FILE_TIMEOUT":    {with("TRM_DB_INIT_FILE_TIMEOUT", "soon"), []string{"migrate", "up"}, `TRM_DB_INIT_FILE_TIMEOUT="soon": not a duration`},
		"--file-timeout":              {db, []string{"migrate", "up", "--file-timeout", "soon"}, `--file-timeout="soon": not a duration`},
		"negative lock timeout":       {with("TRM_DB_INIT_LOCK_TIMEOUT", "-1s"), []string{"migrate", "up", "--dir", "../../db-init"}, `TRM_DB_INIT_LOCK_TIMEOUT="-1s": negative`},
		"negative connect timeout":    {with("TRM_CONNECT_TIMEOUT", "-1s"), []string{"migrate", "status"}, `TRM_CONNECT_TIMEOUT="-1s": negative`},
		"TRM_JSON":                    {with("TRM_JSON", "maybe"), []string{"migrate", "status"}, "TRM_JSON"},
		"config file":                 {db, []string{"migrate", "status", "--config", cfgFile}, "key timeout"},
	} {
		code, _, errOut := trmctl(t, c.env, c.args...)
		if code != 2 || !strings.Contains(errOut, c.want) {
			t.Errorf("%s: exit %d, want 2 with %q:\n%s", name, code, c.want, errOut)
		}
	}
}

func TestMigrateOnAReadOnlyDatabaseSaysItRefusedWrites(t *testing.T) {
	dsn := pg.New(t)
	u, _ := url.Parse(dsn)
	admin, err := pgx.Connect(context.Background(), pg.AdminURL)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())
	if _, err := admin.Exec(context.Background(), "ALTER DATABASE "+pgx.Identifier{strings.TrimPrefix(u.Path, "/")}.Sanitize()+" SET default_transaction_read_only = on"); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := trmctl(t, map[string]string{"TRM_DATABASE_URL": dsn, "TRM_TIMESCALEDB": "optional"}, "migrate", "up", "--phase", "pre", "--dir", testenv.CopyTree(t, testenv.Path(t, "db-init")))
	if code != 1 || !strings.Contains(errOut, "the database refused writes") || !strings.Contains(errOut, "fix: the database refused writes: --database-url") || strings.Contains(errOut, "fix the file") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
}

func TestMigrateNamesTheStatementThatRanPastItsDeadline(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "001_slow.sql"), []byte("CREATE TABLE slow (id int);\nSELECT pg_sleep(30);\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := trmctl(t, map[string]string{"TRM_DATABASE_URL": pg.New(t)}, "migrate", "up", "--dir", dir, "--file-timeout", "1s")
	for _, want := range []string{"001_slow.sql:2:1 failed in statement 2 (SELECT pg_sleep(30);)", "1s deadline", "raise --file-timeout", "nothing of the file was applied"} {
		if code != 1 || !strings.Contains(errOut, want) {
			t.Errorf("exit %d, stderr lacks %q:\n%s", code, want, errOut)
		}
	}
}
