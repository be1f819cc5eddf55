package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// testdata/lib/example is a module with one of each kind of exported
// identifier; its api.txt is the expected output, read by a person.
const fixture = "testdata"

func runDump(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestTheCommittedFixtureIsUpToDate(t *testing.T) {
	if code, out, errOut := runDump(t, "-root", fixture); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
}

// copyFixture copies the fixture module into a temporary root.
func copyFixture(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	src := filepath.Join(fixture, "lib")
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(fixture, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(root, rel), 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(root, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func edit(t *testing.T, path, old, new string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(old)) {
		t.Fatalf("%s has no %q", path, old)
	}
	if err := os.WriteFile(path, bytes.Replace(b, []byte(old), []byte(new), 1), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestAChangedAPIFailsTheCheckAndSaysWhatItMeans(t *testing.T) {
	cases := []struct {
		name, old, new string
		want           []string
	}{
		{"a changed signature", "func Open(ctx context.Context, name string, opts ...Options) (r Reader, err error)",
			"func Open(ctx context.Context, name string) (r Reader, err error)",
			[]string{"  - pkg example.com/lib/example, func Open(context.Context, string, ...Options) (Reader, error)",
				"  + pkg example.com/lib/example, func Open(context.Context, string) (Reader, error)", "an incompatible change"}},
		{"an added function", "// Validate is", "// Close is new.\nfunc Close() {}\n\n// Validate is",
			[]string{"  + pkg example.com/lib/example, func Close()", "a compatible change (the next minor version)"}},
		{"a removed field", "\tHook    func(ctx context.Context, n int) error\n", "",
			[]string{"  - pkg example.com/lib/example, type Options struct, Hook func(context.Context, int) error", "an incompatible change"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := copyFixture(t)
			edit(t, filepath.Join(root, "lib", "example", "example.go"), c.old, c.new)
			code, _, errOut := runDump(t, "-root", root)
			if code != 1 {
				t.Fatalf("exit %d, want 1\n%s", code, errOut)
			}
			for _, w := range append(c.want, "lib/example/api.txt does not match", "make api") {
				if !strings.Contains(errOut, w) {
					t.Errorf("the report lacks %q:\n%s", w, errOut)
				}
			}
			if code, _, errOut := runDump(t, "-root", root, "-w"); code != 0 {
				t.Fatalf("-w: exit %d\n%s", code, errOut)
			}
			if code, _, errOut := runDump(t, "-root", root); code != 0 {
				t.Errorf("after -w the check still fails:\n%s", errOut)
			}
		})
	}
}

func TestRenamingAParameterChangesNothing(t *testing.T) {
	root := copyFixture(t)
	edit(t, filepath.Join(root, "lib", "example", "example.go"), "func Open(ctx context.Context, name string,", "func Open(c context.Context, path string,")
	if code, _, errOut := runDump(t, "-root", root); code != 0 {
		t.Errorf("exit %d\n%s", code, errOut)
	}
}

func TestAMissingFileFails(t *testing.T) {
	root := copyFixture(t)
	if err := os.Remove(filepath.Join(root, "lib", "example", fileName)); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runDump(t, "-root", root); code != 1 || !strings.Contains(errOut, "lib/example/api.txt is missing") {
		t.Errorf("exit %d\n%s", code, errOut)
	}
}

func TestUsage(t *testing.T) {
	if code, _, errOut := runDump(t, "-root", t.TempDir()); code != 2 || !strings.Contains(errOut, "no lib/*/go.mod") {
		t.Errorf("an empty root: exit %d %s", code, errOut)
	}
	if code, _, _ := runDump(t, "extra"); code != 2 {
		t.Errorf("an argument: exit %d", code)
	}
}

func TestNextVersionFollowsTheRules(t *testing.T) {
	cases := []struct {
		last           string
		removed, added int
		want           string
	}{
		{"v0.3.2", 1, 0, "v0.4.0"},
		{"v0.3.2", 1, 5, "v0.4.0"},
		{"v0.3.2", 0, 2, "v0.4.0"},
		{"v0.3.2", 0, 0, "v0.3.3"},
		{"v1.3.2", 1, 0, "v2.0.0"},
		{"v1.3.2", 0, 1, "v1.4.0"},
		{"v1.3.2", 0, 0, "v1.3.3"},
	}
	for _, c := range cases {
		last, ok := parseVersion(c.last)
		if !ok {
			t.Fatalf("%s does not parse", c.last)
		}
		if got, _ := nextVersion(last, c.removed, c.added); got.String() != c.want {
			t.Errorf("%s with %d removed, %d added: %s, want %s", c.last, c.removed, c.added, got, c.want)
		}
	}
	for _, bad := range []string{"1.2.3", "v1.2", "v01.2.3", "v1.2.3-rc1", "v1.-2.3"} {
		if _, ok := parseVersion(bad); ok {
			t.Errorf("%q parsed", bad)
		}
	}
}

// -next reads the API file at the library's latest tag, in a scratch
// repository.
func TestNextComparesWithTheLatestTag(t *testing.T) {
	root := copyFixture(t)
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git("init", "-q")
	git("add", ".")
	git("commit", "-qm", "first")
	if code, out, errOut := runDump(t, "-root", root, "-next"); code != 0 || !strings.Contains(out, "lib/example: no tag yet; the first is lib/example/v0.1.0") {
		t.Fatalf("no tag: exit %d %s%s", code, out, errOut)
	}
	git("tag", "lib/example/v0.1.0")
	git("tag", "lib/example/v0.2.0")
	git("tag", "lib/example/v0.10.0")
	edit(t, filepath.Join(root, "lib", "example", "example.go"), "// Validate is", "// Close is new.\nfunc Close() {}\n\n// Validate is")
	if code, _, errOut := runDump(t, "-root", root, "-w"); code != 0 {
		t.Fatal(errOut)
	}
	code, out, errOut := runDump(t, "-root", root, "-next")
	if code != 0 || !strings.Contains(out, "lib/example: lib/example/v0.10.0 → lib/example/v0.11.0 (1 line(s) added: compatible, the next minor)") {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
}
