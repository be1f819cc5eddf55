package access

import (
	"encoding/json"
	"regexp"
	"testing"
)

func TestNewIDIsAVersion4UUIDAndUnique(t *testing.T) {
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for range 1000 {
		id := newID()
		if !re.MatchString(id) || seen[id] {
			t.Fatalf("%q: not a fresh version 4 UUID", id)
		}
		seen[id] = true
	}
}

func TestColumnStoresWhatDirectusStores(t *testing.T) {
	for _, c := range []struct {
		in   any
		want any
	}{
		{nil, nil},
		{[]string(nil), nil},
		{[]string{"*"}, "*"},
		{[]string{"id", "name"}, "id,name"},
		{json.RawMessage(nil), nil},
		{json.RawMessage(`{"a":{"_eq":1}}`), `{"a":{"_eq":1}}`},
		{true, true},
		{"badge", "badge"},
	} {
		if got := column(c.in); got != c.want {
			t.Errorf("column(%#v) = %#v, want %#v", c.in, got, c.want)
		}
	}
	if got := csv("id,name"); len(got) != 2 || got[1] != "name" {
		t.Errorf("csv: %v", got)
	}
	if csv("") != nil {
		t.Error("csv of nothing should be nil")
	}
}
