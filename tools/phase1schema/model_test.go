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
		if c.icon == "" || c.note == "" || c.displayTemplate == "" {
			t.Errorf("%s: icon, note and display template are required", c.name)
		}
		if f := c.fields[0]; !f.pk || f.name != "id" || f.kind != "uuid" {
			t.Errorf("%s: the first field must be the uuid primary key id", c.name)
		}
		for _, f := range c.fields {
			if f.width != "half" && f.width != "full" {
				t.Errorf("%s.%s: width %q", c.name, f.name, f.width)
			}
			switch {
			case f.relation != nil:
				if !created[f.relation.related] {
					t.Errorf("%s.%s references %s, which is not created before it", c.name, f.name, f.relation.related)
				}
				want := "RESTRICT"
				if c.name == "entry_devices" && f.name == "assigned_user_id" {
					want = "SET NULL"
				}
				if f.relation.onDelete != want {
					t.Errorf("%s.%s: on delete %s, want %s", c.name, f.name, f.relation.onDelete, want)
				}
				if f.relation.oneField != "" {
					aliases[f.relation.related+"."+f.relation.oneField] = true
				}
			case f.kind == "alias":
				if !slices.Contains(f.special, "o2m") {
					t.Errorf("%s.%s: an alias must be an o2m", c.name, f.name)
				}
			case f.iface == "select-dropdown":
				cs, _ := f.options["choices"].([]map[string]any)
				if len(cs) == 0 {
					t.Errorf("%s.%s: a dropdown without choices", c.name, f.name)
				}
				for _, ch := range cs {
					if ch["text"] == "" || ch["value"] == "" {
						t.Errorf("%s.%s: choice %v lacks a label or value", c.name, f.name, ch)
					}
				}
			}
		}
		created[c.name] = true
	}
	for _, c := range cs {
		for _, f := range c.fields {
			if f.kind == "alias" && !aliases[c.name+"."+f.name] {
				t.Errorf("%s.%s: no relation names it as its one_field", c.name, f.name)
			}
			delete(aliases, c.name+"."+f.name)
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

func TestRefusesWithoutToken(t *testing.T) {
	t.Setenv("DIRECTUS_TOKEN", "")
	var out, errb bytes.Buffer
	if code := run(context.Background(), nil, &out, &errb); code != 2 || !strings.Contains(errb.String(), "DIRECTUS_TOKEN") {
		t.Errorf("exit %d: %s", code, errb.String())
	}
}
