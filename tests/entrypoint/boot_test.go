package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"git.dev.trmtracking.org/trm/directus/tests/internal/testdirectus"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testenv"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testredis"
)

// One database goes through a whole life: first boot serving Directus,
// warm reboots, a new committed snapshot, then a stale one.
func TestBootLifecycle(t *testing.T) {
	dbURL := pg.New(t)
	conn := connect(t, dbURL)
	base := mechanics(t)
	empty := abs(t, filepath.Join("testdata", "empty.yaml"))
	reboot := func(t *testing.T, extra ...string) (int, string) {
		return boot(t, dbURL, append(append([]string{}, base...), extra...)...)
	}

	t.Run("fresh database boots to a healthy Directus with the committed schema", func(t *testing.T) {
		port := testenv.Port(t)
		r := startBoot(t, bootEnv(t, dbURL, port, true, base...))
		waitHealthy(t, r, port)
		out := r.out.String()
		for _, step := range []string{"step=db-init-pre", "step=bootstrap", "step=schema-plan", "step=db-init-post", "step=record", "step=start"} {
			if !strings.Contains(out, step) {
				t.Errorf("log lacks %s:\n%s", step, out)
			}
		}
		r.stop()
		if n := queryInt(t, conn, "SELECT count(*) FROM migrations_applied WHERE state = 'applied'"); n != 3 {
			t.Errorf("%d ledger rows, want 3", n)
		}
		if d := liveDiff(t, dbURL, empty); !d.Empty() {
			t.Errorf("live schema differs from the committed snapshot: %+v", d.Changes)
		}
	})

	t.Run("second boot takes the fast path", func(t *testing.T) {
		code, out := reboot(t)
		if code != 0 || !strings.Contains(out, `result="unchanged since the last boot"`) || strings.Contains(out, "step=bootstrap") {
			t.Fatalf("exit %d:\n%s", code, out)
		}
	})

	t.Run("fast path survives catalogs rewritten in another physical order", func(t *testing.T) {
		if _, err := conn.Exec(context.Background(), "VACUUM FULL pg_catalog.pg_constraint, pg_catalog.pg_index, pg_catalog.pg_attribute"); err != nil {
			t.Fatal(err)
		}
		code, out := reboot(t)
		if code != 0 || !strings.Contains(out, `result="unchanged since the last boot"`) {
			t.Fatalf("exit %d:\n%s", code, out)
		}
	})

	crews := filepath.Join("testdata", "crews.yaml")
	t.Run("a changed snapshot takes the full path and is applied", func(t *testing.T) {
		code, out := reboot(t, "TRM_SNAPSHOT="+abs(t, crews))
		if code != 0 || !strings.Contains(out, `reason="committed snapshot changed"`) || !strings.Contains(out, "step=schema-apply") || !strings.Contains(out, "step=schema-verify") {
			t.Fatalf("exit %d:\n%s", code, out)
		}
		if strings.Contains(out, "msg=bootstrap step=bootstrap ms=") {
			t.Errorf("same Directus release: bootstrap should be skipped:\n%s", out)
		}
		if d := liveDiff(t, dbURL, crews); !d.Empty() {
			t.Errorf("live schema differs from crews.yaml: %+v", d.Changes)
		}
	})

	t.Run("a snapshot that drops a collection holding rows is refused", func(t *testing.T) {
		if _, err := conn.Exec(context.Background(), "INSERT INTO crews (id, name) VALUES (gen_random_uuid(), 'Pilot'), (gen_random_uuid(), 'Co-pilot')"); err != nil {
			t.Fatal(err)
		}
		code, out := reboot(t)
		if code != 1 {
			t.Fatalf("exit %d, want 1:\n%s", code, out)
		}
		for _, want := range []string{"delete collection crews (drops the table and every row in it)", "TRM_ALLOW_DESTRUCTIVE=collection:crews"} {
			if !strings.Contains(out, want) {
				t.Errorf("log lacks %q:\n%s", want, out)
			}
		}
		if last := lastLine(out); !strings.Contains(last, "step=schema-plan") || !strings.Contains(last, "fix=") {
			t.Errorf("last line should name the step and the fix: %s", last)
		}
		if n := queryInt(t, conn, "SELECT count(*) FROM crews"); n != 2 {
			t.Errorf("crews has %d rows, want 2 untouched", n)
		}
	})

	t.Run("naming the collection allows the drop", func(t *testing.T) {
		code, out := reboot(t, "TRM_ALLOW_DESTRUCTIVE=collection:crews")
		if code != 0 {
			t.Fatalf("exit %d:\n%s", code, out)
		}
		if n := queryInt(t, conn, "SELECT count(*) FROM pg_tables WHERE tablename = 'crews'"); n != 0 {
			t.Error("crews still exists")
		}
	})
}

func abs(t testing.TB, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// The replicas of compose.yaml: three entrypoints at once on a fresh
// database, with compose's Directus settings (deploy/scaling.env) and one
// Redis. One provisions, the others wait for it, all three serve.
func TestThreeReplicasOnAFreshDatabaseProvisionOnceAndAllServe(t *testing.T) {
	dbURL := pg.New(t)
	rd := testredis.Start(t)
	scaling, err := testdirectus.ScalingEnv(rd.URL)
	if err != nil {
		t.Fatal(err)
	}
	runs := make([]*run, 3)
	ports := make([]int, 3)
	for i := range runs {
		ports[i] = testenv.Port(t)
		runs[i] = startBoot(t, bootEnv(t, dbURL, ports[i], true, scaling...))
	}
	var wg sync.WaitGroup
	for i := range runs {
		wg.Add(1)
		go func() { defer wg.Done(); waitHealthy(t, runs[i], ports[i]) }()
	}
	wg.Wait()
	bootstraps, waited := 0, 0
	for _, r := range runs {
		out := r.out.String()
		if !strings.Contains(out, "step=wait-redis") {
			t.Errorf("a replica started without waiting for Redis:\n%s", out)
		}
		if strings.Contains(out, "msg=bootstrap step=bootstrap") {
			bootstraps++
		}
		if strings.Contains(out, "provisioned by another replica") {
			waited++
		}
	}
	if bootstraps != 1 || waited != 2 {
		for _, r := range runs {
			t.Log(r.out.String())
		}
		t.Fatalf("%d replicas bootstrapped and %d waited; want 1 and 2", bootstraps, waited)
	}
}

// redisSecret is the password in the Redis URLs of these tests; no output
// may show it.
const redisSecret = "hunter2-redis-secret"

// Each bad input stops the boot with a non-zero exit, a last line naming
// the step and the fix, and a database left exactly as it was.
func TestBadInputStopsTheBootAndChangesNothing(t *testing.T) {
	malformed := filepath.Join(t.TempDir(), "schema.yaml")
	if err := os.WriteFile(malformed, []byte("version: 1\ncollections: [\n  - collection: x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Directus's CLI would apply a snapshot of another vendor without a
	// word, and this one diffs as equal to a fresh PostgreSQL schema.
	empty, err := os.ReadFile(filepath.Join("testdata", "empty.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	mysql := filepath.Join(t.TempDir(), "mysql.yaml")
	if err := os.WriteFile(mysql, []byte(strings.Replace(string(empty), "vendor: postgres", "vendor: mysql", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		env   func(dbURL string) []string
		step  string
		code  int
		words []string
	}{
		{"malformed snapshot", func(string) []string { return []string{"TRM_SNAPSHOT=" + malformed} }, "snapshot", 2, []string{malformed, "trmctl snapshot pull"}},
		{"missing snapshot", func(string) []string { return []string{"TRM_SNAPSHOT=/nonexistent/schema.yaml"} }, "snapshot", 2, []string{"/nonexistent/schema.yaml", "TRM_SNAPSHOT"}},
		{"snapshot of another vendor", func(string) []string { return []string{"TRM_SNAPSHOT=" + mysql} }, "snapshot", 2, []string{mysql, "different database vendors: mysql and postgres", "PostgreSQL"}},
		{"snapshot over the size limit", func(string) []string { return []string{"TRM_SNAPSHOT_MAX_SIZE=100"} }, "snapshot", 2, []string{"is over the snapshot size limit of 100 bytes", "TRM_SNAPSHOT_MAX_SIZE"}},
		{"malformed snapshot size limit", func(string) []string { return []string{"TRM_SNAPSHOT_MAX_SIZE=lots"} }, "config", 2, []string{"setting=TRM_SNAPSHOT_MAX_SIZE", "not a size such as 64MiB"}},
		{"unreachable database", func(string) []string {
			return []string{"DB_HOST=127.0.0.1", "DB_PORT=1", "TRM_DB_WAIT_TIMEOUT=1s"}
		}, "wait-db", 1, []string{"did not answer within 1s", "DB_HOST"}},
		{"wrong credentials", func(string) []string { return []string{"DB_USER=nobody_here"} }, "wait-db", 1, []string{"nobody_here", "DB_USER"}},
		{"unreachable Redis", func(string) []string {
			return []string{"REDIS=redis://:" + redisSecret + "@127.0.0.1:1", "TRM_REDIS_WAIT_TIMEOUT=1s"}
		}, "wait-redis", 1, []string{"did not answer within 1s", "REDIS", "TRM_REDIS_WAIT_TIMEOUT", "redis://:xxxxx@127.0.0.1:1"}},
		{"malformed Redis URL", func(string) []string {
			return []string{"REDIS=redis://:" + redisSecret + "/x@127.0.0.1:6379"}
		}, "config", 2, []string{"setting=REDIS", "percent-encode"}},
		{"a Redis store without Redis", func(string) []string { return []string{"CACHE_STORE=redis"} }, "config", 2, []string{"CACHE_STORE=redis", "set REDIS"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dbURL := pg.New(t)
			code, out := boot(t, dbURL, c.env(dbURL)...)
			if code != c.code {
				t.Fatalf("exit %d, want %d:\n%s", code, c.code, out)
			}
			last := lastLine(out)
			if !strings.Contains(last, "step="+c.step) || !strings.Contains(last, "fix=") {
				t.Errorf("last line should name step %s and a fix: %s", c.step, last)
			}
			for _, w := range c.words {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if strings.Contains(out, redisSecret) {
				t.Errorf("output shows the Redis password:\n%s", out)
			}
			conn := connect(t, dbURL)
			if n := queryInt(t, conn, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"); n != 0 {
				t.Errorf("%d tables were created", n)
			}
		})
	}
}

func TestSignalBeforeStartStopsCleanly(t *testing.T) {
	dbURL := pg.New(t)
	r := startBoot(t, bootEnv(t, dbURL, testenv.Port(t), false, "DB_PORT=1", "TRM_DB_WAIT_TIMEOUT=2m"))
	time.Sleep(500 * time.Millisecond)
	start := time.Now()
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	code := r.wait(t)
	if code == 0 || time.Since(start) > 5*time.Second {
		t.Fatalf("exit %d after %s:\n%s", code, time.Since(start), r.out)
	}
	if !strings.Contains(lastLine(r.out.String()), "stopped by a signal") {
		t.Errorf("last line: %s", lastLine(r.out.String()))
	}
}

// Redis may come up after the replica: boot waits for it with backoff,
// like for PostgreSQL, then carries on.
func TestBootWaitsForARedisThatStartsLate(t *testing.T) {
	dbURL := pg.New(t)
	port := testenv.Port(t)
	r := startBoot(t, bootEnv(t, dbURL, testenv.Port(t), false, append(mechanics(t),
		fmt.Sprintf("REDIS=redis://127.0.0.1:%d", port), "TRM_REDIS_WAIT_TIMEOUT=2m")...))
	// Start Redis once boot has tried and failed at least once.
	for !strings.Contains(r.out.String(), "step=wait-db") {
		select {
		case <-r.done:
			t.Fatalf("boot ended before waiting for Redis:\n%s", r.out)
		case <-time.After(50 * time.Millisecond):
		}
	}
	time.Sleep(500 * time.Millisecond)
	testredis.Start(t, testredis.WithPort(port))
	if code := r.wait(t); code != 0 {
		t.Fatalf("exit %d:\n%s", code, r.out)
	}
	if !strings.Contains(r.out.String(), "step=wait-redis") {
		t.Errorf("no wait-redis step:\n%s", r.out)
	}
}

// A Redis that refuses the password stops boot at once, however long it
// may wait, naming the setting and never the password.
func TestRedisThatRefusesThePasswordStopsTheBootAtOnce(t *testing.T) {
	dbURL := pg.New(t)
	rd := testredis.Start(t, testredis.WithPassword("the-right-one"))
	code, out := boot(t, dbURL, append(mechanics(t),
		fmt.Sprintf("REDIS=redis://:%s@127.0.0.1:%d", redisSecret, rd.Port), "TRM_REDIS_WAIT_TIMEOUT=10m")...)
	if code == 0 {
		t.Fatalf("exit 0:\n%s", out)
	}
	last := lastLine(out)
	for _, w := range []string{"step=wait-redis", "authentication refused", "REDIS"} {
		if !strings.Contains(last, w) {
			t.Errorf("last line lacks %q: %s", w, last)
		}
	}
	if strings.Contains(out, redisSecret) || strings.Contains(out, "the-right-one") {
		t.Errorf("output shows a password:\n%s", out)
	}
	conn := connect(t, dbURL)
	if n := queryInt(t, conn, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"); n != 0 {
		t.Errorf("%d tables were created", n)
	}
}
