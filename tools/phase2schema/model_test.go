package main

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"

	"git.dev.trmtracking.org/trm/directus/lib/course"
)

// The model is consistent with itself, with Directus's expectations and
// with lib/course; tests/schema proves what Directus made of it.
func TestModel(t *testing.T) {
	cs := collections()
	want := []string{"stages", "geofences", "segments", "waypoints", "speed_limit_zones"}
	var names []string
	for _, c := range cs {
		names = append(names, c.Name)
	}
	if !slices.Equal(names, want) {
		t.Errorf("collections %v, want %v in this order", names, want)
	}
	created := map[string]bool{"events": true}
	aliases := map[string]bool{}
	for _, c := range cs {
		if c.Icon == "" || c.Note == "" || c.DisplayTemplate == "" || c.Group != "course" {
			t.Errorf("%s: icon, note, display template and the course folder are required", c.Name)
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
				// A self-reference (the start order's input stage) is
				// created with its collection.
				if !created[f.Relation.Related] && f.Relation.Related != c.Name {
					t.Errorf("%s.%s references %s, which is not created before it", c.Name, f.Name, f.Relation.Related)
				}
				if f.Relation.OneField != "" {
					aliases[f.Relation.Related+"."+f.Relation.OneField] = true
				}
			case f.Kind == "alias":
				if !slices.Contains(f.Special, "o2m") {
					t.Errorf("%s.%s: an alias must be an o2m", c.Name, f.Name)
				}
			case strings.HasPrefix(f.Kind, "geometry."):
				if f.Iface != "map" {
					t.Errorf("%s.%s: a geometry is edited on the map", c.Name, f.Name)
				}
			}
		}
		created[c.Name] = true
	}
	for _, f := range eventAliases() {
		if !aliases["events."+f.Name] {
			t.Errorf("events.%s: no relation names it as its one_field", f.Name)
		}
		delete(aliases, "events."+f.Name)
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

// Every dropdown offers exactly lib/course's values, with its labels.
func TestDropdownsAreLibCourseEnumerations(t *testing.T) {
	want := map[string][]string{
		"stages.role":                 strs(course.StageRoles()),
		"stages.status":               strs(course.StageStatuses()),
		"stages.start_order_strategy": strs(course.StartOrderStrategies()),
		"segments.type":               strs(course.SegmentTypes()),
		"geofences.kind":              strs(course.GeofenceKinds()),
		"waypoints.type":              strs(course.WaypointTypes()),
	}
	for _, c := range collections() {
		for _, f := range c.Fields {
			if f.Iface != "select-dropdown" {
				continue
			}
			key := c.Name + "." + f.Name
			var got []string
			for _, ch := range f.Options["choices"].([]map[string]any) {
				got = append(got, ch["value"].(string))
				if ch["text"] == "" || ch["text"] == ch["value"] && key != "waypoints.type" {
					t.Errorf("%s: choice %v has no label of its own", key, ch)
				}
			}
			if !slices.Equal(got, want[key]) {
				t.Errorf("%s offers %v, lib/course has %v", key, got, want[key])
			}
			delete(want, key)
		}
	}
	if len(want) > 0 {
		t.Errorf("no dropdown for %v", want)
	}
}

func strs[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

func TestCodePatternIsLibCourses(t *testing.T) {
	re := regexp.MustCompile(codePattern)
	for _, s := range []string{"P", "S1", "SS-2", "Day_1.a"} {
		if !re.MatchString(s) || validCode(s) != nil {
			t.Errorf("%q: pattern %v, lib/course %v", s, re.MatchString(s), validCode(s))
		}
	}
	for _, s := range []string{"", "-S1", "S 1", "S1!", "ë"} {
		if re.MatchString(s) || validCode(s) == nil {
			t.Errorf("%q accepted: pattern %v, lib/course %v", s, re.MatchString(s), validCode(s))
		}
	}
}

// validCode asks lib/course whether s is a stage code.
func validCode(s string) error {
	c := &course.Course{Stages: []*course.Stage{{Code: s, Name: "x", SortOrder: 1, Role: course.RoleStage,
		Status: course.StatusDraft, StartOrder: course.StartOrder{Strategy: course.StartManual}}}}
	return c.Validate()
}

// -print sends nothing: the folders, the moves into them, the
// collections, fields, then the relations, each with its on_delete.
func TestPrint(t *testing.T) {
	steps, err := tool.Printed(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, s := range steps {
		paths = append(paths, s.Method+" "+s.Path)
		if s.Path == "/relations" {
			schema, _ := s.Body["schema"].(map[string]any)
			if d, _ := schema["on_delete"].(string); d != "RESTRICT" && d != "CASCADE" {
				t.Errorf("relation %v.%v: on_delete %q", s.Body["collection"], s.Body["field"], d)
			}
		}
	}
	joined := strings.Join(paths, " ")
	if !regexp.MustCompile(`^(POST /collections ){3}(PATCH /collections/\S+ ){11}(POST /collections ){5}(POST /fields/\S+ ){5}(POST /relations ?){10}$`).MatchString(joined) {
		t.Errorf("order of requests: %s", joined)
	}
}
