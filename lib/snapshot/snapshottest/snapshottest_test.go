package snapshottest_test

import (
	"bytes"
	"fmt"
	"testing"

	"git.dev.trmtracking.org/trm/directus/lib/snapshot"
	"git.dev.trmtracking.org/trm/directus/lib/snapshot/snapshottest"
)

func TestGenerateReadsBackAndChangeDiffers(t *testing.T) {
	s := snapshottest.Generate(20, 5)
	if len(s.Collections) != 20 || len(s.Fields) != 100 || len(s.Relations) != 19 {
		t.Fatalf("%d collections, %d fields, %d relations", len(s.Collections), len(s.Fields), len(s.Relations))
	}
	y, err := s.YAML()
	if err != nil {
		t.Fatal(err)
	}
	back, err := snapshot.Parse("generated.yaml", y)
	if err != nil {
		t.Fatal(err)
	}
	if r := snapshot.Diff(s, back); !r.Empty() {
		t.Fatalf("read back with %d differences", len(r.Changes))
	}
	a, b := snapshottest.Change(s, 0.2, 7), snapshottest.Change(s, 0.2, 7)
	if snapshot.Diff(s, a).Empty() {
		t.Fatal("no changes made")
	}
	ya, _ := a.YAML()
	yb, _ := b.YAML()
	if !bytes.Equal(ya, yb) {
		t.Fatal("the same seed made different changes")
	}
}

func ExampleGenerate() {
	from := snapshottest.Generate(200, 20)
	to := snapshottest.Change(from, 0.05, 1)
	r := snapshot.Diff(from, to)
	fmt.Println(len(from.Fields), r.Summary().Delete > 0)
	// Output: 4000 true
}
