// Package integration proves lib/migrations against a real PostgreSQL with
// PostGIS (tests/internal/testdb). It lives in the tests module so that the
// library's go.mod requires pgx and nothing else.
package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"git.dev.trmtracking.org/trm/directus/lib/migrations"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testdb"
)

var pg *testdb.Server

// Child processes (the concurrency and crash tests) re-run this binary
// with TRM_MIGRATIONS_CHILD set: they apply a directory and report.
func TestMain(m *testing.M) {
	if os.Getenv("TRM_MIGRATIONS_CHILD") != "" {
		os.Exit(childMain())
	}
	os.Exit(testdb.Main(m, &pg))
}

type childReport struct {
	Applied  []string `json:"applied"`
	Locked   bool     `json:"locked"`
	LockWait float64  `json:"lock_wait_ms"`
	Error    string   `json:"error,omitempty"`
	// Finished is when Apply returned, in Unix microseconds.
	Finished int64 `json:"finished_us"`
}

func childMain() int {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pool, err := pgxpool.New(ctx, os.Getenv("TRM_CHILD_DSN"))
	if err != nil {
		fmt.Println(err)
		return 1
	}
	defer pool.Close()
	p, err := migrations.New(pool, os.DirFS(os.Getenv("TRM_CHILD_DIR")))
	if err != nil {
		fmt.Println(err)
		return 1
	}
	res, err := p.Apply(ctx)
	rep := childReport{Finished: time.Now().UnixMicro()}
	if res != nil {
		for _, a := range res.Applied {
			rep.Applied = append(rep.Applied, a.Migration.ID())
		}
		rep.Locked, rep.LockWait = res.Locked, float64(res.LockWait)/1e6
	}
	if err != nil {
		rep.Error = err.Error()
	}
	_ = json.NewEncoder(os.Stdout).Encode(rep)
	if err != nil {
		return 1
	}
	return 0
}

// child prepares a re-run of this test binary in child mode.
func child(ctx context.Context, dsn, dir string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "TRM_MIGRATIONS_CHILD=1", "TRM_CHILD_DSN="+dsn, "TRM_CHILD_DIR="+dir)
	return cmd
}

func newPool(t testing.TB, dsn string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

func newProvider(t testing.TB, pool *pgxpool.Pool, fsys fs.FS, opts ...migrations.Option) *migrations.Provider {
	t.Helper()
	p, err := migrations.New(pool, fsys, opts...)
	if err != nil {
		t.Fatalf("migrations.New: %v", err)
	}
	return p
}

func files(kv ...string) fstest.MapFS {
	m := fstest.MapFS{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = &fstest.MapFile{Data: []byte(kv[i+1])}
	}
	return m
}

// writeDir writes files to a fresh directory, for child processes.
func writeDir(t testing.TB, fsys fstest.MapFS) string {
	t.Helper()
	dir := t.TempDir()
	for name, f := range fsys {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func queryInt(t testing.TB, pool *pgxpool.Pool, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func ledger(t testing.TB, pool *pgxpool.Pool) []string {
	t.Helper()
	rows, err := pool.Query(context.Background(), "SELECT phase || '/' || version || ':' || state FROM migrations_applied ORDER BY phase DESC, version")
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func tableExists(t testing.TB, pool *pgxpool.Pool, name string) bool {
	t.Helper()
	return queryInt(t, pool, "SELECT count(*) FROM pg_class WHERE relname = $1 AND relkind IN ('r','p')", name) == 1
}
