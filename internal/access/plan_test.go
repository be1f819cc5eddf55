package access

import (
	"errors"
	"strings"
	"testing"

	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
)

func planOf(t *testing.T, files *Set, live *Live) *Plan {
	t.Helper()
	p, err := MakePlan(files, live)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func changeNames(p *Plan) []string {
	var out []string
	for _, c := range p.Changes {
		out = append(out, c.String())
	}
	return out
}

func TestPlanOfFilesAgainstThemselvesIsEmpty(t *testing.T) {
	s := committedSet(t)
	if p := planOf(t, s, LiveOf(s)); !p.Empty() {
		t.Fatalf("want no change, got %v", changeNames(p))
	}
}

func TestPlanShowsAChangedRoleNameInAFilterAsOneLine(t *testing.T) {
	old := committedSet(t)
	s := committedSet(t)
	p := s.Policy("org-admin")
	for i := range p.Permissions {
		if p.Permissions[i].Key() == "devices read" {
			p.Permissions[i].Filter = map[string]any{"registrations": map[string]any{"organization_id": map[string]any{"members": map[string]any{
				"role": map[string]any{"_eq": "race-director"}, "user_id": map[string]any{"_eq": "$CURRENT_USER"}}}}}
			p.Permissions[i].Fields = []string{"id", "imei"}
		}
	}
	plan := planOf(t, s, LiveOf(old))
	if len(plan.Changes) != 1 {
		t.Fatalf("want one change, got %v", changeNames(plan))
	}
	c := plan.Changes[0]
	if c.String() != "update permission org-admin: devices read" || c.Destructive {
		t.Fatalf("got %s (destructive %v)", c, c.Destructive)
	}
	want := []Detail{
		{Path: "filter.registrations.organization_id.members.role._eq", From: `"org-admin"`, To: `"race-director"`},
		{Path: "fields", From: "*", To: "id, imei (+id +imei -*)"},
	}
	if len(c.Details) != len(want) {
		t.Fatalf("details: got %+v", c.Details)
	}
	for i := range want {
		if c.Details[i] != want[i] {
			t.Errorf("detail %d: got %+v, want %+v", i, c.Details[i], want[i])
		}
	}
}

func TestPlanCreatesAndDeletesInApplyOrder(t *testing.T) {
	old := committedSet(t)
	s := committedSet(t)
	// Drop viewer, add judge.
	var kept []Policy
	for _, p := range s.Policies {
		if p.Name != "viewer" {
			kept = append(kept, p)
		}
	}
	kept = append(kept, Policy{Name: "judge", Icon: "gavel", Permissions: []Permission{{Collection: "events", Action: "read", Fields: []string{"id"}}}})
	s.Policies = kept
	r := s.Role("member")
	r.Policies = append(r.Policies[:len(r.Policies)-1], "judge")
	np := s.Role("non-participant")
	np.Policies = np.Policies[:len(np.Policies)-1]
	got := strings.Join(changeNames(planOf(t, s, LiveOf(old))), "\n")
	want := strings.Join([]string{
		"create policy judge",
		"create permission judge: events read",
		"give policy judge to role member",
		"delete policy viewer",
	}, "\n")
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

// liveWithUsers is the committed set as live, with users on the member
// role and an extra role and policy people hold.
func liveWithUsers(t *testing.T) *Live {
	l := LiveOf(committedSet(t))
	l.UsersByRole["role:member"] = 12
	l.Roles = append(l.Roles, directusctl.Role{ID: "role:judge", Name: "judge", Icon: "gavel"})
	l.UsersByRole["role:judge"] = 2
	l.Policies = append(l.Policies, directusctl.Policy{ID: "policy:old", Name: "old", Icon: "badge"})
	l.Access = append(l.Access,
		directusctl.Access{ID: "a1", Role: "role:member", Policy: "policy:old"},
		directusctl.Access{ID: "a2", User: "someone", Policy: "policy:old"})
	return l
}

func TestPlanMarksRemovalsPeopleHoldAsDestructive(t *testing.T) {
	plan := planOf(t, committedSet(t), liveWithUsers(t))
	got := map[string]Change{}
	for _, c := range plan.Changes {
		got[c.String()] = c
	}
	for name, holders := range map[string]int{"delete role judge": 2, "delete policy old": 13} {
		c, ok := got[name]
		if !ok || !c.Destructive || c.Holders != holders {
			t.Errorf("%s: want destructive with %d holders, got %+v (present %v)", name, holders, c, ok)
		}
	}
	if len(plan.Notes) != 1 || !strings.Contains(plan.Notes[0], "policy old is given directly to 1 user(s)") {
		t.Errorf("notes: %v", plan.Notes)
	}
	allow, err := ParseAllowance("role:judge")
	if err != nil {
		t.Fatal(err)
	}
	refused := plan.Refused(allow)
	if len(refused) != 1 || refused[0].String() != "delete policy old" {
		t.Fatalf("refused: %v", refused)
	}
	err = &RefusedError{Changes: refused}
	if !strings.Contains(err.Error(), "TRM_ALLOW_ACCESS_REMOVAL=policy:old") {
		t.Errorf("the refusal must name the allowance: %v", err)
	}
	for _, v := range []string{"all", "role:judge,policy:old", " policy:old , role:judge "} {
		a, err := ParseAllowance(v)
		if err != nil {
			t.Fatal(err)
		}
		if r := plan.Refused(a); len(r) != 0 {
			t.Errorf("%q: still refused %v", v, r)
		}
	}
}

// Taking a policy off a role that has users takes it from them.
func TestPlanTakingAPolicyOffARoleWithUsersIsDestructive(t *testing.T) {
	old := committedSet(t)
	live := LiveOf(old)
	live.UsersByRole["role:member"] = 3
	s := committedSet(t)
	for _, name := range []string{"member", "non-participant"} {
		r := s.Role(name)
		r.Policies = r.Policies[:len(r.Policies)-1] // without viewer
	}
	s.Policies = s.Policies[:len(s.Policies)-1]
	plan := planOf(t, s, live)
	if len(plan.Changes) != 1 || plan.Changes[0].String() != "delete policy viewer" || !plan.Changes[0].Destructive || plan.Changes[0].Holders != 3 {
		t.Fatalf("got %+v", plan.Changes)
	}
	s2 := committedSet(t)
	for _, name := range []string{"member", "non-participant"} {
		r := s2.Role(name)
		r.Policies = r.Policies[:len(r.Policies)-1]
	}
	s2.Roles = append(s2.Roles, Role{Name: "follower", Icon: "visibility", Policies: []string{"viewer"}})
	plan = planOf(t, s2, live)
	var take *Change
	for i, c := range plan.Changes {
		if c.String() == "take policy viewer from role member" {
			take = &plan.Changes[i]
		}
	}
	if take == nil || !take.Destructive || take.Holders != 3 {
		t.Fatalf("want a destructive grant removal, got %v", changeNames(plan))
	}
	if got := strings.Join(take.Allowances(), " "); got != "role:member policy:viewer" {
		t.Errorf("allowances: %s", got)
	}
}

func TestPlanRemovesDuplicatePermissionRows(t *testing.T) {
	s := committedSet(t)
	live := LiveOf(s)
	dup := live.Permissions[0]
	dup.ID = 9999
	live.Permissions = append(live.Permissions, dup)
	plan := planOf(t, s, live)
	if len(plan.Changes) != 1 || plan.Changes[0].Op != OpDelete || plan.Changes[0].permID != 9999 {
		t.Fatalf("got %v", changeNames(plan))
	}
}

func TestPlanRefusesAmbiguousNamesAndMissingBuiltins(t *testing.T) {
	s := committedSet(t)
	live := LiveOf(s)
	live.Roles = append(live.Roles, directusctl.Role{ID: "other", Name: "member"})
	var amb *AmbiguousError
	if _, err := MakePlan(s, live); !errors.As(err, &amb) || amb.Name != "member" || amb.Count != 2 {
		t.Errorf("want *AmbiguousError for member, got %v", err)
	}
	live = LiveOf(s)
	live.PublicPolicy = ""
	var mb *MissingBuiltinError
	if _, err := MakePlan(s, live); !errors.As(err, &mb) {
		t.Errorf("want *MissingBuiltinError, got %v", err)
	}
}

func TestParseAllowanceRefusesWhatItDoesNotKnow(t *testing.T) {
	for _, v := range []string{"policy", "role:", "collection:events", "everything"} {
		var ae *AllowanceError
		if _, err := ParseAllowance(v); !errors.As(err, &ae) {
			t.Errorf("%q: want *AllowanceError, got %v", v, err)
		}
	}
	if a, err := ParseAllowance(""); err != nil || a.Allows(Change{Destructive: true, Role: "x"}) {
		t.Errorf("empty allows nothing destructive: %v", err)
	}
}

func TestSummary(t *testing.T) {
	s := committedSet(t)
	for _, tc := range []struct{ policy, perm, want string }{
		{"org-admin", "entries update", "own org"},
		{"member", "events read", "member org"},
		{"member", "vehicles create", "all"},
		{"self", "directus_users read", "self"},
		{"self", "organization_users read", "own"},
		{"participant", "entries read", "own entry + own org"},
		{"participant", "entries update", "own entry + own org + starts_at > now + status = draft"},
		{"participant", "entries create", "own org + starts_at > now"},
	} {
		var got string
		for _, p := range s.Policy(tc.policy).Permissions {
			if p.Key() == tc.perm {
				got = Summary(p.Collection, tc.policy, p.Filter)
			}
		}
		if got != tc.want {
			t.Errorf("%s %s: got %q, want %q", tc.policy, tc.perm, got, tc.want)
		}
	}
}
