package main

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"

	"git.dev.trmtracking.org/trm/directus/internal/catalog"
	"git.dev.trmtracking.org/trm/directus/lib/rules"
)

// The model is consistent with itself and with Directus's expectations;
// tests/schema proves what Directus made of it.
func TestModel(t *testing.T) {
	cs := collections()
	want := []string{"penalty_formulas", "entry_segment_starts", "entry_crossings", "entry_penalties", "stage_results"}
	var names []string
	for _, c := range cs {
		names = append(names, c.Name)
	}
	if !slices.Equal(names, want) {
		t.Errorf("collections %v, want %v in this order", names, want)
	}
	created := map[string]bool{"events": true, "entries": true, "segments": true, "stages": true, "geofences": true,
		"waypoints": true, "directus_users": true}
	aliases := map[string]bool{}
	for _, c := range cs {
		if c.Icon == "" || c.Note == "" || c.DisplayTemplate == "" || c.Group != "timing" || c.Label == "" {
			t.Errorf("%s: icon, note, display template, label and the timing folder are required", c.Name)
		}
		if f := c.Fields[0]; !f.PK || f.Name != "id" || f.Kind != "uuid" {
			t.Errorf("%s: the first field must be the uuid primary key id", c.Name)
		}
		for _, f := range c.Fields {
			if f.Width != "half" && f.Width != "full" && f.Width != "fill" {
				t.Errorf("%s.%s: width %q", c.Name, f.Name, f.Width)
			}
			if f.Relation != nil {
				if !created[f.Relation.Related] {
					t.Errorf("%s.%s references %s, which is not created before it", c.Name, f.Name, f.Relation.Related)
				}
				if f.Relation.OnDelete != "RESTRICT" {
					t.Errorf("%s.%s: on delete %s; timing refers to what it timed with RESTRICT", c.Name, f.Name, f.Relation.OnDelete)
				}
				if f.Relation.OneField != "" {
					aliases[f.Relation.Related+"."+f.Relation.OneField] = true
				}
			}
		}
		created[c.Name] = true
	}
	for _, a := range addedFields() {
		for _, f := range a.Fields {
			if f.Kind == "alias" {
				if !aliases[a.Collection+"."+f.Name] {
					t.Errorf("%s.%s: no relation names it as its one_field", a.Collection, f.Name)
				}
				delete(aliases, a.Collection+"."+f.Name)
			}
		}
	}
	for _, c := range cs {
		for _, f := range c.Fields {
			delete(aliases, c.Name+"."+f.Name)
		}
	}
	if len(aliases) > 0 {
		t.Errorf("relations name o2m fields that do not exist: %v", aliases)
	}
}

// Every dropdown offers exactly its catalog enumeration (lib/rules's
// values for the rules), required or optional as the catalog says.
func TestDropdownsAreTheCatalog(t *testing.T) {
	want := map[string]catalog.Enum{}
	for _, e := range catalog.Phase3() {
		want[e.Key()] = e
	}
	for _, c := range collections() {
		for _, f := range c.Fields {
			if f.Iface != "select-dropdown" {
				continue
			}
			key := c.Name + "." + f.Name
			e, ok := want[key]
			if !ok {
				t.Errorf("%s: a dropdown internal/catalog does not define", key)
				continue
			}
			delete(want, key)
			var got []string
			for _, ch := range f.Options["choices"].([]map[string]any) {
				got = append(got, ch["value"].(string))
			}
			if !slices.Equal(got, e.Values()) {
				t.Errorf("%s offers %v, the catalog %v", key, got, e.Values())
			}
			if f.Required == e.Optional {
				t.Errorf("%s: required %v, optional %v in the catalog", key, f.Required, e.Optional)
			}
		}
	}
	if len(want) > 0 {
		t.Errorf("no dropdown for %v", want)
	}
	types := catalog.RuleTypes().Values()
	for _, ti := range rules.Types() {
		if !slices.Contains(types, string(ti.Type)) {
			t.Errorf("lib/rules type %s has no choice", ti.Type)
		}
	}
}

// The rule key's validation in the admin UI is lib/rules's rule.
func TestKeyPatternIsLibRules(t *testing.T) {
	re := regexp.MustCompile(keyPattern)
	check := func(key string) error {
		b := &rules.Rulebook{Event: "e", Rules: []rules.Rule{{Key: key, Type: rules.TypeExceededTimeLimit, Enabled: true,
			Scope: rules.Scope{Type: rules.ScopeEvent}, Brackets: []rules.Bracket{{Max: 1e9, Operator: rules.OpFlat}}}}}
		return b.Validate()
	}
	for _, s := range []string{"speeding", "missed-wpm", "a.b_c-9", "0"} {
		if !re.MatchString(s) || check(s) != nil {
			t.Errorf("%q: pattern %v, lib/rules %v", s, re.MatchString(s), check(s))
		}
	}
	for _, s := range []string{"", "Speeding", "-a", "a-", "a--b", "a b", "ë"} {
		if re.MatchString(s) || check(s) == nil {
			t.Errorf("%q accepted: pattern %v, lib/rules %v", s, re.MatchString(s), check(s))
		}
	}
	if refLength != rules.MaxRefLength {
		t.Errorf("references hold %d bytes, lib/rules %d", refLength, rules.MaxRefLength)
	}
}

// -print sends nothing: the folder, the collections, the added fields and
// aliases, then the relations.
func TestPrint(t *testing.T) {
	steps, err := tool.Printed(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, s := range steps {
		paths = append(paths, s.Method+" "+s.Path)
	}
	joined := strings.Join(paths, " ")
	if !regexp.MustCompile(`^(POST /collections ){6}(POST /fields/\S+ ){10}(POST /relations ?){16}$`).MatchString(joined) {
		t.Errorf("order of requests: %s", joined)
	}
}
