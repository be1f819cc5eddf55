package snapshot

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// baseYAML is a small snapshot with one of everything: a table, a folder, a
// column of each interesting shape, an alias, a relation and a system field.
const baseYAML = `version: 1
directus: 11.17.4
vendor: postgres
collections:
  - collection: devices
    meta:
      collection: devices
      icon: router
      note: null
    schema:
      name: devices
  - collection: fleets
    meta:
      collection: fleets
    schema:
      name: fleets
  - collection: grouping
    meta:
      collection: grouping
    schema: null
fields:
  - collection: devices
    field: id
    type: integer
    meta:
      field: id
      id: 11
    schema:
      name: id
      table: devices
      data_type: integer
      default_value: null
      max_length: null
      numeric_precision: 32
      numeric_scale: 0
      is_nullable: false
      is_unique: true
      is_primary_key: true
      has_auto_increment: true
  - collection: devices
    field: name
    type: string
    meta:
      field: name
      id: 12
      note: null
    schema:
      name: name
      table: devices
      data_type: character varying
      default_value: null
      max_length: 255
      numeric_precision: null
      numeric_scale: null
      is_nullable: true
      is_unique: false
      is_primary_key: false
  - collection: devices
    field: price
    type: decimal
    meta:
      field: price
    schema:
      name: price
      table: devices
      data_type: numeric
      default_value: null
      max_length: null
      numeric_precision: 10
      numeric_scale: 5
      is_nullable: true
      is_unique: false
  - collection: devices
    field: notes
    type: text
    meta:
      field: notes
    schema:
      name: notes
      table: devices
      data_type: text
      max_length: null
      is_nullable: true
      is_unique: false
  - collection: devices
    field: fleet
    type: integer
    meta:
      field: fleet
    schema:
      name: fleet
      table: devices
      data_type: integer
      is_nullable: true
      is_unique: false
      foreign_key_table: fleets
      foreign_key_column: id
  - collection: fleets
    field: id
    type: integer
    meta:
      field: id
    schema:
      name: id
      table: fleets
      data_type: integer
      is_nullable: false
      is_primary_key: true
      has_auto_increment: true
  - collection: fleets
    field: devices
    type: alias
    meta:
      field: devices
      special:
        - o2m
systemFields:
  - collection: directus_activity
    field: timestamp
    schema:
      is_indexed: true
relations:
  - collection: devices
    field: fleet
    related_collection: fleets
    meta:
      id: 3
      many_collection: devices
      many_field: fleet
      one_field: devices
    schema:
      table: devices
      column: fleet
      foreign_key_table: fleets
      foreign_key_column: id
      constraint_name: devices_fleet_foreign
      on_update: NO ACTION
      on_delete: SET NULL
`

func base(t *testing.T) *Snapshot {
	t.Helper()
	return mustParse(t, "base.yaml", []byte(baseYAML))
}

func findField(s *Snapshot, coll, name string) *Field {
	for _, f := range s.Fields {
		if f.Collection() == coll && f.Name() == name {
			return f
		}
	}
	return nil
}

func setPath(m *Map, path string, v any) {
	parts := strings.Split(path, ".")
	for _, p := range parts[:len(parts)-1] {
		next := getMap(m, p)
		if next == nil {
			next = &Map{}
			m.Set(p, next)
		}
		m = next
	}
	m.Set(parts[len(parts)-1], v)
}

func num(s string) json.Number { return json.Number(s) }

func yamlMap(t *testing.T, src string) *Map {
	t.Helper()
	s := mustParse(t, "item.yaml", []byte("version: 1\ndirectus: x\ncollections: []\nrelations: []\nfields:\n"+src))
	return s.Fields[0].Raw
}

func TestClassifyRules(t *testing.T) {
	fieldChange := func(coll, name, path string, v any) func(*Snapshot) {
		return func(s *Snapshot) { setPath(findField(s, coll, name).Raw, path, v) }
	}
	tests := []struct {
		name     string
		mutate   func(*Snapshot) // applied to the "to" side
		kind     Kind
		key      string
		op       Op
		severity Severity
		reason   string // substring of a reason; "" for none
	}{
		// every operation on every kind
		{"create collection", func(s *Snapshot) {
			s.Collections = append(s.Collections, &Collection{Raw: NewMap(Member{"collection", "depots"}, Member{"schema", NewMap(Member{"name", "depots"})})})
		}, KindCollection, "depots", OpCreate, SeveritySafe, ""},
		{"update collection meta", func(s *Snapshot) { setPath(s.Collections[0].Raw, "meta.icon", "memory") },
			KindCollection, "devices", OpUpdate, SeveritySafe, ""},
		{"delete collection", func(s *Snapshot) { s.Collections = slices.Delete(s.Collections, 1, 2) },
			KindCollection, "fleets", OpDelete, SeverityDestructive, "drops table fleets"},
		{"delete folder", func(s *Snapshot) { s.Collections = s.Collections[:2] },
			KindCollection, "grouping", OpDelete, SeverityDestructive, "deletes folder grouping"},
		{"table becomes folder", func(s *Snapshot) { s.Collections[1].Raw.Set("schema", nil) },
			KindCollection, "fleets", OpUpdate, SeverityDestructive, "into a folder"},
		{"folder becomes table", func(s *Snapshot) { s.Collections[2].Raw.Set("schema", NewMap(Member{"name", "grouping"})) },
			KindCollection, "grouping", OpUpdate, SeveritySafe, ""},
		{"create field (nullable)", func(s *Snapshot) {
			s.Fields = append(s.Fields, &Field{Raw: yamlMap(t, "  - collection: devices\n    field: serial\n    type: string\n    schema:\n      is_nullable: true\n")})
		}, KindField, "devices.serial", OpCreate, SeveritySafe, ""},
		{"update field meta", fieldChange("devices", "name", "meta.note", "Device name"),
			KindField, "devices.name", OpUpdate, SeveritySafe, ""},
		{"delete field", func(s *Snapshot) { s.Fields = slices.Delete(s.Fields, 1, 2) },
			KindField, "devices.name", OpDelete, SeverityDestructive, "drops column devices.name"},
		{"delete alias field", func(s *Snapshot) { s.Fields = s.Fields[:len(s.Fields)-1] },
			KindField, "fleets.devices", OpDelete, SeverityDestructive, "deletes alias field fleets.devices"},
		{"create relation", func(s *Snapshot) {
			s.Relations = append(s.Relations, &Relation{Raw: NewMap(Member{"collection", "devices"}, Member{"field", "owner"}, Member{"related_collection", "directus_users"})})
		}, KindRelation, "devices.owner", OpCreate, SeveritySafe, ""},
		{"update relation on_delete", func(s *Snapshot) { setPath(s.Relations[0].Raw, "schema.on_delete", "CASCADE") },
			KindRelation, "devices.fleet", OpUpdate, SeveritySafe, ""},
		{"delete relation", func(s *Snapshot) { s.Relations = nil },
			KindRelation, "devices.fleet", OpDelete, SeverityDestructive, "drops foreign key devices_fleet_foreign"},
		{"create system field", func(s *Snapshot) {
			s.SystemFields = append(s.SystemFields, &SystemField{Raw: NewMap(Member{"collection", "directus_revisions"}, Member{"field", "parent"}, Member{"schema", NewMap(Member{"is_indexed", true})})})
		}, KindSystemField, "directus_revisions.parent", OpCreate, SeveritySafe, ""},
		{"update system field: index dropped", func(s *Snapshot) { setPath(s.SystemFields[0].Raw, "schema.is_indexed", false) },
			KindSystemField, "directus_activity.timestamp", OpUpdate, SeverityWarning, "drops the index"},
		{"delete system field", func(s *Snapshot) { s.SystemFields = nil },
			KindSystemField, "directus_activity.timestamp", OpDelete, SeverityWarning, "drops the index on directus_activity.timestamp"},

		// destructive rules on fields
		{"type change", fieldChange("devices", "name", "type", "text"),
			KindField, "devices.name", OpUpdate, SeverityDestructive, `type of devices.name "string" → "text"`},
		{"data_type change", fieldChange("devices", "notes", "schema.data_type", "character varying"),
			KindField, "devices.notes", OpUpdate, SeverityDestructive, "schema.data_type"},
		{"column becomes alias (schema removed)", func(s *Snapshot) { findField(s, "devices", "notes").Raw.Delete("schema") },
			KindField, "devices.notes", OpUpdate, SeverityDestructive, "into an alias"},
		{"column becomes alias (type alias)", fieldChange("devices", "notes", "type", "alias"),
			KindField, "devices.notes", OpUpdate, SeverityDestructive, "into an alias"},
		{"alias becomes column", func(s *Snapshot) {
			f := findField(s, "fleets", "devices")
			f.Raw.Set("type", "integer")
			f.Raw.Set("schema", NewMap(Member{"name", "devices"}, Member{"data_type", "integer"}))
		}, KindField, "fleets.devices", OpUpdate, SeverityDestructive, "into a column"},
		{"max_length shrinks", fieldChange("devices", "name", "schema.max_length", num("100")),
			KindField, "devices.name", OpUpdate, SeverityDestructive, "shrinks schema.max_length 255 → 100"},
		{"max_length grows", fieldChange("devices", "name", "schema.max_length", num("1024")),
			KindField, "devices.name", OpUpdate, SeveritySafe, ""},
		{"max_length limited", fieldChange("devices", "notes", "schema.max_length", num("500")),
			KindField, "devices.notes", OpUpdate, SeverityDestructive, "limits schema.max_length to 500"},
		{"max_length unlimited", fieldChange("devices", "name", "schema.max_length", nil),
			KindField, "devices.name", OpUpdate, SeveritySafe, ""},
		{"numeric_precision shrinks", fieldChange("devices", "price", "schema.numeric_precision", num("8")),
			KindField, "devices.price", OpUpdate, SeverityDestructive, "shrinks schema.numeric_precision 10 → 8"},
		{"numeric_scale shrinks", fieldChange("devices", "price", "schema.numeric_scale", num("2")),
			KindField, "devices.price", OpUpdate, SeverityDestructive, "shrinks schema.numeric_scale 5 → 2"},
		{"numeric_scale grows", fieldChange("devices", "price", "schema.numeric_scale", num("6")),
			KindField, "devices.price", OpUpdate, SeveritySafe, ""},
		{"becomes NOT NULL", fieldChange("devices", "name", "schema.is_nullable", false),
			KindField, "devices.name", OpUpdate, SeverityDestructive, "NOT NULL"},
		{"becomes UNIQUE", fieldChange("devices", "name", "schema.is_unique", true),
			KindField, "devices.name", OpUpdate, SeverityDestructive, "UNIQUE"},
		{"NOT NULL column without default on an existing table", func(s *Snapshot) {
			s.Fields = append(s.Fields, &Field{Raw: yamlMap(t, "  - collection: devices\n    field: serial\n    type: string\n    schema:\n      is_nullable: false\n      default_value: null\n")})
		}, KindField, "devices.serial", OpCreate, SeverityDestructive, "adds NOT NULL column devices.serial without a default"},
		{"NOT NULL column with a default", func(s *Snapshot) {
			s.Fields = append(s.Fields, &Field{Raw: yamlMap(t, "  - collection: devices\n    field: serial\n    type: string\n    schema:\n      is_nullable: false\n      default_value: x\n")})
		}, KindField, "devices.serial", OpCreate, SeveritySafe, ""},
		{"re-pointed foreign key", func(s *Snapshot) {
			s.Relations[0].Raw.Set("related_collection", "depots")
			setPath(s.Relations[0].Raw, "schema.foreign_key_table", "depots")
		}, KindRelation, "devices.fleet", OpUpdate, SeverityDestructive, `re-points foreign key devices.fleet (related_collection "fleets" → "depots", schema.foreign_key_table`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from := base(t)
			to := from.Clone()
			tt.mutate(to)
			r := Diff(from, to)
			var match *Change
			for i := range r.Changes {
				c := &r.Changes[i]
				if c.Kind == tt.kind && c.Key.String() == tt.key {
					match = c
				} else if c.Kind != KindField || tt.kind != KindCollection {
					// a deleted collection also deletes its fields; nothing
					// else may change
					t.Errorf("unexpected change %s %s %s", c.Op, c.Kind, c.Key)
				}
			}
			if match == nil {
				t.Fatalf("no change for %s %s in %+v", tt.kind, tt.key, r.Changes)
			}
			if match.Op != tt.op || match.Severity != tt.severity {
				t.Fatalf("got %s/%s, want %s/%s (reasons %q)", match.Op, match.Severity, tt.op, tt.severity, match.Reasons)
			}
			joined := strings.Join(match.Reasons, "\n")
			if tt.reason == "" && len(match.Reasons) > 0 {
				t.Errorf("unexpected reasons %q", match.Reasons)
			}
			if !strings.Contains(joined, tt.reason) {
				t.Errorf("reasons %q lack %q", match.Reasons, tt.reason)
			}
			if match.Op == OpUpdate && len(match.Paths) == 0 {
				t.Errorf("update without paths")
			}
		})
	}
}

func TestDiffIgnores(t *testing.T) {
	from := base(t)
	to := from.Clone()
	to.Directus = "11.1.0"
	// meta.id of fields and relations is a row id
	setPath(findField(to, "devices", "id").Raw, "meta.id", num("99"))
	setPath(to.Relations[0].Raw, "meta.id", num("42"))
	// null versus absent
	findField(to, "devices", "name").Raw.Members()[3].Value.(*Map).Delete("note")
	setPath(to.Collections[1].Raw, "meta.note", nil)
	// number spelling
	setPath(findField(to, "devices", "name").Raw, "schema.max_length", num("255.0"))
	if r := Diff(from, to); !r.Empty() {
		t.Fatalf("expected no changes, got %+v", r.Changes)
	}
}

func TestDiffUpdatePaths(t *testing.T) {
	from := base(t)
	to := from.Clone()
	f := findField(to, "devices", "name")
	setPath(f.Raw, "schema.max_length", num("100"))
	setPath(f.Raw, "meta.options", NewMap(Member{"trim", true}))
	f.Raw.Set("type", "text")
	r := Diff(from, to)
	if len(r.Changes) != 1 {
		t.Fatalf("got %d changes", len(r.Changes))
	}
	var paths []string
	for _, p := range r.Changes[0].Paths {
		paths = append(paths, p.Path)
	}
	want := []string{"type", "meta.options", "schema.max_length"}
	if !slices.Equal(paths, want) {
		t.Fatalf("paths %v, want %v", paths, want)
	}
	p := r.Changes[0].Paths[2]
	if !Equal(p.Old, num("255")) || !Equal(p.New, num("100")) {
		t.Fatalf("max_length %v → %v", p.Old, p.New)
	}
}

func TestDiffPartial(t *testing.T) {
	full := base(t)
	partial := mustParse(t, "partial.yaml", []byte(`version: 2
directus: 12.2.0
collections:
  - collection: devices
    meta:
      collection: devices
      icon: memory
      note: null
    schema:
      name: devices
`))
	if !partial.Partial() {
		t.Fatal("version 2 not marked partial")
	}
	if got := string(yamlOf(t, partial)); strings.Contains(got, "fields") || !strings.HasPrefix(got, "version: 2\n") {
		t.Errorf("a partial snapshot is written with lists it did not have:\n%s", got)
	}
	r := Diff(full, partial)
	if len(r.Changes) != 1 || r.Changes[0].Op != OpUpdate || r.Changes[0].Key.Collection != "devices" {
		t.Fatalf("diff against a partial snapshot: %+v", r.Changes)
	}
	r = Diff(partial, full)
	for _, c := range r.Changes {
		if c.Op == OpCreate {
			t.Fatalf("diff from a partial snapshot reports a create: %s %s", c.Kind, c.Key)
		}
	}
}

func TestSummaryAndDestructive(t *testing.T) {
	from := base(t)
	to := from.Clone()
	to.Relations = nil
	to.SystemFields = nil
	setPath(to.Collections[0].Raw, "meta.icon", "memory")
	to.Collections = append(to.Collections, &Collection{Raw: NewMap(Member{"collection", "depots"})})
	r := Diff(from, to)
	got := r.Summary()
	want := Summary{Create: 1, Update: 1, Delete: 2, Destructive: 1, Warnings: 1}
	if got != want {
		t.Fatalf("summary %+v, want %+v", got, want)
	}
	if d := r.Destructive(); len(d) != 1 || d[0].Kind != KindRelation {
		t.Fatalf("destructive %+v", d)
	}
}
