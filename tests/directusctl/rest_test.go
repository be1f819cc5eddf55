package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testdirectus"
)

func wantAPIError(t *testing.T, err error, status int, code string) *directusctl.APIError {
	t.Helper()
	var ae *directusctl.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("got %v, want an *APIError", err)
	}
	if ae.Status != status || ae.Code != code {
		t.Fatalf("got HTTP %d %s (%v), want HTTP %d %s", ae.Status, ae.Code, ae, status, code)
	}
	return ae
}

// One instance serves every subtest: each works on its own collections,
// roles and policies, and they run in order because the schema ones build
// on each other.
func TestREST(t *testing.T) {
	t.Parallel()
	db := pg.New(t)
	inst := testdirectus.Start(t, db)
	c := inst.Client()

	t.Run("health", func(t *testing.T) {
		ctx := timeout(t, 30*time.Second)
		if err := c.WaitHealthy(ctx); err != nil {
			t.Fatal(err)
		}
		h, err := c.Health(ctx)
		if err != nil || h.Status != "ok" && h.Status != "warn" {
			t.Fatalf("health %+v, %v", h, err)
		}
	})

	t.Run("an unhealthy instance: WaitHealthy says what it last heard", func(t *testing.T) {
		// The health check writes a file into the upload folder; a file
		// in its place makes the check fail even for root.
		uploads := filepath.Join(inst.Dir, "uploads")
		if err := os.Rename(uploads, uploads+".away"); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(uploads, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		h, err := c.Health(timeout(t, 30*time.Second))
		if err != nil || h.Status != "error" || h.Healthy() {
			t.Fatalf("health with a broken upload folder: %+v, %v; want status error", h, err)
		}
		err = c.WaitHealthy(timeout(t, 1500*time.Millisecond))
		var nh *directusctl.NotHealthyError
		if !errors.As(err, &nh) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("got %v, want a *NotHealthyError wrapping the deadline", err)
		}
		t.Logf("WaitHealthy: %v", err)
		if !strings.Contains(nh.Last, "status error") || !strings.Contains(nh.Last, "storage:local") {
			t.Fatalf("the last answer: %q", nh.Last)
		}
		if err := os.Remove(uploads); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(uploads+".away", uploads); err != nil {
			t.Fatal(err)
		}
		if err := c.WaitHealthy(timeout(t, 30*time.Second)); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("no server at all: WaitHealthy reports the refusal", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		gone, err := directusctl.NewClient("http://" + addr)
		if err != nil {
			t.Fatal(err)
		}
		err = gone.WaitHealthy(timeout(t, 500*time.Millisecond))
		var nh *directusctl.NotHealthyError
		if !errors.As(err, &nh) || !strings.Contains(nh.Last, "connection refused") {
			t.Fatalf("got %v", err)
		}
	})

	t.Run("login with the admin's email and password", func(t *testing.T) {
		ctx := timeout(t, 30*time.Second)
		anon, err := directusctl.NewClient(inst.URL)
		if err != nil {
			t.Fatal(err)
		}
		wantAPIError(t, func() error { _, err := anon.Snapshot(ctx); return err }(), http.StatusForbidden, directusctl.CodeForbidden)
		err = anon.Login(ctx, testdirectus.AdminEmail, "not-the-password")
		wantAPIError(t, err, http.StatusUnauthorized, directusctl.CodeInvalidCredentials)
		if err := anon.Login(ctx, testdirectus.AdminEmail, testdirectus.AdminPassword); err != nil {
			t.Fatal(err)
		}
		// The access token is kept: the admin-only snapshot now works.
		if _, err := anon.Snapshot(ctx); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("a wrong token is a 401 that does not repeat the token", func(t *testing.T) {
		const bad = "not-a-token-3f9c1e"
		wrong, err := directusctl.NewClient(inst.URL, directusctl.WithToken(bad))
		if err != nil {
			t.Fatal(err)
		}
		_, err = wrong.Snapshot(timeout(t, 30*time.Second))
		ae := wantAPIError(t, err, http.StatusUnauthorized, directusctl.CodeInvalidCredentials)
		if ae.Method != http.MethodGet || ae.Path != "/schema/snapshot" || strings.Contains(err.Error(), bad) {
			t.Fatalf("the error: %v (%+v)", err, ae)
		}
	})

	var snap json.RawMessage
	t.Run("diff of the instance's own snapshot is nil", func(t *testing.T) {
		ctx := timeout(t, 30*time.Second)
		var err error
		if snap, err = c.Snapshot(ctx); err != nil {
			t.Fatal(err)
		}
		d, err := c.Diff(ctx, snap, false)
		if err != nil || d != nil {
			t.Fatalf("diff of the same snapshot: %+v, %v; want nil, nil", d, err)
		}
	})
	if snap == nil {
		t.FailNow()
	}

	t.Run("diff, apply, snapshot shows the new collection", func(t *testing.T) {
		ctx := timeout(t, time.Minute)
		d, err := c.Diff(ctx, withCollection(t, snap, "rest_items"), false)
		if err != nil || d == nil {
			t.Fatalf("diff with a new collection: %+v, %v", d, err)
		}
		// Directus 11.13+ refuses an apply without diff.systemFields; the
		// client fills it in.
		var parts map[string]json.RawMessage
		if err := json.Unmarshal(d.Diff, &parts); err != nil {
			t.Fatal(err)
		}
		delete(parts, "systemFields")
		withoutSystemFields, _ := json.Marshal(parts)
		err = c.Do(ctx, http.MethodPost, "/schema/apply", nil, map[string]any{"hash": d.Hash, "diff": json.RawMessage(withoutSystemFields)}, nil)
		ae := wantAPIError(t, err, http.StatusBadRequest, directusctl.CodeInvalidPayload)
		if !strings.Contains(ae.Message, "systemFields") {
			t.Errorf("Directus refused for another reason: %v", ae)
		}
		if err := c.Apply(ctx, &directusctl.SchemaDiff{Hash: d.Hash, Diff: withoutSystemFields}); err != nil {
			t.Fatal(err)
		}
		after, err := c.Snapshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(collectionNames(t, after), "rest_items") {
			t.Fatalf("the snapshot after apply lacks rest_items: %v", collectionNames(t, after))
		}
		if d, err := c.Diff(ctx, after, false); err != nil || d != nil {
			t.Fatalf("diff of the snapshot after apply: %+v, %v; want nil, nil", d, err)
		}
		if err := c.Apply(ctx, nil); err != nil {
			t.Fatalf("applying no difference: %v", err)
		}
	})

	t.Run("the REST snapshot is the CLI's", func(t *testing.T) {
		ctx := timeout(t, time.Minute)
		rest, err := c.Snapshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "snapshot.json")
		if _, err := inst.CLI.Run(ctx, "schema", "snapshot", "--format", "json", "--yes", path); err != nil {
			t.Fatal(err)
		}
		cliJSON, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var a, b any
		if err := json.Unmarshal(rest, &a); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(cliJSON, &b); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("REST and CLI snapshots differ:\nREST collections %v\nCLI collections  %v", collectionNames(t, rest), collectionNames(t, cliJSON))
		}
		if !slices.Contains(collectionNames(t, rest), "rest_items") {
			t.Fatal("neither shows rest_items")
		}
	})

	t.Run("a stale diff is refused with a typed error", func(t *testing.T) {
		ctx := timeout(t, time.Minute)
		base, err := c.Snapshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		first, err := c.Diff(ctx, withCollection(t, base, "stale_a"), false)
		if err != nil {
			t.Fatal(err)
		}
		second, err := c.Diff(ctx, withCollection(t, base, "stale_b"), false)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Apply(ctx, second); err != nil {
			t.Fatal(err)
		}
		err = c.Apply(ctx, first)
		var stale *directusctl.StaleDiffError
		if !errors.As(err, &stale) {
			t.Fatalf("got %v, want a *StaleDiffError", err)
		}
		wantAPIError(t, err, http.StatusBadRequest, directusctl.CodeInvalidPayload)
		// And the stale diff changed nothing.
		after, err := c.Snapshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if slices.Contains(collectionNames(t, after), "stale_a") {
			t.Fatal("the stale diff was applied")
		}
	})

	t.Run("another Directus version needs force", func(t *testing.T) {
		ctx := timeout(t, 30*time.Second)
		other := bytes.Replace(snap, []byte(`"directus":"`+directusVersion+`"`), []byte(`"directus":"11.0.0"`), 1)
		if bytes.Equal(other, snap) {
			t.Fatalf("no directus version in the snapshot: %.200s", snap)
		}
		_, err := c.Diff(ctx, other, false)
		wantAPIError(t, err, http.StatusBadRequest, directusctl.CodeInvalidPayload)
		d, err := c.Diff(ctx, other, true)
		if err != nil || d == nil {
			// The instance has rest_items and stale_b that snap lacks.
			t.Fatalf("forced diff: %+v, %v; want deletions", d, err)
		}
	})

	t.Run("a snapshot above the JSON body limit goes through", func(t *testing.T) {
		ctx := timeout(t, time.Minute)
		var s map[string]any
		if err := json.Unmarshal(withCollection(t, snap, "big_items"), &s); err != nil {
			t.Fatal(err)
		}
		cols := s["collections"].([]any)
		cols[len(cols)-1].(map[string]any)["meta"].(map[string]any)["note"] = strings.Repeat("n", 1_200_000)
		big, _ := json.Marshal(s)
		// Proof that the limit is real: the same document as a JSON body.
		err := c.Do(ctx, http.MethodPost, "/schema/diff", nil, json.RawMessage(big), nil)
		ae := wantAPIError(t, err, http.StatusBadRequest, directusctl.CodeInvalidPayload)
		if !strings.Contains(ae.Message, "too large") {
			t.Fatalf("a %d-byte JSON body: %v, want a refusal for its size", len(big), ae)
		}
		d, err := c.Diff(ctx, big, false)
		if err != nil || d == nil {
			t.Fatalf("diff of a %d-byte snapshot: %+v, %v", len(big), d, err)
		}
	})

	t.Run("items CRUD", func(t *testing.T) {
		ctx := timeout(t, 30*time.Second)
		// Without omitempty a zero id is sent, and Directus 11.17.4 then
		// creates item 0 but answers with another item.
		type item struct {
			ID   int    `json:"id,omitempty"`
			Name string `json:"name"`
		}
		var a, b item
		if err := c.CreateItem(ctx, "rest_items", map[string]any{"name": "alpha"}, &a); err != nil {
			t.Fatal(err)
		}
		if err := c.CreateItem(ctx, "rest_items", item{Name: "beta"}, &b); err != nil {
			t.Fatal(err)
		}
		if a.ID == 0 || b.ID == 0 || a.Name != "alpha" {
			t.Fatalf("created %+v %+v", a, b)
		}
		var list []item
		q := url.Values{"filter": {`{"name":{"_eq":"beta"}}`}, "fields": {"id,name"}}
		if err := c.ListItems(ctx, "rest_items", q, &list); err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0] != b {
			t.Fatalf("filtered list %+v, want [%+v]", list, b)
		}
		var got item
		if err := c.GetItem(ctx, "rest_items", strconv.Itoa(a.ID), nil, &got); err != nil || got != a {
			t.Fatalf("get %+v, %v", got, err)
		}
		if err := c.UpdateItem(ctx, "rest_items", strconv.Itoa(a.ID), map[string]any{"name": "gamma"}, &got); err != nil || got.Name != "gamma" {
			t.Fatalf("update %+v, %v", got, err)
		}
		if err := c.DeleteItem(ctx, "rest_items", strconv.Itoa(a.ID)); err != nil {
			t.Fatal(err)
		}
		// Directus does not tell a missing item from a forbidden one.
		err := c.GetItem(ctx, "rest_items", strconv.Itoa(a.ID), nil, &got)
		wantAPIError(t, err, http.StatusForbidden, directusctl.CodeForbidden)
		if err := c.DeleteItem(ctx, "rest_items", strconv.Itoa(b.ID)); err != nil {
			t.Fatal(err)
		}
		list = nil
		if err := c.ListItems(ctx, "rest_items", nil, &list); err != nil || len(list) != 0 {
			t.Fatalf("after deleting both: %+v, %v", list, err)
		}
	})

	t.Run("roles, policies, access and permissions", func(t *testing.T) {
		testAccessModel(t, inst, db)
	})

	t.Run("a CLI apply needs a system cache clear", func(t *testing.T) {
		ctx := timeout(t, 2*time.Minute)
		current, err := c.Snapshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "snapshot.json")
		if err := os.WriteFile(path, withCollection(t, current, "cache_items"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := inst.CLI.Apply(ctx, path); err != nil {
			t.Fatal(err)
		}
		var list []map[string]any
		err = c.ListItems(ctx, "cache_items", nil, &list)
		wantAPIError(t, err, http.StatusForbidden, directusctl.CodeForbidden)
		if err := c.ClearCache(ctx, false); err != nil {
			t.Fatal(err)
		}
		err = c.ListItems(ctx, "cache_items", nil, &list)
		wantAPIError(t, err, http.StatusForbidden, directusctl.CodeForbidden)
		if err := c.ClearCache(ctx, true); err != nil {
			t.Fatal(err)
		}
		if err := c.ListItems(ctx, "cache_items", nil, &list); err != nil {
			t.Fatalf("after clearing the system cache: %v", err)
		}
	})
}

func testAccessModel(t *testing.T, inst *testdirectus.Instance, db string) {
	ctx := timeout(t, time.Minute)
	c := inst.Client()

	policy, err := c.CreatePolicy(ctx, directusctl.Policy{Name: "Own items", Description: "reads the items it created", IPAccess: []string{"127.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	if policy.ID == "" || policy.Name != "Own items" || policy.AdminAccess || policy.Icon != "badge" || !slices.Equal(policy.IPAccess, []string{"127.0.0.1"}) {
		t.Fatalf("created policy %+v", policy)
	}
	role, err := c.CreateRole(ctx, directusctl.Role{Name: "Competitor"})
	if err != nil {
		t.Fatal(err)
	}
	access, err := c.CreateAccess(ctx, directusctl.Access{Role: role.ID, Policy: policy.ID})
	if err != nil {
		t.Fatal(err)
	}
	if access.ID == "" || access.Role != role.ID || access.User != "" || access.Policy != policy.ID {
		t.Fatalf("created access %+v", access)
	}
	const filter = `{"user_created":{"_eq":"$CURRENT_USER"}}`
	perm, err := c.CreatePermission(ctx, directusctl.Permission{
		Policy: policy.ID, Collection: "rest_items", Action: directusctl.ActionRead,
		Permissions: json.RawMessage(filter), Fields: []string{"*"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if perm.ID == 0 || !slices.Equal(perm.Fields, []string{"*"}) {
		t.Fatalf("created permission %+v", perm)
	}
	assertJSONEqual(t, "the answer's permissions", perm.Permissions, filter)
	// Stored as given: the variable is resolved per request, not on save.
	var stored string
	queryRow(t, db, "SELECT permissions FROM directus_permissions WHERE id = $1", []any{perm.ID}, &stored)
	assertJSONEqual(t, "the stored permissions", json.RawMessage(stored), filter)

	// Lists and updates.
	byPolicy := url.Values{"filter": {`{"policy":{"_eq":"` + policy.ID + `"}}`}}
	perms, err := c.ListPermissions(ctx, byPolicy)
	if err != nil || len(perms) != 1 || perms[0].ID != perm.ID {
		t.Fatalf("permissions of the policy: %+v, %v", perms, err)
	}
	if _, err := c.UpdatePermission(ctx, perm.ID, map[string]any{"fields": []string{"id", "name", "user_created"}}); err != nil {
		t.Fatal(err)
	}
	if p, err := c.UpdatePolicy(ctx, policy.ID, map[string]any{"description": "changed"}); err != nil || p.Description != "changed" || p.Name != "Own items" {
		t.Fatalf("updated policy %+v, %v", p, err)
	}
	if r, err := c.UpdateRole(ctx, role.ID, map[string]any{"icon": "flag"}); err != nil || r.Icon != "flag" {
		t.Fatalf("updated role %+v, %v", r, err)
	}
	roles, err := c.ListRoles(ctx, nil)
	if err != nil || !slices.ContainsFunc(roles, func(r directusctl.Role) bool { return r.ID == role.ID && r.Name == "Competitor" }) {
		t.Fatalf("roles %+v, %v", roles, err)
	}
	policies, err := c.ListPolicies(ctx, url.Values{"filter": {`{"name":{"_eq":"Own items"}}`}})
	if err != nil || len(policies) != 1 {
		t.Fatalf("policies %+v, %v", policies, err)
	}
	accesses, err := c.ListAccess(ctx, url.Values{"filter": {`{"role":{"_eq":"` + role.ID + `"}}`}})
	if err != nil || len(accesses) != 1 || accesses[0].Policy != policy.ID {
		t.Fatalf("access rows of the role: %+v, %v", accesses, err)
	}
	sort := 3
	if a, err := c.UpdateAccess(ctx, access.ID, directusctl.Access{Policy: policy.ID, Role: role.ID, Sort: &sort}); err != nil || a.Sort == nil || *a.Sort != 3 {
		t.Fatalf("updated access %+v, %v", a, err)
	}

	// The filter at work: a user of the role sees only their own items.
	var user struct {
		ID string `json:"id"`
	}
	const email, password = "rider@example.com", "rider-password"
	if err := c.Do(ctx, http.MethodPost, "/users", nil, map[string]any{"email": email, "password": password, "role": role.ID}, &user); err != nil {
		t.Fatal(err)
	}
	for _, owner := range []string{user.ID, "00000000-0000-4000-8000-000000000001"} {
		if err := c.CreateItem(ctx, "rest_items", map[string]any{"name": "owned", "user_created": owner}, nil); err != nil {
			t.Fatal(err)
		}
	}
	rider, err := directusctl.NewClient(inst.URL)
	if err != nil {
		t.Fatal(err)
	}
	if err := rider.Login(ctx, email, password); err != nil {
		t.Fatal(err)
	}
	var seen []struct {
		UserCreated string `json:"user_created"`
	}
	if err := rider.ListItems(ctx, "rest_items", nil, &seen); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 1 || seen[0].UserCreated != user.ID {
		t.Fatalf("the rider sees %+v, want only their own item", seen)
	}

	// In one request each: create several, delete several; empty lists
	// send nothing.
	batch := []directusctl.Permission{
		{Policy: policy.ID, Collection: "rest_items", Action: directusctl.ActionCreate, Fields: []string{"name"}},
		{Policy: policy.ID, Collection: "rest_items", Action: directusctl.ActionDelete, Permissions: json.RawMessage(filter)},
	}
	if err := c.CreatePermissions(ctx, batch); err != nil {
		t.Fatal(err)
	}
	perms, err = c.ListPermissions(ctx, byPolicy)
	if err != nil || len(perms) != 3 {
		t.Fatalf("permissions after the batch create: %+v, %v", perms, err)
	}
	var made []int
	for _, p := range perms {
		if p.ID != perm.ID {
			made = append(made, p.ID)
		}
	}
	if err := c.DeletePermissions(ctx, made); err != nil {
		t.Fatal(err)
	}
	if err := c.CreatePermissions(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.DeletePermissions(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if perms, err := c.ListPermissions(ctx, byPolicy); err != nil || len(perms) != 1 {
		t.Fatalf("permissions after the batch delete: %+v, %v", perms, err)
	}

	// Deleting the policy takes its permissions and access rows with it.
	if err := c.DeletePermission(ctx, perm.ID); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteAccess(ctx, access.ID); err != nil {
		t.Fatal(err)
	}
	if err := c.DeletePolicy(ctx, policy.ID); err != nil {
		t.Fatal(err)
	}
	if err := c.Do(ctx, http.MethodDelete, "/users/"+user.ID, nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteRole(ctx, role.ID); err != nil {
		t.Fatal(err)
	}
	if perms, err := c.ListPermissions(ctx, byPolicy); err != nil || len(perms) != 0 {
		t.Fatalf("permissions after delete: %+v, %v", perms, err)
	}
	if policies, err := c.ListPolicies(ctx, url.Values{"filter": {`{"id":{"_eq":"` + policy.ID + `"}}`}}); err != nil || len(policies) != 0 {
		t.Fatalf("policies after delete: %+v, %v", policies, err)
	}
	if roles, err := c.ListRoles(ctx, url.Values{"filter": {`{"id":{"_eq":"` + role.ID + `"}}`}}); err != nil || len(roles) != 0 {
		t.Fatalf("roles after delete: %+v, %v", roles, err)
	}
}

func assertJSONEqual(t *testing.T, what string, got json.RawMessage, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%s: %v (%s)", what, err, got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("%s: %s, want %s", what, got, want)
	}
}
