// Package snapshottest makes Directus schema snapshots of any size, for
// tests and benchmarks of code that reads, diffs or applies them.
//
// [Generate] builds a snapshot shaped as Directus 11 writes one: every
// collection with the meta keys Directus sets, fields of two types with
// their full meta and schema, and a many-to-one relation from each
// collection to the one before it. 200 collections of 20 fields come to
// about 3.4 MB of compact JSON (as GET /schema/snapshot sends it) and
// 4.2 MB of YAML (as directus schema snapshot writes it).
package snapshottest

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"

	"git.dev.trmtracking.org/trm/directus/lib/snapshot"
)

type member = snapshot.Member

// Generate returns a snapshot of collections collections named
// coll_0000, coll_0001, … of fields fields each (field_00 an integer
// primary key, the others strings; field_01 of every collection after the
// first a many-to-one to the previous one), and one system field.
func Generate(collections, fields int) *snapshot.Snapshot {
	s := &snapshot.Snapshot{Version: 1, Directus: "11.17.4", Vendor: "postgres"}
	for c := 0; c < collections; c++ {
		name := fmt.Sprintf("coll_%04d", c)
		s.Collections = append(s.Collections, &snapshot.Collection{Raw: snapshot.NewMap(
			member{Key: "collection", Value: name},
			member{Key: "meta", Value: snapshot.NewMap(
				member{Key: "accountability", Value: "all"}, member{Key: "archive_app_filter", Value: true},
				member{Key: "archive_field", Value: nil}, member{Key: "archive_value", Value: nil},
				member{Key: "collapse", Value: "open"}, member{Key: "collection", Value: name}, member{Key: "color", Value: nil},
				member{Key: "display_template", Value: "{{name}}"}, member{Key: "group", Value: nil},
				member{Key: "hidden", Value: false}, member{Key: "icon", Value: "box"},
				member{Key: "item_duplication_fields", Value: nil}, member{Key: "note", Value: nil},
				member{Key: "preview_url", Value: nil}, member{Key: "singleton", Value: false},
				member{Key: "sort", Value: json.Number(fmt.Sprint(c + 1))}, member{Key: "sort_field", Value: nil},
				member{Key: "translations", Value: nil}, member{Key: "unarchive_value", Value: nil},
				member{Key: "versioning", Value: false})},
			member{Key: "schema", Value: snapshot.NewMap(member{Key: "name", Value: name})},
		)})
		for f := 0; f < fields; f++ {
			s.Fields = append(s.Fields, &snapshot.Field{Raw: field(c, f)})
		}
		if c > 0 {
			prev := fmt.Sprintf("coll_%04d", c-1)
			s.Relations = append(s.Relations, &snapshot.Relation{Raw: snapshot.NewMap(
				member{Key: "collection", Value: name}, member{Key: "field", Value: "field_01"},
				member{Key: "related_collection", Value: prev},
				member{Key: "meta", Value: snapshot.NewMap(
					member{Key: "junction_field", Value: nil}, member{Key: "many_collection", Value: name},
					member{Key: "many_field", Value: "field_01"}, member{Key: "one_allowed_collections", Value: nil},
					member{Key: "one_collection", Value: prev}, member{Key: "one_collection_field", Value: nil},
					member{Key: "one_deselect_action", Value: "nullify"}, member{Key: "one_field", Value: nil},
					member{Key: "sort_field", Value: nil})},
				member{Key: "schema", Value: snapshot.NewMap(
					member{Key: "table", Value: name}, member{Key: "column", Value: "field_01"},
					member{Key: "foreign_key_table", Value: prev}, member{Key: "foreign_key_column", Value: "field_00"},
					member{Key: "constraint_name", Value: name + "_field_01_foreign"},
					member{Key: "on_update", Value: "NO ACTION"}, member{Key: "on_delete", Value: "SET NULL"})},
			)})
		}
	}
	s.SystemFields = append(s.SystemFields, &snapshot.SystemField{Raw: snapshot.NewMap(
		member{Key: "collection", Value: "directus_activity"}, member{Key: "field", Value: "timestamp"},
		member{Key: "schema", Value: snapshot.NewMap(member{Key: "is_indexed", Value: true})})})
	return s
}

func field(c, f int) *snapshot.Map {
	name := fmt.Sprintf("coll_%04d", c)
	field := fmt.Sprintf("field_%02d", f)
	typ, dataType, maxLen := "string", "character varying", any(json.Number("255"))
	if f == 0 {
		typ, dataType, maxLen = "integer", "integer", nil
	}
	var fk any
	if f == 1 && c > 0 {
		fk = fmt.Sprintf("coll_%04d", c-1)
	}
	return snapshot.NewMap(
		member{Key: "collection", Value: name}, member{Key: "field", Value: field}, member{Key: "type", Value: typ},
		member{Key: "meta", Value: snapshot.NewMap(
			member{Key: "collection", Value: name}, member{Key: "conditions", Value: nil}, member{Key: "display", Value: nil},
			member{Key: "display_options", Value: nil}, member{Key: "field", Value: field}, member{Key: "group", Value: nil},
			member{Key: "hidden", Value: false}, member{Key: "interface", Value: "input"}, member{Key: "note", Value: nil},
			member{Key: "options", Value: snapshot.NewMap(member{Key: "choices", Value: []any{
				snapshot.NewMap(member{Key: "text", Value: "A"}, member{Key: "value", Value: "a"})}})},
			member{Key: "readonly", Value: false}, member{Key: "required", Value: false}, member{Key: "searchable", Value: true},
			member{Key: "sort", Value: json.Number(fmt.Sprint(f + 1))}, member{Key: "special", Value: nil},
			member{Key: "translations", Value: nil}, member{Key: "validation", Value: nil},
			member{Key: "validation_message", Value: nil}, member{Key: "width", Value: "full"})},
		member{Key: "schema", Value: snapshot.NewMap(
			member{Key: "name", Value: field}, member{Key: "table", Value: name}, member{Key: "data_type", Value: dataType},
			member{Key: "default_value", Value: nil}, member{Key: "max_length", Value: maxLen},
			member{Key: "numeric_precision", Value: nil}, member{Key: "numeric_scale", Value: nil},
			member{Key: "is_nullable", Value: f != 0}, member{Key: "is_unique", Value: f == 0},
			member{Key: "is_indexed", Value: f == 0}, member{Key: "is_primary_key", Value: f == 0},
			member{Key: "is_generated", Value: false}, member{Key: "generation_expression", Value: nil},
			member{Key: "has_auto_increment", Value: f == 0}, member{Key: "foreign_key_table", Value: fk},
			member{Key: "foreign_key_column", Value: nil})},
	)
}

// Change returns a copy of s with about fraction of its items changed, the
// same for the same seed: notes, lengths and nullability of fields,
// collection icons and relations' on-delete actions updated, one field in
// 200 deleted, and a field added to one collection in ten.
func Change(s *snapshot.Snapshot, fraction float64, seed uint64) *snapshot.Snapshot {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	c := s.Clone()
	sub := func(m *snapshot.Map, key string) *snapshot.Map {
		v, _ := m.Get(key)
		sm, _ := v.(*snapshot.Map)
		if sm == nil {
			sm = snapshot.NewMap()
			m.Set(key, sm)
		}
		return sm
	}
	for _, f := range c.Fields {
		if rng.Float64() < fraction {
			switch rng.IntN(3) {
			case 0:
				sub(f.Raw, "meta").Set("note", "changed")
			case 1:
				sub(f.Raw, "schema").Set("max_length", json.Number("100"))
			case 2:
				sub(f.Raw, "schema").Set("is_nullable", false)
			}
		}
	}
	for _, col := range c.Collections {
		if rng.Float64() < fraction {
			sub(col.Raw, "meta").Set("icon", "changed")
		}
	}
	for _, r := range c.Relations {
		if rng.Float64() < fraction {
			sub(r.Raw, "schema").Set("on_delete", "CASCADE")
		}
	}
	kept := c.Fields[:0]
	for i, f := range c.Fields {
		if i%200 == 7 {
			continue
		}
		kept = append(kept, f)
	}
	c.Fields = kept
	for i := 0; i < len(s.Collections)/10; i++ {
		c.Fields = append(c.Fields, &snapshot.Field{Raw: snapshot.NewMap(
			member{Key: "collection", Value: s.Collections[i].Name()}, member{Key: "field", Value: "added"},
			member{Key: "type", Value: "string"},
			member{Key: "schema", Value: snapshot.NewMap(member{Key: "is_nullable", Value: true})})})
	}
	return c
}
