package e2e

import (
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"git.dev.trmtracking.org/trm/directus/tests/internal/testdirectus"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testenv"
)

// serveUntilHealthy starts cmd, waits for /server/health to answer, stops
// it (outside the benchmark timer) and returns the time to healthy. It is
// the unit every boot benchmark times.
func serveUntilHealthy(b *testing.B, cmd *exec.Cmd, port int) time.Duration {
	b.Helper()
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	url := fmt.Sprintf("http://127.0.0.1:%d/server/health", port)
	for !healthy(url) {
		select {
		case err := <-done:
			b.Fatalf("exited before healthy: %v\n%s", err, out)
		case <-time.After(20 * time.Millisecond):
		}
	}
	took := time.Since(start)
	b.StopTimer()
	_ = cmd.Process.Signal(syscall.SIGTERM)
	<-done
	b.StartTimer()
	return took
}

func healthy(url string) bool {
	resp, err := http.Get(url)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func shell(env []string, script string) *exec.Cmd {
	cmd := exec.Command("sh", "-c", script)
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return cmd
}

// BenchmarkBootToHealthy times process start to /server/health ok on one
// database: Directus alone, the naive shell sequence the earlier
// implementation ran, and the entrypoint warm (nothing changed) and cold
// (fresh database each time).
func BenchmarkBootToHealthy(b *testing.B) {
	node, script, err := testdirectus.Runtime()
	if err != nil {
		b.Fatal(err)
	}
	dbURL := pg.New(b)
	if code, out := boot(b, dbURL); code != 0 {
		b.Fatalf("provision: %s", out)
	}
	snap := testenv.Path(b, "snapshots/schema.yaml")
	dir := strings.TrimSuffix(script, "/node_modules/@directus/api/dist/cli/run.js")

	b.Run("bare-directus-start", func(b *testing.B) {
		for b.Loop() {
			port := testenv.Port(b)
			serveUntilHealthy(b, shell(testdirectus.Env(dbURL, port), fmt.Sprintf("cd %s && exec %s %s start", dir, node, script)), port)
		}
	})
	b.Run("naive-bootstrap-apply-start", func(b *testing.B) {
		for b.Loop() {
			port := testenv.Port(b)
			serveUntilHealthy(b, shell(testdirectus.Env(dbURL, port), fmt.Sprintf("cd %[1]s && %[2]s %[3]s bootstrap && %[2]s %[3]s schema apply --yes %[4]s && exec %[2]s %[3]s start", dir, node, script, snap)), port)
		}
	})
	b.Run("entrypoint-warm", func(b *testing.B) {
		for b.Loop() {
			port := testenv.Port(b)
			cmd := exec.Command(entrypoint)
			cmd.Env = bootEnv(b, dbURL, port, true)
			serveUntilHealthy(b, cmd, port)
		}
	})
	b.Run("entrypoint-cold", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			fresh := pg.New(b)
			port := testenv.Port(b)
			cmd := exec.Command(entrypoint)
			cmd.Env = bootEnv(b, fresh, port, true)
			b.StartTimer()
			serveUntilHealthy(b, cmd, port)
		}
	})
}

// BenchmarkWarmBootVersusBareStart alternates a bare `directus start` and
// a warm entrypoint boot on the same database, so that a machine's load
// drifts over both alike, and reports their mean times and ratio (target:
// warm <= 1.1 x bare).
func BenchmarkWarmBootVersusBareStart(b *testing.B) {
	node, script, err := testdirectus.Runtime()
	if err != nil {
		b.Fatal(err)
	}
	dbURL := pg.New(b)
	if code, out := boot(b, dbURL); code != 0 {
		b.Fatalf("provision: %s", out)
	}
	dir := strings.TrimSuffix(script, "/node_modules/@directus/api/dist/cli/run.js")
	var bare, warm time.Duration
	for b.Loop() {
		port := testenv.Port(b)
		bare += serveUntilHealthy(b, shell(testdirectus.Env(dbURL, port), fmt.Sprintf("cd %s && exec %s %s start", dir, node, script)), port)
		port = testenv.Port(b)
		cmd := exec.Command(entrypoint)
		cmd.Env = bootEnv(b, dbURL, port, true)
		warm += serveUntilHealthy(b, cmd, port)
	}
	b.ReportMetric(float64(bare.Milliseconds())/float64(b.N), "bare-ms")
	b.ReportMetric(float64(warm.Milliseconds())/float64(b.N), "warm-ms")
	b.ReportMetric(float64(warm)/float64(bare), "warm/bare")
}
