package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"git.dev.trmtracking.org/trm/directus/lib/snapshot"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testdirectus"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testenv"
)

// The failures of the boot's single Directus process: each stops the boot
// with the step and the fix, and leaves the schema as it was.

// crewsDatabase is a database booted with the mechanics baseline, then
// with crews.yaml, holding one crew.
func crewsDatabase(t *testing.T) (dbURL string, base []string) {
	t.Helper()
	dbURL = pg.New(t)
	base = mechanics(t)
	if code, out := boot(t, dbURL, base...); code != 0 {
		t.Fatalf("first boot: exit %d\n%s", code, out)
	}
	if code, out := boot(t, dbURL, append(append([]string{}, base...), "TRM_SNAPSHOT="+abs(t, filepath.Join("testdata", "crews.yaml")))...); code != 0 {
		t.Fatalf("boot with crews.yaml: exit %d\n%s", code, out)
	}
	if _, err := connect(t, dbURL).Exec(context.Background(), "INSERT INTO crews (id, name) VALUES (gen_random_uuid(), 'Pilot')"); err != nil {
		t.Fatal(err)
	}
	return dbURL, append(base, "TRM_SNAPSHOT="+abs(t, filepath.Join("testdata", "crews.yaml")))
}

// crewsPlus writes crews.yaml plus a teams collection (a copy of crews)
// and, with notNull, a NOT NULL column crews.code without a default,
// which PostgreSQL refuses on a table with rows.
func crewsPlus(t *testing.T, notNull bool) string {
	t.Helper()
	s, err := snapshot.ReadFile(filepath.Join("testdata", "crews.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	rename := func(m *snapshot.Map, from, to string) *snapshot.Map {
		m = m.Clone()
		for _, k := range []string{"collection", "table", "name"} {
			if v, ok := m.Get(k); ok && v == from {
				m.Set(k, to)
			}
		}
		for _, k := range []string{"meta", "schema"} {
			if v, ok := m.Get(k); ok {
				if sub, ok := v.(*snapshot.Map); ok {
					sub = sub.Clone()
					for _, kk := range []string{"collection", "table", "name"} {
						if vv, ok := sub.Get(kk); ok && vv == from {
							sub.Set(kk, to)
						}
					}
					sub.Delete("id")
					m.Set(k, sub)
				}
			}
		}
		return m
	}
	s.Collections = append(s.Collections, &snapshot.Collection{Raw: rename(s.Collections[0].Raw, "crews", "teams")})
	var name *snapshot.Field
	for _, f := range s.Fields {
		if f.Collection() == "crews" {
			s.Fields = append(s.Fields, &snapshot.Field{Raw: rename(f.Raw, "crews", "teams")})
		}
		if f.Name() == "name" {
			name = f
		}
	}
	if notNull {
		code := name.Raw.Clone()
		code.Set("field", "code")
		meta, _ := code.Get("meta")
		m := meta.(*snapshot.Map).Clone()
		m.Set("field", "code")
		m.Delete("id")
		code.Set("meta", m)
		sch, _ := code.Get("schema")
		sm := sch.(*snapshot.Map).Clone()
		sm.Set("name", "code")
		sm.Set("is_nullable", false)
		sm.Set("default_value", nil)
		code.Set("schema", sm)
		s.Fields = append(s.Fields, &snapshot.Field{Raw: code})
	}
	out, err := s.YAML()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "crews-plus.yaml")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// unchanged checks that the failed boot left the crews schema and its row
// as they were, and recorded nothing.
func unchanged(t *testing.T, dbURL, recordedBefore string) {
	t.Helper()
	conn := connect(t, dbURL)
	if n := queryInt(t, conn, "SELECT count(*) FROM pg_tables WHERE tablename = 'teams'"); n != 0 {
		t.Error("teams exists: the failed apply was not rolled back")
	}
	if n := queryInt(t, conn, "SELECT count(*) FROM directus_collections WHERE collection = 'teams'"); n != 0 {
		t.Error("teams is in directus_collections")
	}
	if n := queryInt(t, conn, "SELECT count(*) FROM crews"); n != 1 {
		t.Errorf("crews has %d rows, want its 1", n)
	}
	if d := liveDiff(t, dbURL, filepath.Join("testdata", "crews.yaml")); !d.Empty() {
		t.Errorf("the live schema is no longer crews.yaml: %+v", d.Changes)
	}
	if got := recorded(t, dbURL); got != recordedBefore {
		t.Errorf("the boot state changed from %s to %s", recordedBefore, got)
	}
}

func recorded(t *testing.T, dbURL string) string {
	t.Helper()
	var sha string
	if err := connect(t, dbURL).QueryRow(context.Background(), "SELECT snapshot_sha256 FROM trm_boot_state").Scan(&sha); err != nil {
		t.Fatal(err)
	}
	return sha
}

func stoppedAt(t *testing.T, code int, out, step string, words ...string) {
	t.Helper()
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, out)
	}
	last := lastLine(out)
	if !strings.Contains(last, "step="+step) || !strings.Contains(last, "fix=") {
		t.Errorf("the last line should name step %s and the fix: %s", step, last)
	}
	for _, w := range words {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}

func TestADirectusErrorDuringTheApplyStopsTheBootAndChangesNothing(t *testing.T) {
	dbURL, base := crewsDatabase(t)
	before := recorded(t, dbURL)
	code, out := boot(t, dbURL, append(base, "TRM_SNAPSHOT="+crewsPlus(t, true), "TRM_ALLOW_DESTRUCTIVE=field:crews.code")...)
	stoppedAt(t, code, out, "schema-apply", "crews.code", "rolled back")
	unchanged(t, dbURL, before)
}

// holdFieldsLock blocks writes to directus_fields (reads go on), so that
// an apply stops inside its transaction after it created its table.
func holdFieldsLock(t *testing.T, dbURL string) (release func()) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "LOCK TABLE directus_fields IN EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	done := false
	release = func() {
		if !done {
			done = true
			_ = tx.Rollback(ctx)
			conn.Close(ctx)
		}
	}
	t.Cleanup(release)
	return release
}

func waitForLockWait(t *testing.T, dbURL string, r *run) {
	t.Helper()
	conn := connect(t, dbURL)
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		select {
		case <-r.done:
			t.Fatalf("the boot ended before its apply waited:\n%s", r.out)
		default:
		}
		if queryInt(t, conn, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'") > 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the apply never waited for the lock:\n%s", r.out)
}

// children lists the processes a process started.
func children(t *testing.T, pid int) []int {
	t.Helper()
	tasks, err := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*/children")
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, f := range tasks {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, s := range strings.Fields(string(b)) {
			if n, err := strconv.Atoi(s); err == nil {
				out = append(out, n)
			}
		}
	}
	return out
}

func TestTheProvisionerKilledOrTheBootStoppedDuringTheApplyChangesNothing(t *testing.T) {
	for _, c := range []struct {
		name        string
		stop        func(t *testing.T, r *run)
		step, words string
	}{
		{"provisioner killed", func(t *testing.T, r *run) {
			kids := children(t, r.cmd.Process.Pid)
			if len(kids) != 1 {
				t.Fatalf("the entrypoint has %d child processes, want its provisioner", len(kids))
			}
			if err := syscall.Kill(kids[0], syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
		}, "schema-apply", "signal: killed"},
		{"boot stopped by SIGTERM", func(t *testing.T, r *run) {
			if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
		}, "schema-apply", "stopped by a signal"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dbURL, base := crewsDatabase(t)
			before := recorded(t, dbURL)
			release := holdFieldsLock(t, dbURL)
			r := startBoot(t, bootEnv(t, dbURL, testenv.Port(t), false, append(base, "TRM_SNAPSHOT="+crewsPlus(t, false))...))
			waitForLockWait(t, dbURL, r)
			c.stop(t, r)
			code := r.wait(t)
			release()
			stoppedAt(t, code, r.out.String(), c.step, c.words)
			unchanged(t, dbURL, before)
		})
	}
}

// fakeNode stands in for node: it runs the real one, and replaces reply
// line n of the provisioner (1 is the ready line) with text that is not
// a reply. A real Directus cannot be made to break the protocol: this is
// the one failure here that needs a stand-in.
func fakeNode(t *testing.T, n int) string {
	t.Helper()
	node, _, err := testdirectus.Runtime()
	if err != nil {
		t.Fatal(err)
	}
	// bash's read takes a pipe byte by byte, so each line passes on at
	// once (awk may wait for a block of input first).
	script := "#!/bin/bash\n" +
		`"` + node + `" "$@" 3> >(n=0; while IFS= read -r line; do n=$((n+1)); ` +
		`if [ $n -eq ` + strconv.Itoa(n) + ` ]; then echo "this is not a reply"; else printf '%s\n' "$line"; fi; done >&3)` + "\n"
	path := filepath.Join(t.TempDir(), "node")
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestAMalformedProvisionerReplyStopsTheBoot(t *testing.T) {
	// The boot of a changed snapshot asks, in order: diff (reply line 2),
	// apply-diff (3), commit (4).
	for _, c := range []struct {
		name  string
		line  int
		step  string
		after func(t *testing.T, dbURL, before string)
	}{
		{"to the diff", 2, "schema-plan", unchanged},
		{"to the apply", 3, "schema-apply", unchanged},
		{"to the commit", 4, "schema-commit", func(t *testing.T, dbURL, before string) {
			// The commit was sent: it happened or not, and the next boot
			// plans again from what the database holds.
			if got := recorded(t, dbURL); got != before {
				t.Errorf("the boot state changed from %s to %s", before, got)
			}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dbURL, base := crewsDatabase(t)
			before := recorded(t, dbURL)
			plus := "TRM_SNAPSHOT=" + crewsPlus(t, false)
			code, out := boot(t, dbURL, append(base, plus, "TRM_NODE="+fakeNode(t, c.line))...)
			stoppedAt(t, code, out, c.step, "this is not a reply")
			c.after(t, dbURL, before)
			code, out = boot(t, dbURL, append(base, plus)...)
			if code != 0 {
				t.Fatalf("the next boot with a sound provisioner: exit %d\n%s", code, out)
			}
			if n := queryInt(t, connect(t, dbURL), "SELECT count(*) FROM directus_collections WHERE collection = 'teams'"); n != 1 {
				t.Error("the next boot did not create teams")
			}
		})
	}
}
