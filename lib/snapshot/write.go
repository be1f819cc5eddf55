package snapshot

import (
	"cmp"
	"encoding/json"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
)

// The key orders below are the ones Directus's get-snapshot produces (it
// picks these keys, in this order, from each item); keys not listed follow
// in the order they were read.
var (
	collectionKeys     = []string{"collection", "fields", "meta", "schema"}
	fieldKeys          = []string{"collection", "field", "type", "meta", "name", "children", "schema"}
	relationKeys       = []string{"collection", "field", "related_collection", "meta", "schema"}
	systemFieldKeys    = []string{"collection", "field", "schema"}
	collectionSchema   = []string{"name"}
	fieldSchemaKeys    = []string{"name", "table", "data_type", "default_value", "max_length", "numeric_precision", "numeric_scale", "is_nullable", "is_unique", "is_indexed", "is_primary_key", "is_generated", "generation_expression", "has_auto_increment", "foreign_key_table", "foreign_key_column"}
	relationSchemaKeys = []string{"table", "column", "foreign_key_table", "foreign_key_column", "constraint_name", "on_update", "on_delete"}
	systemSchemaKeys   = []string{"is_indexed"}
)

// WriteYAML writes s as Directus writes a snapshot: top-level keys version,
// directus, vendor, collections, fields, systemFields, relations (then any
// unknown ones); collections sorted by name; fields and relations grouped by
// collection in their original order; system fields by collection and
// field; meta keys sorted; schema keys in Directus's fixed order. A snapshot
// that Directus 11 wrote comes out byte for byte as it went in.
func (s *Snapshot) WriteYAML(w io.Writer) error {
	b, err := s.YAML()
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// YAML returns what WriteYAML writes.
func (s *Snapshot) YAML() ([]byte, error) {
	e := &yamlEmitter{buf: make([]byte, 0, 4096)}
	if err := e.node(s.document(), 0, true); err != nil {
		return nil, err
	}
	return append(e.buf, '\n'), nil
}

// WriteJSON writes s as indented JSON (two spaces, as JSON.stringify(s,
// null, 2) does) in the same layout as WriteYAML, ending with a newline.
func (s *Snapshot) WriteJSON(w io.Writer) error {
	b, err := appendJSON(nil, s.document(), "  ", "")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// MarshalJSON returns s as compact JSON in the layout of WriteYAML, which is
// what the Directus REST API takes as a snapshot.
func (s *Snapshot) MarshalJSON() ([]byte, error) {
	return appendJSON(nil, s.document(), "", "")
}

// document lays s out as Directus does. Items are reordered copies; s is not
// changed.
func (s *Snapshot) document() *Map {
	root := &Map{members: make([]Member, 0, 8)}
	version := s.Version
	if version == 0 {
		version = 1
	}
	root.Set("version", json.Number(strconv.Itoa(version)))
	root.Set("directus", s.Directus)
	if s.Vendor != "" {
		root.Set("vendor", s.Vendor)
	}

	cols := slices.Clone(s.Collections)
	slices.SortStableFunc(cols, func(a, b *Collection) int { return jsCompare(a.Name(), b.Name()) })
	list := make([]any, len(cols))
	for i, c := range cols {
		list[i] = orderItem(c.Raw, collectionKeys, collectionSchema)
	}
	setList(root, "collections", list, s.Partial())

	fields := slices.Clone(s.Fields)
	slices.SortStableFunc(fields, func(a, b *Field) int { return jsCompare(a.Collection(), b.Collection()) })
	list = make([]any, len(fields))
	for i, f := range fields {
		list[i] = orderItem(f.Raw, fieldKeys, fieldSchemaKeys)
	}
	setList(root, "fields", list, s.Partial())

	sys := slices.Clone(s.SystemFields)
	slices.SortStableFunc(sys, func(a, b *SystemField) int {
		return cmp.Or(jsCompare(a.Collection(), b.Collection()), jsCompare(a.Field(), b.Field()))
	})
	list = make([]any, len(sys))
	for i, f := range sys {
		list[i] = orderItem(f.Raw, systemFieldKeys, systemSchemaKeys)
	}
	setList(root, "systemFields", list, s.Partial())

	rels := slices.Clone(s.Relations)
	slices.SortStableFunc(rels, func(a, b *Relation) int { return jsCompare(a.Collection(), b.Collection()) })
	list = make([]any, len(rels))
	for i, r := range rels {
		list[i] = orderItem(r.Raw, relationKeys, relationSchemaKeys)
	}
	setList(root, "relations", list, s.Partial())

	for _, mb := range s.Extra.Members() {
		if !root.Has(mb.Key) {
			root.members = append(root.members, mb)
		}
	}
	return root
}

// setList adds a list to the document. A partial snapshot leaves out its
// empty lists: there, a missing list means "not part of this snapshot", and
// writing an empty one could be read as "none".
func setList(root *Map, key string, list []any, partial bool) {
	if partial && len(list) == 0 {
		return
	}
	root.Set(key, list)
}

func orderItem(m *Map, keys, schemaKeys []string) *Map {
	out := &Map{members: make([]Member, 0, m.Len())}
	put := func(k string, v any) {
		switch k {
		case "meta":
			v = sortDeep(v)
		case "schema":
			if sm, ok := v.(*Map); ok {
				v = orderKeys(sm, schemaKeys)
			}
		}
		out.members = append(out.members, Member{Key: k, Value: v})
	}
	for _, k := range keys {
		if v, ok := m.Get(k); ok {
			put(k, v)
		}
	}
	for _, mb := range m.Members() {
		if !slices.Contains(keys, mb.Key) {
			put(mb.Key, mb.Value)
		}
	}
	return out
}

func orderKeys(m *Map, keys []string) *Map {
	out := &Map{members: make([]Member, 0, m.Len())}
	for _, k := range keys {
		if v, ok := m.Get(k); ok {
			out.members = append(out.members, Member{Key: k, Value: v})
		}
	}
	for _, mb := range m.Members() {
		if !slices.Contains(keys, mb.Key) {
			out.members = append(out.members, mb)
		}
	}
	return out
}

// sortDeep sorts the keys of every map in v as Directus's sortDeep does
// (lodash sortBy over [key, value] pairs, then a JavaScript object, which
// puts integer-like keys first).
func sortDeep(v any) any {
	switch x := v.(type) {
	case *Map:
		out := &Map{members: make([]Member, len(x.members))}
		for i, mb := range x.members {
			out.members[i] = Member{Key: mb.Key, Value: sortDeep(mb.Value)}
		}
		slices.SortStableFunc(out.members, func(a, b Member) int { return jsKeyCompare(a.Key, b.Key) })
		return out
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = sortDeep(x[i])
		}
		return out
	}
	return v
}

func jsKeyCompare(a, b string) int {
	ai, aok := arrayIndex(a)
	bi, bok := arrayIndex(b)
	switch {
	case aok && bok:
		return cmp.Compare(ai, bi)
	case aok:
		return -1
	case bok:
		return 1
	}
	// lodash compares the pairs as strings "key,value".
	return jsCompare(a+",", b+",")
}

// arrayIndex reports whether k is a canonical array index, which a
// JavaScript object enumerates before its other keys.
func arrayIndex(k string) (uint64, bool) {
	if k == "" || len(k) > 10 || (len(k) > 1 && k[0] == '0') {
		return 0, false
	}
	n, err := strconv.ParseUint(k, 10, 64)
	if err != nil || n >= 1<<32-1 {
		return 0, false
	}
	return n, true
}

// jsCompare compares strings by UTF-16 code units, as JavaScript does. It
// differs from Go's byte order only between characters above U+FFFF and
// those in U+E000–U+FFFF.
func jsCompare(a, b string) int {
	if !hasHighRune(a) || !hasHighRune(b) {
		return strings.Compare(a, b)
	}
	ua, ub := utf16.Encode([]rune(a)), utf16.Encode([]rune(b))
	return slices.Compare(ua, ub)
}

func hasHighRune(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0xEE {
			return true
		}
	}
	return false
}
