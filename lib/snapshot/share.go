package snapshot

import (
	"encoding/json"
	"hash/maphash"
)

// A snapshot read with WithBase shares with its base every item that is
// identical to one of the base's: reading the second snapshot of a pair
// then costs what the pair differs by, not a second tree. Items are
// recognised as they are read — a list item at depth 2 (3 under the
// {"data": …} envelope) — and an identical one gives its memory back to
// the slabs at once, so the tree being read never holds it.

// shareIndex holds the base's items by a hash of their collection, field
// and keys (which tell a field from the relation or system field of the
// same column): one map entry of 16 bytes per item. A hash that two of the
// base's items share keeps the first; the identity check makes any wrong
// match harmless, and a missed one costs only memory.
type shareIndex struct {
	seed  maphash.Seed
	items map[uint64]*Map
}

func newShareIndex(base *Snapshot) *shareIndex {
	if base == nil {
		return nil
	}
	idx := &shareIndex{seed: maphash.MakeSeed(),
		items: make(map[uint64]*Map, len(base.Collections)+len(base.Fields)+len(base.SystemFields)+len(base.Relations))}
	add := func(m *Map) {
		if h, ok := idx.hash(m); ok {
			if _, taken := idx.items[h]; !taken {
				idx.items[h] = m
			}
		}
	}
	for _, c := range base.Collections {
		add(c.Raw)
	}
	for _, f := range base.Fields {
		add(f.Raw)
	}
	for _, f := range base.SystemFields {
		add(f.Raw)
	}
	for _, r := range base.Relations {
		add(r.Raw)
	}
	return idx
}

// hash returns the hash m is found by, and false when m cannot be an item
// of a Directus snapshot, all of which start with their collection.
func (idx *shareIndex) hash(m *Map) (uint64, bool) {
	if m.Len() == 0 || m.members[0].Key != "collection" {
		return 0, false
	}
	var h maphash.Hash
	h.SetSeed(idx.seed)
	h.WriteString(getString(m, "collection"))
	h.WriteByte(0)
	h.WriteString(getString(m, "field"))
	for _, mb := range m.members {
		h.WriteByte(0)
		h.WriteString(mb.Key)
	}
	return h.Sum64(), true
}

// find returns the base's item identical to m, or nil.
func (idx *shareIndex) find(m *Map) *Map {
	h, ok := idx.hash(m)
	if !ok {
		return nil
	}
	if b := idx.items[h]; b != nil && identical(m, b) {
		return b
	}
	return nil
}

// itemDepth reports whether a map read at depth may be a snapshot's item.
func itemDepth(depth int) bool { return depth == 2 || depth == 3 }

// slabMark is where the slabs stood when a map began: what was left of
// each, and each whole.
type slabMark struct {
	maps, mapsFull       []Map
	members, membersFull []Member
	items, itemsFull     []any
}

func (t *tree) mark() slabMark {
	return slabMark{t.maps, t.mapsFull, t.memberSlab, t.membersFull, t.itemSlab, t.itemsFull}
}

// share returns the base's item identical to m, having given back the slab
// space m and its values took since at; m itself when there is none.
func (t *tree) share(m *Map, at slabMark) *Map {
	b := t.base.find(m)
	if b == nil {
		return m
	}
	t.maps = rewind(at.maps, at.mapsFull, t.maps, t.mapsFull)
	t.memberSlab = rewind(at.members, at.membersFull, t.memberSlab, t.membersFull)
	t.itemSlab = rewind(at.items, at.itemsFull, t.itemSlab, t.itemsFull)
	return b
}

// rewind returns what is left of a slab once what was handed out since a
// mark is given back and cleared (so that it holds on to nothing): the
// mark's rest when the slab is the same, else the whole of the slab begun
// since (the rest of the mark's slab is lost). rest and full are the slab
// now.
func rewind[T any](markRest, markFull, rest, full []T) []T {
	switch {
	case len(full) == 0:
		return rest
	case len(markFull) > 0 && &markFull[0] == &full[0]:
		clear(markRest[:len(markRest)-len(rest)])
		return markRest
	}
	clear(markRest)
	clear(full[:len(full)-len(rest)])
	return full
}

// identical reports whether a and b are written the same: the same keys in
// the same order, the same values of the same types with the same text.
// Unlike Equal, nothing that could show in a diff or a written snapshot
// differs between them.
func identical(a, b any) bool {
	switch x := a.(type) {
	case *Map:
		y, ok := b.(*Map)
		if !ok || x.Len() != y.Len() {
			return false
		}
		for i := range x.members {
			if x.members[i].Key != y.members[i].Key || !identical(x.members[i].Value, y.members[i].Value) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !identical(x[i], y[i]) {
				return false
			}
		}
		return true
	case string, json.Number, bool, nil:
		return a == b
	}
	return false
}
