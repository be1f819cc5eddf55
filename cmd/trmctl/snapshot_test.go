package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

func snapshotFile(name string) string { return filepath.Join("testdata", "snapshot", name) }

type cliResult struct {
	code     int
	out, err string
}

// runCLI runs trmctl with args, stdin and environment as given.
func runCLI(t *testing.T, stdin string, env map[string]string, tty bool, args ...string) cliResult {
	t.Helper()
	var out, errb bytes.Buffer
	s := newStreams(strings.NewReader(stdin), &out, &errb)
	s.outIsTTY = tty
	var environ []string
	for k, v := range env {
		environ = append(environ, k+"="+v)
	}
	code := run(context.Background(), args, s, environ)
	return cliResult{code: code, out: out.String(), err: errb.String()}
}

func TestSnapshotDiffNoDifference(t *testing.T) {
	r := runCLI(t, "", nil, false, "snapshot", "diff", "--exit-code", snapshotFile("base.yaml"), snapshotFile("reordered.yaml"))
	if r.code != 0 || r.out != "No differences.\n" || r.err != "" {
		t.Fatalf("code %d out %q err %q", r.code, r.out, r.err)
	}
}

func TestSnapshotDiffText(t *testing.T) {
	want := `! update  field        devices.imei
      ! shrinks schema.max_length 32 → 15: truncates or rejects longer values
      meta.note          null → "15 digits"
      schema.max_length  32 → 15
  create  field        devices.serial
* delete  systemField  directus_activity.timestamp
      * drops the index on directus_activity.timestamp
`
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"snapshot", "diff", snapshotFile("base.yaml"), snapshotFile("changed.yaml")}, 0},
		{[]string{"snapshot", "diff", "--exit-code", snapshotFile("base.yaml"), snapshotFile("changed.yaml")}, 1},
	} {
		r := runCLI(t, "", nil, false, tc.args...)
		if r.code != tc.code || r.err != "" {
			t.Fatalf("%v: code %d (want %d), stderr %q", tc.args, r.code, tc.code, r.err)
		}
		if !strings.Contains(r.out, want) || !strings.Contains(r.out, "devices\n      meta.icon  \"router\" → \"memory\"") {
			t.Fatalf("output:\n%s", r.out)
		}
		if !strings.HasSuffix(r.out, "4 changes: 1 create, 2 update, 1 delete; 1 destructive, 1 warning\n") {
			t.Fatalf("summary:\n%s", r.out)
		}
		if strings.Contains(r.out, "\x1b[") {
			t.Fatal("colour written to a non-terminal")
		}
	}
}

func TestSnapshotDiffColourOnlyOnTerminal(t *testing.T) {
	args := []string{"snapshot", "diff", snapshotFile("base.yaml"), snapshotFile("changed.yaml")}
	if r := runCLI(t, "", nil, true, args...); !strings.Contains(r.out, "\x1b[1;31m!") {
		t.Fatalf("no colour on a terminal:\n%q", r.out)
	}
	if r := runCLI(t, "", map[string]string{"NO_COLOR": "1"}, true, args...); strings.Contains(r.out, "\x1b[") {
		t.Fatal("colour despite NO_COLOR")
	}
	if r := runCLI(t, "", nil, true, append(args, "--format", "json")...); strings.Contains(r.out, "\x1b[") {
		t.Fatal("colour in JSON")
	}
}

func TestSnapshotDiffJSONAndMarkdown(t *testing.T) {
	r := runCLI(t, "", nil, false, "snapshot", "diff", "--format", "json", snapshotFile("base.yaml"), snapshotFile("changed.yaml"))
	if r.code != 0 {
		t.Fatalf("code %d: %s", r.code, r.err)
	}
	var doc struct {
		Summary struct{ Create, Update, Delete, Destructive, Warnings int }
		Changes []struct {
			Kind, Key, Op, Severity string
			Reasons                 []string
			Paths                   []struct {
				Path     string
				Old, New any
			}
		}
	}
	if err := json.Unmarshal([]byte(r.out), &doc); err != nil {
		t.Fatalf("%v:\n%s", err, r.out)
	}
	if doc.Summary.Create != 1 || doc.Summary.Update != 2 || doc.Summary.Delete != 1 || doc.Summary.Destructive != 1 || doc.Summary.Warnings != 1 {
		t.Fatalf("summary %+v", doc.Summary)
	}
	if c := doc.Changes[1]; c.Key != "devices.imei" || c.Severity != "destructive" || len(c.Paths) != 2 {
		t.Fatalf("change %+v", c)
	}

	r = runCLI(t, "", nil, false, "snapshot", "diff", "--format", "markdown", snapshotFile("base.yaml"), snapshotFile("changed.yaml"))
	if r.code != 0 || !strings.HasPrefix(r.out, "**Schema diff:** 4 changes (1 create, 2 update, 1 delete) — **1 destructive**, 1 warning\n\n| | Operation |") {
		t.Fatalf("markdown (%d):\n%s", r.code, r.out)
	}
}

func TestSnapshotDiffStdin(t *testing.T) {
	base, err := os.ReadFile(snapshotFile("base.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, string(base), nil, false, "snapshot", "diff", "--exit-code", "-", snapshotFile("reordered.yaml"))
	if r.code != 0 {
		t.Fatalf("stdin as from: code %d, %s%s", r.code, r.out, r.err)
	}
	r = runCLI(t, string(base), nil, false, "snapshot", "diff", "--exit-code", snapshotFile("changed.yaml"), "-")
	if r.code != 1 {
		t.Fatalf("stdin as to: code %d", r.code)
	}
	r = runCLI(t, "{\"version\": 1,\n \"collections\": [}", nil, false, "snapshot", "diff", "-", snapshotFile("base.yaml"))
	if r.code != 2 || !strings.Contains(r.err, "trmctl: <stdin>:2:18: invalid JSON") {
		t.Fatalf("bad stdin: code %d, stderr %q", r.code, r.err)
	}
}

func TestSnapshotDiffExclude(t *testing.T) {
	args := []string{"snapshot", "diff", "--exit-code", snapshotFile("base.yaml"), snapshotFile("with-positions.yaml")}
	if r := runCLI(t, "", nil, false, args...); r.code != 1 || !strings.Contains(r.out, "create  collection   positions") {
		t.Fatalf("without --exclude: code %d\n%s", r.code, r.out)
	}
	for _, extra := range [][]string{{"--exclude", "positions"}, {"--exclude", "pos*,migrations_*"}, {"--exclude", "migrations_*", "--exclude", "positions"}} {
		if r := runCLI(t, "", nil, false, append(args, extra...)...); r.code != 0 {
			t.Fatalf("%v: code %d\n%s%s", extra, r.code, r.out, r.err)
		}
	}
	if r := runCLI(t, "", map[string]string{"TRM_EXCLUDE": "migrations_applied,positions"}, false, args...); r.code != 0 {
		t.Fatalf("TRM_EXCLUDE: code %d\n%s%s", r.code, r.out, r.err)
	}
	if r := runCLI(t, "", nil, false, append(args, "--exclude", "pos[")...); r.code != 2 || !strings.Contains(r.err, `bad exclude pattern "pos["`) {
		t.Fatalf("bad pattern: code %d, stderr %q", r.code, r.err)
	}
}

func TestSnapshotDiffErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []string // substrings of stderr
	}{
		{"bad format", []string{"--format", "html", snapshotFile("base.yaml"), snapshotFile("changed.yaml")}, []string{`invalid --format "html": use text, markdown or json`, "Run 'trmctl --help'"}},
		{"missing file", []string{snapshotFile("nope.yaml"), snapshotFile("base.yaml")}, []string{"nope.yaml: cannot read file", "no such file"}},
		{"missing file with --exit-code", []string{"--exit-code", snapshotFile("base.yaml"), snapshotFile("nope.yaml")}, []string{"nope.yaml"}},
		{"semantic error", []string{snapshotFile("broken.yaml"), snapshotFile("base.yaml")}, []string{"broken.yaml:5:5: fields[0]: no field key"}},
		{"syntax error", []string{"--exit-code", snapshotFile("base.yaml"), snapshotFile("malformed.yaml")}, []string{"malformed.yaml:5: invalid YAML"}},
		{"one argument", []string{snapshotFile("base.yaml")}, []string{"accepts 2 arg(s), received 1"}},
		{"both stdin", []string{"-", "-"}, []string{"only one of <from> and <to> can be '-'"}},
		{"unknown flag", []string{"--colour", snapshotFile("base.yaml"), snapshotFile("base.yaml")}, []string{"unknown flag: --colour"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, "", nil, false, append([]string{"snapshot", "diff"}, tt.args...)...)
			if r.code != 2 {
				t.Fatalf("code %d, want 2 (stderr %q)", r.code, r.err)
			}
			if r.out != "" {
				t.Errorf("stdout %q", r.out)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.err, w) {
					t.Errorf("stderr %q lacks %q", r.err, w)
				}
			}
		})
	}
	// A file error is not a usage error: no usage hint after it.
	r := runCLI(t, "", nil, false, "snapshot", "diff", snapshotFile("broken.yaml"), snapshotFile("base.yaml"))
	if strings.Contains(r.err, "--help") || strings.Count(r.err, "\n") != 1 {
		t.Errorf("stderr %q", r.err)
	}
}

func TestSnapshotHelp(t *testing.T) {
	r := runCLI(t, "", nil, false, "snapshot", "diff", "--help")
	if r.code != 0 || !strings.Contains(r.out, "Examples:") || !strings.Contains(r.out, "$ trmctl snapshot diff") || !strings.Contains(r.out, "--exit-code") {
		t.Fatalf("help (%d):\n%s", r.code, r.out)
	}
	r = runCLI(t, "", nil, false, "snapshot")
	if r.code != 0 || !strings.Contains(r.out, "diff") {
		t.Fatalf("group help (%d):\n%s", r.code, r.out)
	}
	if r := runCLI(t, "", nil, false, "snapshot", "frobnicate"); r.code != 2 {
		t.Fatalf("unknown subcommand: code %d", r.code)
	}
}

// A snapshot lacking a key Directus writes makes Directus 11 delete the
// collection on apply; lib/snapshot says so neutrally, trmctl names the
// remedy.
func TestDiffNamesTheRemedyForASnapshotLackingKeys(t *testing.T) {
	base, err := os.ReadFile(snapshotFile("base.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	lacking := filepath.Join(t.TempDir(), "lacking.yaml")
	if err := os.WriteFile(lacking, []byte(strings.Replace(string(base), "      icon: router\n      note: null\n", "      icon: router\n", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, "", nil, false, "snapshot", "diff", snapshotFile("base.yaml"), lacking)
	if r.code != 0 || !strings.Contains(r.out, "directus/directus#27877") ||
		!strings.Contains(r.err, "1 update(s) would be applied by Directus 11 as deletes because "+lacking+" lacks keys the running Directus writes; write it with `trmctl snapshot pull`") {
		t.Errorf("exit %d\nstdout %s\nstderr %s", r.code, r.out, r.err)
	}
}

// withVendor writes a copy of a testdata snapshot with another vendor line.
func withVendor(t *testing.T, name, vendor string) string {
	t.Helper()
	data, err := os.ReadFile(snapshotFile(name))
	if err != nil {
		t.Fatal(err)
	}
	out := strings.Replace(string(data), "vendor: postgres\n", "vendor: "+vendor+"\n", 1)
	p := filepath.Join(t.TempDir(), vendor+"-"+name)
	if err := os.WriteFile(p, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// A snapshot of another vendor can diff as "No differences." (the
// structure is the same); Directus refuses to compare it, and so does
// the diff unless told to.
func TestSnapshotDiffRefusesSnapshotsOfDifferentVendors(t *testing.T) {
	mysql := withVendor(t, "base.yaml", "mysql")
	r := runCLI(t, "", nil, false, "snapshot", "diff", "--exit-code", snapshotFile("base.yaml"), mysql)
	if r.code != 2 || r.out != "" {
		t.Fatalf("code %d, stdout %q, stderr %q", r.code, r.out, r.err)
	}
	for _, want := range []string{snapshotFile("base.yaml") + " is a snapshot of a postgres database and " + mysql + " of a mysql one",
		"Directus refuses", "--ignore-vendor"} {
		if !strings.Contains(r.err, want) {
			t.Errorf("stderr %q lacks %q", r.err, want)
		}
	}
	for _, env := range []map[string]string{nil, {"TRM_IGNORE_VENDOR": "true"}} {
		args := []string{"snapshot", "diff", "--exit-code", snapshotFile("base.yaml"), mysql}
		if env == nil {
			args = append(args, "--ignore-vendor")
		}
		r = runCLI(t, "", env, false, args...)
		if r.code != 0 || r.out != "No differences.\n" || !strings.Contains(r.err, "warning: ") || !strings.Contains(r.err, "comparing them anyway") {
			t.Fatalf("%v: code %d, stdout %q, stderr %q", env, r.code, r.out, r.err)
		}
	}
	// The same vendor, or a snapshot that names none, compares as before.
	if r := runCLI(t, "", nil, false, "snapshot", "diff", withVendor(t, "base.yaml", "mysql"), mysql); r.code != 0 || r.err != "" {
		t.Fatalf("mysql against mysql: code %d, stderr %q", r.code, r.err)
	}
}

func TestSnapshotDiffSizeLimit(t *testing.T) {
	base := snapshotFile("base.yaml")
	st, err := os.Stat(base)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		env  map[string]string
		args []string
	}{
		{nil, []string{"--snapshot-max-size", "100"}},
		{map[string]string{"TRM_SNAPSHOT_MAX_SIZE": "100B"}, nil},
	} {
		r := runCLI(t, "", tc.env, false, append(append([]string{"snapshot", "diff"}, tc.args...), base, base)...)
		want := fmt.Sprintf("trmctl: %s: %d bytes is over the snapshot size limit of 100 bytes (if it really is a snapshot, raise the limit with --snapshot-max-size or TRM_SNAPSHOT_MAX_SIZE)\n", base, st.Size())
		if r.code != 2 || r.out != "" || r.err != want {
			t.Fatalf("%v %v: code %d, stderr %q, want %q", tc.env, tc.args, r.code, r.err, want)
		}
	}
	data, err := os.ReadFile(base)
	if err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, string(data), nil, false, "snapshot", "diff", "--snapshot-max-size", "1KiB", "-", base)
	if r.code != 0 {
		t.Fatalf("under the limit: code %d, stderr %q", r.code, r.err)
	}
	r = runCLI(t, strings.Repeat(string(data), 2), nil, false, "snapshot", "diff", "--snapshot-max-size", "1KiB", "-", base)
	if r.code != 2 || !strings.Contains(r.err, "<stdin>: more than the snapshot size limit of 1024 bytes (1 KiB)") {
		t.Fatalf("stdin over the limit: code %d, stderr %q", r.code, r.err)
	}
	r = runCLI(t, "", nil, false, "snapshot", "diff", "--snapshot-max-size", "lots", base, base)
	if r.code != 2 || !strings.Contains(r.err, `--snapshot-max-size="lots": not a size such as 64MiB`) {
		t.Fatalf("bad size: code %d, stderr %q", r.code, r.err)
	}
}

// boot plan reads the committed snapshot as the entrypoint does: a
// snapshot of another vendor, or over the size limit, stops it before the
// database is touched, with the entrypoint's exit code for a bad
// snapshot.
func TestBootPlanRefusesASnapshotOfAnotherVendor(t *testing.T) {
	env := map[string]string{"TRM_DATABASE_URL": "postgres://nobody@127.0.0.1:1/none", "TRM_SNAPSHOT": withVendor(t, "base.yaml", "mysql")}
	r := runCLI(t, "", env, false, "boot", "plan")
	if r.code != 2 || !strings.Contains(r.err, "the snapshots are of different database vendors: mysql and postgres") ||
		!strings.Contains(r.err, "fix: this Directus runs on PostgreSQL") {
		t.Fatalf("code %d, stderr %q", r.code, r.err)
	}
	env["TRM_SNAPSHOT"] = snapshotFile("base.yaml")
	r = runCLI(t, "", env, false, "boot", "plan", "--snapshot-max-size", "100")
	if r.code != 2 || !strings.Contains(r.err, "is over the snapshot size limit of 100 bytes") || !strings.Contains(r.err, "raise TRM_SNAPSHOT_MAX_SIZE") {
		t.Fatalf("over the limit: code %d, stderr %q", r.code, r.err)
	}
}

// TestDiffReadPacingKeepsGOGC: the diff's reads run with GOGC=400 and set
// it back after; a GOGC in the environment is the caller's and is kept.
func TestDiffReadPacingKeepsGOGC(t *testing.T) {
	before := debug.SetGCPercent(100)
	defer debug.SetGCPercent(before)
	a := &app{getenv: func(string) (string, bool) { return "", false }}
	restore := a.readPacing()
	if got := debug.SetGCPercent(400); got != 400 {
		t.Errorf("while reading GOGC is %d, want 400", got)
	}
	restore()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("after reading GOGC is %d, want 100 back", got)
	}
	a = &app{getenv: func(k string) (string, bool) { return "50", k == "GOGC" }}
	restore = a.readPacing()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("with GOGC set, the reads changed it to %d", got)
	}
	restore()
}
