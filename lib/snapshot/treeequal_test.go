package snapshot

import (
	"encoding/json"
	"fmt"
)

// sameTree reports where a and b differ as trees, strictly: the same kinds
// of value, maps with the same keys in the same order, numbers with the
// same text. "" means identical.
func sameTree(a, b any) string { return treeDiff(a, b, "") }

func treeDiff(a, b any, at string) string {
	switch x := a.(type) {
	case *Map:
		y, ok := b.(*Map)
		if !ok {
			return fmt.Sprintf("%s: map vs %T", at, b)
		}
		if x.Len() != y.Len() {
			return fmt.Sprintf("%s: keys %q vs %q", at, x.Keys(), y.Keys())
		}
		for i, mb := range x.Members() {
			other := y.Members()[i]
			if mb.Key != other.Key {
				return fmt.Sprintf("%s: key %d %q vs %q", at, i, mb.Key, other.Key)
			}
			if d := treeDiff(mb.Value, other.Value, at+"."+mb.Key); d != "" {
				return d
			}
		}
		return ""
	case []any:
		y, ok := b.([]any)
		if !ok {
			return fmt.Sprintf("%s: list vs %T", at, b)
		}
		if len(x) != len(y) {
			return fmt.Sprintf("%s: %d items vs %d", at, len(x), len(y))
		}
		for i := range x {
			if d := treeDiff(x[i], y[i], fmt.Sprintf("%s[%d]", at, i)); d != "" {
				return d
			}
		}
		return ""
	case string, bool, nil, json.Number:
		if a != b {
			return fmt.Sprintf("%s: %#v vs %#v", at, a, b)
		}
		return ""
	}
	return fmt.Sprintf("%s: unexpected %T", at, a)
}
