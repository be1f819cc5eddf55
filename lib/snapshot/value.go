package snapshot

import (
	"encoding/json"
	"iter"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// Member is one key of a [Map] with its value.
type Member struct {
	Key   string
	Value any
}

// Map is a JSON object that remembers the order of its keys.
//
// Snapshots are written back in the order Directus wrote them, and keys this
// package does not know must survive a read and a write, so items are kept
// as ordered maps rather than structs. Values are nil, bool, [json.Number],
// string, []any or *Map; numbers of Go's own types (int, int64, float64) are
// also accepted when a caller builds a map by hand.
//
// A nil *Map reads as an empty map.
type Map struct {
	members []Member
}

// NewMap returns a map holding members in the given order; a later member
// replaces an earlier one with the same key.
func NewMap(members ...Member) *Map {
	m := &Map{members: make([]Member, 0, len(members))}
	for _, mb := range members {
		m.Set(mb.Key, mb.Value)
	}
	return m
}

// Len returns the number of keys.
func (m *Map) Len() int {
	if m == nil {
		return 0
	}
	return len(m.members)
}

func (m *Map) index(key string) int {
	if m == nil {
		return -1
	}
	for i := range m.members {
		if m.members[i].Key == key {
			return i
		}
	}
	return -1
}

// Get returns the value of key and whether the key is present.
func (m *Map) Get(key string) (any, bool) {
	i := m.index(key)
	if i < 0 {
		return nil, false
	}
	return m.members[i].Value, true
}

// Has reports whether key is present (even with a null value).
func (m *Map) Has(key string) bool { return m.index(key) >= 0 }

// Set replaces the value of key in place, or appends the key.
func (m *Map) Set(key string, value any) {
	if i := m.index(key); i >= 0 {
		m.members[i].Value = value
		return
	}
	m.members = append(m.members, Member{Key: key, Value: value})
}

// Delete removes key and reports whether it was present.
func (m *Map) Delete(key string) bool {
	i := m.index(key)
	if i < 0 {
		return false
	}
	m.members = append(m.members[:i], m.members[i+1:]...)
	return true
}

// Keys returns the keys in order.
func (m *Map) Keys() []string {
	keys := make([]string, 0, m.Len())
	for _, mb := range m.Members() {
		keys = append(keys, mb.Key)
	}
	return keys
}

// Members returns the members in order. The slice is shared: copy it before
// changing it.
func (m *Map) Members() []Member {
	if m == nil {
		return nil
	}
	return m.members
}

// All iterates over the members in order.
func (m *Map) All() iter.Seq2[string, any] {
	return func(yield func(string, any) bool) {
		for _, mb := range m.Members() {
			if !yield(mb.Key, mb.Value) {
				return
			}
		}
	}
}

// Clone returns a deep copy.
func (m *Map) Clone() *Map {
	if m == nil {
		return nil
	}
	c := &Map{members: make([]Member, len(m.members))}
	for i, mb := range m.members {
		c.members[i] = Member{Key: mb.Key, Value: cloneValue(mb.Value)}
	}
	return c
}

// MarshalJSON writes the map as a JSON object in key order.
func (m *Map) MarshalJSON() ([]byte, error) {
	var b []byte
	b, err := appendJSON(b, m, "", "")
	if err != nil {
		return nil, err
	}
	return b, nil
}

// Equal reports whether a and b are the same value by the rules of [Diff]:
// map key order does not matter, a key that is absent on one side and null on
// the other is not a difference, numbers compare by value, lists compare
// element by element in order.
func Equal(a, b any) bool {
	switch x := a.(type) {
	case *Map:
		y, ok := b.(*Map)
		if !ok {
			return false
		}
		return mapsEqual(x, y)
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !Equal(x[i], y[i]) {
				return false
			}
		}
		return true
	case string:
		y, ok := b.(string)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case nil:
		return b == nil
	}
	na, ok := asNumber(a)
	if !ok {
		return false
	}
	nb, ok := asNumber(b)
	return ok && numbersEqual(na, nb)
}

func mapsEqual(x, y *Map) bool { return mapsEqualExcept(x, y, "") }

// mapsEqualExcept is mapsEqual leaving out the key skip (if not empty).
func mapsEqualExcept(x, y *Map, skip string) bool {
	if x == y {
		return true // one map, as the items WithBase shares are
	}
	xm, ym := x.Members(), y.Members()
	for i, mb := range xm {
		if skip != "" && mb.Key == skip {
			continue
		}
		// Most maps compared are in the same order: try the same position
		// before searching.
		var other any
		var found bool
		if i < len(ym) && ym[i].Key == mb.Key {
			other, found = ym[i].Value, true
		} else {
			other, found = y.Get(mb.Key)
		}
		if !found {
			if mb.Value != nil {
				return false
			}
			continue
		}
		if !Equal(mb.Value, other) {
			return false
		}
	}
	for i, mb := range ym {
		if mb.Value == nil || (skip != "" && mb.Key == skip) {
			continue
		}
		if i < len(xm) && xm[i].Key == mb.Key {
			continue
		}
		if !x.Has(mb.Key) {
			return false
		}
	}
	return true
}

// asNumber reports whether v is a number and returns its JSON text.
func asNumber(v any) (json.Number, bool) {
	switch n := v.(type) {
	case json.Number:
		return n, true
	case int:
		return json.Number(strconv.Itoa(n)), true
	case int64:
		return json.Number(strconv.FormatInt(n, 10)), true
	case int32:
		return json.Number(strconv.FormatInt(int64(n), 10)), true
	case uint:
		return json.Number(strconv.FormatUint(uint64(n), 10)), true
	case uint64:
		return json.Number(strconv.FormatUint(n, 10)), true
	case float64:
		if math.IsInf(n, 0) || math.IsNaN(n) {
			return "", false
		}
		return json.Number(formatFloatJS(n)), true
	case float32:
		return asNumber(float64(n))
	}
	return "", false
}

func numbersEqual(a, b json.Number) bool {
	if a == b {
		return true
	}
	ra, oka := new(big.Rat).SetString(string(a))
	rb, okb := new(big.Rat).SetString(string(b))
	if !oka || !okb {
		return false
	}
	return ra.Cmp(rb) == 0
}

// compareNumbers returns -1, 0 or 1, and false when either is not a number.
func compareNumbers(a, b any) (int, bool) {
	na, ok := asNumber(a)
	if !ok {
		return 0, false
	}
	nb, ok := asNumber(b)
	if !ok {
		return 0, false
	}
	ra, oka := new(big.Rat).SetString(string(na))
	rb, okb := new(big.Rat).SetString(string(nb))
	if !oka || !okb {
		return 0, false
	}
	return ra.Cmp(rb), true
}

// formatFloatJS formats like JavaScript's Number.prototype.toString, which is
// how Directus (and js-yaml) print numbers.
func formatFloatJS(f float64) string {
	if f == 0 {
		return "0"
	}
	abs := math.Abs(f)
	if abs >= 1e-6 && abs < 1e21 {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	s := strconv.FormatFloat(f, 'e', -1, 64)
	// Go writes 1e+21 and 1e-07; JavaScript writes 1e+21 and 1e-7.
	mant, exp, _ := strings.Cut(s, "e")
	sign := exp[0]
	digits := exp[1:]
	for len(digits) > 1 && digits[0] == '0' {
		digits = digits[1:]
	}
	return mant + "e" + string(sign) + digits
}

func cloneValue(v any) any {
	switch x := v.(type) {
	case *Map:
		return x.Clone()
	case []any:
		c := make([]any, len(x))
		for i := range x {
			c[i] = cloneValue(x[i])
		}
		return c
	}
	return v
}

// getString returns the string value of key, or "" when it is absent or not
// a string.
func getString(m *Map, key string) string {
	v, _ := m.Get(key)
	s, _ := v.(string)
	return s
}

// getMap returns the map value of key, or nil when it is absent, null or not
// a map.
func getMap(m *Map, key string) *Map {
	v, _ := m.Get(key)
	x, _ := v.(*Map)
	return x
}
