package catalog_test

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"git.dev.trmtracking.org/trm/directus/internal/catalog"
	"git.dev.trmtracking.org/trm/directus/lib/snapshot"
)

// Paths from this package's folder, where go test runs.
const (
	committedSnapshot = "../../snapshots/schema.yaml"
	dataModelDoc      = "../../docs/data-model-phase1.md"
)

func TestEnumerationsAreWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for _, e := range all() {
		if seen[e.Key()] {
			t.Errorf("%s defined twice", e.Key())
		}
		seen[e.Key()] = true
		if len(e.Choices) == 0 {
			t.Errorf("%s has no values", e.Key())
		}
		if e.Open == (e.Constraint != "") {
			t.Errorf("%s: an enumeration is either open (no CHECK) or closed by a CHECK; open %v, constraint %q", e.Key(), e.Open, e.Constraint)
		}
		if e.Constraint != "" && e.Constraint != e.Collection+"_"+e.Field+"_allowed" {
			t.Errorf("%s: the CHECK is named %s, want <table>_<field>_allowed", e.Key(), e.Constraint)
		}
		if e.Optional && e.Default != "" {
			t.Errorf("%s: an optional enumeration has no default (empty is its default)", e.Key())
		}
		if e.Default != "" && !slices.Contains(e.Values(), e.Default) {
			t.Errorf("%s: default %q is not a value", e.Key(), e.Default)
		}
		values := map[string]bool{}
		for _, c := range e.Choices {
			if c.Value == "" || c.Label == "" || strings.ContainsAny(c.Value, "', \t\n") {
				t.Errorf("%s: choice %+v needs a value without quotes, commas or spaces, and a label", e.Key(), c)
			}
			if c.Color != "" && !regexp.MustCompile(`^#[0-9A-F]{6}$`).MatchString(c.Color) {
				t.Errorf("%s: colour %q of %s is not #RRGGBB", e.Key(), c.Color, c.Value)
			}
			if values[c.Value] {
				t.Errorf("%s: %s twice", e.Key(), c.Value)
			}
			values[c.Value] = true
		}
	}
}

func TestAllows(t *testing.T) {
	if !catalog.CrewRoles().Allows("pilot") || catalog.CrewRoles().Allows("passenger") || catalog.CrewRoles().Allows("") {
		t.Error("a closed enumeration allows exactly its values")
	}
	if !catalog.DeviceModels().Allows("FMC130") {
		t.Error("an open enumeration allows other values")
	}
}

// snapshotField is what the test reads of a field of the snapshot.
type snapshotField struct {
	Meta struct {
		Interface string `json:"interface"`
		Required  bool   `json:"required"`
		Options   struct {
			Choices    []snapshotChoice `json:"choices"`
			AllowOther bool             `json:"allowOther"`
		} `json:"options"`
		Display        *string `json:"display"`
		DisplayOptions struct {
			Choices []snapshotChoice `json:"choices"`
		} `json:"display_options"`
	} `json:"meta"`
	Schema struct {
		DefaultValue any `json:"default_value"`
	} `json:"schema"`
}

type snapshotChoice struct {
	Text       string `json:"text"`
	Value      string `json:"value"`
	Background string `json:"background"`
}

// The committed snapshot was made by Directus from tools/phase1schema,
// which reads the catalog; an enumeration changed in the admin UI since
// shows here.
func TestSnapshotDropdownsAreTheCatalog(t *testing.T) {
	s, err := snapshot.ReadFile(committedSnapshot)
	if err != nil {
		t.Fatal(err)
	}
	fields := map[string]snapshotField{}
	for _, f := range s.Fields {
		b, err := json.Marshal(f.Raw)
		if err != nil {
			t.Fatal(err)
		}
		var sf snapshotField
		if err := json.Unmarshal(b, &sf); err != nil {
			t.Fatalf("%s.%s: %v", f.Collection(), f.Name(), err)
		}
		if sf.Meta.Interface == "select-dropdown" {
			fields[f.Collection()+"."+f.Name()] = sf
		}
	}
	for _, e := range all() {
		sf, ok := fields[e.Key()]
		if !ok {
			t.Errorf("%s: no select-dropdown field in %s", e.Key(), committedSnapshot)
			continue
		}
		delete(fields, e.Key())
		var want, wantLabels []snapshotChoice
		for _, c := range e.Choices {
			want = append(want, snapshotChoice{Text: c.Label, Value: c.Value})
			wantLabels = append(wantLabels, snapshotChoice{Text: c.Label, Value: c.Value, Background: c.Color})
		}
		if !slices.Equal(sf.Meta.Options.Choices, want) {
			t.Errorf("%s: the snapshot's dropdown offers %v, the catalog %v", e.Key(), sf.Meta.Options.Choices, want)
		}
		if sf.Meta.Options.AllowOther != e.Open {
			t.Errorf("%s: allowOther %v in the snapshot, open %v in the catalog", e.Key(), sf.Meta.Options.AllowOther, e.Open)
		}
		if sf.Meta.Required == e.Optional {
			t.Errorf("%s: required %v in the snapshot, optional %v in the catalog", e.Key(), sf.Meta.Required, e.Optional)
		}
		if got, _ := sf.Schema.DefaultValue.(string); got != e.Default {
			t.Errorf("%s: default %q in the snapshot, %q in the catalog", e.Key(), got, e.Default)
		}
		if !e.Open {
			if deref(sf.Meta.Display) != "labels" || !slices.Equal(sf.Meta.DisplayOptions.Choices, wantLabels) {
				t.Errorf("%s: the snapshot shows %s %v, the catalog's labels are %v", e.Key(), deref(sf.Meta.Display), sf.Meta.DisplayOptions.Choices, wantLabels)
			}
		}
	}
	for key, sf := range fields {
		if len(sf.Meta.Options.Choices) > 0 {
			t.Errorf("%s is a dropdown with fixed choices in the snapshot but not in internal/catalog: define it there", key)
		}
	}
}

// all is every enumeration of every phase.
func all() []catalog.Enum {
	return slices.Concat(catalog.Phase1(), catalog.Phase2(), catalog.Phase3())
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// Rows of the tables of docs/data-model-phase1.md: a collection's first
// row names it; a field row is | | `field` | type | notes |.
var (
	docCollectionRow = regexp.MustCompile("^\\| *`([a-z_]+)` *\\|")
	docFieldRow      = regexp.MustCompile("^\\| *(?:`[a-z_]+`)? *\\| *`([a-z_]+)` *\\| *([^|]*)\\| *([^|]*)\\|$")
)

// The page's "values:" lists and its list of enumeration CHECKs.
func TestDataModelDocListsTheCatalog(t *testing.T) {
	b, err := os.ReadFile(dataModelDoc)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	type listed struct{ values, typ string }
	lists := map[string]listed{}
	collection := ""
	for line := range strings.SplitSeq(doc, "\n") {
		line = strings.TrimSpace(line)
		if m := docCollectionRow.FindStringSubmatch(line); m != nil {
			collection = m[1]
		}
		m := docFieldRow.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		if v, ok := strings.CutPrefix(strings.TrimSpace(m[3]), "values: "); ok {
			lists[collection+"."+m[1]] = listed{values: v, typ: m[2]}
		}
	}
	for _, e := range catalog.Phase1() {
		l, ok := lists[e.Key()]
		if !ok {
			t.Errorf("%s: no row with \"values: …\" in %s", e.Key(), dataModelDoc)
			continue
		}
		delete(lists, e.Key())
		end := strings.IndexAny(l.values, ";(")
		if end < 0 {
			end = len(l.values)
		}
		if got := strings.Split(strings.TrimSpace(l.values[:end]), ", "); !slices.Equal(got, e.Values()) {
			t.Errorf("%s: the page lists %v, the catalog %v", e.Key(), got, e.Values())
		}
		if e.Open != strings.Contains(l.values, "other values allowed") {
			t.Errorf("%s: the page must say \"other values allowed\" exactly when the enumeration is open (%v)", e.Key(), e.Open)
		}
		wantDefault := ""
		if e.Default != "" {
			wantDefault = "default `" + e.Default + "`"
		}
		if m := regexp.MustCompile("default `[^`]*`").FindString(l.typ); m != wantDefault {
			t.Errorf("%s: the page says %q, the catalog's default is %q", e.Key(), m, e.Default)
		}
		if e.Constraint != "" && !strings.Contains(doc, "`"+e.Constraint+"`") {
			t.Errorf("%s: the page does not name its CHECK `%s`", e.Key(), e.Constraint)
		}
	}
	for key := range lists {
		t.Errorf("%s: the page lists values for it, the catalog has no such enumeration", key)
	}
}
