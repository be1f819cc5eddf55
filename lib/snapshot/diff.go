package snapshot

import (
	"cmp"
	"slices"
	"strings"
)

// Kind is the kind of object a change is about.
type Kind string

// The kinds, keyed as Directus keys them.
const (
	KindCollection  Kind = "collection"  // keyed by collection
	KindField       Kind = "field"       // keyed by (collection, field)
	KindRelation    Kind = "relation"    // keyed by (collection, field) of the many side
	KindSystemField Kind = "systemField" // keyed by (collection, field)
)

func (k Kind) rank() int {
	switch k {
	case KindCollection:
		return 0
	case KindField:
		return 1
	case KindRelation:
		return 2
	}
	return 3
}

// Op is what a change does to its object.
type Op string

// The operations.
const (
	OpCreate Op = "create"
	OpUpdate Op = "update"
	OpDelete Op = "delete"
)

// Severity says what applying a change risks.
type Severity string

// The severities, from harmless to dangerous.
const (
	// SeveritySafe: no data can be lost and existing rows cannot make the
	// change fail.
	SeveritySafe Severity = "safe"
	// SeverityWarning: no data is lost, but something is (dropping a
	// system-field index slows queries).
	SeverityWarning Severity = "warning"
	// SeverityDestructive: data can be lost, or the change can fail on
	// existing rows.
	SeverityDestructive Severity = "destructive"
)

func (s Severity) rank() int {
	switch s {
	case SeverityDestructive:
		return 2
	case SeverityWarning:
		return 1
	}
	return 0
}

// Key identifies an object. Field is empty for a collection.
type Key struct {
	Collection string
	Field      string
}

// String returns "collection" or "collection.field".
func (k Key) String() string {
	if k.Field == "" {
		return k.Collection
	}
	return k.Collection + "." + k.Field
}

func (k Key) compare(o Key) int {
	return cmp.Or(strings.Compare(k.Collection, o.Collection), strings.Compare(k.Field, o.Field))
}

// PathChange is one value that differs inside an updated object. A key
// absent on one side shows as nil there.
type PathChange struct {
	// Path is the dotted path inside the object, e.g. "schema.max_length"
	// or "meta.options".
	Path string
	Old  any
	New  any
}

// Change is one difference between two snapshots.
type Change struct {
	Kind Kind
	Key  Key
	Op   Op
	// Severity is the gravest of the reasons; SeveritySafe when there are
	// none.
	Severity Severity
	// Reasons explain a warning or destructive severity, one per rule hit.
	Reasons []string
	// MissingKey is set on an update that Directus 11 applies as a delete
	// (directus/directus#27877): the path of the key, present on the from
	// side, that the to snapshot lacks, e.g. "meta.versioning". A snapshot
	// written by the running Directus has every key; callers that know how
	// their snapshots are made can say how to rewrite it.
	MissingKey string
	// Paths lists every changed value of an update, ordered by path.
	Paths []PathChange
	// From and To are the raw items; From is nil for a create, To for a
	// delete.
	From, To *Map
}

// Result is the outcome of [Diff]: the changes that turn the first snapshot
// into the second, ordered by kind (collections, fields, relations, system
// fields) then key.
type Result struct {
	Changes []Change
}

// Empty reports whether the snapshots are equivalent.
func (r *Result) Empty() bool { return r == nil || len(r.Changes) == 0 }

// Summary counts the changes.
type Summary struct {
	Create      int `json:"create"`
	Update      int `json:"update"`
	Delete      int `json:"delete"`
	Destructive int `json:"destructive"`
	Warnings    int `json:"warnings"`
}

// Summary counts the changes by operation and severity.
func (r *Result) Summary() Summary {
	var s Summary
	if r == nil {
		return s
	}
	for _, c := range r.Changes {
		switch c.Op {
		case OpCreate:
			s.Create++
		case OpUpdate:
			s.Update++
		case OpDelete:
			s.Delete++
		}
		switch c.Severity {
		case SeverityDestructive:
			s.Destructive++
		case SeverityWarning:
			s.Warnings++
		}
	}
	return s
}

// Destructive returns the changes whose severity is destructive.
func (r *Result) Destructive() []Change {
	var out []Change
	if r == nil {
		return nil
	}
	for _, c := range r.Changes {
		if c.Severity == SeverityDestructive {
			out = append(out, c)
		}
	}
	return out
}

// keyed is an item with its key, for matching the two sides.
type keyed struct {
	key Key
	raw *Map
}

// Diff returns the changes that turn from into to, compared as Directus
// compares snapshots: items are matched by key, and neither the order of
// items or of map keys, nor meta.id, nor the directus version header is a
// difference. A key absent on one side and null on the other is not a
// difference either (older Directus versions omit keys that newer ones
// write as null), unless Directus 11 would apply it as the deletion of a
// collection or relation (see the package doc, Severity).
//
// When to is partial (version 2), nothing missing from it is reported as
// deleted; when from is partial, nothing missing from it is reported as
// created.
//
// Diff compares structure, not the database vendor: call [CheckVendor]
// first, as Directus does before it diffs or applies.
func Diff(from, to *Snapshot) *Result {
	if from == nil {
		from = &Snapshot{}
	}
	if to == nil {
		to = &Snapshot{}
	}
	d := &differ{from: from, to: to, fromCollections: map[string]bool{}}
	for _, c := range from.Collections {
		d.fromCollections[c.Name()] = true
	}
	d.kind(KindCollection, collectionItems(from), collectionItems(to))
	d.kind(KindField, fieldItems(from), fieldItems(to))
	d.kind(KindRelation, relationItems(from), relationItems(to))
	d.kind(KindSystemField, systemFieldItems(from), systemFieldItems(to))
	slices.SortStableFunc(d.changes, func(a, b Change) int {
		return cmp.Or(cmp.Compare(a.Kind.rank(), b.Kind.rank()), a.Key.compare(b.Key))
	})
	return &Result{Changes: d.changes}
}

type differ struct {
	from, to        *Snapshot
	fromCollections map[string]bool
	changes         []Change
}

func (d *differ) kind(kind Kind, from, to []keyed) {
	toIndex := make(map[Key]*Map, len(to))
	for _, it := range to {
		toIndex[it.key] = it.raw
	}
	for _, it := range from {
		other, ok := toIndex[it.key]
		// What is left in toIndex afterwards exists only in to.
		delete(toIndex, it.key)
		if !ok {
			if !d.to.Partial() {
				d.add(Change{Kind: kind, Key: it.key, Op: OpDelete, From: it.raw})
			}
			continue
		}
		paths := diffPaths(kind, it.raw, other)
		// Directus 11 may delete the object for a difference that Diff
		// does not count (a meta key null on one side, absent on the
		// other): report it then too.
		_, deletes := directusDeletesOnUpdate(kind, it.raw, other)
		if len(paths) > 0 || deletes {
			d.add(Change{Kind: kind, Key: it.key, Op: OpUpdate, Paths: paths, From: it.raw, To: other})
		}
	}
	if d.from.Partial() {
		return
	}
	for _, it := range to {
		if _, only := toIndex[it.key]; only {
			d.add(Change{Kind: kind, Key: it.key, Op: OpCreate, To: it.raw})
		}
	}
}

func (d *differ) add(c Change) {
	classify(&c, d.fromCollections)
	d.changes = append(d.changes, c)
}

func collectionItems(s *Snapshot) []keyed {
	out := make([]keyed, len(s.Collections))
	for i, c := range s.Collections {
		out[i] = keyed{Key{Collection: c.Name()}, c.Raw}
	}
	return out
}

func fieldItems(s *Snapshot) []keyed {
	out := make([]keyed, len(s.Fields))
	for i, f := range s.Fields {
		out[i] = keyed{Key{f.Collection(), f.Name()}, f.Raw}
	}
	return out
}

func relationItems(s *Snapshot) []keyed {
	out := make([]keyed, len(s.Relations))
	for i, r := range s.Relations {
		out[i] = keyed{Key{r.Collection(), r.Field()}, r.Raw}
	}
	return out
}

func systemFieldItems(s *Snapshot) []keyed {
	out := make([]keyed, len(s.SystemFields))
	for i, f := range s.SystemFields {
		out[i] = keyed{Key{f.Collection(), f.Field()}, f.Raw}
	}
	return out
}

// ignoredPath reports paths that are not differences: meta.id is the row id
// of directus_fields / directus_relations, which differs between databases
// holding the same schema.
func ignoredPath(path string) bool { return path == "meta.id" }

// diffPaths lists the values that differ between two items of one kind,
// ordered by the item's key order (collection, field, type, meta, schema)
// then by path.
func diffPaths(kind Kind, a, b *Map) []PathChange {
	var out []PathChange
	walkDiff(a, b, "", &out)
	if len(out) == 0 {
		return nil
	}
	autoPK := kind == KindField && isAutoIncrementPK(a)
	out = slices.DeleteFunc(out, func(p PathChange) bool { return !directusCompares(kind, p.Path, autoPK) })
	if len(out) == 0 {
		return nil
	}
	order := keyOrder(kind)
	slices.SortFunc(out, func(x, y PathChange) int {
		xt, _, _ := strings.Cut(x.Path, ".")
		yt, _, _ := strings.Cut(y.Path, ".")
		return cmp.Or(cmp.Compare(rankOf(order, xt), rankOf(order, yt)), strings.Compare(x.Path, y.Path))
	})
	return out
}

func keyOrder(kind Kind) []string {
	switch kind {
	case KindCollection:
		return collectionKeys
	case KindField:
		return fieldKeys
	case KindRelation:
		return relationKeys
	}
	return systemFieldKeys
}

func rankOf(order []string, k string) int {
	if i := slices.Index(order, k); i >= 0 {
		return i
	}
	return len(order)
}

// getNear looks key up, trying position i first: the two sides of a diff
// usually list their keys in the same order.
func getNear(m *Map, i int, key string) (any, bool) {
	if i < m.Len() && m.members[i].Key == key {
		return m.members[i].Value, true
	}
	return m.Get(key)
}

func walkDiff(a, b *Map, prefix string, out *[]PathChange) {
	if a == b {
		return // one map, as the items WithBase shares are
	}
	visit := func(k string, va, vb any) {
		// Most values are equal: compare before building any path.
		ma, aIsMap := va.(*Map)
		mb, bIsMap := vb.(*Map)
		if aIsMap && bIsMap {
			skip := ""
			if prefix == "" && k == "meta" {
				skip = "id" // meta.id, see ignoredPath
			}
			if mapsEqualExcept(ma, mb, skip) {
				return
			}
			walkDiff(ma, mb, joinPath(prefix, k), out)
			return
		}
		if Equal(va, vb) {
			return
		}
		path := joinPath(prefix, k)
		if !ignoredPath(path) {
			*out = append(*out, PathChange{Path: path, Old: va, New: vb})
		}
	}
	for i, m := range a.Members() {
		vb, _ := getNear(b, i, m.Key)
		visit(m.Key, m.Value, vb)
	}
	for i, m := range b.Members() {
		if _, ok := getNear(a, i, m.Key); !ok {
			visit(m.Key, nil, m.Value)
		}
	}
}

func joinPath(prefix, k string) string {
	if prefix == "" {
		return k
	}
	return prefix + "." + k
}
