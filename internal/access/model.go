package access

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
)

// Actions in the order files and reports list them.
var Actions = []string{"create", "read", "update", "delete", "share"}

func actionRank(a string) int {
	if i := slices.Index(Actions, a); i >= 0 {
		return i
	}
	return len(Actions)
}

// Set is the whole access model: what the files in access/ say, or what a
// live instance holds, keyed by names.
type Set struct {
	// Administrator names the role and policy that `directus bootstrap`
	// creates (the policy has admin_access). They are checked, never
	// created nor deleted.
	Administrator Builtin
	// Public holds the permissions of Directus's public policy: what
	// anyone may do without signing in.
	Public []Permission
	// AdminOnly lists the collections that only administrators reach: an
	// explicit decision, checked against the permissions.
	AdminOnly []string
	Roles     []Role
	Policies  []Policy

	// pos says where each part was read, for messages; empty for a set
	// that came from a live instance.
	pos positions
}

// Builtin names the bootstrap administrator role and policy.
type Builtin struct {
	Role   string
	Policy string
}

// Role is a Directus role: who a person is on the platform. Its policies
// say what it may do.
type Role struct {
	Name        string
	Description string
	Icon        string
	// Parent is the parent role's name: a role inherits its parent's
	// policies.
	Parent   string
	Policies []string
}

// Policy is a Directus policy and its permissions.
type Policy struct {
	Name        string
	Description string
	Icon        string
	AppAccess   bool
	AdminAccess bool
	EnforceTFA  bool
	// IPAccess limits the policy to addresses or CIDR ranges.
	IPAccess    []string
	Permissions []Permission
}

// Permission is what a policy may do with one collection and action.
// Filter, Validation and Presets hold JSON values (maps, slices, strings,
// float64, bool, nil) as encoding/json decodes them; nil means none.
type Permission struct {
	Collection string
	Action     string
	// Filter is the item rule (Directus's "permissions" column).
	Filter     any
	Validation any
	Presets    any
	// Fields the action may touch; ["*"] is all. Delete has none.
	Fields []string
}

// Key names a permission in messages and plans.
func (p Permission) Key() string { return p.Collection + " " + p.Action }

// Role returns the role named name, or nil.
func (s *Set) Role(name string) *Role {
	for i := range s.Roles {
		if s.Roles[i].Name == name {
			return &s.Roles[i]
		}
	}
	return nil
}

// Policy returns the policy named name, or nil.
func (s *Set) Policy(name string) *Policy {
	for i := range s.Policies {
		if s.Policies[i].Name == name {
			return &s.Policies[i]
		}
	}
	return nil
}

// Sort puts roles, policies and permissions in the order files list them:
// by name, permissions by collection then action.
func (s *Set) Sort() {
	sort.SliceStable(s.Roles, func(i, j int) bool { return s.Roles[i].Name < s.Roles[j].Name })
	sort.SliceStable(s.Policies, func(i, j int) bool { return s.Policies[i].Name < s.Policies[j].Name })
	for i := range s.Roles {
		slices.Sort(s.Roles[i].Policies)
	}
	for i := range s.Policies {
		sortPermissions(s.Policies[i].Permissions)
	}
	sortPermissions(s.Public)
	slices.Sort(s.AdminOnly)
}

func sortPermissions(ps []Permission) {
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].Collection != ps[j].Collection {
			return ps[i].Collection < ps[j].Collection
		}
		return actionRank(ps[i].Action) < actionRank(ps[j].Action)
	})
}

// canonical is a JSON value's text with object keys sorted, the form two
// values are compared in. An empty object and null are both "none".
func canonical(v any) string {
	if isNone(v) {
		return "null"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%#v", v)
	}
	// encoding/json sorts map keys; re-decoding normalises numbers.
	var norm any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if dec.Decode(&norm) != nil {
		return string(b)
	}
	out, _ := json.Marshal(norm)
	return string(out)
}

// isNone reports whether a filter, validation or preset is empty: Directus
// stores "no rule" as null or {}.
func isNone(v any) bool {
	switch t := v.(type) {
	case nil:
		return true
	case map[string]any:
		return len(t) == 0
	}
	return false
}

// sameFields compares field lists as sets.
func sameFields(a, b []string) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(slices.Compact(x), slices.Compact(y))
}

// fieldsMatter says whether an action has a field list: a delete removes
// whole items.
func fieldsMatter(action string) bool { return action != "delete" }
