package snapshot

import "encoding/json"

// Limits of the string sharing in tree: a snapshot repeats a few thousand
// short strings (keys, types, collection and field names) tens of
// thousands of times; long ones (notes, templates) are mostly unique.
const (
	maxSharedLen   = 48
	maxSharedCount = 1 << 16
)

// tree assembles the values a reader produces with as little memory and
// as few allocations as the values allow: each map's members and each
// list's items are gathered on a stack and copied once into a slice of the
// exact size, cut from a slab, and repeated short strings and numbers are
// allocated once and shared (they are immutable). A Directus snapshot's
// tree then takes about twice its JSON or YAML text, and reading it leaves
// almost no garbage for the collector to chase.
type tree struct {
	members []Member // members of the maps being read, innermost last
	items   []any    // items of the lists being read, innermost last
	// What is left of the current slabs, and each whole.
	maps, mapsFull          []Map
	memberSlab, membersFull []Member
	itemSlab, itemsFull     []any
	// base holds the items of WithBase's snapshot, which identical items
	// read are shared with; nil without WithBase.
	base *shareIndex
	// Shared strings and numbers, shared counting all three.
	keys   map[string]string
	strs   map[string]any // string values, boxed once
	nums   map[string]any // json.Number values, boxed once
	shared int
	// The strings seen last, by a cheap hash of their bytes: most lookups
	// end here, without hashing a whole string for the maps above.
	recentKeys [256]string
	recentStrs [256]string
	recentVals [256]any
}

func newTree(base *shareIndex) *tree {
	return &tree{base: base, keys: make(map[string]string, 256), strs: make(map[string]any, 1024), nums: make(map[string]any, 64)}
}

// slot picks the recent-string slot of b from its length and three of its
// bytes.
func slot(b []byte) uint8 {
	n := len(b)
	if n == 0 {
		return 0
	}
	return uint8(n*7) ^ b[0]*31 ^ b[n-1]*17 ^ b[n/2]
}

// key returns b as a shared string.
func (t *tree) key(b []byte) string {
	i := slot(b)
	if s := t.recentKeys[i]; s == string(b) {
		return s
	}
	s, ok := t.keys[string(b)]
	if !ok {
		s = string(b)
		if len(b) <= maxSharedLen && t.shared < maxSharedCount {
			t.keys[s] = s
			t.shared++
		}
	}
	t.recentKeys[i] = s
	return s
}

// str returns b as a string value, shared when short.
func (t *tree) str(b []byte) any {
	if len(b) > maxSharedLen {
		return string(b)
	}
	i := slot(b)
	if t.recentStrs[i] == string(b) && t.recentVals[i] != nil {
		return t.recentVals[i]
	}
	v, ok := t.strs[string(b)]
	if !ok {
		v = string(b)
		if t.shared < maxSharedCount {
			t.strs[string(b)] = v
			t.shared++
		}
	}
	t.recentStrs[i], t.recentVals[i] = v.(string), v
	return v
}

// num returns b, the text of a JSON number, as a shared json.Number.
func (t *tree) num(b []byte) any {
	if len(b) > maxSharedLen {
		return json.Number(b)
	}
	if v, ok := t.nums[string(b)]; ok {
		return v
	}
	var v any = json.Number(b)
	if t.shared < maxSharedCount {
		t.nums[string(b)] = v
		t.shared++
	}
	return v
}

// Maps, members and list items are carved out of slabs: one allocation
// per few thousand values instead of one or two per map, which is most of
// the cost of building a tree. Each map's members get a slice whose
// capacity is its length, so that a later Set appends to a copy, never
// over a neighbour.
const (
	slabMaps    = 512
	slabMembers = 4096
	slabItems   = 1024
)

// endMap returns the members gathered since mark as a map.
func (t *tree) endMap(mark int) *Map {
	if len(t.maps) == 0 {
		t.maps = make([]Map, slabMaps)
		t.mapsFull = t.maps
	}
	m := &t.maps[0]
	t.maps = t.maps[1:]
	if n := len(t.members) - mark; n > 0 {
		if n > len(t.memberSlab) {
			t.memberSlab = make([]Member, max(n, slabMembers))
			t.membersFull = t.memberSlab
		}
		m.members = t.memberSlab[:n:n]
		t.memberSlab = t.memberSlab[n:]
		copy(m.members, t.members[mark:])
	}
	clear(t.members[mark:])
	t.members = t.members[:mark]
	return m
}

// endList returns the items gathered since mark as a list.
func (t *tree) endList(mark int) []any {
	n := len(t.items) - mark
	if n == 0 {
		return []any{}
	}
	if n > len(t.itemSlab) {
		t.itemSlab = make([]any, max(n, slabItems))
		t.itemsFull = t.itemSlab
	}
	list := t.itemSlab[:n:n]
	t.itemSlab = t.itemSlab[n:]
	copy(list, t.items[mark:])
	clear(t.items[mark:])
	t.items = t.items[:mark]
	return list
}

// dupSetFrom is the member count from which a map being read checks for
// a duplicate key in a set rather than by scanning its members.
const dupSetFrom = 32

// hasKey reports whether the map being read since mark already has key;
// seen is that map's own set, made when the map grows large so that a
// hostile map of many keys costs linear time, not quadratic.
func (t *tree) hasKey(mark int, seen *map[string]struct{}, key string) bool {
	pending := t.members[mark:]
	if *seen == nil {
		if len(pending) < dupSetFrom {
			for i := range pending {
				if pending[i].Key == key {
					return true
				}
			}
			return false
		}
		*seen = make(map[string]struct{}, 2*len(pending))
		for i := range pending {
			(*seen)[pending[i].Key] = struct{}{}
		}
	}
	_, dup := (*seen)[key]
	return dup
}

// addMember adds a member to the map being read; hasKey has been asked.
func (t *tree) addMember(seen map[string]struct{}, key string, v any) {
	if seen != nil {
		seen[key] = struct{}{}
	}
	t.members = append(t.members, Member{Key: key, Value: v})
}
