package access

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
)

// AllowVar is the variable that allows destructive access changes, as
// TRM_ALLOW_DESTRUCTIVE does for the schema.
const AllowVar = "TRM_ALLOW_ACCESS_REMOVAL"

// Allowance says which destructive changes may be applied.
type Allowance struct {
	all      bool
	roles    map[string]bool
	policies map[string]bool
}

// AllowanceError is a malformed allowance value.
type AllowanceError struct {
	Value string
	Entry string
}

func (e *AllowanceError) Error() string {
	return fmt.Sprintf("%s=%q: %q is not an allowance: use all, or role:NAME and policy:NAME separated by commas", AllowVar, e.Value, e.Entry)
}

// ParseAllowance reads a TRM_ALLOW_ACCESS_REMOVAL value: empty (nothing
// destructive), "all", or entries such as role:judge,policy:old-viewer.
func ParseAllowance(v string) (Allowance, error) {
	a := Allowance{roles: map[string]bool{}, policies: map[string]bool{}}
	for _, e := range strings.Split(v, ",") {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		if e == "all" {
			a.all = true
			continue
		}
		kind, name, ok := strings.Cut(e, ":")
		name = strings.TrimSpace(name)
		switch {
		case !ok || name == "":
			return Allowance{}, &AllowanceError{Value: v, Entry: e}
		case kind == "role":
			a.roles[name] = true
		case kind == "policy":
			a.policies[name] = true
		default:
			return Allowance{}, &AllowanceError{Value: v, Entry: e}
		}
	}
	return a, nil
}

// Allows reports whether a change may be applied.
func (a Allowance) Allows(c Change) bool {
	if !c.Destructive || a.all {
		return true
	}
	for _, e := range c.Allowances() {
		kind, name, _ := strings.Cut(e, ":")
		if kind == "role" && a.roles[name] || kind == "policy" && a.policies[name] {
			return true
		}
	}
	return false
}

// Refused returns the plan's destructive changes the allowance does not
// cover.
func (p *Plan) Refused(a Allowance) []Change {
	var out []Change
	for _, c := range p.Changes {
		if !a.Allows(c) {
			out = append(out, c)
		}
	}
	return out
}

// RefusedError is a plan with destructive changes nobody allowed. Nothing
// was applied.
type RefusedError struct {
	Changes []Change
}

func (e *RefusedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d access change(s) would take a role or a policy from people who hold it; nothing was applied:", len(e.Changes))
	for _, c := range e.Changes {
		fmt.Fprintf(&b, "\n  %s (%d user(s) hold it; allow with %s=%s)", c, c.Holders, AllowVar, strings.Join(c.Allowances(), " or "))
	}
	return b.String()
}

// AllowValue is the allowance value that would let every refused change
// through.
func (e *RefusedError) AllowValue() string {
	var parts []string
	for _, c := range e.Changes {
		a := c.Allowances()
		if len(a) > 0 {
			parts = append(parts, a[len(a)-1])
		}
	}
	return strings.Join(dedupe(parts), ",")
}

func dedupe(ss []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// ApplyError is a change Directus refused. The changes before it were made:
// applying again continues from there.
type ApplyError struct {
	Change  Change
	Applied int
	Err     error
}

func (e *ApplyError) Error() string {
	return fmt.Sprintf("%s: %v (%d change(s) before it were applied; applying again continues)", e.Change, e.Err, e.Applied)
}

func (e *ApplyError) Unwrap() error { return e.Err }

// Apply makes the plan's changes through the REST API, in order, after
// checking the allowance: a plan with a refused change applies nothing
// (*RefusedError). It returns how many changes were made.
func Apply(ctx context.Context, st Store, live *Live, plan *Plan, allow Allowance) (int, error) {
	if refused := plan.Refused(allow); len(refused) > 0 {
		return 0, &RefusedError{Changes: refused}
	}
	ix, err := live.index()
	if err != nil {
		return 0, err
	}
	ap := &applier{st: st, ix: ix, live: live}
	for i := 0; i < len(plan.Changes); {
		ch := plan.Changes[i]
		if ch.Kind != KindPermission {
			if err := ap.do(ctx, ch); err != nil {
				return i, &ApplyError{Change: ch, Applied: i, Err: err}
			}
			i++
			continue
		}
		// The permission changes are one phase of the plan: created in
		// one request, updated one by one, deleted in one request.
		// Directus clears its caches after each request, which costs more
		// than the write.
		j := i
		for j < len(plan.Changes) && plan.Changes[j].Kind == KindPermission {
			j++
		}
		if err := ap.permissions(ctx, plan.Changes[i:j]); err != nil {
			return i, &ApplyError{Change: ch, Applied: i, Err: err}
		}
		i = j
	}
	return len(plan.Changes), nil
}

func (ap *applier) permissions(ctx context.Context, cs []Change) error {
	var creates []directusctl.Permission
	var deletes []int
	for _, ch := range cs {
		switch ch.Op {
		case OpCreate:
			lp, err := ap.livePermission(ch)
			if err != nil {
				return err
			}
			creates = append(creates, lp)
		case OpDelete:
			deletes = append(deletes, ch.permID)
		}
	}
	if err := ap.st.CreatePermissions(ctx, creates); err != nil {
		return fmt.Errorf("create %d permission(s): %w", len(creates), err)
	}
	for _, ch := range cs {
		if ch.Op == OpUpdate {
			if err := ap.do(ctx, ch); err != nil {
				return fmt.Errorf("%s: %w", ch, err)
			}
		}
	}
	if err := ap.st.DeletePermissions(ctx, deletes); err != nil {
		return fmt.Errorf("delete %d permission(s): %w", len(deletes), err)
	}
	return nil
}

func (ap *applier) livePermission(ch Change) (directusctl.Permission, error) {
	p := ch.perm
	lp := directusctl.Permission{Policy: ap.policyID(ch.Policy), Collection: p.Collection, Action: p.Action, Fields: p.Fields}
	var err error
	if lp.Permissions, err = rawRule(p.Filter); err != nil {
		return lp, err
	}
	if lp.Validation, err = rawRule(p.Validation); err != nil {
		return lp, err
	}
	lp.Presets, err = rawRule(p.Presets)
	return lp, err
}

type applier struct {
	st   Store
	ix   *index
	live *Live
}

func (ap *applier) policyID(name string) string {
	if name == "public" {
		return ap.live.PublicPolicy
	}
	return ap.ix.policyID[name]
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func rawRule(v any) (json.RawMessage, error) {
	if isNone(v) {
		return nil, nil
	}
	return json.Marshal(v)
}

func (ap *applier) do(ctx context.Context, ch Change) error {
	switch {
	case ch.Kind == KindPolicy && ch.Op == OpCreate:
		p := ch.policy
		created, err := ap.st.CreatePolicy(ctx, directusctl.Policy{Name: p.Name, Icon: p.Icon, Description: p.Description,
			AppAccess: p.AppAccess, AdminAccess: p.AdminAccess, EnforceTFA: p.EnforceTFA, IPAccess: p.IPAccess})
		if err != nil {
			return err
		}
		ap.ix.policyID[p.Name], ap.ix.policyName[created.ID] = created.ID, p.Name
		return nil
	case ch.Kind == KindPolicy && ch.Op == OpUpdate:
		p := ch.policy
		ip := any(p.IPAccess)
		if len(p.IPAccess) == 0 {
			ip = nil
		}
		return ap.st.UpdatePolicy(ctx, ch.polID, map[string]any{
			"description": nullable(p.Description), "icon": p.Icon, "app_access": p.AppAccess,
			"admin_access": p.AdminAccess, "enforce_tfa": p.EnforceTFA, "ip_access": ip,
		})
	case ch.Kind == KindPolicy && ch.Op == OpDelete:
		return ap.st.DeletePolicy(ctx, ch.polID)
	case ch.Kind == KindRole && ch.Op == OpCreate:
		created, err := ap.st.CreateRole(ctx, directusctl.Role{Name: ch.role.Name, Icon: ch.role.Icon, Description: ch.role.Description})
		if err != nil {
			return err
		}
		ap.ix.roleID[ch.role.Name], ap.ix.roleName[created.ID] = created.ID, ch.role.Name
		return nil
	case ch.Kind == KindRole && ch.Op == OpUpdate:
		var parent any
		if ch.role.Parent != "" {
			parent = ap.ix.roleID[ch.role.Parent]
		}
		return ap.st.UpdateRole(ctx, ap.ix.roleID[ch.role.Name], map[string]any{
			"description": nullable(ch.role.Description), "icon": ch.role.Icon, "parent": parent,
		})
	case ch.Kind == KindRole && ch.Op == OpDelete:
		return ap.st.DeleteRole(ctx, ch.roleID)
	case ch.Kind == KindGrant && ch.Op == OpCreate:
		return ap.st.CreateAccess(ctx, directusctl.Access{Role: ap.ix.roleID[ch.Role], Policy: ap.policyID(ch.Policy)})
	case ch.Kind == KindGrant && ch.Op == OpDelete:
		return ap.st.DeleteAccess(ctx, ch.grantID)
	case ch.Kind == KindPermission && ch.Op == OpUpdate:
		lp, err := ap.livePermission(ch)
		if err != nil {
			return err
		}
		// A nil RawMessage and a nil slice encode as null: the rule or
		// field list is cleared.
		return ap.st.UpdatePermission(ctx, ch.permID, map[string]any{
			"permissions": lp.Permissions, "validation": lp.Validation, "presets": lp.Presets, "fields": lp.Fields,
		})
	}
	return fmt.Errorf("no way to apply %s", ch)
}

// NotConvergedError is an apply after which the live model still differs
// from the files: Directus changed or refused something silently.
type NotConvergedError struct {
	Remaining []Change
}

func (e *NotConvergedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "after the apply, the live access model still differs from the files in %d change(s):", len(e.Remaining))
	for _, c := range e.Remaining {
		fmt.Fprintf(&b, "\n  %s", c)
	}
	return b.String()
}

// Result is what Reconcile did.
type Result struct {
	// Plan is what was (or, in a dry run, would be) applied.
	Plan    *Plan
	Applied int
}

// ReconcileOptions tune Reconcile.
type ReconcileOptions struct {
	Allow Allowance
	// DryRun plans and checks the allowance, and changes nothing.
	DryRun bool
}

// Reconcile is the guarded apply, as boot runs it: load the live model,
// plan, refuse destructive changes the allowance does not cover (nothing
// applied, *RefusedError), apply, pull again and check that live equals
// the files (*NotConvergedError otherwise). files must have passed
// Validate. A second run with nothing to do sends only the reads.
func Reconcile(ctx context.Context, st Store, files *Set, opts ReconcileOptions) (*Result, error) {
	live, err := st.Load(ctx)
	if err != nil {
		return nil, err
	}
	plan, err := MakePlan(files, live)
	if err != nil {
		return nil, err
	}
	res := &Result{Plan: plan}
	if refused := plan.Refused(opts.Allow); len(refused) > 0 {
		return res, &RefusedError{Changes: refused}
	}
	if opts.DryRun || plan.Empty() {
		return res, nil
	}
	if res.Applied, err = Apply(ctx, st, live, plan, opts.Allow); err != nil {
		return res, err
	}
	after, err := st.Load(ctx)
	if err != nil {
		return res, fmt.Errorf("check after the apply: %w", err)
	}
	again, err := MakePlan(files, after)
	if err != nil {
		return res, fmt.Errorf("check after the apply: %w", err)
	}
	if !again.Empty() {
		return res, &NotConvergedError{Remaining: again.Changes}
	}
	return res, nil
}
