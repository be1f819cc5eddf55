package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
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
		names = append(names, c.name)
	}
	if !slices.Equal(names, want) {
		t.Errorf("collections %v, want %v in this order", names, want)
	}
	created := map[string]bool{"events": true, "entries": true, "segments": true, "stages": true, "geofences": true,
		"waypoints": true, "directus_users": true}
	aliases := map[string]bool{}
	for _, c := range cs {
		if c.icon == "" || c.note == "" || c.displayTemplate == "" || c.group != "timing" || c.label == "" {
			t.Errorf("%s: icon, note, display template, label and the timing folder are required", c.name)
		}
		if f := c.fields[0]; !f.pk || f.name != "id" || f.kind != "uuid" {
			t.Errorf("%s: the first field must be the uuid primary key id", c.name)
		}
		for _, f := range c.fields {
			if f.width != "half" && f.width != "full" && f.width != "fill" {
				t.Errorf("%s.%s: width %q", c.name, f.name, f.width)
			}
			if f.relation != nil {
				if !created[f.relation.related] {
					t.Errorf("%s.%s references %s, which is not created before it", c.name, f.name, f.relation.related)
				}
				if f.relation.onDelete != "RESTRICT" {
					t.Errorf("%s.%s: on delete %s; timing refers to what it timed with RESTRICT", c.name, f.name, f.relation.onDelete)
				}
				if f.relation.oneField != "" {
					aliases[f.relation.related+"."+f.relation.oneField] = true
				}
			}
		}
		created[c.name] = true
	}
	for _, a := range addedFields() {
		for _, f := range a.fields {
			if f.kind == "alias" {
				if !aliases[a.collection+"."+f.name] {
					t.Errorf("%s.%s: no relation names it as its one_field", a.collection, f.name)
				}
				delete(aliases, a.collection+"."+f.name)
			}
		}
	}
	for _, c := range cs {
		for _, f := range c.fields {
			delete(aliases, c.name+"."+f.name)
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
		for _, f := range c.fields {
			if f.iface != "select-dropdown" {
				continue
			}
			key := c.name + "." + f.name
			e, ok := want[key]
			if !ok {
				t.Errorf("%s: a dropdown internal/catalog does not define", key)
				continue
			}
			delete(want, key)
			var got []string
			for _, ch := range f.options["choices"].([]map[string]any) {
				got = append(got, ch["value"].(string))
			}
			if !slices.Equal(got, e.Values()) {
				t.Errorf("%s offers %v, the catalog %v", key, got, e.Values())
			}
			if f.required == e.Optional {
				t.Errorf("%s: required %v, optional %v in the catalog", key, f.required, e.Optional)
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
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"-print"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	dec := json.NewDecoder(&out)
	var paths []string
	for {
		var s struct {
			Method, Path string
			Body         map[string]any
		}
		if err := dec.Decode(&s); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, s.Method+" "+s.Path)
	}
	joined := strings.Join(paths, " ")
	if !regexp.MustCompile(`^(POST /collections ){6}(POST /fields/\S+ ){10}(POST /relations ?){16}$`).MatchString(joined) {
		t.Errorf("order of requests: %s", joined)
	}
}

func TestRefusesWithoutToken(t *testing.T) {
	t.Setenv("DIRECTUS_TOKEN", "")
	var out, errb bytes.Buffer
	if code := run(context.Background(), nil, &out, &errb); code != 2 || !strings.Contains(errb.String(), "DIRECTUS_TOKEN") {
		t.Errorf("exit %d: %s", code, errb.String())
	}
}
