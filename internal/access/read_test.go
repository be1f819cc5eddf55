package access

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

func TestReadRefusesAFolderWithoutTheMainFile(t *testing.T) {
	_, err := Read(fstest.MapFS{"policies/x.yaml": {Data: []byte(staffYAML)}}, "access")
	if err == nil || !strings.Contains(err.Error(), "access/access.yaml: missing") {
		t.Fatalf("got %v", err)
	}
}

func TestReadRefusesFilesThatAreNotPolicies(t *testing.T) {
	fsys := smallFS(staffYAML)
	fsys["policies/notes.txt"] = &fstest.MapFile{Data: []byte("hello")}
	_, err := Read(fsys, "access")
	if err == nil || !strings.Contains(err.Error(), "access/policies/notes.txt: not a policy file") {
		t.Fatalf("got %v", err)
	}
}

func TestWriteDirThenReadDirGivesTheSameSet(t *testing.T) {
	s := committedSet(t)
	dir := t.TempDir()
	// A policy file the set does not have is removed.
	if err := os.MkdirAll(filepath.Join(dir, PoliciesDir), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, PoliciesDir, "gone.yaml"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteDir(dir, s); err != nil {
		t.Fatal(err)
	}
	back, err := ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if p := planOf(t, back, LiveOf(s)); !p.Empty() {
		t.Fatalf("written and read back, the set differs: %v", changeNames(p))
	}
	if _, err := os.Stat(filepath.Join(dir, PoliciesDir, "gone.yaml")); !os.IsNotExist(err) {
		t.Errorf("gone.yaml should have been removed: %v", err)
	}
}

// FuzzReadPolicy feeds hostile policy files to the reader: it never
// panics, and what it accepts writes out in a layout that reads back to
// the same bytes.
func FuzzReadPolicy(f *testing.F) {
	f.Add([]byte(staffYAML))
	f.Add([]byte("name: staff\nicon: x\napp_access: false\npermissions: {events: {read: {fields: ['*'], filter: {_or: [{id: {_in: [1, '2', null]}}]}}}}\n"))
	f.Add([]byte("name: staff\n&a icon: *a\n"))
	f.Add([]byte("name: staff\npermissions: {events: {read: }}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Read(fstest.MapFS{"access.yaml": {Data: []byte(mainYAML)}, "policies/staff.yaml": {Data: data}}, "")
		if err != nil {
			return
		}
		files, err := Files(s)
		if err != nil {
			return
		}
		fsys := fstest.MapFS{}
		for n, b := range files {
			fsys[n] = &fstest.MapFile{Data: b}
		}
		back, err := Read(fsys, "")
		if err != nil {
			t.Fatalf("the written files do not read back: %v\n%s", err, files["policies/staff.yaml"])
		}
		again, err := Files(back)
		if err != nil {
			t.Fatal(err)
		}
		for n := range files {
			if !bytes.Equal(files[n], again[n]) {
				t.Fatalf("%s is not stable:\n%s\n---\n%s", n, files[n], again[n])
			}
		}
	})
}
