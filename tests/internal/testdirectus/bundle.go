package testdirectus

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// BundleFolder is the extension bundle's folder under extensions/.
const BundleFolder = "trm"

// bundleStamp lists every build input of the bundle with its SHA-256
// (sha256sum's format), written by scripts/extensions.sh after a build.
const bundleStamp = "dist/.trm-build-inputs"

const bundleHowTo = "build it: make extensions (scripts/extensions.sh build)"

// BundleError says why the extension bundle cannot be loaded as it is.
type BundleError struct {
	// Dir is the bundle's folder (extensions/trm).
	Dir string
	// Problem is what is wrong, e.g. "not built (no dist/api.js)" or
	// "out of date: src/x.ts changed since the build".
	Problem string
}

func (e *BundleError) Error() string {
	return fmt.Sprintf("the TRM extension bundle %s is %s: %s", e.Dir, e.Problem, bundleHowTo)
}

// CheckBundle reports whether extensionsDir holds the bundle built from
// its current sources: dist/api.js exists and the stamp the build wrote
// lists exactly today's inputs (package.json, package-lock.json,
// tsconfig.json, src/**) with their current hashes. Tests run Directus with
// the built bundle, as the image does, so a stale one would test old code.
func CheckBundle(extensionsDir string) error {
	dir := filepath.Join(extensionsDir, BundleFolder)
	if _, err := os.Stat(filepath.Join(dir, "package.json")); err != nil {
		return &BundleError{Dir: dir, Problem: "missing (no package.json)"}
	}
	if _, err := os.Stat(filepath.Join(dir, "dist", "api.js")); err != nil {
		return &BundleError{Dir: dir, Problem: "not built (no dist/api.js)"}
	}
	stamp, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(bundleStamp)))
	if err != nil {
		return &BundleError{Dir: dir, Problem: "not built completely (no " + bundleStamp + ")"}
	}
	built := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(stamp))
	for sc.Scan() {
		sum, path, ok := strings.Cut(sc.Text(), "  ")
		if !ok || len(sum) != sha256.Size*2 {
			return &BundleError{Dir: dir, Problem: "of unknown state (" + bundleStamp + " is not a sha256sum list)"}
		}
		built[path] = sum
	}
	inputs, err := bundleInputs(dir)
	if err != nil {
		return err
	}
	for _, path := range inputs {
		want, ok := built[path]
		if !ok {
			return &BundleError{Dir: dir, Problem: "out of date: " + path + " is new since the build"}
		}
		delete(built, path)
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(path)))
		if err != nil {
			return err
		}
		if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != want {
			return &BundleError{Dir: dir, Problem: "out of date: " + path + " changed since the build"}
		}
	}
	for path := range built {
		return &BundleError{Dir: dir, Problem: "out of date: " + path + " was removed since the build"}
	}
	return nil
}

// bundleInputs lists the build's inputs as scripts/extensions.sh does,
// slash-separated and relative to the bundle's folder.
func bundleInputs(dir string) ([]string, error) {
	inputs := []string{"package.json", "package-lock.json", "tsconfig.json"}
	err := filepath.WalkDir(filepath.Join(dir, "src"), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.Type().IsRegular() {
			rel, err := filepath.Rel(dir, p)
			if err != nil {
				return err
			}
			inputs = append(inputs, filepath.ToSlash(rel))
		}
		return nil
	})
	slices.Sort(inputs)
	return inputs, err
}
