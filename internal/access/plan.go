package access

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
)

// Op is what a change does.
type Op string

// Ops of a change.
const (
	OpCreate Op = "create"
	OpUpdate Op = "update"
	OpDelete Op = "delete"
)

// Kind is what a change is about.
type Kind string

// Kinds of a change.
const (
	KindRole       Kind = "role"
	KindPolicy     Kind = "policy"
	KindGrant      Kind = "grant" // a policy given to a role
	KindPermission Kind = "permission"
)

// Change is one step from the live model to the files.
type Change struct {
	Op   Op
	Kind Kind
	// Role and Policy name what the change is about; "public" is the
	// public policy. A grant has both.
	Role, Policy string
	// Permission is "collection action" for a permission.
	Permission string
	// Details lists what an update changes, and what a created or deleted
	// permission says.
	Details []Detail
	// Destructive: people lose a role or a policy they hold now. Holders
	// counts them.
	Destructive bool
	Holders     int

	phase   int
	roleID  string
	polID   string
	grantID string
	permID  int
	perm    *Permission
	role    *Role
	policy  *Policy
}

// Detail is one changed value of an update, as text.
type Detail struct {
	Path     string
	From, To string
}

// String names the change, e.g. "update permission race-director: entries read".
func (c Change) String() string {
	switch c.Kind {
	case KindRole:
		return fmt.Sprintf("%s role %s", c.Op, c.Role)
	case KindPolicy:
		return fmt.Sprintf("%s policy %s", c.Op, c.Policy)
	case KindGrant:
		if c.Op == OpCreate {
			return fmt.Sprintf("give policy %s to role %s", c.Policy, c.Role)
		}
		return fmt.Sprintf("take policy %s from role %s", c.Policy, c.Role)
	}
	return fmt.Sprintf("%s permission %s: %s", c.Op, c.Policy, c.Permission)
}

// Allowances are the TRM_ALLOW_ACCESS_REMOVAL entries that permit a
// destructive change: naming the role or the policy people lose.
func (c Change) Allowances() []string {
	var out []string
	if c.Role != "" && c.Kind != KindPolicy {
		out = append(out, "role:"+c.Role)
	}
	if c.Policy != "" && c.Kind != KindRole {
		out = append(out, "policy:"+c.Policy)
	}
	return out
}

// Plan is every change that makes the live model equal to the files, in
// the order apply makes them.
type Plan struct {
	Changes []Change
	// Notes are what apply leaves alone (see Live.Set).
	Notes Notes
}

// Empty reports whether live and files agree.
func (p *Plan) Empty() bool { return len(p.Changes) == 0 }

// Counts returns how many changes create, update and delete.
func (p *Plan) Counts() (create, update, del, destructive int) {
	for _, c := range p.Changes {
		switch c.Op {
		case OpCreate:
			create++
		case OpUpdate:
			update++
		case OpDelete:
			del++
		}
		if c.Destructive {
			destructive++
		}
	}
	return
}

// MissingBuiltinError is a live instance without what `directus bootstrap`
// creates: the public policy, or the administrator role and policy.
type MissingBuiltinError struct {
	What string
}

func (e *MissingBuiltinError) Error() string {
	return "the instance has no " + e.What + ": it was not bootstrapped by Directus 11, or it was removed (restore it before applying access)"
}

// Phases of apply, in order.
const (
	phaseCreatePolicy = iota
	phaseUpdatePolicy
	phaseCreateRole
	phaseUpdateRole
	phasePermission
	phaseGrant
	phaseRevoke
	phaseDeleteRole
	phaseDeletePolicy
)

// MakePlan compares the files with the live model.
func MakePlan(files *Set, live *Live) (*Plan, error) {
	ix, err := live.index()
	if err != nil {
		return nil, err
	}
	_, notes, err := live.Set(files.Administrator)
	if err != nil {
		return nil, err
	}
	pl := &planner{files: files, live: live, ix: ix, plan: &Plan{Notes: notes}}
	if err := pl.builtins(); err != nil {
		return nil, err
	}
	pl.policies()
	pl.roles()
	pl.grants()
	sort.SliceStable(pl.plan.Changes, func(i, j int) bool { return pl.plan.Changes[i].phase < pl.plan.Changes[j].phase })
	return pl.plan, nil
}

type planner struct {
	files *Set
	live  *Live
	ix    *index
	plan  *Plan
}

func (pl *planner) add(c Change) { pl.plan.Changes = append(pl.plan.Changes, c) }

func (pl *planner) livePolicy(id string) *directusctl.Policy {
	for i := range pl.live.Policies {
		if pl.live.Policies[i].ID == id {
			return &pl.live.Policies[i]
		}
	}
	return nil
}

func (pl *planner) liveRole(id string) *directusctl.Role {
	for i := range pl.live.Roles {
		if pl.live.Roles[i].ID == id {
			return &pl.live.Roles[i]
		}
	}
	return nil
}

func (pl *planner) livePerms(policyID string) []directusctl.Permission {
	var out []directusctl.Permission
	for _, p := range pl.live.Permissions {
		if p.Policy == policyID {
			out = append(out, p)
		}
	}
	return out
}

// descendants returns the role and every role under it.
func (pl *planner) descendants(roleID string) []string {
	out := []string{roleID}
	for i := 0; i < len(out); i++ {
		for _, r := range pl.live.Roles {
			if r.Parent == out[i] && !slices.Contains(out, r.ID) {
				out = append(out, r.ID)
			}
		}
	}
	return out
}

func (pl *planner) roleUsers(roleID string) int {
	n := 0
	for _, id := range pl.descendants(roleID) {
		n += pl.live.UsersByRole[id]
	}
	return n
}

// policyHolders counts the people who hold a policy: through a role (its
// users and its children's) or directly. The users of a role the plan
// deletes are counted there, not here: allowing that role's removal is
// enough.
func (pl *planner) policyHolders(policyID string) int {
	n := 0
	for _, a := range pl.live.Access {
		if a.Policy != policyID {
			continue
		}
		switch {
		case a.User != "":
			n++
		case a.Role != "" && !pl.roleGoes(a.Role):
			n += pl.roleUsers(a.Role)
		}
	}
	return n
}

// roleGoes reports whether the plan deletes a live role.
func (pl *planner) roleGoes(roleID string) bool {
	name := pl.ix.roleName[roleID]
	return name != pl.files.Administrator.Role && pl.files.Role(name) == nil
}

func (pl *planner) builtins() error {
	adm := pl.files.Administrator
	roleID, ok := pl.ix.roleID[adm.Role]
	if !ok {
		return &MissingBuiltinError{What: fmt.Sprintf("administrator role %q", adm.Role)}
	}
	polID, ok := pl.ix.policyID[adm.Policy]
	if !ok {
		return &MissingBuiltinError{What: fmt.Sprintf("administrator policy %q", adm.Policy)}
	}
	if pl.live.PublicPolicy == "" || pl.livePolicy(pl.live.PublicPolicy) == nil {
		return &MissingBuiltinError{What: "public policy (the policy given to neither a role nor a user)"}
	}
	lp := pl.livePolicy(polID)
	if !lp.AdminAccess || !lp.AppAccess {
		pl.add(Change{Op: OpUpdate, Kind: KindPolicy, Policy: adm.Policy, phase: phaseUpdatePolicy, polID: polID,
			policy:  &Policy{Name: lp.Name, Description: lp.Description, Icon: lp.Icon, AdminAccess: true, AppAccess: true, EnforceTFA: lp.EnforceTFA, IPAccess: lp.IPAccess},
			Details: boolDetails(lp, true, true)})
	}
	granted := false
	for _, a := range pl.live.Access {
		granted = granted || a.Role == roleID && a.Policy == polID && a.User == ""
	}
	if !granted {
		pl.add(Change{Op: OpCreate, Kind: KindGrant, Role: adm.Role, Policy: adm.Policy, phase: phaseGrant, roleID: roleID, polID: polID})
	}
	// Admin access ignores permissions: any there are noise.
	pl.permissions(adm.Policy, polID, nil)
	pub := pl.livePolicy(pl.live.PublicPolicy)
	if pub.AdminAccess || pub.AppAccess {
		pl.add(Change{Op: OpUpdate, Kind: KindPolicy, Policy: "public", phase: phaseUpdatePolicy, polID: pub.ID,
			policy:  &Policy{Name: pub.Name, Description: pub.Description, Icon: pub.Icon, EnforceTFA: pub.EnforceTFA, IPAccess: pub.IPAccess},
			Details: boolDetails(pub, false, false)})
	}
	pl.permissions("public", pub.ID, pl.files.Public)
	return nil
}

func boolDetails(p *directusctl.Policy, admin, app bool) []Detail {
	var out []Detail
	if p.AdminAccess != admin {
		out = append(out, Detail{Path: "admin_access", From: fmt.Sprint(p.AdminAccess), To: fmt.Sprint(admin)})
	}
	if p.AppAccess != app {
		out = append(out, Detail{Path: "app_access", From: fmt.Sprint(p.AppAccess), To: fmt.Sprint(app)})
	}
	return out
}

func (pl *planner) policies() {
	for i := range pl.files.Policies {
		fp := &pl.files.Policies[i]
		id, ok := pl.ix.policyID[fp.Name]
		if !ok {
			pl.add(Change{Op: OpCreate, Kind: KindPolicy, Policy: fp.Name, phase: phaseCreatePolicy, policy: fp, Details: policyDetails(nil, fp)})
			pl.permissions(fp.Name, "", fp.Permissions)
			continue
		}
		lp := pl.livePolicy(id)
		if d := policyDetails(lp, fp); len(d) > 0 {
			pl.add(Change{Op: OpUpdate, Kind: KindPolicy, Policy: fp.Name, phase: phaseUpdatePolicy, polID: id, policy: fp, Details: d})
		}
		pl.permissions(fp.Name, id, fp.Permissions)
	}
	for _, lp := range pl.live.Policies {
		if lp.ID == pl.live.PublicPolicy || lp.Name == pl.files.Administrator.Policy || pl.files.Policy(lp.Name) != nil {
			continue
		}
		n := pl.policyHolders(lp.ID)
		pl.add(Change{Op: OpDelete, Kind: KindPolicy, Policy: lp.Name, phase: phaseDeletePolicy, polID: lp.ID,
			Destructive: n > 0, Holders: n, Details: []Detail{{Path: "permissions", From: fmt.Sprint(len(pl.livePerms(lp.ID)))}}})
	}
}

func policyDetails(lp *directusctl.Policy, fp *Policy) []Detail {
	var from directusctl.Policy
	if lp != nil {
		from = *lp
	}
	var out []Detail
	diff := func(path, a, b string) {
		if a != b {
			out = append(out, Detail{Path: path, From: a, To: b})
		}
	}
	diff("description", from.Description, fp.Description)
	diff("icon", from.Icon, fp.Icon)
	diff("app_access", fmt.Sprint(from.AppAccess), fmt.Sprint(fp.AppAccess))
	diff("admin_access", fmt.Sprint(from.AdminAccess), fmt.Sprint(fp.AdminAccess))
	diff("enforce_tfa", fmt.Sprint(from.EnforceTFA), fmt.Sprint(fp.EnforceTFA))
	diff("ip_access", strings.Join(from.IPAccess, ","), strings.Join(fp.IPAccess, ","))
	return out
}

// permissions plans the permissions of one policy (id empty: the policy is
// being created).
func (pl *planner) permissions(policy, policyID string, want []Permission) {
	have := map[string]directusctl.Permission{}
	var order []string
	if policyID != "" {
		for _, lp := range pl.livePerms(policyID) {
			k := lp.Collection + " " + lp.Action
			if _, dup := have[k]; dup {
				pl.add(Change{Op: OpDelete, Kind: KindPermission, Policy: policy, Permission: k, phase: phasePermission, permID: lp.ID,
					Details: []Detail{{Path: "duplicate", From: fmt.Sprintf("permission #%d", lp.ID)}}})
				continue
			}
			have[k] = lp
			order = append(order, k)
		}
	}
	for i := range want {
		w := &want[i]
		lp, ok := have[w.Key()]
		if !ok {
			pl.add(Change{Op: OpCreate, Kind: KindPermission, Policy: policy, Permission: w.Key(), phase: phasePermission, perm: w, Details: permDetails(nil, w)})
			continue
		}
		delete(have, w.Key())
		cur := fromLive(lp)
		if d := permDetails(&cur, w); len(d) > 0 {
			pl.add(Change{Op: OpUpdate, Kind: KindPermission, Policy: policy, Permission: w.Key(), phase: phasePermission, permID: lp.ID, perm: w, Details: d})
		}
	}
	for _, k := range order {
		if lp, ok := have[k]; ok {
			cur := fromLive(lp)
			pl.add(Change{Op: OpDelete, Kind: KindPermission, Policy: policy, Permission: k, phase: phasePermission, permID: lp.ID, Details: permDetails(&cur, nil)})
		}
	}
}

// permDetails lists what differs between two permissions (nil: none), the
// rules leaf by leaf so that a changed role name reads as one line.
func permDetails(from, to *Permission) []Detail {
	var a, b Permission
	if from != nil {
		a = *from
	}
	if to != nil {
		b = *to
	}
	var out []Detail
	for _, r := range []struct {
		name string
		x, y any
	}{{"filter", a.Filter, b.Filter}, {"validation", a.Validation, b.Validation}, {"presets", a.Presets, b.Presets}} {
		if canonical(r.x) == canonical(r.y) {
			continue
		}
		out = append(out, leafDiff(r.name, r.x, r.y)...)
	}
	action := b.Action
	if action == "" {
		action = a.Action
	}
	if fieldsMatter(action) && !sameFields(a.Fields, b.Fields) {
		out = append(out, fieldsDetail(a.Fields, b.Fields, from == nil, to == nil))
	}
	return out
}

func fieldsDetail(a, b []string, created, deleted bool) Detail {
	switch {
	case created:
		return Detail{Path: "fields", To: strings.Join(b, ", ")}
	case deleted:
		return Detail{Path: "fields", From: strings.Join(a, ", ")}
	}
	var added, removed []string
	for _, f := range b {
		if !slices.Contains(a, f) {
			added = append(added, f)
		}
	}
	for _, f := range a {
		if !slices.Contains(b, f) {
			removed = append(removed, f)
		}
	}
	var parts []string
	if len(added) > 0 {
		parts = append(parts, "+"+strings.Join(added, " +"))
	}
	if len(removed) > 0 {
		parts = append(parts, "-"+strings.Join(removed, " -"))
	}
	return Detail{Path: "fields", From: strings.Join(a, ", "), To: strings.Join(b, ", ") + " (" + strings.Join(parts, " ") + ")"}
}

// leafDiff flattens two JSON values into path → value and lists the
// paths that differ. A value on one side only reads as added or removed.
func leafDiff(name string, x, y any) []Detail {
	fx, fy := map[string]string{}, map[string]string{}
	flatten(name, x, fx)
	flatten(name, y, fy)
	keys := map[string]bool{}
	for k := range fx {
		keys[k] = true
	}
	for k := range fy {
		keys[k] = true
	}
	var out []Detail
	for _, k := range sortedKeys(keys) {
		if fx[k] != fy[k] {
			out = append(out, Detail{Path: k, From: fx[k], To: fy[k]})
		}
	}
	return out
}

func flatten(path string, v any, out map[string]string) {
	switch t := v.(type) {
	case map[string]any:
		if len(t) == 0 {
			return
		}
		for k, sub := range t {
			flatten(path+"."+k, sub, out)
		}
	case []any:
		// A list of scalars (an _in) reads better whole.
		scalars := true
		for _, x := range t {
			switch x.(type) {
			case map[string]any, []any:
				scalars = false
			}
		}
		if scalars {
			b, _ := json.Marshal(t)
			out[path] = string(b)
			return
		}
		for i, sub := range t {
			flatten(fmt.Sprintf("%s[%d]", path, i), sub, out)
		}
	case nil:
	default:
		b, _ := json.Marshal(t)
		out[path] = string(b)
	}
}

func (pl *planner) roles() {
	for i := range pl.files.Roles {
		fr := &pl.files.Roles[i]
		id, ok := pl.ix.roleID[fr.Name]
		if !ok {
			pl.add(Change{Op: OpCreate, Kind: KindRole, Role: fr.Name, phase: phaseCreateRole, role: fr, Details: roleDetails(nil, "", fr)})
			if fr.Parent != "" {
				pl.add(Change{Op: OpUpdate, Kind: KindRole, Role: fr.Name, phase: phaseUpdateRole, role: fr, Details: []Detail{{Path: "parent", To: fr.Parent}}})
			}
			continue
		}
		lr := pl.liveRole(id)
		if d := roleDetails(lr, pl.ix.roleName[lr.Parent], fr); len(d) > 0 {
			pl.add(Change{Op: OpUpdate, Kind: KindRole, Role: fr.Name, phase: phaseUpdateRole, roleID: id, role: fr, Details: d})
		}
	}
	for _, lr := range pl.live.Roles {
		if lr.Name == pl.files.Administrator.Role || pl.files.Role(lr.Name) != nil {
			continue
		}
		n := pl.live.UsersByRole[lr.ID]
		pl.add(Change{Op: OpDelete, Kind: KindRole, Role: lr.Name, phase: phaseDeleteRole, roleID: lr.ID, Destructive: n > 0, Holders: n})
	}
}

func roleDetails(lr *directusctl.Role, parent string, fr *Role) []Detail {
	var from directusctl.Role
	if lr != nil {
		from = *lr
	}
	var out []Detail
	if from.Description != fr.Description {
		out = append(out, Detail{Path: "description", From: from.Description, To: fr.Description})
	}
	if from.Icon != fr.Icon {
		out = append(out, Detail{Path: "icon", From: from.Icon, To: fr.Icon})
	}
	if lr != nil && parent != fr.Parent {
		out = append(out, Detail{Path: "parent", From: parent, To: fr.Parent})
	}
	return out
}

func (pl *planner) grants() {
	type pair struct{ role, policy string }
	want := map[pair]bool{}
	for _, r := range pl.files.Roles {
		for _, p := range r.Policies {
			want[pair{r.Name, p}] = true
		}
	}
	have := map[pair]bool{}
	for _, a := range pl.live.Access {
		if a.Role == "" || a.User != "" {
			continue
		}
		role, policy := pl.ix.roleName[a.Role], pl.live.policyLabel(pl.ix, a.Policy)
		switch {
		case role == pl.files.Administrator.Role:
			// Checked in builtins; more policies on it change nothing.
			continue
		case pl.files.Role(role) == nil:
			// The role goes, and its grants with it.
			continue
		case policy != "public" && policy != pl.files.Administrator.Policy && pl.files.Policy(policy) == nil:
			// The policy goes, and its grants with it.
			continue
		}
		k := pair{role, policy}
		if have[k] || !want[k] {
			n := pl.roleUsers(a.Role)
			if have[k] {
				n = 0 // a duplicate grant: nobody loses anything
			}
			pl.add(Change{Op: OpDelete, Kind: KindGrant, Role: role, Policy: policy, phase: phaseRevoke, grantID: a.ID, Destructive: n > 0, Holders: n})
			continue
		}
		have[k] = true
	}
	var missing []pair
	for k := range want {
		if !have[k] {
			missing = append(missing, k)
		}
	}
	sort.Slice(missing, func(i, j int) bool {
		if missing[i].role != missing[j].role {
			return missing[i].role < missing[j].role
		}
		return missing[i].policy < missing[j].policy
	})
	for _, k := range missing {
		pl.add(Change{Op: OpCreate, Kind: KindGrant, Role: k.role, Policy: k.policy, phase: phaseGrant})
	}
}
