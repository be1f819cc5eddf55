package extensions

import (
	"net/http"
	"net/url"
	"testing"

	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
)

// member is a person who signs in with the member role (access/access.yaml,
// applied at boot) and has a role in an organisation: what they may do is
// what the Phase 4 policies give that role there.
type member struct {
	id string
	c  *directusctl.Client
}

// newMember creates a person with the member role and, when org is not
// empty, role in org; baseURL is the instance they call.
func newMember(t testing.TB, admin *directusctl.Client, baseURL, org, role string) member {
	t.Helper()
	roles, err := admin.ListRoles(bg, url.Values{"filter": {`{"name":{"_eq":"member"}}`}})
	if err != nil || len(roles) != 1 {
		t.Fatalf("the member role: %v %v", roles, err)
	}
	n := unique()
	token := "trm-test-member-token-" + n
	var u struct {
		ID string `json:"id"`
	}
	if err := admin.Do(bg, http.MethodPost, "/users", nil, map[string]any{"email": "member" + n + "@example.com", "password": "pw-" + n,
		"token": token, "role": roles[0].ID, "first_name": role, "last_name": n}, &u); err != nil {
		t.Fatal(err)
	}
	if org != "" {
		create(t, admin, "organization_users", map[string]any{"organization_id": org, "user_id": u.ID, "role": role})
	}
	c, err := directusctl.NewClient(baseURL, directusctl.WithToken(token))
	if err != nil {
		t.Fatal(err)
	}
	return member{id: u.ID, c: c}
}

// forbiddenWith checks a 403 FORBIDDEN, with exactly message unless it is
// empty (Directus's own refusals).
func forbiddenWith(t testing.TB, err error, message string) {
	t.Helper()
	r := refusalOf(t, err)
	if r.Status != http.StatusForbidden || r.Code != directusctl.CodeForbidden {
		t.Errorf("want 403 FORBIDDEN, got %d %s: %s", r.Status, r.Code, r.Message)
	}
	if message != "" && r.Message != message {
		t.Errorf("the message\n  got  %q\n  want %q", r.Message, message)
	}
}
