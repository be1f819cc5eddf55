package main

import (
	"context"
	"regexp"
	"strings"
	"testing"
)

// Every access key is a hidden, read-only text column: the database
// writes it, people neither type nor read it in the admin UI.
func TestAccessKeysAreKeptByTheDatabase(t *testing.T) {
	n := 0
	for _, k := range keys() {
		for _, f := range k.fields {
			n++
			if f.Kind != "text" || !f.Hidden || !f.Readonly || f.Required {
				t.Errorf("%s.%s: kind %s hidden %v readonly %v required %v; want a hidden, read-only, optional text", k.collection, f.Name, f.Kind, f.Hidden, f.Readonly, f.Required)
			}
			if !strings.HasPrefix(f.Name, "access_") {
				t.Errorf("%s.%s: an access key's name starts with access_ (the access files' validation and the docs rely on it)", k.collection, f.Name)
			}
		}
	}
	if n != 6 {
		t.Errorf("%d access keys, want 6", n)
	}
	if f := crewSeats(); f.Kind != "alias" || len(f.Special) != 1 || f.Special[0] != "o2m" {
		t.Errorf("crew_seats: %+v", f)
	}
}

// -print sends nothing: six columns, the alias, then the relation's o2m
// side, sent whole.
func TestPrint(t *testing.T) {
	steps, err := tool.Printed(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, s := range steps {
		paths = append(paths, s.Method+" "+s.Path)
		if s.Method == "PATCH" && (s.Body["schema"] == nil || s.Body["related_collection"] != "directus_users") {
			t.Errorf("the relation is sent partially: %v", s.Body)
		}
	}
	want := `^(POST /fields/organizations ){5}POST /fields/entries POST /fields/directus_users PATCH /relations/entry_crew/user_id$`
	if joined := strings.Join(paths, " "); !regexp.MustCompile(want).MatchString(joined) {
		t.Errorf("order of requests: %s", joined)
	}
}
