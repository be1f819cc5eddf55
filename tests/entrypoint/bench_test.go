package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"git.dev.trmtracking.org/trm/directus/lib/snapshot"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testdirectus"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testenv"
)

// serveUntilHealthy starts cmd, waits for /server/health to answer, stops
// it and returns the time from start to healthy.
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
	_ = cmd.Process.Signal(syscall.SIGTERM)
	<-done
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

// sideBySide is one comparison of the boot goals: the TRM boot and
// the sequence a user would run without it, timed from process start to
// /server/health on the same machine in the same run.
type sideBySide struct {
	// naive prepares and returns the naive sequence, trm the entrypoint,
	// each on a database of its own in the state the comparison needs.
	naive, trm func(b *testing.B) (*exec.Cmd, int)
}

// run times pairs of runs, alternating which goes first so that a
// machine's load drifts over both alike, and reports the medians and
// their ratio (trm/naive). TRM_BENCH_PAIRS sets the number of pairs per
// benchmark iteration (default 3).
func (s sideBySide) run(b *testing.B) {
	pairs := 3
	if v, err := strconv.Atoi(os.Getenv("TRM_BENCH_PAIRS")); err == nil && v > 0 {
		pairs = v
	}
	var naive, trm []time.Duration
	i := 0
	for b.Loop() {
		for range pairs {
			order := []func(){
				func() {
					b.StopTimer()
					cmd, port := s.naive(b)
					b.StartTimer()
					naive = append(naive, serveUntilHealthy(b, cmd, port))
				},
				func() {
					b.StopTimer()
					cmd, port := s.trm(b)
					b.StartTimer()
					trm = append(trm, serveUntilHealthy(b, cmd, port))
				},
			}
			if i%2 == 1 {
				slices.Reverse(order)
			}
			for _, f := range order {
				f()
			}
			i++
		}
	}
	n, t := median(naive), median(trm)
	b.ReportMetric(float64(n.Milliseconds()), "naive-ms")
	b.ReportMetric(float64(t.Milliseconds()), "trm-ms")
	b.ReportMetric(float64(t)/float64(n), "trm/naive")
	b.Logf("naive %v, trm %v (%d pairs)", naive, trm, len(naive))
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// BenchmarkBootSideBySide measures the boot goals of issue 10, each
// against its naive counterpart in the same run:
//
//   - cold: a fresh database, the committed schema. Naive: `bootstrap &&
//     schema apply --yes schema.yaml && start` on a database with PostGIS.
//     Goal: trm <= 0.8 x naive.
//   - changed: a database provisioned with the committed schema, booted
//     with that schema plus one field. Naive: `schema apply --yes
//     changed.yaml && start`. Goal: trm <= 0.6 x naive.
//   - warm: a provisioned database, nothing changed. Naive: a bare
//     `directus start`. Goal: trm <= 1.1 x naive.
//
// Every run gets a database of its own in the state it needs, copied from
// a template outside the timer, and the same Directus environment.
func BenchmarkBootSideBySide(b *testing.B) {
	node, script, err := testdirectus.Runtime()
	if err != nil {
		b.Fatal(err)
	}
	dir := strings.TrimSuffix(script, "/node_modules/@directus/api/dist/cli/run.js")
	committed := testenv.Path(b, "snapshots/schema.yaml")
	changed := changedSnapshot(b, committed)
	directus := func(db string, port int, steps ...string) *exec.Cmd {
		cmds := make([]string, len(steps))
		for i, s := range steps {
			cmds[i] = node + " " + script + " " + s
		}
		cmds[len(cmds)-1] = "exec " + cmds[len(cmds)-1]
		return shell(testdirectus.Env(db, port), "cd "+dir+" && "+strings.Join(cmds, " && "))
	}
	entrypoint := func(db string, port int, extra ...string) *exec.Cmd {
		cmd := exec.Command(entrypoint)
		cmd.Env = bootEnv(b, db, port, true, extra...)
		return cmd
	}

	// The committed schema has PostGIS columns, which Directus cannot
	// create without the extension: the naive sequence gets a database
	// that has it (the entrypoint creates it in db-init).
	postgis := pg.New(b)
	conn := connect(b, postgis)
	if _, err := conn.Exec(context.Background(), "CREATE EXTENSION postgis"); err != nil {
		b.Fatal(err)
	}
	_ = conn.Close(context.Background())
	b.Run("cold", func(b *testing.B) {
		sideBySide{
			naive: func(b *testing.B) (*exec.Cmd, int) {
				port := testenv.Port(b)
				return directus(pg.Copy(b, postgis), port, "bootstrap", "schema apply --yes "+committed, "start"), port
			},
			trm: func(b *testing.B) (*exec.Cmd, int) {
				port := testenv.Port(b)
				return entrypoint(pg.New(b), port), port
			},
		}.run(b)
	})

	provisioned := pg.New(b)
	if code, out := boot(b, provisioned); code != 0 {
		b.Fatalf("provision the template: %s", out)
	}
	b.Run("changed", func(b *testing.B) {
		sideBySide{
			naive: func(b *testing.B) (*exec.Cmd, int) {
				port := testenv.Port(b)
				return directus(pg.Copy(b, provisioned), port, "schema apply --yes "+changed, "start"), port
			},
			trm: func(b *testing.B) (*exec.Cmd, int) {
				port := testenv.Port(b)
				return entrypoint(pg.Copy(b, provisioned), port, "TRM_SNAPSHOT="+changed), port
			},
		}.run(b)
	})
	b.Run("warm", func(b *testing.B) {
		sideBySide{
			naive: func(b *testing.B) (*exec.Cmd, int) {
				port := testenv.Port(b)
				return directus(provisioned, port, "start"), port
			},
			trm: func(b *testing.B) (*exec.Cmd, int) {
				port := testenv.Port(b)
				return entrypoint(provisioned, port), port
			},
		}.run(b)
	})
}

// changedSnapshot writes the committed snapshot plus one field: a copy,
// under a new name, of the first nullable text field, which Directus
// creates as written.
func changedSnapshot(b testing.TB, committed string) string {
	b.Helper()
	s, err := snapshot.ReadFile(committed)
	if err != nil {
		b.Fatal(err)
	}
	for _, f := range s.Fields {
		sch := f.Schema()
		if f.Type() != "string" || sch == nil {
			continue
		}
		if v, _ := sch.Get("is_nullable"); v != true {
			continue
		}
		if v, _ := sch.Get("foreign_key_table"); v != nil {
			continue
		}
		if v, _ := sch.Get("is_unique"); v == true {
			continue
		}
		added := f.Raw.Clone()
		name := "bench_" + f.Name()
		added.Set("field", name)
		if meta, ok := added.Get("meta"); ok {
			if m, ok := meta.(*snapshot.Map); ok {
				m.Set("field", name)
				m.Delete("id")
			}
		}
		sch = sch.Clone()
		sch.Set("name", name)
		added.Set("schema", sch)
		s.Fields = append(s.Fields, &snapshot.Field{Raw: added})
		out, err := s.YAML()
		if err != nil {
			b.Fatal(err)
		}
		path := filepath.Join(b.TempDir(), "changed.yaml")
		if err := os.WriteFile(path, out, 0o644); err != nil {
			b.Fatal(err)
		}
		return path
	}
	b.Fatalf("%s has no nullable text field to copy", committed)
	return ""
}
