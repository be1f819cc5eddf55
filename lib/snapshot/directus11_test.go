package snapshot

import (
	"strings"
	"testing"
)

// Directus 11 deletes a collection or relation whose diff begins with a
// removed key (directus/directus#27877): Diff must report it, destructive,
// even when the removed key was null.
func TestDiffFlagsUpdatesDirectus11AppliesAsDeletes(t *testing.T) {
	const bug = "directus/directus#27877"
	tests := []struct {
		name     string
		edit     func(to *Snapshot)
		key      string
		wantBug  bool
		wantPath string
	}{
		{"collection loses a meta key", func(to *Snapshot) { getMap(to.Collections[0].Raw, "meta").Delete("icon") }, "devices", true, "meta.icon"},
		{"collection loses a null meta key, no other difference", func(to *Snapshot) { getMap(to.Collections[0].Raw, "meta").Delete("note") }, "devices", true, "meta.note"},
		{"folder loses a meta key", func(to *Snapshot) { getMap(to.Collections[2].Raw, "meta").Delete("collection") }, "grouping", true, "meta.collection"},
		{"an earlier key changes first", func(to *Snapshot) {
			m := getMap(to.Collections[0].Raw, "meta")
			m.Set("collection", "devices2")
			m.Delete("note")
		}, "devices", false, ""},
		{"collection gains a meta key", func(to *Snapshot) { setPath(to.Collections[0].Raw, "meta.color", "#fff") }, "devices", false, ""},
		{"relation loses a meta key", func(to *Snapshot) { getMap(to.Relations[0].Raw, "meta").Delete("one_field") }, "devices.fleet", true, "meta.one_field"},
		{"relation meta.id is no key of Directus's", func(to *Snapshot) { getMap(to.Relations[0].Raw, "meta").Delete("id") }, "", false, ""},
		{"field loses a meta key (its apply is guarded)", func(to *Snapshot) { getMap(findField(to, "devices", "name").Raw, "meta").Delete("note") }, "", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from := base(t)
			to := from.Clone()
			tt.edit(to)
			r := Diff(from, to)
			if tt.key == "" {
				if !r.Empty() {
					t.Fatalf("changes %+v", r.Changes)
				}
				return
			}
			var c *Change
			for i := range r.Changes {
				if r.Changes[i].Key.String() == tt.key {
					c = &r.Changes[i]
				}
			}
			if c == nil || c.Op != OpUpdate {
				t.Fatalf("no update of %s in %+v", tt.key, r.Changes)
			}
			hasBug := strings.Contains(strings.Join(c.Reasons, "\n"), bug)
			if hasBug != tt.wantBug {
				t.Fatalf("reasons %q: want the Directus 11 delete %v", c.Reasons, tt.wantBug)
			}
			if tt.wantBug && (c.Severity != SeverityDestructive || !strings.Contains(strings.Join(c.Reasons, "\n"), "removing "+tt.wantPath+",")) {
				t.Fatalf("severity %s, reasons %q", c.Severity, c.Reasons)
			}
			if c.MissingKey != tt.wantPath {
				t.Errorf("MissingKey %q, want %q", c.MissingKey, tt.wantPath)
			}
		})
	}
}

func TestFirstDeepDiffWalksAsDeepDiff(t *testing.T) {
	m := func(kv ...any) *Map {
		out := NewMap()
		for i := 0; i < len(kv); i += 2 {
			out.Set(kv[i].(string), kv[i+1])
		}
		return out
	}
	tests := []struct {
		name    string
		a, b    any
		kind    byte
		path    string
		nothing bool
	}{
		{"equal", m("a", 1, "b", []any{"x"}), m("b", []any{"x"}, "a", 1.0), 0, "", true},
		{"keys of the left first", m("a", 1, "b", 2), m("c", 3, "a", 2), 'E', "a", false},
		{"a missing key deletes", m("a", nil, "b", 2), m("b", 3), 'D', "a", false},
		{"new keys come last", m("a", 1, "b", m("x", 1)), m("z", 0, "a", 1, "b", m("x", 2)), 'E', "b.x", false},
		{"type change is an edit", m("a", nil), m("a", m()), 'E', "a", false},
		{"lists of other lengths", m("a", []any{1}), m("a", []any{1, 2}), 'A', "a", false},
		{"lists from the end", m("a", []any{m("p", 1), m("q", 1)}), m("a", []any{m("p", 2), m()}), 'D', "a.1.q", false},
	}
	for _, tt := range tests {
		kind, path, found := firstDeepDiff(tt.a, tt.b, true, true, "")
		if found == tt.nothing || kind != tt.kind || path != tt.path {
			t.Errorf("%s: got %c %q %v, want %c %q", tt.name, kind, path, found, tt.kind, tt.path)
		}
	}
}

func TestDiffComparesWhatDirectusCompares(t *testing.T) {
	from := base(t)
	to := from.Clone()
	// Directus never alters an auto-increment primary key's column.
	setPath(findField(to, "devices", "id").Raw, "schema.is_nullable", true)
	setPath(findField(to, "devices", "id").Raw, "schema.numeric_precision", num("64"))
	// Vendor extras and unknown keys are kept in a snapshot, never applied.
	setPath(findField(to, "devices", "name").Raw, "schema.comment", "a comment")
	setPath(findField(to, "devices", "name").Raw, "extra", true)
	setPath(to.Collections[0].Raw, "schema.sql", "CREATE TABLE devices ()")
	setPath(to.Relations[0].Raw, "schema.foreign_key_schema", "public")
	if r := Diff(from, to); !r.Empty() {
		t.Fatalf("changes Directus does not see: %+v", r.Changes)
	}

	// Loosening constraints of other columns is a safe update.
	setPath(findField(from, "devices", "name").Raw, "schema.is_nullable", false)
	setPath(findField(from, "devices", "name").Raw, "schema.is_unique", true)
	r := Diff(from, to)
	if len(r.Changes) != 1 || r.Changes[0].Key.String() != "devices.name" || r.Changes[0].Severity != SeveritySafe || len(r.Changes[0].Paths) != 2 {
		t.Fatalf("changes %+v", r.Changes)
	}
	// A type change of an auto-increment primary key is compared.
	setPath(findField(to, "devices", "id").Raw, "type", "bigInteger")
	if r := Diff(from, to); len(r.Changes) != 2 || r.Changes[0].Key.String() != "devices.id" || r.Changes[0].Severity != SeverityDestructive {
		t.Fatalf("changes %+v", r.Changes)
	}
}
