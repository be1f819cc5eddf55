package access

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
)

// Summary renders a permission's item rule in a few words for the matrix,
// seen from the column of policy: "own org" (the item's organisation is one
// where the person holds the role the policy is named after), "org as X"
// (another role), "member org" (any role), "own entry" (on the entry's
// crew), "self", "own" (a user field naming the person), and other
// conditions as "field op value" with me and now for $CURRENT_USER and
// $NOW. Conditions that must all hold are joined by " + ", alternatives
// by " or ".
func Summary(collection, policy string, filter any) string {
	if isNone(filter) {
		return "all"
	}
	alts := alternatives(filter)
	var out []string
	for _, alt := range alts {
		var terms []string
		for _, kv := range alt {
			terms = append(terms, termsOf(collection, policy, []string{kv.key}, kv.value)...)
		}
		out = append(out, strings.Join(dedupe(terms), " + "))
	}
	return strings.Join(dedupe(out), " or ")
}

type keyValue struct {
	key   string
	value any
}

// alternatives flattens a filter's top level into alternatives (from _or),
// each a list of conditions that must all hold (from _and and keys).
func alternatives(v any) [][]keyValue {
	m, ok := v.(map[string]any)
	if !ok {
		return [][]keyValue{{{key: "?", value: v}}}
	}
	result := [][]keyValue{{}}
	for _, k := range sortedKeys(m) {
		switch k {
		case "_and":
			list, _ := m[k].([]any)
			for _, sub := range list {
				result = product(result, alternatives(sub))
			}
		case "_or":
			list, _ := m[k].([]any)
			var alts [][]keyValue
			for _, sub := range list {
				alts = append(alts, alternatives(sub)...)
			}
			result = product(result, alts)
		default:
			result = product(result, [][]keyValue{{{key: k, value: m[k]}}})
		}
	}
	return result
}

func product(a, b [][]keyValue) [][]keyValue {
	var out [][]keyValue
	for _, x := range a {
		for _, y := range b {
			out = append(out, append(slices.Clone(x), y...))
		}
	}
	return out
}

func isMe(v any) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return v == "$CURRENT_USER"
	}
	return len(m) == 1 && m["_eq"] == "$CURRENT_USER"
}

// termsOf describes the condition value on the field path.
func termsOf(collection, policy string, path []string, value any) []string {
	last := path[len(path)-1]
	m, ok := value.(map[string]any)
	if !ok {
		return []string{fmt.Sprintf("%s = %s", last, word(value))}
	}
	if last == "members" {
		if t, ok := membership(policy, m); ok {
			return []string{t}
		}
	}
	if last == "crew" && len(m) == 1 && isMe(m["user_id"]) {
		return []string{"own entry"}
	}
	if t, ok := accessKey(policy, last, m); ok {
		return []string{t}
	}
	if last == "crew" && len(m) == 1 {
		if id, ok := m["id"].(map[string]any); ok && len(id) == 1 && id["_null"] == true {
			return []string{"no crew yet"}
		}
	}
	if isMe(m) {
		if collection == "directus_users" && len(path) == 1 && last == "id" {
			return []string{"self"}
		}
		return []string{"own"}
	}
	var out []string
	for _, k := range sortedKeys(m) {
		sub := m[k]
		switch {
		case k == "_some":
			out = append(out, termsOf(collection, policy, path, sub)...)
		case k == "_none":
			out = append(out, "no "+strings.Join(termsOf(collection, policy, path, sub), " + "))
		case k == "_and" || k == "_or":
			list, _ := sub.([]any)
			var parts []string
			for _, x := range list {
				parts = append(parts, strings.Join(termsOf(collection, policy, path, x), " + "))
			}
			sep := " + "
			if k == "_or" {
				sep = " or "
			}
			out = append(out, "("+strings.Join(parts, sep)+")")
		case strings.HasPrefix(k, "_"):
			out = append(out, fmt.Sprintf("%s %s %s", last, opWord(k), word(sub)))
		default:
			out = append(out, termsOf(collection, policy, append(slices.Clone(path), k), sub)...)
		}
	}
	return out
}

// membership recognises {user_id: {_eq: $CURRENT_USER}, role: ...} on an
// organisation's members.
func membership(policy string, m map[string]any) (string, bool) {
	if !isMe(m["user_id"]) {
		return "", false
	}
	var roles []string
	switch len(m) {
	case 1:
		return "member org", true
	case 2:
		r, ok := m["role"].(map[string]any)
		if !ok || len(r) != 1 {
			return "", false
		}
		switch v := r["_eq"]; {
		case v != nil:
			s, ok := v.(string)
			if !ok {
				return "", false
			}
			roles = []string{s}
		case r["_in"] != nil:
			list, ok := r["_in"].([]any)
			if !ok {
				return "", false
			}
			for _, x := range list {
				s, _ := x.(string)
				roles = append(roles, s)
			}
		default:
			return "", false
		}
	default:
		return "", false
	}
	if len(roles) == 1 && roles[0] == policy {
		return "own org", true
	}
	return "org as " + strings.Join(roles, "/"), true
}

// AccessKeyRoles returns the organisation roles each access key of
// organizations lists (db-init/post/008 keeps them from
// organization_users); entries.access_crew lists the entry's crew who are
// participants.
func AccessKeyRoles() map[string][]string {
	return map[string][]string{
		"access_staff":          {"marshal", "org-admin", "race-director", "timekeeper"},
		"access_viewers":        {"viewer"},
		"access_org_admins":     {"org-admin"},
		"access_race_directors": {"race-director"},
		"access_participants":   {"participant"},
	}
}

// IsAccessKey says whether collection.field is an access key: written by
// the database only, read by the rules.
func IsAccessKey(collection, field string) bool {
	_, org := AccessKeyRoles()[field]
	return collection == "organizations" && org || collection == "entries" && field == "access_crew"
}

// accessKey recognises {_contains: $CURRENT_USER} on an access key: the
// person holds the key's roles in the item's organisation, or is on the
// entry's crew.
func accessKey(policy, key string, m map[string]any) (string, bool) {
	if len(m) != 1 || m["_contains"] != "$CURRENT_USER" {
		return "", false
	}
	if key == "access_crew" {
		return "own entry", true
	}
	roles, ok := AccessKeyRoles()[key]
	switch {
	case !ok:
		return "", false
	case len(roles) == 1 && roles[0] == policy:
		return "own org", true
	}
	return "org as " + strings.Join(roles, "/"), true
}

func opWord(op string) string {
	switch op {
	case "_eq":
		return "="
	case "_neq":
		return "≠"
	case "_lt":
		return "<"
	case "_lte":
		return "≤"
	case "_gt":
		return ">"
	case "_gte":
		return "≥"
	case "_in":
		return "in"
	case "_nin":
		return "not in"
	}
	return strings.TrimPrefix(op, "_")
}

func word(v any) string {
	switch v {
	case "$CURRENT_USER":
		return "me"
	case "$NOW":
		return "now"
	}
	if l, ok := v.([]any); ok {
		var parts []string
		for _, x := range l {
			parts = append(parts, word(x))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return fmt.Sprint(v)
}

// Matrix renders docs/access-matrix.md: for every collection and action,
// what each policy of the members' roles (and anonymous visitors) may do.
func Matrix(s *Set, cat *Catalog) []byte {
	var b bytes.Buffer
	cols := matrixColumns(s)
	b.WriteString("# Access matrix\n\n")
	b.WriteString("Generated by `trmctl access matrix` from `access/` — do not edit: `make lint` fails when this file\n")
	b.WriteString("differs from what the files say. The model and its reasons: `docs/access-model.md`.\n\n")
	if len(s.Roles) == 1 {
		b.WriteString("Every person who signs in (the administrator aside) has the role")
	} else {
		b.WriteString("Every person who signs in (the administrator aside) has one of the roles")
	}
	for i, r := range s.Roles {
		switch {
		case i > 0 && i == len(s.Roles)-1:
			b.WriteString(" or")
		case i > 0:
			b.WriteString(",")
		}
		fmt.Fprintf(&b, " `%s` (policies: %s)", r.Name, strings.Join(r.Policies, ", "))
	}
	fmt.Fprintf(&b, "; the administrator (`%s`) may do everything. A person may do what any column allows whose condition holds for them: the policies check the person's role in the organisation that owns the item (`organization_users`), so one person can be race director in one organisation and participant in another.\n\n", s.Administrator.Role)
	b.WriteString("Cells: `—` not allowed; `all` every item; `own org` items of an organisation where the person holds the column's role; `org as X` … where they hold role X (through the members or the organisation's access keys, `docs/access-model.md`); `member org` … where they hold any role; `own entry` entries whose crew they are on (as a participant of the organisation, through `entries.access_crew`); `self` their own user; `own` rows naming them; `no crew yet` an entry nobody is on; other conditions as written (`me`, `now`). ` + ` joins conditions that must all hold, ` or ` alternatives; `†` means only some fields (listed below the table). A create's rule is applied by the `access-guard` hook of `extensions/trm` (Directus 11.17.4 ignores it).\n\n")
	header := []string{"collection", "action", "anonymous"}
	header = append(header, cols...)
	b.WriteString("| " + strings.Join(header, " | ") + " |\n")
	b.WriteString("|" + strings.Repeat("---|", len(header)) + "\n")
	type fieldNote struct{ coll, action, policy, fields string }
	var notes []fieldNote
	colls := append(cat.Collections(), SupportedSystemCollections...)
	adminOnly := map[string]bool{}
	for _, c := range s.AdminOnly {
		adminOnly[c] = true
	}
	for _, coll := range colls {
		for _, action := range Actions[:4] {
			row := []string{"`" + coll + "`", action}
			if adminOnly[coll] {
				row[1] = action + " (admin only)"
			}
			for i, policy := range append([]string{"public"}, cols...) {
				var perms []Permission
				if i == 0 {
					perms = s.Public
				} else if p := s.Policy(policy); p != nil {
					perms = p.Permissions
				}
				cell := "—"
				for _, p := range perms {
					if p.Collection != coll || p.Action != action {
						continue
					}
					cell = Summary(coll, policy, p.Filter)
					if fieldsMatter(action) && !slices.Contains(p.Fields, "*") {
						cell += " †"
						notes = append(notes, fieldNote{coll, action, policy, strings.Join(p.Fields, ", ")})
					}
				}
				row = append(row, cell)
			}
			b.WriteString("| " + strings.Join(row, " | ") + " |\n")
		}
	}
	if len(notes) > 0 {
		b.WriteString("\n## Field lists (†)\n\n| collection | action | policy | fields |\n|---|---|---|---|\n")
		for _, n := range notes {
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", n.coll, n.action, n.policy, n.fields)
		}
	}
	return b.Bytes()
}

// matrixColumns are the policies of the non-administrator roles, in the
// order the roles list them.
func matrixColumns(s *Set) []string {
	var cols []string
	for _, r := range s.Roles {
		for _, p := range r.Policies {
			if !slices.Contains(cols, p) {
				cols = append(cols, p)
			}
		}
	}
	return cols
}
