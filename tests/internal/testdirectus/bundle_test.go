package testdirectus

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeBundle writes a bundle folder with the given sources and, when
// built, a dist/api.js and the stamp scripts/extensions.sh writes.
func fakeBundle(t *testing.T, files map[string]string, built bool) string {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, BundleFolder)
	for path, text := range files {
		p := filepath.Join(dir, filepath.FromSlash(path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if built {
		inputs, err := bundleInputs(dir)
		if err != nil {
			t.Fatal(err)
		}
		var stamp strings.Builder
		for _, path := range inputs {
			b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(path)))
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(b)
			fmt.Fprintf(&stamp, "%s  %s\n", hex.EncodeToString(sum[:]), path)
		}
		if err := os.MkdirAll(filepath.Join(dir, "dist"), 0o755); err != nil {
			t.Fatal(err)
		}
		for path, text := range map[string]string{"dist/api.js": "export const hooks = [];", bundleStamp: stamp.String()} {
			if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(path)), []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return root
}

var sources = map[string]string{
	"package.json": "{}", "package-lock.json": "{}", "tsconfig.json": "{}",
	"src/a/index.ts": "export default 1;", "src/lib/b.ts": "export const b = 2;",
}

func wantBundleError(t *testing.T, err error, problem string) {
	t.Helper()
	var be *BundleError
	if !errors.As(err, &be) {
		t.Fatalf("got %v, want a BundleError saying %q", err, problem)
	}
	if !strings.Contains(be.Problem, problem) || !strings.Contains(err.Error(), "make extensions") {
		t.Errorf("got %q, want it to say %q and name make extensions", err, problem)
	}
}

func TestCheckBundleAcceptsTheBuildOfTheCurrentSources(t *testing.T) {
	if err := CheckBundle(fakeBundle(t, sources, true)); err != nil {
		t.Fatal(err)
	}
}

func TestCheckBundleRefusesAMissingOrStaleBuild(t *testing.T) {
	wantBundleError(t, CheckBundle(fakeBundle(t, sources, false)), "not built")
	wantBundleError(t, CheckBundle(t.TempDir()), "missing")

	root := fakeBundle(t, sources, true)
	src := filepath.Join(root, BundleFolder, "src")
	if err := os.WriteFile(filepath.Join(src, "lib", "b.ts"), []byte("export const b = 3;"), 0o644); err != nil {
		t.Fatal(err)
	}
	wantBundleError(t, CheckBundle(root), "src/lib/b.ts changed")

	root = fakeBundle(t, sources, true)
	if err := os.WriteFile(filepath.Join(root, BundleFolder, "src", "c.ts"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	wantBundleError(t, CheckBundle(root), "src/c.ts is new")

	root = fakeBundle(t, sources, true)
	if err := os.Remove(filepath.Join(root, BundleFolder, "src", "a", "index.ts")); err != nil {
		t.Fatal(err)
	}
	wantBundleError(t, CheckBundle(root), "src/a/index.ts was removed")

	root = fakeBundle(t, sources, true)
	if err := os.WriteFile(filepath.Join(root, BundleFolder, "package-lock.json"), []byte(`{"v":2}`), 0o644); err != nil {
		t.Fatal(err)
	}
	wantBundleError(t, CheckBundle(root), "package-lock.json changed")
}

// The repository's own bundle must be built from its sources: every test
// that starts Directus loads it.
func TestRepositoryBundleIsBuilt(t *testing.T) {
	dir, ok := repoExtensionsDir()
	if !ok {
		t.Fatal("no extensions/ in this checkout")
	}
	if err := CheckBundle(dir); err != nil {
		t.Fatal(err)
	}
}
