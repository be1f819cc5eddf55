// Package e2e boots the real entrypoint binary against real PostgreSQL
// with PostGIS and a real Directus 11.17.4. It lives in the tests module
// so that the image build (cmd/entrypoint, GOWORK=off) never needs the
// test harnesses.
package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"git.dev.trmtracking.org/trm/directus/lib/snapshot"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testdb"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testdirectus"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testenv"
)

var (
	pg         *testdb.Server
	entrypoint string
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "trm-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if entrypoint, err = testenv.Build(dir, "git.dev.trmtracking.org/trm/directus/cmd/entrypoint"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := testdb.Main(m, &pg)
	os.RemoveAll(dir)
	os.Exit(code)
}

// run is one entrypoint process.
type run struct {
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
	err  error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// bootEnv is the environment of an entrypoint in these tests: the
// Directus settings of testdirectus plus the TRM knobs. By default it
// provisions only (start command `true`); serve makes it exec Directus.
func bootEnv(t testing.TB, dbURL string, port int, serve bool, extra ...string) []string {
	t.Helper()
	node, script, err := testdirectus.Runtime()
	if err != nil {
		t.Fatal(err)
	}
	start := "true"
	if serve {
		start = node + " " + script + " start"
	}
	env := append(testdirectus.Env(dbURL, port),
		"TRM_NODE="+node, "TRM_DIRECTUS_CLI="+script,
		"TRM_SNAPSHOT="+testenv.Path(t, "snapshots/schema.yaml"), "TRM_DB_INIT_DIR="+testenv.Path(t, "db-init"),
		"TRM_ACCESS_DIR="+testenv.Path(t, "access"),
		"TRM_TIMESCALEDB=optional", "TRM_DB_WAIT_TIMEOUT=20s", "TRM_START_COMMAND="+start)
	return append(env, extra...)
}

// mechanics is the baseline of the boot-mechanics tests: Directus's empty
// snapshot and the pre-schema db-init only (the post-schema files need the
// Phase 1 tables), so they prove the pipeline whatever the schema becomes.
func mechanics(t testing.TB) []string {
	t.Helper()
	dir := t.TempDir()
	src := testenv.Path(t, "db-init")
	files, err := filepath.Glob(filepath.Join(src, "*.sql"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no pre-schema db-init files in %s: %v", src, err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The access files describe the committed schema, not this one.
	return []string{"TRM_SNAPSHOT=" + abs(t, filepath.Join("testdata", "empty.yaml")), "TRM_DB_INIT_DIR=" + dir, "TRM_ACCESS_APPLY=skip"}
}

func startBoot(t testing.TB, env []string) *run {
	t.Helper()
	r := &run{out: &syncBuffer{}, done: make(chan struct{})}
	r.cmd = exec.Command(entrypoint)
	r.cmd.Env = env
	r.cmd.Stdout, r.cmd.Stderr = r.out, r.out
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { r.err = r.cmd.Wait(); close(r.done) }()
	t.Cleanup(func() { r.stop() })
	return r
}

func (r *run) stop() {
	select {
	case <-r.done:
		return
	default:
	}
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.done:
	case <-time.After(20 * time.Second):
		_ = r.cmd.Process.Kill()
		<-r.done
	}
}

// wait waits for the process to exit and returns its exit code.
func (r *run) wait(t testing.TB) int {
	t.Helper()
	select {
	case <-r.done:
	case <-time.After(3 * time.Minute):
		t.Fatalf("entrypoint still running after 3 minutes:\n%s", r.out)
	}
	if r.err == nil {
		return 0
	}
	if ee, ok := r.err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	t.Fatalf("entrypoint: %v", r.err)
	return -1
}

// boot runs a provisioning-only entrypoint to completion.
func boot(t testing.TB, dbURL string, extra ...string) (int, string) {
	t.Helper()
	r := startBoot(t, bootEnv(t, dbURL, testenv.Port(t), false, extra...))
	code := r.wait(t)
	return code, r.out.String()
}

func waitHealthy(t testing.TB, r *run, port int) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		select {
		case <-r.done:
			t.Fatalf("entrypoint exited before Directus was healthy:\n%s", r.out)
		default:
		}
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/server/health", port))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("Directus not healthy within 3 minutes:\n%s", r.out)
}

func connect(t testing.TB, dbURL string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func queryInt(t testing.TB, conn *pgx.Conn, sql string) int {
	t.Helper()
	var n int
	if err := conn.QueryRow(context.Background(), sql).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// liveDiff compares the live schema (Directus CLI snapshot) with a
// committed snapshot file, both without db-init's tables.
func liveDiff(t testing.TB, dbURL, committedPath string) *snapshot.Result {
	t.Helper()
	raw, _, err := testdirectus.CLI(testdirectus.Env(dbURL, testenv.Port(t))).Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	live, err := snapshot.Parse("live", raw)
	if err != nil {
		t.Fatal(err)
	}
	committed, err := snapshot.ReadFile(committedPath)
	if err != nil {
		t.Fatal(err)
	}
	owned := []string{"positions", "recompute_outbox", "migrations_applied", "trm_boot_state"}
	l, _ := live.Exclude(owned...)
	c, _ := committed.Exclude(owned...)
	return snapshot.Diff(l, c)
}

func lastLine(out string) string {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	return lines[len(lines)-1]
}
