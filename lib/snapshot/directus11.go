package snapshot

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
)

// Directus 11 (11.17.4 included) diffs each object with the deep-diff
// library and decides what to do with it from the first record alone. A
// first record that deletes something, even a key deep inside meta, makes
// schema apply delete the whole object: a collection is dropped with its
// table and rows, a relation with its foreign key, although the snapshot
// still has them (directus/directus#27877; fixed in later releases, where
// such records are updates). It happens when the live schema has a meta
// key, even one set to null, that the snapshot lacks: typically a snapshot
// written by an older Directus. Its diff then also leaves out every field
// and relation of such a collection.
//
// directusDeletesOnUpdate predicts it: for an object present on both sides
// (from: the live schema, to: the snapshot applied), it reports whether
// Directus's diff of the two begins with a deletion inside the object, and
// the path deleted. Fields are not affected: their apply tells a nested
// deletion from a deleted field.
func directusDeletesOnUpdate(kind Kind, from, to *Map) (string, bool) {
	var paths []string
	switch kind {
	case KindCollection:
		paths = []string{"collection", "fields", "meta", "schema.name"}
	case KindRelation:
		paths = []string{"collection", "field", "related_collection", "meta", "schema.table", "schema.column",
			"schema.foreign_key_table", "schema.foreign_key_column", "schema.constraint_name", "schema.on_update", "schema.on_delete"}
	default:
		return "", false
	}
	// Directus's own snapshot never has meta.id: the live side is read
	// without it.
	a, b := pick(from, paths), pick(to, paths)
	if m, ok := mustGet(a, "meta").(*Map); ok && m.Has("id") {
		m = m.Clone()
		m.Delete("id")
		a.Set("meta", m)
	}
	kind2, path, found := firstDeepDiff(a, b, true, true, "")
	if !found || kind2 != 'D' || path == "" {
		return "", false
	}
	return path, true
}

// pick is lodash's pick(object, paths) as Directus's sanitize functions
// use it: each path that exists (even with a null value) is copied, in the
// order of paths; "schema.name" copies one key of schema.
func pick(m *Map, paths []string) *Map {
	out := NewMap()
	for _, p := range paths {
		head, rest, nested := strings.Cut(p, ".")
		v, ok := m.Get(head)
		if !ok {
			continue
		}
		if !nested {
			out.Set(head, v)
			continue
		}
		sub, isMap := v.(*Map)
		if !isMap || sub == nil {
			continue
		}
		w, ok := sub.Get(rest)
		if !ok {
			continue
		}
		dst, _ := mustGet(out, head).(*Map)
		if dst == nil {
			dst = NewMap()
			out.Set(head, dst)
		}
		dst.Set(rest, w)
	}
	return out
}

// jsType is deep-diff's realTypeOf for the values a snapshot holds.
func jsType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case *Map:
		return "object"
	case []any:
		return "array"
	}
	if _, ok := asNumber(v); ok {
		return "number"
	}
	return "unknown"
}

// firstDeepDiff returns the kind (N, D, E or A) and path of the first
// record deep-diff's diff(a, b) would produce, walking as it walks: the
// keys of a in order (a key missing from b is a D), then the keys only b
// has (N); arrays of different lengths give an A first, arrays of equal
// length are walked from the last element down.
func firstDeepDiff(a, b any, aDefined, bDefined bool, path string) (byte, string, bool) {
	switch {
	case !aDefined && !bDefined:
		return 0, "", false
	case !aDefined:
		return 'N', path, true
	case !bDefined:
		return 'D', path, true
	case jsType(a) != jsType(b):
		return 'E', path, true
	}
	switch x := a.(type) {
	case *Map:
		y := b.(*Map)
		for _, m := range x.Members() {
			v, ok := y.Get(m.Key)
			if k, p, found := firstDeepDiff(m.Value, v, true, ok, joinPath(path, m.Key)); found {
				return k, p, true
			}
		}
		for _, m := range y.Members() {
			if !x.Has(m.Key) {
				return 'N', joinPath(path, m.Key), true
			}
		}
		return 0, "", false
	case []any:
		y := b.([]any)
		if len(x) != len(y) {
			return 'A', path, true
		}
		for i := len(x) - 1; i >= 0; i-- {
			if k, p, found := firstDeepDiff(x[i], y[i], true, true, joinPath(path, strconv.Itoa(i))); found {
				return k, p, true
			}
		}
		return 0, "", false
	}
	if Equal(a, b) {
		return 0, "", false
	}
	return 'E', path, true
}

// What Directus 11 compares of each object (its sanitize functions); the
// rest of an item (vendor extras such as schema.comment, unknown keys) is
// kept in a snapshot but never applied, so it is no difference.
var (
	comparedTop = map[Kind][]string{
		KindCollection:  {"collection", "fields", "meta"},
		KindField:       {"collection", "field", "type", "meta", "name", "children"},
		KindRelation:    {"collection", "field", "related_collection", "meta"},
		KindSystemField: {"collection", "field"},
	}
	comparedSchema = map[Kind][]string{
		KindCollection: {"name"},
		KindField: {"name", "table", "data_type", "default_value", "max_length", "numeric_precision", "numeric_scale",
			"is_nullable", "is_unique", "is_indexed", "is_primary_key", "is_generated", "generation_expression",
			"has_auto_increment", "foreign_key_table", "foreign_key_column"},
		KindRelation:    {"table", "column", "foreign_key_table", "foreign_key_column", "constraint_name", "on_update", "on_delete"},
		KindSystemField: {"is_indexed"},
	}
)

// directusCompares reports whether Directus's diff looks at path. Of an
// auto-increment primary key it compares no schema at all (it never alters
// one).
func directusCompares(kind Kind, path string, autoIncrementPK bool) bool {
	top, rest, _ := strings.Cut(path, ".")
	if top == "schema" {
		if autoIncrementPK {
			return false
		}
		if rest == "" {
			return true // a whole schema appears, disappears or changes type
		}
		key, _, _ := strings.Cut(rest, ".")
		return slices.Contains(comparedSchema[kind], key)
	}
	return slices.Contains(comparedTop[kind], top)
}

// isAutoIncrementPK is Directus's test: schema.is_primary_key and
// schema.has_auto_increment both truthy.
func isAutoIncrementPK(field *Map) bool {
	s := getMap(field, "schema")
	return truthy(mustGet(s, "is_primary_key")) && truthy(mustGet(s, "has_auto_increment"))
}

func truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case string:
		return x != ""
	}
	if n, ok := asNumber(v); ok {
		return !numbersEqual(n, json.Number("0"))
	}
	return true
}
