package snapshot

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// ownGoldenPairs are snapshots of this project's Directus runs
// (testdata/directus), older first. Each golden diff was checked by hand
// against the README's list of what was done between the two.
var ownGoldenPairs = []goldenPair{
	// A collection created through the REST API on an empty instance.
	{name: "own-empty-crews", from: "11.17.4-empty.yaml", to: "11.17.4-crews.yaml"},
	// Phase 1: English labels (translations) added to nine relation fields.
	{name: "own-phase1-labels", from: "11.17.4-phase1-before-labels.yaml", to: "11.17.4-phase1.yaml"},
	// Phase 1 after the REST edits the README lists: a shrunk column, a
	// column made NOT NULL, a column dropped, a NOT NULL column without
	// default added, a note and an icon changed, a relation and a
	// collection deleted, a collection created.
	{name: "own-phase1-edited", from: "11.17.4-phase1.yaml", to: "11.17.4-phase1-edited.yaml", json: true},
}

type goldenPair struct {
	name, from, to string
	json           bool
}

func TestGoldenPairs(t *testing.T) { checkGoldenPairs(t, ownDir, ownGoldenPairs) }

func TestCorpusGoldenPairs(t *testing.T) { checkGoldenPairs(t, corpusDir(t), goldenPairs) }

// goldenPairs are versions of one project's snapshot in the public corpus
// (MANIFEST.tsv pair groups), older first. Each golden diff was checked by hand against the two
// files; see the comment of each.
var goldenPairs = []goldenPair{
	// G07, Directus 11.2.2 (postgres): translations added to a collection
	// and three fields, a display set on customers.user, showAsDot dropped
	// from customers.status, and a new geometry field rooms.location.
	{name: "G07-azu-rooms", from: "JaviKo500__azu_rooms_backend__snapshot__da654b2c00.yaml", to: "JaviKo500__azu_rooms_backend__snapshot__1d5c53799b.yaml"},
	// G11, Directus 11.14.0 (mysql, with systemFields): a varchar turned
	// int, a column made NOT NULL and UNIQUE, a column dropped, a NOT NULL
	// column without default added to an existing table.
	{name: "G11-colotracker", from: "Yuniaght__colotracker-cms__snapshot__cf14c48de2.yaml", to: "Yuniaght__colotracker-cms__snapshot__f2d9299cd6.yaml", json: true},
	// G12, Directus 11.16.0 (mysql, with systemFields): two collections,
	// their fields and a relation added; sort set on existing collections.
	{name: "G12-emobase", from: "EMOBase__emobase-deploy__directus__schema__7242b9536b.yaml", to: "EMOBase__emobase-deploy__directus__schema__95fb830240.yaml"},
	// G13, Directus 11.1.0 (sqlite): three collections added, two NOT NULL
	// columns without default added to the existing teams table.
	{name: "G13-catchnout", from: "catchnout__website__directus__schema__f83265c772.yaml", to: "catchnout__website__directus__schema__d5b9d8ba12.yaml"},
	// G08, Directus 11.1.0: the older file was reformatted by hand (four
	// spaces); collections feed/feed_feed/filter renamed to
	// feeds/feeds_feeds/filters, so deletes, creates and a re-pointed
	// foreign key.
	{name: "G08-feelterss", from: "ActxLeToucan__FeelteRss__directus__snapshot__c1c483894e.yaml", to: "ActxLeToucan__FeelteRss__directus__snapshot__7b063de13a.yaml"},
}

func checkGoldenPairs(t *testing.T, dir string, pairs []goldenPair) {
	for _, p := range pairs {
		t.Run(p.name, func(t *testing.T) {
			from, err := ReadFile(filepath.Join(dir, p.from))
			if err != nil {
				t.Fatal(err)
			}
			to, err := ReadFile(filepath.Join(dir, p.to))
			if err != nil {
				t.Fatal(err)
			}
			r := Diff(from, to)
			var text bytes.Buffer
			if err := r.WriteText(&text, TextOptions{}); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, filepath.Join("testdata", "golden", p.name+".txt"), text.Bytes())
			if p.json {
				var js bytes.Buffer
				if err := r.WriteJSON(&js); err != nil {
					t.Fatal(err)
				}
				checkGolden(t, filepath.Join("testdata", "golden", p.name+".json"), js.Bytes())
			}
		})
	}
}

func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run GoldenPairs -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file at line %d (after checking the change, run go test -run GoldenPairs -update)",
			path, firstDiffLine(got, want))
	}
}
