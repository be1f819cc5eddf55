package snapshot

import (
	"errors"
	"testing"
)

func TestExclude(t *testing.T) {
	s := base(t)
	s.Collections = append(s.Collections,
		&Collection{Raw: NewMap(Member{"collection", "positions"}, Member{"schema", NewMap(Member{"name", "positions"})})},
		&Collection{Raw: NewMap(Member{"collection", "migrations_applied"}, Member{"schema", NewMap(Member{"name", "migrations_applied"})})})
	s.Fields = append(s.Fields,
		&Field{Raw: NewMap(Member{"collection", "positions"}, Member{"field", "device"}, Member{"type", "integer"})},
		&Field{Raw: NewMap(Member{"collection", "migrations_applied"}, Member{"field", "name"}, Member{"type", "string"})})
	s.Relations = append(s.Relations,
		&Relation{Raw: NewMap(Member{"collection", "positions"}, Member{"field", "device"}, Member{"related_collection", "devices"})},
		&Relation{Raw: NewMap(Member{"collection", "devices"}, Member{"field", "last_position"}, Member{"related_collection", "positions"})})
	before := len(s.Fields)

	out, err := s.Exclude("positions", "migrations_*")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range out.Collections {
		if c.Name() == "positions" || c.Name() == "migrations_applied" {
			t.Errorf("collection %s kept", c.Name())
		}
	}
	for _, f := range out.Fields {
		if f.Collection() == "positions" || f.Collection() == "migrations_applied" {
			t.Errorf("field %s.%s kept", f.Collection(), f.Name())
		}
	}
	if len(out.Relations) != 1 || out.Relations[0].Field() != "fleet" {
		t.Errorf("relations from or to an excluded collection kept: %d", len(out.Relations))
	}
	if r := Diff(base(t), out); !r.Empty() {
		t.Errorf("excluding the added tables should give back the base: %+v", r.Changes)
	}
	if len(s.Fields) != before || len(s.Collections) != 5 {
		t.Error("Exclude changed its receiver")
	}
	out.Fields[0].Raw.Set("type", "bigInteger")
	if s.Fields[0].Type() != "integer" {
		t.Error("the filtered copy shares items with the original")
	}

	_, err = s.Exclude("posi[tions")
	var pe *PatternError
	if !errors.As(err, &pe) || pe.Pattern != "posi[tions" {
		t.Fatalf("bad pattern: %v", err)
	}
	same, err := s.Exclude()
	if err != nil || !Diff(s, same).Empty() {
		t.Fatal("no patterns should keep everything")
	}
}

// Excludes says whether Exclude would leave anything out: exactly when the
// copy Exclude makes is smaller.
func TestExcludesAgreesWithExclude(t *testing.T) {
	patterns := [][]string{nil, {"positions"}, {"entr*"}, {"devices"}, {"directus_*"}, {"nothing_*", "vehicles"},
		{"organization_?????"}, {"classes", "events"}}
	for _, name := range []string{"11.17.4-phase1.yaml", "11.17.4-crews.yaml", "11.17.4-empty.yaml"} {
		s := mustReadOwn(t, name)
		for _, p := range patterns {
			got, err := s.Excludes(p...)
			if err != nil {
				t.Fatal(err)
			}
			out, _ := s.Exclude(p...)
			want := len(out.Collections) != len(s.Collections) || len(out.Fields) != len(s.Fields) ||
				len(out.SystemFields) != len(s.SystemFields) || len(out.Relations) != len(s.Relations)
			if got != want {
				t.Errorf("%s %v: Excludes %v, Exclude left out something: %v", name, p, got, want)
			}
		}
	}
	var pe *PatternError
	if _, err := base(t).Excludes("pos["); !errors.As(err, &pe) {
		t.Fatalf("bad pattern: %v", err)
	}
}
