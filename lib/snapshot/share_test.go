package snapshot

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
)

// identicalSnapshots reports where a and b differ, strictly (sameTree): item
// by item, in order, keys in order; ""
// means identical.
func identicalSnapshots(a, b *Snapshot) string {
	if a.Version != b.Version || a.Directus != b.Directus || a.Vendor != b.Vendor {
		return fmt.Sprintf("header %d %q %q vs %d %q %q", a.Version, a.Directus, a.Vendor, b.Version, b.Directus, b.Vendor)
	}
	lists := func(s *Snapshot) [4][]*Map {
		var out [4][]*Map
		for _, c := range s.Collections {
			out[0] = append(out[0], c.Raw)
		}
		for _, f := range s.Fields {
			out[1] = append(out[1], f.Raw)
		}
		for _, f := range s.SystemFields {
			out[2] = append(out[2], f.Raw)
		}
		for _, r := range s.Relations {
			out[3] = append(out[3], r.Raw)
		}
		return out
	}
	la, lb := lists(a), lists(b)
	for i := range la {
		if len(la[i]) != len(lb[i]) {
			return fmt.Sprintf("list %d: %d items vs %d", i, len(la[i]), len(lb[i]))
		}
		for j := range la[i] {
			if d := sameTree(la[i][j], lb[i][j]); d != "" {
				return fmt.Sprintf("list %d item %d%s", i, j, d)
			}
		}
	}
	return sameTree(a.Extra, b.Extra)
}

// shared counts b's items that are a's own.
func shared(a, b *Snapshot) int {
	own := map[*Map]bool{}
	for _, c := range a.Collections {
		own[c.Raw] = true
	}
	for _, f := range a.Fields {
		own[f.Raw] = true
	}
	for _, f := range a.SystemFields {
		own[f.Raw] = true
	}
	for _, r := range a.Relations {
		own[r.Raw] = true
	}
	n := 0
	for _, c := range b.Collections {
		if own[c.Raw] {
			n++
		}
	}
	for _, f := range b.Fields {
		if own[f.Raw] {
			n++
		}
	}
	for _, f := range b.SystemFields {
		if own[f.Raw] {
			n++
		}
	}
	for _, r := range b.Relations {
		if own[r.Raw] {
			n++
		}
	}
	return n
}

func fastReadable(data []byte) bool {
	if _, ok := readBlockYAML(data, nil); ok {
		return true
	}
	_, err := readJSONValue("", data, nil)
	return err == nil
}

func items(s *Snapshot) int {
	return len(s.Collections) + len(s.Fields) + len(s.SystemFields) + len(s.Relations)
}

// checkWithBase: a read with WithBase gives what a read without gives,
// whatever the base (itself, the next file, its own JSON with items in
// Directus's key order), and the same diff; a file the block YAML or the
// JSON reader reads (the YAML library's reads share nothing) shares every
// item with itself.
func checkWithBase(t *testing.T, files []corpusFile) {
	for i, cf := range files {
		base := mustParse(t, cf.name, cf.data)
		js := jsonOf(t, base)
		for _, other := range []corpusFile{cf, files[(i+1)%len(files)], {name: cf.name + " as JSON", data: js}} {
			plain := mustParse(t, other.name, other.data)
			got, err := Parse(other.name, other.data, WithBase(base))
			if err != nil {
				t.Fatalf("%s with base %s: %v", other.name, cf.name, err)
			}
			if d := identicalSnapshots(plain, got); d != "" {
				t.Errorf("%s with base %s reads differently: %s", other.name, cf.name, d)
			}
			var want, have bytes.Buffer
			if err := Diff(base, plain).WriteJSON(&want); err != nil {
				t.Fatal(err)
			}
			if err := Diff(base, got).WriteJSON(&have); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(want.Bytes(), have.Bytes()) {
				t.Errorf("%s with base %s: the diff differs:\n%s\n---\n%s", other.name, cf.name, want.Bytes(), have.Bytes())
			}
			if other.name == cf.name && fastReadable(cf.data) {
				if n := shared(base, got); n != items(base) {
					t.Errorf("%s with itself as base: %d of %d items shared", other.name, n, items(base))
				}
			}
		}
	}
}

// TestWithBaseSharesOnlyIdenticalItems: an item that differs in any way
// from the base's of the same key (a value, the order of its keys, a null
// the base's lacks, which Equal would overlook) is read as itself; the
// others are the base's.
func TestWithBaseSharesOnlyIdenticalItems(t *testing.T) {
	base := mustParse(t, "base", []byte(baseYAML))
	for name, edit := range map[string]func(string) string{
		"a value": func(s string) string { return replaceOnce(s, "type: string", "type: text") },
		"key order": func(s string) string {
			return replaceOnce(s, "      is_unique: false\n      is_primary_key: false", "      is_primary_key: false\n      is_unique: false")
		},
		"a null more": func(s string) string {
			return replaceOnce(s, "      numeric_scale: 5\n", "      numeric_scale: 5\n      generation_expression: null\n")
		},
	} {
		t.Run(name, func(t *testing.T) {
			doc := edit(baseYAML)
			if doc == baseYAML {
				t.Fatal("the edit changed nothing")
			}
			got, err := Parse("edited", []byte(doc), WithBase(base))
			if err != nil {
				t.Fatal(err)
			}
			if d := identicalSnapshots(mustParse(t, "edited", []byte(doc)), got); d != "" {
				t.Fatalf("reads differently: %s", d)
			}
			if n := shared(base, got); n != items(base)-1 {
				t.Errorf("%d of %d items shared, want all but the edited one", n, items(base))
			}
		})
	}
}

func replaceOnce(s, old, new string) string {
	return string(bytes.Replace([]byte(s), []byte(old), []byte(new), 1))
}

// TestOrderItemIsTheLayOut: orderItem, which gives an item already in
// Directus's layout back as it is, gives what laying it out gives, for the
// items of this project's snapshots as read and with their keys shuffled.
func TestOrderItemIsTheLayOut(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	kinds := []struct{ keys, schemaKeys []string }{
		{collectionKeys, collectionSchema}, {fieldKeys, fieldSchemaKeys},
		{systemFieldKeys, systemSchemaKeys}, {relationKeys, relationSchemaKeys},
	}
	inOrder := 0
	for _, cf := range ownSnapshots(t) {
		s := mustParse(t, cf.name, cf.data)
		for _, snap := range []*Snapshot{s, shuffled(s, rng)} {
			for k, list := range [][]*Map{collectionMaps(snap), fieldMaps(snap), systemFieldMaps(snap), relationMaps(snap)} {
				for _, m := range list {
					got, want := orderItem(m, kinds[k].keys, kinds[k].schemaKeys), layOut(m, kinds[k].keys, kinds[k].schemaKeys)
					if d := sameTree(got, want); d != "" {
						t.Fatalf("%s: item %v: %s", cf.name, m.Keys(), d)
					}
					if got == m {
						inOrder++
					}
				}
			}
		}
	}
	if inOrder == 0 {
		t.Error("no item was found in order: the shortcut is never taken")
	}
}

func collectionMaps(s *Snapshot) (out []*Map) {
	for _, x := range s.Collections {
		out = append(out, x.Raw)
	}
	return out
}

func fieldMaps(s *Snapshot) (out []*Map) {
	for _, x := range s.Fields {
		out = append(out, x.Raw)
	}
	return out
}

func systemFieldMaps(s *Snapshot) (out []*Map) {
	for _, x := range s.SystemFields {
		out = append(out, x.Raw)
	}
	return out
}

func relationMaps(s *Snapshot) (out []*Map) {
	for _, x := range s.Relations {
		out = append(out, x.Raw)
	}
	return out
}

// TestCompareWithCommaIsJSCompare: the comparison of meta keys is
// JavaScript's comparison of "key," strings.
func TestCompareWithCommaIsJSCompare(t *testing.T) {
	words := []string{"", "a", "ab", "a,", "a+", "a-", "a,b", "b", "note", "note_", "options", "\ue000", "\U0001F600", "a\U0001F600", "a\ue000", "10", "9"}
	for _, a := range words {
		for _, b := range words {
			if got, want := compareWithComma(a, b), jsCompare(a+",", b+","); got != want {
				t.Errorf("compareWithComma(%q, %q) = %d, jsCompare gives %d", a, b, got, want)
			}
		}
	}
}
