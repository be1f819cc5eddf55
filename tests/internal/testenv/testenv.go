// Package testenv holds what every test suite of this repository needs
// about its surroundings: where the repository is, a free TCP port, a
// scratch copy of a folder, and the public corpus of Directus snapshots.
package testenv

import (
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// RepoRoot is the repository holding the working directory: the first
// folder at or above it with go.work or .git.
func RepoRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if IsRepoRoot(dir) {
			return dir, nil
		}
		if filepath.Dir(dir) == dir {
			return "", fmt.Errorf("no repository root (go.work or .git) at or above %s", wd)
		}
	}
}

// IsRepoRoot says whether dir is the top of a checkout.
func IsRepoRoot(dir string) bool {
	for _, marker := range []string{"go.work", ".git"} {
		if _, err := os.Stat(filepath.Join(dir, marker)); err == nil {
			return true
		}
	}
	return false
}

// Path is the absolute path of rel (slash-separated) in the repository.
func Path(t testing.TB, rel string) string {
	t.Helper()
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, filepath.FromSlash(rel))
}

// FreePort is a TCP port on the loopback interface that nothing listens
// on at the time of the call.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Port is FreePort for a test.
func Port(t testing.TB) int {
	t.Helper()
	p, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// CopyTree copies the folder src into a new temporary folder of the test
// and returns it, so that a test may change files the repository commits.
func CopyTree(t testing.TB, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatalf("copy %s: %v", src, err)
	}
	return dst
}

// CorpusDir is the public corpus of real Directus snapshots:
// $TRM_SNAPSHOT_CORPUS, else shared/corpus/directus-snapshots in the
// working directory or a folder above it. A missing corpus fails the test
// with instructions: it never skips.
func CorpusDir(t testing.TB) string {
	t.Helper()
	if d := os.Getenv("TRM_SNAPSHOT_CORPUS"); d != "" {
		if st, err := os.Stat(d); err != nil || !st.IsDir() {
			t.Fatalf("TRM_SNAPSHOT_CORPUS=%s is not a directory", d)
		}
		return d
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		cand := filepath.Join(dir, "shared", "corpus", "directus-snapshots")
		if st, err := os.Stat(cand); err == nil && st.IsDir() {
			return cand
		}
		if filepath.Dir(dir) == dir {
			break
		}
	}
	t.Fatalf("corpus of Directus snapshots not found: set TRM_SNAPSHOT_CORPUS to the directory holding them, "+
		"or place shared/corpus/directus-snapshots beside the repository (searched upwards from %s)", wd)
	return ""
}

// Build compiles the command at importPath (a package of this repository,
// e.g. git.dev.trmtracking.org/trm/directus/cmd/trmctl) into dir and
// returns the binary's path: the suites test the binaries operators run.
func Build(dir, importPath string) (string, error) {
	bin := filepath.Join(dir, filepath.Base(importPath))
	out, err := exec.Command("go", "build", "-o", bin, importPath).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build %s: %v\n%s", importPath, err, out)
	}
	return bin, nil
}
