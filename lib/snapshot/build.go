package snapshot

import (
	"encoding/json"
	"fmt"
	"strconv"
)

const notSnapshotHint = "expected a Directus schema snapshot with keys version, directus, collections, fields, relations"

// build turns a parsed document into a Snapshot, checking what the rest of
// the package relies on: the key fields of every item are strings, and no
// key appears twice in a list.
func build(v any) (*Snapshot, error) {
	root, ok := v.(*Map)
	if !ok {
		return nil, &semanticError{msg: "top level is " + describe(v) + ", not a map", hint: notSnapshotHint}
	}
	var prefix []any
	// GET /schema/snapshot wraps the snapshot as {"data": …}.
	if root.Len() == 1 {
		if inner := getMap(root, "data"); inner != nil && inner.Has("version") {
			root, prefix = inner, []any{"data"}
		}
	}
	at := func(p ...any) []any { return append(append([]any{}, prefix...), p...) }

	s := &Snapshot{}
	ver, ok := root.Get("version")
	if !ok {
		return nil, &semanticError{path: at(), msg: "no version key", hint: notSnapshotHint}
	}
	n, isNum := ver.(json.Number)
	iv, err := strconv.Atoi(string(n))
	if !isNum || err != nil || iv < 1 || iv > 2 {
		return nil, &semanticError{path: at("version"), msg: fmt.Sprintf("unsupported snapshot version %s", short(ver)),
			hint: "this tool reads snapshot versions 1 and 2 (Directus 9.x to 12.x)"}
	}
	s.Version = iv

	switch d := mustGet(root, "directus").(type) {
	case nil:
	case string:
		s.Directus = d
	case json.Number:
		s.Directus = string(d)
	default:
		return nil, &semanticError{path: at("directus"), msg: "directus must be a version string, not " + describe(d)}
	}
	switch d := mustGet(root, "vendor").(type) {
	case nil:
	case string:
		s.Vendor = d
	default:
		return nil, &semanticError{path: at("vendor"), msg: "vendor must be a string, not " + describe(d)}
	}

	lists := map[string][]*Map{}
	for _, key := range []string{"collections", "fields", "systemFields", "relations"} {
		raw, present := root.Get(key)
		if !present && key != "systemFields" && !s.Partial() {
			return nil, &semanticError{path: at(), msg: "no " + key + " key", hint: notSnapshotHint}
		}
		if raw == nil {
			continue
		}
		items, ok := raw.([]any)
		if !ok {
			return nil, &semanticError{path: at(key), msg: key + " must be a list, not " + describe(raw)}
		}
		maps := make([]*Map, len(items))
		for i, it := range items {
			m, ok := it.(*Map)
			if !ok {
				return nil, &semanticError{path: at(key, i), msg: "an item of " + key + " must be a map, not " + describe(it)}
			}
			maps[i] = m
		}
		lists[key] = maps
	}

	// One allocation per list for the items and one for their wrappers.
	cols := lists["collections"]
	colItems := make([]Collection, len(cols))
	s.Collections = make([]*Collection, 0, len(cols))
	seen := make(map[Key]int, max(len(cols), len(lists["fields"])))
	for i, m := range cols {
		name, err := keyString(m, "collection", at, "collections", i)
		if err != nil {
			return nil, err
		}
		k := Key{Collection: name}
		if first, dup := seen[k]; dup {
			return nil, &semanticError{path: at("collections", i, "collection"),
				msg: fmt.Sprintf("collection %q is listed twice (also collections[%d])", name, first)}
		}
		seen[k] = i
		colItems[i].Raw = m
		s.Collections = append(s.Collections, &colItems[i])
	}
	fields := lists["fields"]
	fieldItems := make([]Field, len(fields))
	s.Fields = make([]*Field, 0, len(fields))
	sys := lists["systemFields"]
	sysItems := make([]SystemField, len(sys))
	s.SystemFields = make([]*SystemField, 0, len(sys))
	rels := lists["relations"]
	relItems := make([]Relation, len(rels))
	s.Relations = make([]*Relation, 0, len(rels))
	for _, kind := range []string{"fields", "systemFields", "relations"} {
		clear(seen)
		for i, m := range lists[kind] {
			coll, err := keyString(m, "collection", at, kind, i)
			if err != nil {
				return nil, err
			}
			field, err := keyString(m, "field", at, kind, i)
			if err != nil {
				return nil, err
			}
			k := Key{Collection: coll, Field: field}
			if first, dup := seen[k]; dup {
				return nil, &semanticError{path: at(kind, i, "field"),
					msg: fmt.Sprintf("%s is listed twice (also %s[%d])", k, kind, first)}
			}
			seen[k] = i
			switch kind {
			case "fields":
				fieldItems[i].Raw = m
				s.Fields = append(s.Fields, &fieldItems[i])
			case "systemFields":
				sysItems[i].Raw = m
				s.SystemFields = append(s.SystemFields, &sysItems[i])
			case "relations":
				relItems[i].Raw = m
				s.Relations = append(s.Relations, &relItems[i])
			}
		}
	}

	for _, mb := range root.Members() {
		switch mb.Key {
		case "version", "directus", "vendor", "collections", "fields", "systemFields", "relations":
			continue
		}
		if s.Extra == nil {
			s.Extra = &Map{}
		}
		s.Extra.members = append(s.Extra.members, mb)
	}
	return s, nil
}

func mustGet(m *Map, key string) any {
	v, _ := m.Get(key)
	return v
}

// keyString returns the string value of key in the item list[i]; at
// makes the item's path for an error (only then: it allocates).
func keyString(m *Map, key string, at func(...any) []any, list string, i int) (string, error) {
	v, ok := m.Get(key)
	if !ok {
		return "", &semanticError{path: at(list, i), msg: "no " + key + " key"}
	}
	s, ok := v.(string)
	if !ok || s == "" {
		return "", &semanticError{path: at(list, i, key), msg: key + " must be a non-empty string, not " + describe(v)}
	}
	return s, nil
}

func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case *Map:
		return "a map"
	case []any:
		return "a list"
	case string:
		if x == "" {
			return "an empty string"
		}
		return "a string"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	}
	return fmt.Sprintf("%T", v)
}

func short(v any) string {
	b, err := json.Marshal(v)
	if err != nil || len(b) > 40 {
		return describe(v)
	}
	return string(b)
}
