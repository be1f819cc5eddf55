package access

import (
	"slices"
	"strings"
)

// directus_users fields no permission may show: secrets Directus keeps in
// the row.
var usersSecretFields = []string{"token", "tfa_secret", "auth_data"}

// directus_users fields no permission may let anyone write: they decide
// who a person is to Directus, and so what they may do.
var usersProtectedFields = []string{"role", "policies", "status", "token", "tfa_secret", "auth_data", "provider", "external_identifier", "email"}

// Validate checks a set against the catalog of the committed schema:
// every name known, every rule in a form Directus applies as written, every
// collection decided. It returns a *ProblemsError listing everything found.
func Validate(s *Set, cat *Catalog) error {
	v := &validator{s: s, cat: cat, pos: s.pos}
	if v.pos == nil {
		v.pos = positions{}
	}
	v.builtins()
	v.roles()
	v.policies()
	v.crossPolicy()
	v.coverage()
	if len(v.problems) > 0 {
		return &ProblemsError{Problems: v.problems}
	}
	return nil
}

type validator struct {
	s        *Set
	cat      *Catalog
	pos      positions
	problems []Problem
}

func (v *validator) add(key, format string, a ...any) {
	v.problems = append(v.problems, v.pos.problem(key, format, a...))
}

func (v *validator) builtins() {
	a := v.s.Administrator
	if a.Role == "" || a.Policy == "" {
		v.add("access#administrator", "administrator needs role and policy: the names `directus bootstrap` gave them (Administrator)")
	}
	if v.s.Role(a.Role) != nil {
		v.add("role/"+a.Role, "role %q is the administrator role: it is built in, not declared under roles", a.Role)
	}
	if v.s.Policy(a.Policy) != nil {
		v.add("policy/"+a.Policy, "policy %q is the administrator policy: it is built in, not a policy file", a.Policy)
	}
}

func (v *validator) roles() {
	for _, r := range v.s.Roles {
		key := "role/" + r.Name
		if strings.TrimSpace(r.Name) == "" {
			v.add(key, "a role needs a name")
		}
		if r.Icon == "" {
			v.add(key, "role %s: icon is missing (a Material icon name, e.g. badge)", r.Name)
		}
		if r.Parent != "" && v.s.Role(r.Parent) == nil {
			v.add(key+"#parent", "role %s: parent %q is not a role of this file", r.Name, r.Parent)
		}
		for _, p := range r.Policies {
			switch {
			case p == v.s.Administrator.Policy:
				v.add(key+"#policies", "role %s: the administrator policy belongs to the administrator role only", r.Name)
			case v.s.Policy(p) == nil:
				v.add(key+"#policies", "role %s: no policy %q (no file %s/%s.yaml)", r.Name, p, PoliciesDir, p)
			}
		}
		// A cycle of parents would make Directus recurse for ever.
		seen := map[string]bool{r.Name: true}
		for p := v.s.Role(r.Parent); p != nil; p = v.s.Role(p.Parent) {
			if seen[p.Name] {
				v.add(key+"#parent", "role %s: its parents form a cycle", r.Name)
				break
			}
			seen[p.Name] = true
		}
	}
}

func (v *validator) policies() {
	given := map[string]bool{}
	for _, r := range v.s.Roles {
		for _, p := range r.Policies {
			given[p] = true
		}
	}
	for _, p := range v.s.Policies {
		key := "policy/" + p.Name
		if p.Icon == "" {
			v.add(key, "policy %s: icon is missing (a Material icon name, e.g. badge)", p.Name)
		}
		if p.AdminAccess {
			v.add(key, "policy %s: admin_access is reserved to the administrator policy %q", p.Name, v.s.Administrator.Policy)
		}
		if len(p.IPAccess) > 0 {
			v.add(key, "policy %s: ip_access is not supported (the create guard does not apply IP limits)", p.Name)
		}
		if !given[p.Name] {
			v.add(key, "policy %s is given to no role: list it in a role's policies, or delete the file", p.Name)
		}
		v.permissions(p.Name, p.Permissions)
	}
	v.permissions("public", v.s.Public)
}

func (v *validator) permissions(policy string, ps []Permission) {
	seen := map[string]bool{}
	for _, p := range ps {
		key := permKey(policy, p)
		if seen[p.Key()] {
			v.add(key, "%s: given twice", p.Key())
			continue
		}
		seen[p.Key()] = true
		v.permission(policy, key, p)
	}
}

func (v *validator) permission(policy, key string, p Permission) {
	what := p.Collection + " " + p.Action
	switch {
	case strings.HasPrefix(p.Collection, "directus_") && !slices.Contains(SupportedSystemCollections, p.Collection):
		v.add(key, "%s: the system collection %s is not supported by the access files (supported: %s)", what, p.Collection, strings.Join(SupportedSystemCollections, ", "))
		return
	case !v.cat.HasCollection(p.Collection):
		v.add(key, "%s: no collection %s in the committed schema snapshot (collections: %s)", what, p.Collection, strings.Join(v.cat.Collections(), ", "))
		return
	case p.Action == "share":
		v.add(key, "%s: share is not used by TRM (remove it)", what)
		return
	}
	switch p.Action {
	case "delete":
		if p.Fields != nil {
			v.add(key+"#fields", "%s: a delete removes whole items; drop fields", what)
		}
		if !isNone(p.Validation) || !isNone(p.Presets) {
			v.add(key, "%s: validation and presets apply to writes; a delete has neither", what)
		}
	case "read":
		if !isNone(p.Validation) || !isNone(p.Presets) {
			v.add(key, "%s: validation and presets apply to writes; a read has neither", what)
		}
		if p.Fields != nil && !slices.Contains(p.Fields, "*") && !slices.Contains(p.Fields, v.cat.PrimaryKey(p.Collection)) {
			v.add(key+"#fields", "%s: list the primary key %s among the fields (without it items cannot be told apart)", what, v.cat.PrimaryKey(p.Collection))
		}
		fallthrough
	default:
		if p.Fields == nil {
			v.add(key, "%s: fields is missing (a list of fields, or ['*'] for all)", what)
		}
	}
	v.fields(key, what, p)
	for _, msg := range checkFilter(v.cat, p.Collection, p.Filter, kindFilter, p.Action == "create") {
		v.add(key+"#filter", "%s filter: %s", what, msg)
	}
	for _, msg := range checkFilter(v.cat, p.Collection, p.Validation, kindValidation, false) {
		v.add(key+"#validation", "%s validation: %s", what, msg)
	}
	v.presets(key, what, p)
	switch p.Action {
	case "create":
		v.createRule(key, what, p)
	case "update":
		v.noMoving(key, what, p)
	}
}

func (v *validator) fields(key, what string, p Permission) {
	for _, f := range p.Fields {
		switch {
		case f == "*":
			if p.Collection == "directus_users" {
				v.add(key+"#fields", "%s: list directus_users's fields one by one: '*' would include personal data and future fields", what)
			}
			if len(p.Fields) > 1 {
				v.add(key+"#fields", "%s: '*' already means every field; list fields or '*', not both", what)
			}
		case !v.cat.hasField(p.Collection, f):
			v.add(key+"#fields", "%s: unknown field %q (%s has: %s)", what, f, p.Collection, v.cat.suggest(p.Collection))
		case p.Collection == "directus_users" && p.Action == "read" && slices.Contains(usersSecretFields, f):
			v.add(key+"#fields", "%s: %s is a secret Directus keeps in the user's row: no one reads it", what, f)
		case p.Action != "read" && IsAccessKey(p.Collection, f):
			v.add(key+"#fields", "%s: %s is an access key the database keeps from the memberships and crews (db-init/post/008): nobody writes it", what, f)
		case p.Collection == "directus_users" && p.Action != "read" && slices.Contains(usersProtectedFields, f):
			v.add(key+"#fields", "%s: %s decides what the person may do or who they are: only an administrator changes it", what, f)
		}
	}
}

func (v *validator) presets(key, what string, p Permission) {
	if isNone(p.Presets) {
		return
	}
	m, ok := p.Presets.(map[string]any)
	if !ok {
		v.add(key+"#presets", "%s presets: want a mapping of fields to values", what)
		return
	}
	for _, f := range sortedKeys(m) {
		if !v.cat.hasField(p.Collection, f) || v.cat.IsAlias(p.Collection, f) {
			v.add(key+"#presets", "%s presets: %q is not a field with a column of %s", what, f, p.Collection)
			continue
		}
		w := &filterWalker{cat: v.cat}
		w.dynamic(f, m[f])
		for _, msg := range w.errs {
			v.add(key+"#presets", "%s presets: %s", what, msg)
		}
	}
}

// createRule: Directus 11.17.4 ignores a create's item rule; the create
// guard (extensions/trm's access-guard) applies it by looking up, for each
// condition, the item the new one points at. So every condition starts at
// a many-to-one field.
func (v *validator) createRule(key, what string, p Permission) {
	for _, k := range topKeys(p.Filter) {
		if !v.cat.hasField(p.Collection, k) {
			continue
		}
		if _, o2m, rel := v.cat.Related(p.Collection, k); !rel || o2m {
			v.add(key+"#filter", "%s filter: a create rule checks the items the new one points at; %s is not a many-to-one field (put rules on the payload in validation)", what, k)
		}
	}
}

// noMoving: an update's item rule is checked on the item as it is, not as
// it will be. A field the rule reads at its top level must not be
// writable: whoever may update it could move the item out of the rule's
// reach, into another organisation or out of its draft state.
func (v *validator) noMoving(key, what string, p Permission) {
	for _, k := range topKeys(p.Filter) {
		if v.cat.IsAlias(p.Collection, k) {
			continue
		}
		if slices.Contains(p.Fields, "*") || slices.Contains(p.Fields, k) {
			v.add(key+"#fields", "%s: the filter reads %s, which the update may change: a holder could move an item out of the filter's reach (e.g. into another organisation); list the fields without %s", what, k, k)
		}
	}
}

// heldPolicies maps each role to every policy it holds, its parents' too.
func (v *validator) heldPolicies() map[string][]string {
	out := map[string][]string{}
	for _, r := range v.s.Roles {
		var ps []string
		seen := map[string]bool{}
		for cur := &r; cur != nil && !seen[cur.Name]; cur = v.s.Role(cur.Parent) {
			seen[cur.Name] = true
			ps = append(ps, cur.Policies...)
		}
		slices.Sort(ps)
		out[r.Name] = slices.Compact(ps)
	}
	return out
}

// crossPolicy: Directus checks a write's payload against the validation
// of every permission on that collection and action of every policy the
// person holds, and merges all their presets. Different rules there would
// apply to roles they were not written for.
func (v *validator) crossPolicy() {
	for role, held := range v.heldPolicies() {
		type rule struct{ policy, validation, presets string }
		byKey := map[string][]rule{}
		for _, name := range held {
			p := v.s.Policy(name)
			if p == nil {
				continue
			}
			for _, perm := range p.Permissions {
				if perm.Action != "create" && perm.Action != "update" {
					continue
				}
				byKey[perm.Key()] = append(byKey[perm.Key()], rule{name, canonical(perm.Validation), canonical(perm.Presets)})
			}
		}
		for _, k := range sortedKeys(byKey) {
			rules := byKey[k]
			for _, r := range rules[1:] {
				if r.validation != rules[0].validation {
					v.add("role/"+role, "role %s holds policies %s and %s, which validate %s differently: Directus applies both validations to everyone holding both; give them the same validation (or none)", role, rules[0].policy, r.policy, k)
				}
				if r.presets != rules[0].presets {
					v.add("role/"+role, "role %s holds policies %s and %s, which preset %s differently: Directus merges both presets for everyone holding both; give them the same presets (or none)", role, rules[0].policy, r.policy, k)
				}
			}
		}
	}
}

// coverage: every collection of the schema is decided, by a permission or
// by admin_only.
func (v *validator) coverage() {
	granted := map[string]bool{}
	for _, p := range v.s.Policies {
		for _, perm := range p.Permissions {
			granted[perm.Collection] = true
		}
	}
	for _, perm := range v.s.Public {
		granted[perm.Collection] = true
	}
	adminOnly := map[string]bool{}
	for _, c := range v.s.AdminOnly {
		adminOnly[c] = true
		switch {
		case !v.cat.HasCollection(c):
			v.add("access#admin_only", "admin_only: no collection %s in the committed schema snapshot", c)
		case granted[c]:
			v.add("access#admin_only", "admin_only lists %s, but a policy grants it: remove one of the two", c)
		}
	}
	var undecided []string
	for _, c := range v.cat.Collections() {
		if !granted[c] && !adminOnly[c] {
			undecided = append(undecided, c)
		}
	}
	if len(undecided) > 0 {
		v.add("access#admin_only", "no decision for %s: grant them in a policy, or list them under admin_only (nothing is left to Directus's default)", strings.Join(undecided, ", "))
	}
}
