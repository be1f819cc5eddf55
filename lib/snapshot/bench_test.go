package snapshot

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
)

// genSnapshot builds a Directus 11-like snapshot of nColl collections with
// nField fields each, the first field of every collection after the first a
// many-to-one to the previous collection.
func genSnapshot(nColl, nField int) *Snapshot {
	s := &Snapshot{Version: 1, Directus: "11.17.4", Vendor: "postgres"}
	for c := 0; c < nColl; c++ {
		name := fmt.Sprintf("coll_%04d", c)
		s.Collections = append(s.Collections, &Collection{Raw: NewMap(
			Member{"collection", name},
			Member{"meta", NewMap(
				Member{"accountability", "all"}, Member{"archive_app_filter", true}, Member{"archive_field", nil},
				Member{"archive_value", nil}, Member{"collapse", "open"}, Member{"collection", name}, Member{"color", nil},
				Member{"display_template", "{{name}}"}, Member{"group", nil}, Member{"hidden", false}, Member{"icon", "box"},
				Member{"item_duplication_fields", nil}, Member{"note", nil}, Member{"preview_url", nil}, Member{"singleton", false},
				Member{"sort", json.Number(fmt.Sprint(c + 1))}, Member{"sort_field", nil}, Member{"translations", nil},
				Member{"unarchive_value", nil}, Member{"versioning", false})},
			Member{"schema", NewMap(Member{"name", name})},
		)})
		for f := 0; f < nField; f++ {
			field := fmt.Sprintf("field_%02d", f)
			typ, dataType, maxLen := "string", "character varying", any(json.Number("255"))
			if f == 0 {
				typ, dataType, maxLen = "integer", "integer", nil
			}
			var fk any
			if f == 1 && c > 0 {
				fk = fmt.Sprintf("coll_%04d", c-1)
			}
			s.Fields = append(s.Fields, &Field{Raw: NewMap(
				Member{"collection", name}, Member{"field", field}, Member{"type", typ},
				Member{"meta", NewMap(
					Member{"collection", name}, Member{"conditions", nil}, Member{"display", nil}, Member{"display_options", nil},
					Member{"field", field}, Member{"group", nil}, Member{"hidden", false}, Member{"interface", "input"},
					Member{"note", nil}, Member{"options", NewMap(Member{"choices", []any{NewMap(Member{"text", "A"}, Member{"value", "a"})}})},
					Member{"readonly", false}, Member{"required", false}, Member{"searchable", true},
					Member{"sort", json.Number(fmt.Sprint(f + 1))}, Member{"special", nil}, Member{"translations", nil},
					Member{"validation", nil}, Member{"validation_message", nil}, Member{"width", "full"})},
				Member{"schema", NewMap(
					Member{"name", field}, Member{"table", name}, Member{"data_type", dataType}, Member{"default_value", nil},
					Member{"max_length", maxLen}, Member{"numeric_precision", nil}, Member{"numeric_scale", nil},
					Member{"is_nullable", f != 0}, Member{"is_unique", f == 0}, Member{"is_indexed", f == 0},
					Member{"is_primary_key", f == 0}, Member{"is_generated", false}, Member{"generation_expression", nil},
					Member{"has_auto_increment", f == 0}, Member{"foreign_key_table", fk}, Member{"foreign_key_column", nil})},
			)})
		}
		if c > 0 {
			prev := fmt.Sprintf("coll_%04d", c-1)
			s.Relations = append(s.Relations, &Relation{Raw: NewMap(
				Member{"collection", name}, Member{"field", "field_01"}, Member{"related_collection", prev},
				Member{"meta", NewMap(Member{"junction_field", nil}, Member{"many_collection", name}, Member{"many_field", "field_01"},
					Member{"one_allowed_collections", nil}, Member{"one_collection", prev}, Member{"one_collection_field", nil},
					Member{"one_deselect_action", "nullify"}, Member{"one_field", nil}, Member{"sort_field", nil})},
				Member{"schema", NewMap(Member{"table", name}, Member{"column", "field_01"}, Member{"foreign_key_table", prev},
					Member{"foreign_key_column", "field_00"}, Member{"constraint_name", name + "_field_01_foreign"},
					Member{"on_update", "NO ACTION"}, Member{"on_delete", "SET NULL"})},
			)})
		}
	}
	s.SystemFields = append(s.SystemFields, &SystemField{Raw: NewMap(Member{"collection", "directus_activity"},
		Member{"field", "timestamp"}, Member{"schema", NewMap(Member{"is_indexed", true})})})
	return s
}

// changeFraction returns a copy of s with about frac of its items changed:
// updates to fields, collections and relations, some fields deleted and
// some created.
func changeFraction(s *Snapshot, frac float64, rng *rand.Rand) *Snapshot {
	c := s.Clone()
	for _, f := range c.Fields {
		if rng.Float64() < frac {
			switch rng.IntN(3) {
			case 0:
				getMap(f.Raw, "meta").Set("note", "changed")
			case 1:
				getMap(f.Raw, "schema").Set("max_length", json.Number("100"))
			case 2:
				getMap(f.Raw, "schema").Set("is_nullable", false)
			}
		}
	}
	for _, col := range c.Collections {
		if rng.Float64() < frac {
			getMap(col.Raw, "meta").Set("icon", "changed")
		}
	}
	for _, r := range c.Relations {
		if rng.Float64() < frac {
			getMap(r.Raw, "schema").Set("on_delete", "CASCADE")
		}
	}
	kept := c.Fields[:0]
	for i, f := range c.Fields {
		if i%200 == 7 {
			continue // 0.5 % deleted
		}
		kept = append(kept, f)
	}
	c.Fields = kept
	for i := 0; i < len(s.Collections)/10; i++ {
		c.Fields = append(c.Fields, &Field{Raw: NewMap(Member{"collection", s.Collections[i].Name()},
			Member{"field", "added"}, Member{"type", "string"}, Member{"schema", NewMap(Member{"is_nullable", true})})})
	}
	return c
}

func BenchmarkParse(b *testing.B) {
	data, err := genSnapshot(1000, 20).YAML()
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := Parse("bench.yaml", data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDiff(b *testing.B) {
	from := genSnapshot(1000, 20)
	to := changeFraction(from, 0.05, rand.New(rand.NewPCG(1, 2)))
	if n := len(Diff(from, to).Changes); n < 1000 {
		b.Fatalf("only %d changes", n)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		Diff(from, to)
	}
}

func BenchmarkWriteYAML(b *testing.B) {
	s := genSnapshot(1000, 20)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.YAML(); err != nil {
			b.Fatal(err)
		}
	}
}

func TestGeneratedSnapshotRoundTrip(t *testing.T) {
	s := genSnapshot(20, 5)
	back := mustParse(t, "gen.yaml", yamlOf(t, s))
	sameSnapshot(t, "generated", s, back)
	to := changeFraction(s, 0.2, rand.New(rand.NewPCG(3, 4)))
	if Diff(s, to).Empty() {
		t.Fatal("no changes generated")
	}
}
