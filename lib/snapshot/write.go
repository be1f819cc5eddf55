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
	return appendJSON(make([]byte, 0, s.textSize), s.document(), "", "")
}

// document lays s out as Directus does. Items are reordered copies, made
// one at a time as they are written (itemList); s is not changed.
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
	setList(root, "collections", itemList{len(cols), func(i int) *Map {
		return orderItem(cols[i].Raw, collectionKeys, collectionSchema)
	}}, s.Partial())

	fields := slices.Clone(s.Fields)
	slices.SortStableFunc(fields, func(a, b *Field) int { return jsCompare(a.Collection(), b.Collection()) })
	setList(root, "fields", itemList{len(fields), func(i int) *Map {
		return orderItem(fields[i].Raw, fieldKeys, fieldSchemaKeys)
	}}, s.Partial())

	sys := slices.Clone(s.SystemFields)
	slices.SortStableFunc(sys, func(a, b *SystemField) int {
		return cmp.Or(jsCompare(a.Collection(), b.Collection()), jsCompare(a.Field(), b.Field()))
	})
	setList(root, "systemFields", itemList{len(sys), func(i int) *Map {
		return orderItem(sys[i].Raw, systemFieldKeys, systemSchemaKeys)
	}}, s.Partial())

	rels := slices.Clone(s.Relations)
	slices.SortStableFunc(rels, func(a, b *Relation) int { return jsCompare(a.Collection(), b.Collection()) })
	setList(root, "relations", itemList{len(rels), func(i int) *Map {
		return orderItem(rels[i].Raw, relationKeys, relationSchemaKeys)
	}}, s.Partial())

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
func setList(root *Map, key string, list itemList, partial bool) {
	if partial && list.n == 0 {
		return
	}
	root.Set(key, list)
}

// itemList is a document's list of items, each laid out when it is
// written: a snapshot being written never holds a laid-out copy of all its
// items, which would cost as much memory as the snapshot itself.
type itemList struct {
	n  int
	at func(i int) *Map
}

// orderItem returns m laid out as Directus writes an item: m itself when it
// already is, as every item of a snapshot Directus or this package wrote
// is, else a reordered copy.
func orderItem(m *Map, keys, schemaKeys []string) *Map {
	if itemInOrder(m, keys, schemaKeys) {
		return m
	}
	return layOut(m, keys, schemaKeys)
}

// layOut returns a copy of m laid out as Directus writes an item.
func layOut(m *Map, keys, schemaKeys []string) *Map {
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

// itemInOrder reports whether orderItem would lay m out as it is.
func itemInOrder(m *Map, keys, schemaKeys []string) bool {
	if !keysInOrder(m, keys) {
		return false
	}
	for _, mb := range m.members {
		switch mb.Key {
		case "meta":
			if !sortedDeep(mb.Value) {
				return false
			}
		case "schema":
			if sm, ok := mb.Value.(*Map); ok && !keysInOrder(sm, schemaKeys) {
				return false
			}
		}
	}
	return true
}

// keysInOrder reports whether m's keys are in the order orderKeys gives:
// those of keys first, in keys' order, then the others.
func keysInOrder(m *Map, keys []string) bool {
	next, others := 0, false
	for _, mb := range m.Members() {
		i := slices.Index(keys, mb.Key)
		if i < 0 {
			others = true
			continue
		}
		if others || i < next {
			return false
		}
		next = i + 1
	}
	return true
}

// sortedDeep reports whether sortDeep would give v back as it is.
func sortedDeep(v any) bool {
	switch x := v.(type) {
	case *Map:
		for i, mb := range x.members {
			if i > 0 && jsKeyCompare(x.members[i-1].Key, mb.Key) > 0 {
				return false
			}
			if !sortedDeep(mb.Value) {
				return false
			}
		}
	case []any:
		for _, item := range x {
			if !sortedDeep(item) {
				return false
			}
		}
	}
	return true
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
	return compareWithComma(a, b)
}

// compareWithComma is jsCompare(a+",", b+","), without making the two
// strings: a snapshot's write compares every pair of neighbouring meta keys.
func compareWithComma(a, b string) int {
	if hasHighRune(a) && hasHighRune(b) {
		return jsCompare(a+",", b+",")
	}
	n := min(len(a), len(b))
	if c := strings.Compare(a[:n], b[:n]); c != 0 {
		return c
	}
	switch {
	case len(a) < len(b): // a's comma against b[n]; a ends first if they tie
		if b[n] < ',' {
			return 1
		}
		return -1
	case len(a) > len(b):
		if a[n] < ',' {
			return -1
		}
		return 1
	}
	return 0
}

// arrayIndex reports whether k is a canonical array index, which a
// JavaScript object enumerates before its other keys.
func arrayIndex(k string) (uint64, bool) {
	if k == "" || len(k) > 10 || (len(k) > 1 && k[0] == '0') {
		return 0, false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < '0' || k[i] > '9' {
			return 0, false // before ParseUint, whose error allocates
		}
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
