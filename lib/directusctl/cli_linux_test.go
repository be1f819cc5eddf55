//go:build linux

package directusctl

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// These tests run /bin/sh in the place of node: they prove how the CLI
// runner treats a process (its output, its group, its death), which needs
// no Directus; the integration suites run the real one.
func shCLI(t *testing.T, script string) *CLI {
	t.Helper()
	path := filepath.Join(t.TempDir(), "run.sh")
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return &CLI{Node: "/bin/sh", Script: path, Dir: t.TempDir(), Grace: 2 * time.Second}
}

func TestAnUncaughtExceptionIsReportedByItsErrorLineWithoutTheStackTrace(t *testing.T) {
	c := shCLI(t, `cat >&2 <<'OUT'
file:///directus/node_modules/pg-connection-string/index.js:42
    throw new TypeError('Invalid URL')
    ^

TypeError: Invalid URL
    at new URL (node:internal/url:797:36)
    at parse (file:///directus/node_modules/pg-connection-string/index.js:42:11)
    at getDatabase (file:///directus/node_modules/@directus/api/dist/database/index.js:58:3)

Node.js v22.23.3
OUT
exit 1
`)
	_, err := c.Run(context.Background(), "schema", "snapshot")
	var ce *CLIError
	if !errors.As(err, &ce) {
		t.Fatalf("got %v", err)
	}
	if ce.Message != "TypeError: Invalid URL" {
		t.Errorf("message %q", ce.Message)
	}
	if strings.Contains(ce.Output, "    at ") || !strings.Contains(ce.Output, "stack trace left out") {
		t.Errorf("output keeps the stack trace:\n%s", ce.Output)
	}
}

func TestCancellingStopsEveryProcessTheCLIStarted(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	c := shCLI(t, `sleep 300 & echo $! > `+pidFile+`; wait`)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := c.Run(ctx); done <- err }()
	child := waitPID(t, pidFile)
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancellation")
	}
	waitGone(t, child)
}

// The caller is killed outright (SIGKILL: no handler runs) while its CLI
// works: the kernel kills the CLI too.
func TestTheCLIDiesWithItsCaller(t *testing.T) {
	if os.Getenv("DIRECTUSCTL_TEST_CALLER") != "" {
		c := &CLI{Node: "/bin/sh", Script: os.Getenv("DIRECTUSCTL_TEST_CALLER")}
		_, _ = c.Run(context.Background())
		return
	}
	pidFile := filepath.Join(t.TempDir(), "cli.pid")
	script := filepath.Join(t.TempDir(), "run.sh")
	if err := os.WriteFile(script, []byte("echo $$ > "+pidFile+"; exec sleep 300\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	caller := exec.Command(os.Args[0], "-test.run", "^TestTheCLIDiesWithItsCaller$")
	caller.Env = append(os.Environ(), "DIRECTUSCTL_TEST_CALLER="+script)
	if err := caller.Start(); err != nil {
		t.Fatal(err)
	}
	cli := waitPID(t, pidFile)
	_ = caller.Process.Kill()
	_ = caller.Wait()
	waitGone(t, cli)
}

func TestTempFoldersOfKilledProcessesAreRemovedAndLiveOnesKept(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	old := time.Now().Add(-time.Hour)
	dead := filepath.Join(os.TempDir(), "trm-apply-dead")
	live := filepath.Join(os.TempDir(), "trm-apply-live")
	young := filepath.Join(os.TempDir(), "trm-apply-young")
	for _, d := range []string{dead, live, young} {
		if err := os.MkdirAll(filepath.Join(d, "sub"), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	unlock := lockDir(live)
	defer unlock()
	for _, d := range []string{dead, live} {
		if err := os.Chtimes(d, old, old); err != nil {
			t.Fatal(err)
		}
	}
	dir, release, err := tempDir("trm-apply-")
	if err != nil {
		t.Fatal(err)
	}
	for d, want := range map[string]bool{dead: false, live: true, young: true, dir: true} {
		if _, err := os.Stat(d); (err == nil) != want {
			t.Errorf("%s exists: %v, want %v", d, err == nil, want)
		}
	}
	release()
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("%s left after release: %v", dir, err)
	}
}

func waitPID(t *testing.T, path string) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(path); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
				return pid
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no pid in %s", path)
	return 0
}

func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if syscall.Kill(pid, 0) != nil || zombie(pid) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
	t.Fatalf("process %d still runs", pid)
}

// zombie: a dead process not reaped yet (its parent, sleep's shell, is
// gone too and init reaps it soon) counts as gone.
func zombie(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	fields := strings.Fields(string(b))
	return len(fields) > 2 && fields[2] == "Z"
}
