package main

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The model is consistent with itself and with Directus's expectations;
// tests/schema proves what Directus made of it (the committed snapshot).
func TestModel(t *testing.T) {
	cs := collections()
	if len(cs) != 11 {
		t.Errorf("%d collections, want the 11 of docs/data-model-phase1.md (plus directus_users' fields)", len(cs))
	}
	created := map[string]bool{"directus_users": true}
	aliases := map[string]bool{}
	for _, c := range cs {
		if c.Icon == "" || c.Note == "" || c.DisplayTemplate == "" {
			t.Errorf("%s: icon, note and display template are required", c.Name)
		}
		if f := c.Fields[0]; !f.PK || f.Name != "id" || f.Kind != "uuid" {
			t.Errorf("%s: the first field must be the uuid primary key id", c.Name)
		}
		for _, f := range c.Fields {
			if f.Width != "half" && f.Width != "full" {
				t.Errorf("%s.%s: width %q", c.Name, f.Name, f.Width)
			}
			switch {
			case f.Relation != nil:
				if !created[f.Relation.Related] {
					t.Errorf("%s.%s references %s, which is not created before it", c.Name, f.Name, f.Relation.Related)
				}
				want := "RESTRICT"
				if c.Name == "entry_devices" && f.Name == "assigned_user_id" {
					want = "SET NULL"
				}
				if f.Relation.OnDelete != want {
					t.Errorf("%s.%s: on delete %s, want %s", c.Name, f.Name, f.Relation.OnDelete, want)
				}
				if f.Relation.OneField != "" {
					aliases[f.Relation.Related+"."+f.Relation.OneField] = true
				}
			case f.Kind == "alias":
				if !slices.Contains(f.Special, "o2m") {
					t.Errorf("%s.%s: an alias must be an o2m", c.Name, f.Name)
				}
			case f.Iface == "select-dropdown":
				cs, _ := f.Options["choices"].([]map[string]any)
				if len(cs) == 0 {
					t.Errorf("%s.%s: a dropdown without choices", c.Name, f.Name)
				}
				for _, ch := range cs {
					if ch["text"] == "" || ch["value"] == "" {
						t.Errorf("%s.%s: choice %v lacks a label or value", c.Name, f.Name, ch)
					}
				}
			}
		}
		created[c.Name] = true
	}
	for _, c := range cs {
		for _, f := range c.Fields {
			if f.Kind == "alias" && !aliases[c.Name+"."+f.Name] {
				t.Errorf("%s.%s: no relation names it as its one_field", c.Name, f.Name)
			}
			delete(aliases, c.Name+"."+f.Name)
		}
	}
	if len(aliases) > 0 {
		t.Errorf("relations name o2m fields that do not exist: %v", aliases)
	}
}

func TestValidationPatterns(t *testing.T) {
	for _, c := range []struct {
		pattern string
		ok, bad []string
	}{
		{slugPattern, []string{"msc-albania", "rally-albania-2026", "a"}, []string{"MSC", "msc--albania", "-msc", "msc-", "msc albania", ""}},
		{imeiPattern, []string{"356307042441013"}, []string{"35630704244101", "3563070424410130", "35630704244101a"}},
		{nationalityPattern, []string{"AL", "IT"}, []string{"al", "ALB", "A"}},
	} {
		re := regexp.MustCompile(c.pattern)
		for _, s := range c.ok {
			if !re.MatchString(s) {
				t.Errorf("%s refuses %q", c.pattern, s)
			}
		}
		for _, s := range c.bad {
			if re.MatchString(s) {
				t.Errorf("%s accepts %q", c.pattern, s)
			}
		}
	}
}

// -print sends nothing: the collections first, then fields, then the
// relations, every relation with its on_delete set at creation.
func TestPrint(t *testing.T) {
	steps, err := tool.Printed(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, s := range steps {
		paths = append(paths, s.Path)
		if s.Path == "/relations" {
			schema, _ := s.Body["schema"].(map[string]any)
			if d, _ := schema["on_delete"].(string); d != "RESTRICT" && d != "SET NULL" {
				t.Errorf("relation %v.%v: on_delete %q", s.Body["collection"], s.Body["field"], d)
			}
		}
	}
	joined := strings.Join(paths, " ")
	if !regexp.MustCompile(`^(/collections )+(/fields/\S+ )+(/relations ?)+$`).MatchString(joined) {
		t.Errorf("order of requests: %s", joined)
	}
	if n := strings.Count(joined, "/relations"); n != 16 {
		t.Errorf("%d relations, want 16", n)
	}
}
