package snapshot

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// smallSnapshots seed the fuzzers: snapshots of this project's Directus
// runs, of a few kilobytes.
var smallSnapshots = []string{"11.17.4-empty.yaml", "11.17.4-crews.yaml", "11.17.4-sqlite-crews.yaml"}

func readSmallSnapshots(f *testing.F) [][]byte {
	var out [][]byte
	for _, name := range smallSnapshots {
		data, err := os.ReadFile(filepath.Join(ownDir, name))
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, data)
	}
	return out
}

func addSeeds(f *testing.F) {
	for _, data := range readSmallSnapshots(f) {
		f.Add(data)
	}
	for _, s := range []string{
		baseYAML,
		`{"version":1,"directus":"11.0.0","collections":[],"fields":[],"relations":[]}`,
		`{"data":{"version":2,"directus":"12.2.0","collections":[{"collection":"a","meta":{"note":"x\u2028y"}}]}}`,
		"version: 1\ndirectus: x\ncollections: []\nfields: []\nrelations: []\nx: &a {b: *a}\n",
		"version: 1\ndirectus: x\ncollections:\n  - collection: a\n    meta: {<<: {note: 1_}}\nfields: []\nrelations: []\n",
	} {
		f.Add([]byte(s))
	}
}

// FuzzParse: the reader never panics and returns only *ParseError; what it
// accepts has an empty diff with itself, and writes out as YAML and JSON
// that read back to the same snapshot.
func FuzzParse(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := parse("fuzz", data, nil) // not Parse: a panic must fail the fuzzer, not be recovered
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			if pe.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		if r := Diff(s, s); !r.Empty() {
			t.Fatalf("diff with itself: %+v", r.Changes)
		}
		out, err := s.YAML()
		if err != nil {
			t.Fatalf("write YAML: %v", err)
		}
		back, err := parse("written", out, nil)
		if err != nil {
			t.Fatalf("written YAML does not read back: %v\n%s", err, out)
		}
		if r := Diff(s, back); !r.Empty() {
			t.Fatalf("YAML round trip changed the snapshot: %+v\n%s", r.Changes[0], out)
		}
		if again, _ := back.YAML(); !bytes.Equal(again, out) {
			t.Fatalf("writing is not stable:\n%s\n---\n%s", out, again)
		}
		js, err := s.MarshalJSON()
		if err != nil {
			t.Fatalf("write JSON: %v", err)
		}
		fromJSON, err := parse("json", js, nil)
		if err != nil {
			t.Fatalf("written JSON does not read back: %v\n%s", err, js)
		}
		if r := Diff(s, fromJSON); !r.Empty() {
			t.Fatalf("JSON round trip changed the snapshot: %+v", r.Changes[0])
		}
	})
}

// FuzzDiff: diffing any two readable snapshots neither panics nor depends on
// which renderer is asked; diff(a, a) is empty; b read with a as its base
// (WithBase) is b, item for item.
func FuzzDiff(f *testing.F) {
	seeds := readSmallSnapshots(f)
	for i := range seeds {
		f.Add(seeds[i], seeds[(i+1)%len(seeds)])
	}
	f.Add([]byte(baseYAML), seeds[0])
	f.Add([]byte(baseYAML), []byte(strings.Replace(baseYAML, "type: string", "type: text", 1)))
	f.Fuzz(func(t *testing.T, a, b []byte) {
		sa, err := parse("a", a, nil)
		if err != nil {
			return
		}
		sb, err := parse("b", b, nil)
		if err != nil {
			return
		}
		shared, err := parse("b", b, newShareIndex(sa))
		if err != nil {
			t.Fatalf("b reads without a base, not with a as base: %v", err)
		}
		if d := identicalSnapshots(sb, shared); d != "" {
			t.Fatalf("b read with a as base differs: %s", d)
		}
		if r := Diff(sa, sa); !r.Empty() {
			t.Fatalf("diff(a, a) not empty: %+v", r.Changes[0])
		}
		r := Diff(sa, sb)
		if r.Empty() != Diff(sb, sa).Empty() {
			t.Fatal("diff is empty one way only")
		}
		for _, c := range r.Changes {
			if c.Op == OpUpdate && len(c.Paths) == 0 {
				t.Fatalf("update without paths: %+v", c)
			}
		}
		if err := r.WriteText(io.Discard, TextOptions{Color: true}); err != nil {
			t.Fatal(err)
		}
		if err := r.WriteMarkdown(io.Discard); err != nil {
			t.Fatal(err)
		}
		if err := r.WriteJSON(io.Discard); err != nil {
			t.Fatal(err)
		}
	})
}
