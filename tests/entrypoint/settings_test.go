package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"git.dev.trmtracking.org/trm/directus/tests/internal/testenv"
)

// without drops the variables named from env.
func without(env []string, names ...string) []string {
	var out []string
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		drop := false
		for _, n := range names {
			drop = drop || k == n
		}
		if !drop {
			out = append(out, kv)
		}
	}
	return out
}

func publicTables(t *testing.T, dbURL string) int {
	t.Helper()
	return queryInt(t, connect(t, dbURL), "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
}

// A configuration error is found before anything is touched: exit 2, the
// last line names the step config, the database is left as it was, and
// no value of a secret, nor "<nil>", is printed.
func TestConfigurationErrorsExitTwoBeforeTouchingTheDatabase(t *testing.T) {
	const pw = "S3cret-entrypoint"
	cases := []struct {
		name    string
		env     func(dbURL string) []string
		setting string
	}{
		{"non-numeric DB_PORT", func(string) []string { return []string{"DB_PORT=abc", "DB_PASSWORD=" + pw} }, "DB_PORT"},
		{"unclosed IPv6 in DB_CONNECTION_STRING", func(string) []string {
			return []string{"DB_CONNECTION_STRING=postgres://u:" + pw + "@[::1/d"}
		}, "DB_CONNECTION_STRING"},
		{"bad %-escape in TRM_DATABASE_URL", func(string) []string {
			return []string{"TRM_DATABASE_URL=postgres://u:" + pw + "%zz@127.0.0.1/d"}
		}, "TRM_DATABASE_URL"},
		{"negative TRM_DB_WAIT_TIMEOUT", func(string) []string { return []string{"TRM_DB_WAIT_TIMEOUT=-5s"} }, "TRM_DB_WAIT_TIMEOUT"},
		{"zero TRM_BOOT_LOCK_TIMEOUT", func(string) []string { return []string{"TRM_BOOT_LOCK_TIMEOUT=0s"} }, "TRM_BOOT_LOCK_TIMEOUT"},
		{"malformed TRM_SNAPSHOT_EXCLUDE", func(string) []string { return []string{"TRM_SNAPSHOT_EXCLUDE=["} }, "TRM_SNAPSHOT_EXCLUDE"},
		{"start command not on PATH", func(string) []string { return []string{"TRM_START_COMMAND=/nonexistent/pm2-runtime start"} }, "TRM_START_COMMAND"},
		{"no SECRET in production", func(string) []string { return []string{"SECRET="} }, "SECRET"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dbURL := pg.New(t)
			env := bootEnv(t, dbURL, testenv.Port(t), false, mechanics(t)...)
			env = append(env, c.env(dbURL)...)
			if c.setting == "SECRET" {
				env = without(env, "SECRET")
			}
			r := startBoot(t, env)
			code := r.wait(t)
			out := r.out.String()
			if code != 2 {
				t.Fatalf("exit %d, want 2:\n%s", code, out)
			}
			last := lastLine(out)
			if !strings.Contains(last, "step=config") || !strings.Contains(last, c.setting) || !strings.Contains(last, "nothing was changed") {
				t.Errorf("last line should name the step config and %s: %s", c.setting, last)
			}
			if strings.Contains(out, pw) || strings.Contains(out, "<nil>") {
				t.Errorf("output shows the password or <nil>:\n%s", out)
			}
			if n := publicTables(t, dbURL); n != 0 {
				t.Errorf("%d tables were created", n)
			}
		})
	}
}

// TRM_DATABASE_URL alone is enough: Directus is handed that database, and
// a stale DB_HOST/DB_PORT around it is not used by anyone.
func TestDatabaseURLAloneProvisionsWithDirectusOnTheSameDatabase(t *testing.T) {
	dbURL := pg.New(t)
	env := without(bootEnv(t, dbURL, testenv.Port(t), false, mechanics(t)...), "DB_CLIENT", "DB_HOST", "DB_PORT", "DB_DATABASE", "DB_USER", "DB_PASSWORD")
	env = append(env, "TRM_DATABASE_URL="+dbURL, "DB_HOST=127.0.0.1", "DB_PORT=1", "DB_CLIENT=sqlite3")
	r := startBoot(t, env)
	if code := r.wait(t); code != 0 {
		t.Fatalf("exit %d:\n%s", code, r.out)
	}
	if !strings.Contains(r.out.String(), "msg=bootstrap step=bootstrap") {
		t.Errorf("no bootstrap:\n%s", r.out)
	}
	conn := connect(t, dbURL)
	if n := queryInt(t, conn, "SELECT count(*) FROM directus_migrations"); n == 0 {
		t.Error("Directus installed itself elsewhere")
	}
	pre, err := filepath.Glob(testenv.Path(t, "db-init/*.sql"))
	if err != nil {
		t.Fatal(err)
	}
	if n := queryInt(t, conn, "SELECT count(*) FROM migrations_applied WHERE state = 'applied'"); n != len(pre) {
		t.Errorf("%d ledger rows, want one per pre-schema db-init file (%d)", n, len(pre))
	}
}

func TestMissingSecretOutsideProductionIsAWarning(t *testing.T) {
	dbURL := pg.New(t)
	env := without(bootEnv(t, dbURL, testenv.Port(t), false, mechanics(t)...), "SECRET", "NODE_ENV")
	r := startBoot(t, env)
	if code := r.wait(t); code != 0 {
		t.Fatalf("exit %d:\n%s", code, r.out)
	}
	if !strings.Contains(r.out.String(), "level=WARN") || !strings.Contains(r.out.String(), "SECRET is not set") {
		t.Errorf("no warning about SECRET:\n%s", r.out)
	}
}

// Killing the entrypoint while its Directus process applies: on SIGTERM
// it stops that process, which rolls the apply back, and exits; killed
// outright (SIGKILL, no handler runs) the kernel kills the process with
// it, and PostgreSQL rolls the apply back. Either way no process of the
// run is left, nothing was applied, and the boot wrote no temporary file.
func TestKillingTheEntrypointDuringTheApplyLeavesNoChildNorFolder(t *testing.T) {
	crews := abs(t, filepath.Join("testdata", "crews.yaml"))
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			dbURL := pg.New(t)
			base := mechanics(t)
			if code, out := boot(t, dbURL, base...); code != 0 {
				t.Fatalf("first boot: exit %d\n%s", code, out)
			}
			tmp := t.TempDir()
			mark := fmt.Sprintf("TRM_TEST_MARK=%s-%d", t.Name(), time.Now().UnixNano())
			env := append(bootEnv(t, dbURL, testenv.Port(t), false, base...), "TRM_SNAPSHOT="+crews, "TMPDIR="+tmp, mark)
			// The apply stops inside its transaction until the lock goes.
			release := holdFieldsLock(t, dbURL)
			r := startBoot(t, env)
			waitForLockWait(t, dbURL, r)
			_ = r.cmd.Process.Signal(sig)
			code := r.wait(t)
			if code == 0 {
				t.Fatalf("exit 0 after %s:\n%s", sig, r.out)
			}
			waitNoProcess(t, mark)
			release()
			if n := queryInt(t, connect(t, dbURL), "SELECT count(*) FROM pg_tables WHERE tablename = 'crews'"); n != 0 {
				t.Error("crews exists: the apply was not rolled back")
			}
			if left, _ := filepath.Glob(filepath.Join(tmp, "*")); len(left) != 0 {
				t.Errorf("left behind: %v", left)
			}
			if sig == syscall.SIGTERM && !strings.Contains(lastLine(r.out.String()), "stopped by a signal") {
				t.Errorf("last line: %s", lastLine(r.out.String()))
			}
		})
	}
}

func waitNoProcess(t *testing.T, mark string) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		if len(marked(mark)) == 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	left := marked(mark)
	for _, pid := range left {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	t.Fatalf("processes of the run outlived it by 3 s: %v", left)
}

// marked lists the live processes whose environment holds mark.
func marked(mark string) []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil || !strings.Contains(string(env), mark) {
			continue
		}
		if stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat")); err == nil {
			if f := strings.Fields(string(stat)); len(f) > 2 && f[2] == "Z" {
				continue
			}
		}
		out = append(out, pid)
	}
	return out
}
