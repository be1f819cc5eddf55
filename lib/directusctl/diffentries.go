package directusctl

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// What Directus 11's apply does with an entry of a schema diff.
const (
	DiffCreate = "create"
	DiffUpdate = "update"
	DiffDelete = "delete"
)

// diffLists are the lists of a schema diff, in the order Directus applies
// them.
func diffLists() [4]string { return [4]string{"collections", "fields", "systemFields", "relations"} }

// DiffEntry is one item of a Directus schema diff.
type DiffEntry struct {
	// List is the list the entry is in: collections, fields, systemFields
	// or relations.
	List       string
	Collection string
	// Field is empty for a collection.
	Field string
	// RelatedCollection is a relation's related collection, if any.
	RelatedCollection string
	// Op is what Directus 11's apply does with the entry, judged as it
	// judges it: by the kind of the entry's first deep-diff record. An
	// update of a collection or relation whose first record removes a key
	// is applied as a delete, and reported so.
	Op string
}

func (e DiffEntry) String() string {
	key := e.Collection
	if e.Field != "" {
		key += "." + e.Field
	}
	return fmt.Sprintf("%s %s %s", e.Op, e.List, key)
}

type diffEntryHead struct {
	Collection        string  `json:"collection"`
	Field             string  `json:"field"`
	RelatedCollection *string `json:"related_collection"`
	Diff              []struct {
		Kind string            `json:"kind"`
		Path []json.RawMessage `json:"path"`
	} `json:"diff"`
}

// Entries lists the items of the diff, in the order Directus applies the
// lists.
func (d *SchemaDiff) Entries() ([]DiffEntry, error) {
	var out []DiffEntry
	err := d.walk(func(e DiffEntry, _ json.RawMessage) { out = append(out, e) })
	return out, err
}

// Without returns a copy of the diff without the entries drop reports;
// the others are kept byte for byte. It is the Go side of the CLI's
// --ignoreRules: entries about tables that something else owns never
// reach an apply.
func (d *SchemaDiff) Without(drop func(DiffEntry) bool) (*SchemaDiff, error) {
	kept := map[string][]json.RawMessage{}
	for _, l := range diffLists() {
		kept[l] = []json.RawMessage{}
	}
	err := d.walk(func(e DiffEntry, raw json.RawMessage) {
		if !drop(e) {
			kept[e.List] = append(kept[e.List], raw)
		}
	})
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(kept)
	if err != nil {
		return nil, err
	}
	return &SchemaDiff{Hash: d.Hash, Diff: b}, nil
}

func (d *SchemaDiff) walk(visit func(DiffEntry, json.RawMessage)) error {
	if len(d.Diff) == 0 || bytes.Equal(bytes.TrimSpace(d.Diff), []byte("null")) {
		return nil
	}
	var lists map[string][]json.RawMessage
	if err := json.Unmarshal(d.Diff, &lists); err != nil {
		return fmt.Errorf("directus schema diff: not an object of lists: %w", err)
	}
	for _, l := range diffLists() {
		for i, raw := range lists[l] {
			var h diffEntryHead
			if err := json.Unmarshal(raw, &h); err != nil {
				return fmt.Errorf("directus schema diff: %s[%d]: %w", l, i, err)
			}
			if h.Collection == "" || len(h.Diff) == 0 || (l != "collections" && h.Field == "") {
				return fmt.Errorf("directus schema diff: %s[%d] has no collection, field or records", l, i)
			}
			e := DiffEntry{List: l, Collection: h.Collection, Field: h.Field}
			if h.RelatedCollection != nil {
				e.RelatedCollection = *h.RelatedCollection
			}
			first := h.Diff[0]
			nestedMeta := (first.Kind == "N" || first.Kind == "D") && len(first.Path) >= 2 && string(first.Path[0]) == `"meta"`
			switch {
			case l == "systemFields":
				e.Op = DiffUpdate
			case first.Kind == "N" && !(l == "fields" && nestedMeta):
				e.Op = DiffCreate
			case first.Kind == "D" && !(l == "fields" && nestedMeta):
				e.Op = DiffDelete
			case first.Kind == "N", first.Kind == "D", first.Kind == "E", first.Kind == "A":
				e.Op = DiffUpdate
			default:
				return fmt.Errorf("directus schema diff: %s[%d]: unknown record kind %q", l, i, first.Kind)
			}
			visit(e, raw)
		}
	}
	return nil
}
