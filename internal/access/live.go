package access

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
)

// Live is the access model of a running instance with Directus's ids: what
// a plan is made against and applied with.
type Live struct {
	Roles       []directusctl.Role
	Policies    []directusctl.Policy
	Access      []directusctl.Access
	Permissions []directusctl.Permission
	// PublicPolicy is the id of the public policy: the one given to
	// neither a role nor a user.
	PublicPolicy string
	// UsersByRole counts the users of each role (by role id).
	UsersByRole map[string]int
}

// Pull reads the access model of the instance c talks to (an admin token).
func Pull(ctx context.Context, c *directusctl.Client) (*Live, error) {
	l := &Live{UsersByRole: map[string]int{}}
	var err error
	if l.Roles, err = c.ListRoles(ctx, url.Values{"fields": {"id,name,icon,description,parent"}, "sort": {"name"}}); err != nil {
		return nil, fmt.Errorf("read roles: %w", err)
	}
	if l.Policies, err = c.ListPolicies(ctx, url.Values{"fields": {"id,name,icon,description,ip_access,enforce_tfa,admin_access,app_access"}, "sort": {"name"}}); err != nil {
		return nil, fmt.Errorf("read policies: %w", err)
	}
	if l.Access, err = c.ListAccess(ctx, url.Values{"fields": {"id,role,user,policy,sort"}, "sort": {"id"}}); err != nil {
		return nil, fmt.Errorf("read access: %w", err)
	}
	// Without the policy filter an app-access token also gets Directus's
	// built-in minimal app permissions, which have no id and no policy.
	if l.Permissions, err = c.ListPermissions(ctx, url.Values{
		"fields": {"id,policy,collection,action,permissions,validation,presets,fields"},
		"filter": {`{"policy":{"_nnull":true}}`}, "sort": {"id"},
	}); err != nil {
		return nil, fmt.Errorf("read permissions: %w", err)
	}
	var counts []struct {
		Role  *string `json:"role"`
		Count struct {
			ID json.RawMessage `json:"id"`
		} `json:"count"`
	}
	if err := c.Do(ctx, http.MethodGet, "/users", url.Values{"aggregate[count]": {"id"}, "groupBy[]": {"role"}}, nil, &counts); err != nil {
		return nil, fmt.Errorf("count users per role: %w", err)
	}
	for _, r := range counts {
		if r.Role == nil {
			continue
		}
		n, err := strconv.Atoi(strings.Trim(string(r.Count.ID), `"`))
		if err != nil {
			return nil, fmt.Errorf("count users per role: %q is not a count", r.Count.ID)
		}
		l.UsersByRole[*r.Role] = n
	}
	for _, a := range l.Access {
		if a.Role == "" && a.User == "" {
			l.PublicPolicy = a.Policy
		}
	}
	return l, nil
}

// AmbiguousError is a live instance where names do not single out roles or
// policies: two of them share a name, so files keyed by names cannot say
// which is meant.
type AmbiguousError struct {
	Kind  string // "role" or "policy"
	Name  string
	Count int
}

func (e *AmbiguousError) Error() string {
	return fmt.Sprintf("%d %ss are named %q on the instance: rename or delete all but one in the Admin app (Settings → Access), then try again", e.Count, e.Kind, e.Name)
}

// index maps names to ids and back, refusing duplicate names.
type index struct {
	roleID, policyID     map[string]string
	roleName, policyName map[string]string
}

func (l *Live) index() (*index, error) {
	ix := &index{roleID: map[string]string{}, policyID: map[string]string{}, roleName: map[string]string{}, policyName: map[string]string{}}
	counts := map[string]int{}
	for _, r := range l.Roles {
		counts[r.Name]++
		ix.roleID[r.Name], ix.roleName[r.ID] = r.ID, r.Name
	}
	for _, name := range sortedKeys(counts) {
		if counts[name] > 1 {
			return nil, &AmbiguousError{Kind: "role", Name: name, Count: counts[name]}
		}
	}
	counts = map[string]int{}
	for _, p := range l.Policies {
		if p.ID == l.PublicPolicy {
			continue
		}
		counts[p.Name]++
		ix.policyID[p.Name], ix.policyName[p.ID] = p.ID, p.Name
	}
	for _, name := range sortedKeys(counts) {
		if counts[name] > 1 {
			return nil, &AmbiguousError{Kind: "policy", Name: name, Count: counts[name]}
		}
	}
	return ix, nil
}

// Notes are what a live instance has that files do not describe and apply
// leaves alone, said so that nothing is hidden.
type Notes []string

// Set converts the live model into names. admin names the built-in
// administrator role and policy (from the files). Policies given directly
// to users are not part of the model: they are reported in the notes.
func (l *Live) Set(admin Builtin) (*Set, Notes, error) {
	ix, err := l.index()
	if err != nil {
		return nil, nil, err
	}
	s := &Set{Administrator: admin}
	var notes Notes
	direct := map[string]int{}
	for _, a := range l.Access {
		if a.User != "" {
			direct[a.Policy]++
		}
	}
	for _, id := range sortedKeys(direct) {
		name := ix.policyName[id]
		if id == l.PublicPolicy {
			name = "public"
		}
		notes = append(notes, fmt.Sprintf("policy %s is given directly to %d user(s): apply leaves such grants alone (give policies through roles)", name, direct[id]))
	}
	for _, r := range l.Roles {
		if r.Name == admin.Role {
			continue
		}
		role := Role{Name: r.Name, Description: r.Description, Icon: r.Icon, Parent: ix.roleName[r.Parent], Policies: []string{}}
		for _, a := range l.Access {
			if a.Role == r.ID && a.User == "" {
				role.Policies = append(role.Policies, l.policyLabel(ix, a.Policy))
			}
		}
		s.Roles = append(s.Roles, role)
	}
	dups := map[string]int{}
	byPolicy := map[string][]Permission{}
	for _, p := range l.Permissions {
		perm := fromLive(p)
		k := p.Policy + "\x00" + perm.Key()
		dups[k]++
		if dups[k] > 1 {
			notes = append(notes, fmt.Sprintf("policy %s has %d permissions for %s: apply keeps the first and deletes the others", l.policyLabel(ix, p.Policy), dups[k], perm.Key()))
			continue
		}
		byPolicy[p.Policy] = append(byPolicy[p.Policy], perm)
	}
	for _, p := range l.Policies {
		switch {
		case p.ID == l.PublicPolicy:
			s.Public = byPolicy[p.ID]
			continue
		case p.Name == admin.Policy && p.AdminAccess:
			if len(byPolicy[p.ID]) > 0 {
				notes = append(notes, fmt.Sprintf("the administrator policy %s has %d permission(s): admin access ignores them; apply deletes them", p.Name, len(byPolicy[p.ID])))
			}
			continue
		}
		s.Policies = append(s.Policies, Policy{
			Name: p.Name, Description: p.Description, Icon: p.Icon, AppAccess: p.AppAccess,
			AdminAccess: p.AdminAccess, EnforceTFA: p.EnforceTFA, IPAccess: slices.Clone(p.IPAccess),
			Permissions: byPolicy[p.ID],
		})
	}
	s.Sort()
	sort.Strings(notes)
	return s, slices.Compact(notes), nil
}

func (l *Live) policyLabel(ix *index, id string) string {
	if id == l.PublicPolicy {
		return "public"
	}
	if n, ok := ix.policyName[id]; ok {
		return n
	}
	return id
}

func fromLive(p directusctl.Permission) Permission {
	perm := Permission{Collection: p.Collection, Action: p.Action, Fields: slices.Clone(p.Fields)}
	perm.Filter = decodeRule(p.Permissions)
	perm.Validation = decodeRule(p.Validation)
	perm.Presets = decodeRule(p.Presets)
	if !fieldsMatter(p.Action) {
		perm.Fields = nil
		if perm.Filter == nil {
			perm.Filter = map[string]any{}
		}
	}
	return perm
}

func decodeRule(raw json.RawMessage) any {
	if len(raw) == 0 {
		return nil
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return string(raw)
	}
	if isNone(v) {
		return nil
	}
	return v
}

// LiveOf presents a set as if it were live, with names for ids: a plan
// between two sets of files (an offline diff) is made against it. Nobody
// holds its roles, so no change of such a plan is destructive.
func LiveOf(s *Set) *Live {
	l := &Live{PublicPolicy: "public", UsersByRole: map[string]int{}}
	adm := s.Administrator
	l.Roles = append(l.Roles, directusctl.Role{ID: "role:" + adm.Role, Name: adm.Role})
	l.Policies = append(l.Policies,
		directusctl.Policy{ID: "public", Name: "$t:public_label"},
		directusctl.Policy{ID: "policy:" + adm.Policy, Name: adm.Policy, AdminAccess: true, AppAccess: true})
	l.Access = append(l.Access, directusctl.Access{ID: "access:public", Policy: "public"},
		directusctl.Access{ID: "access:admin", Role: "role:" + adm.Role, Policy: "policy:" + adm.Policy})
	perm := func(policyID string, p Permission) directusctl.Permission {
		lp := directusctl.Permission{ID: len(l.Permissions) + 1, Policy: policyID, Collection: p.Collection, Action: p.Action, Fields: slices.Clone(p.Fields)}
		lp.Permissions, _ = rawRule(p.Filter)
		lp.Validation, _ = rawRule(p.Validation)
		lp.Presets, _ = rawRule(p.Presets)
		return lp
	}
	for _, p := range s.Public {
		l.Permissions = append(l.Permissions, perm("public", p))
	}
	for _, p := range s.Policies {
		l.Policies = append(l.Policies, directusctl.Policy{ID: "policy:" + p.Name, Name: p.Name, Icon: p.Icon, Description: p.Description,
			AppAccess: p.AppAccess, AdminAccess: p.AdminAccess, EnforceTFA: p.EnforceTFA, IPAccess: slices.Clone(p.IPAccess)})
		for _, perm2 := range p.Permissions {
			l.Permissions = append(l.Permissions, perm("policy:"+p.Name, perm2))
		}
	}
	for _, r := range s.Roles {
		parent := ""
		if r.Parent != "" {
			parent = "role:" + r.Parent
		}
		l.Roles = append(l.Roles, directusctl.Role{ID: "role:" + r.Name, Name: r.Name, Icon: r.Icon, Description: r.Description, Parent: parent})
		for _, p := range r.Policies {
			l.Access = append(l.Access, directusctl.Access{ID: "access:" + r.Name + ":" + p, Role: "role:" + r.Name, Policy: "policy:" + p})
		}
	}
	return l
}
