package main

import (
	"context"
	"regexp"
	"strings"
	"testing"
)

// Every field of a computed collection is read-only, and its relations
// never keep what it was computed from: the stage and the control take
// their closing times with them, a deleted entry or start empties the
// link.
func TestClosingTimesAreComputedRows(t *testing.T) {
	cs := collections()
	if len(cs) != 1 || cs[0].Name != "control_closing_times" || cs[0].Group != "timing" {
		t.Fatalf("collections %+v", cs)
	}
	onDelete := map[string]string{"stage_id": "CASCADE", "waypoint_id": "CASCADE", "last_entry_id": "SET NULL", "last_start_id": "SET NULL"}
	for _, f := range cs[0].Fields {
		if !f.Readonly {
			t.Errorf("%s is editable; every field is computed", f.Name)
		}
		if f.Relation != nil {
			if want := onDelete[f.Name]; f.Relation.OnDelete != want {
				t.Errorf("%s: on delete %s, want %s", f.Name, f.Relation.OnDelete, want)
			}
			delete(onDelete, f.Name)
		}
		if f.Name == "waypoint_id" && !f.Unique {
			t.Error("waypoint_id must be unique: one closing time per control")
		}
	}
	if len(onDelete) > 0 {
		t.Errorf("no relation for %v", onDelete)
	}
}

// -print sends nothing: the collection, then its four relations.
func TestPrint(t *testing.T) {
	steps, err := tool.Printed(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, s := range steps {
		paths = append(paths, s.Method+" "+s.Path)
	}
	if joined := strings.Join(paths, " "); !regexp.MustCompile(`^POST /collections (POST /relations ?){4}$`).MatchString(joined) {
		t.Errorf("order of requests: %s", joined)
	}
}
