package directusctl

import (
	"encoding/json"
	"slices"
	"testing"
)

// A diff as Directus 11.17.4 writes it (trimmed records), with one entry
// of every judgement the apply makes.
const sampleDiff = `{
"collections":[
 {"collection":"crews","diff":[{"kind":"N","rhs":{"collection":"crews","meta":{},"schema":{"name":"crews"}}}]},
 {"collection":"old","diff":[{"kind":"D","lhs":{"collection":"old"}}]},
 {"collection":"teams","diff":[{"kind":"E","path":["meta","note"],"lhs":"a","rhs":"b"}]},
 {"collection":"bugged","diff":[{"kind":"D","path":["meta","color"],"lhs":"#fff"}]}],
"fields":[
 {"collection":"crews","field":"name","diff":[{"kind":"N","rhs":{"field":"name"}}]},
 {"collection":"teams","field":"gone","diff":[{"kind":"D","lhs":{"field":"gone"}}]},
 {"collection":"teams","field":"note","diff":[{"kind":"N","path":["meta","note"],"rhs":"x"}]},
 {"collection":"positions","field":"speed","diff":[{"kind":"D","lhs":{}}]}],
"systemFields":[
 {"collection":"directus_activity","field":"timestamp","diff":[{"kind":"E","path":["schema","is_indexed"],"lhs":true,"rhs":false}]}],
"relations":[
 {"collection":"teams","field":"crew","related_collection":"crews","diff":[{"kind":"N","rhs":{}}]},
 {"collection":"teams","field":"pos","related_collection":"positions","diff":[{"kind":"D","lhs":{}}]},
 {"collection":"teams","field":"any","related_collection":null,"diff":[{"kind":"A","index":0,"item":{"kind":"N","rhs":1}}]}]
}`

func TestDiffEntriesJudgeEachEntryAsDirectusApplies(t *testing.T) {
	d := &SchemaDiff{Hash: "h", Diff: json.RawMessage(sampleDiff)}
	entries, err := d.Entries()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.String())
	}
	want := []string{
		"create collections crews", "delete collections old", "update collections teams",
		"delete collections bugged", // Directus deletes a collection whose diff begins by removing a key
		"create fields crews.name", "delete fields teams.gone", "update fields teams.note", "delete fields positions.speed",
		"update systemFields directus_activity.timestamp",
		"create relations teams.crew", "delete relations teams.pos", "update relations teams.any",
	}
	if !slices.Equal(got, want) {
		t.Errorf("entries:\n%q\nwant\n%q", got, want)
	}
	if entries[10].RelatedCollection != "positions" || entries[11].RelatedCollection != "" {
		t.Errorf("related collections: %+v %+v", entries[10], entries[11])
	}
}

func TestDiffWithoutKeepsTheOtherEntriesAsTheyWere(t *testing.T) {
	d := &SchemaDiff{Hash: "h", Diff: json.RawMessage(sampleDiff)}
	kept, err := d.Without(func(e DiffEntry) bool { return e.Collection == "positions" || e.RelatedCollection == "positions" })
	if err != nil {
		t.Fatal(err)
	}
	if kept.Hash != "h" {
		t.Errorf("hash %q", kept.Hash)
	}
	entries, err := kept.Entries()
	if err != nil || len(entries) != 10 {
		t.Fatalf("%d entries, %v; want 10", len(entries), err)
	}
	var lists map[string][]json.RawMessage
	if err := json.Unmarshal(kept.Diff, &lists); err != nil {
		t.Fatal(err)
	}
	if string(lists["collections"][0]) != `{"collection":"crews","diff":[{"kind":"N","rhs":{"collection":"crews","meta":{},"schema":{"name":"crews"}}}]}` {
		t.Errorf("an entry changed: %s", lists["collections"][0])
	}
	none, err := d.Without(func(DiffEntry) bool { return true })
	if err != nil || string(none.Diff) != `{"collections":[],"fields":[],"relations":[],"systemFields":[]}` {
		t.Errorf("everything dropped: %s, %v", none.Diff, err)
	}
}

func TestDiffEntriesRefuseWhatIsNotADiff(t *testing.T) {
	for _, bad := range []string{
		`[]`,
		`{"collections":[{"diff":[{"kind":"N"}]}]}`,
		`{"fields":[{"collection":"a","diff":[{"kind":"N"}]}]}`,
		`{"relations":[{"collection":"a","field":"b","diff":[]}]}`,
		`{"collections":[{"collection":"a","diff":[{"kind":"Z"}]}]}`,
	} {
		if _, err := (&SchemaDiff{Diff: json.RawMessage(bad)}).Entries(); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
	if e, err := (&SchemaDiff{}).Entries(); err != nil || e != nil {
		t.Errorf("an empty diff: %v, %v", e, err)
	}
}

// Whatever a diff holds, Entries and Without agree: keeping every entry
// lists the same entries, dropping every entry leaves none, and neither
// fails where the other succeeds.
func FuzzDiffEntries(f *testing.F) {
	f.Add(sampleDiff)
	f.Add(`{"collections":[],"fields":[],"systemFields":[],"relations":[]}`)
	f.Add(`{"fields":[{"collection":"a","field":"b","diff":[{"kind":"D","path":["meta","x"]}]}]}`)
	f.Add(`null`)
	f.Fuzz(func(t *testing.T, doc string) {
		d := &SchemaDiff{Hash: "h", Diff: json.RawMessage(doc)}
		entries, err := d.Entries()
		all, errAll := d.Without(func(DiffEntry) bool { return false })
		if (err == nil) != (errAll == nil) {
			t.Fatalf("Entries: %v; Without: %v", err, errAll)
		}
		if err != nil {
			return
		}
		again, err := all.Entries()
		if err != nil || !slices.Equal(again, entries) {
			t.Fatalf("kept entries %v (%v), want %v", again, err, entries)
		}
		none, err := d.Without(func(DiffEntry) bool { return true })
		if err != nil {
			t.Fatal(err)
		}
		if rest, err := none.Entries(); err != nil || len(rest) != 0 {
			t.Fatalf("after dropping everything: %v, %v", rest, err)
		}
		for _, e := range entries {
			switch e.Op {
			case DiffCreate, DiffUpdate, DiffDelete:
			default:
				t.Fatalf("entry %+v has no known op", e)
			}
		}
	})
}
