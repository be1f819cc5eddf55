package schemaapi

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
)

func testTool(checked *bool) Tool {
	return Tool{
		Name: "testschema",
		Plan: func() []Step {
			cs := []Collection{{Name: "things", Fields: []Field{IDField(), O2M("parts", "{{name}}", ""),
				M2O("owner_id", "owners", "{{name}}", "Owner", "", true, Relation{})}}}
			return append(append(CollectionSteps(cs), AliasSteps(cs)...), RelationSteps(cs)...)
		},
		Check: func(context.Context, *directusctl.Client) error { *checked = true; return nil },
	}
}

func TestPrintSendsNothingAndListsTheStepsInOrder(t *testing.T) {
	checked := false
	var out, errb bytes.Buffer
	if code := testTool(&checked).Run(context.Background(), []string{"-print"}, &out, &errb); code != 0 || checked {
		t.Fatalf("exit %d, checked %v: %s", code, checked, errb.String())
	}
	dec := json.NewDecoder(&out)
	var got []string
	for dec.More() {
		var s struct{ Method, Path string }
		if err := dec.Decode(&s); err != nil {
			t.Fatal(err)
		}
		got = append(got, s.Method+" "+s.Path)
	}
	if want := "POST /collections, POST /fields/things, POST /relations"; strings.Join(got, ", ") != want {
		t.Errorf("steps %v, want %s", got, want)
	}
}

func TestUsageErrorsExit2BeforeAnythingIsSent(t *testing.T) {
	t.Setenv("DIRECTUS_TOKEN", "")
	for _, args := range [][]string{nil, {"extra"}, {"-nosuchflag"}} {
		checked := false
		var out, errb bytes.Buffer
		if code := testTool(&checked).Run(context.Background(), args, &out, &errb); code != 2 || checked || errb.Len() == 0 {
			t.Errorf("%q: exit %d, checked %v: %s", args, code, checked, errb.String())
		}
	}
	var out, errb bytes.Buffer
	if testTool(new(bool)).Run(context.Background(), nil, &out, &errb); !strings.Contains(errb.String(), "DIRECTUS_TOKEN") {
		t.Errorf("no token: %s", errb.String())
	}
}

// A collection's folder is sent only when it has one: Directus's default
// is none.
func TestCollectionPayloadGroup(t *testing.T) {
	meta := CollectionPayload(Collection{Name: "a"})["meta"].(map[string]any)
	if _, ok := meta["group"]; ok {
		t.Errorf("group sent without a folder: %v", meta)
	}
	meta = CollectionPayload(Collection{Name: "a", Group: "course"})["meta"].(map[string]any)
	if meta["group"] != "course" {
		t.Errorf("group: %v", meta)
	}
}
