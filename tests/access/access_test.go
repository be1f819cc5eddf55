package access

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"git.dev.trmtracking.org/trm/directus/internal/access"
	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testdirectus"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testenv"
)

var ctx = context.Background()

// TestAccess runs every part on one Directus, in order: each part after
// the first needs the access model applied.
func TestAccess(t *testing.T) {
	files, cat := committed(t)
	start := time.Now()
	dbURL := pg.New(t)
	// Without the boot's access apply: the round trip applies the files
	// through the REST API to an instance that has none of them.
	testdirectus.Provision(t, dbURL, "TRM_ACCESS_APPLY=skip")
	inst := testdirectus.Start(t, dbURL, testdirectus.WithoutBootstrap(),
		testdirectus.WithEnv("EXTENSIONS_PATH="+testenv.Path(t, "extensions")))
	t.Logf("provisioned and started Directus in %s", time.Since(start).Round(time.Millisecond))
	env := map[string]string{"TRM_DIRECTUS_URL": inst.URL, "TRM_DIRECTUS_TOKEN": inst.Token}
	c := inst.Client()

	if !t.Run("round trip: apply on a fresh instance, pull gives the files back", func(t *testing.T) {
		roundTrip(t, env, c, files)
	}) {
		t.FailNow()
	}
	t.Run("a second apply changes nothing", func(t *testing.T) { secondApply(t, env, c, files) })
	t.Run("a removal people would feel is refused without an allowance", func(t *testing.T) { removal(t, env, c, files) })
	t.Run("drift shows in diff and apply repairs it", func(t *testing.T) { drift(t, env, c) })
	t.Run("bad files are refused with file and line", func(t *testing.T) { badFiles(t, env) })
	t.Run("isolation matrix", func(t *testing.T) { isolationMatrix(t, inst, dbURL, files, cat) })
}

// noSecret fails when an output shows the admin token.
func noSecret(t *testing.T, outputs ...string) {
	t.Helper()
	for _, o := range outputs {
		if strings.Contains(o, testdirectus.AdminToken) {
			t.Errorf("an output shows the token:\n%s", o)
		}
	}
}

func roundTrip(t *testing.T, env map[string]string, c *directusctl.Client, files *access.Set) {
	code, out, errOut := trmctl(t, env, "access", "diff")
	noSecret(t, out, errOut)
	if code != 1 || !strings.Contains(out, "create role member") || !strings.Contains(out, "create permission org-admin: entries create") {
		t.Fatalf("diff on a fresh instance: exit %d, want 1 with the creations\n%s%s", code, out, errOut)
	}
	code, out, errOut = trmctl(t, env, "access", "apply")
	noSecret(t, out, errOut)
	if code != 0 || !strings.Contains(out, "the instance now matches the files") {
		t.Fatalf("apply: exit %d\n%s%s", code, out, errOut)
	}
	t.Logf("apply on a fresh instance: %s", lastLine(out))

	dir := t.TempDir()
	code, out, errOut = trmctl(t, env, "access", "pull", "--output", dir)
	if code != 0 {
		t.Fatalf("pull: exit %d\n%s%s", code, out, errOut)
	}
	want, err := access.Files(files)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			got[filepath.ToSlash(rel)] = true
		}
		return nil
	})
	for name, b := range want {
		pulled, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil {
			t.Errorf("pull wrote no %s", name)
			continue
		}
		committed, err := os.ReadFile(testenv.Path(t, filepath.Join("access", filepath.FromSlash(name))))
		if err != nil {
			t.Fatal(err)
		}
		if string(pulled) != string(b) || string(pulled) != string(committed) {
			t.Errorf("pulled %s differs from the committed file:\n%s", name, pulled)
		}
		delete(got, name)
	}
	for extra := range got {
		t.Errorf("pull wrote %s, which the files do not have", extra)
	}
}

func secondApply(t *testing.T, env map[string]string, c *directusctl.Client, files *access.Set) {
	code, out, errOut := trmctl(t, env, "access", "apply", "--json")
	noSecret(t, out, errOut)
	var doc struct {
		Applied int               `json:"applied"`
		Changes []json.RawMessage `json:"changes"`
		DryRun  bool              `json:"dry_run"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &doc) != nil || doc.Applied != 0 || len(doc.Changes) != 0 {
		t.Fatalf("second apply: exit %d, want 0 with nothing applied\n%s%s", code, out, errOut)
	}
	res, err := access.Reconcile(ctx, access.REST(c), files, access.ReconcileOptions{})
	if err != nil || res.Applied != 0 || !res.Plan.Empty() {
		t.Fatalf("Reconcile again: %+v, %v", res, err)
	}
	if code, out, _ := trmctl(t, env, "access", "diff"); code != 0 || !strings.Contains(out, "No difference") {
		t.Errorf("diff after apply: exit %d\n%s", code, out)
	}
}

func removal(t *testing.T, env map[string]string, c *directusctl.Client, files *access.Set) {
	role, err := c.CreateRole(ctx, directusctl.Role{Name: "judge", Icon: "gavel"})
	if err != nil {
		t.Fatal(err)
	}
	pol, err := c.CreatePolicy(ctx, directusctl.Policy{Name: "old-viewer", Icon: "visibility"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreatePermission(ctx, directusctl.Permission{Policy: pol.ID, Collection: "events", Action: "read", Fields: []string{"*"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateAccess(ctx, directusctl.Access{Role: role.ID, Policy: pol.ID}); err != nil {
		t.Fatal(err)
	}
	var user struct {
		ID string `json:"id"`
	}
	if err := c.Do(ctx, http.MethodPost, "/users", nil, map[string]any{"email": "judge@example.com", "password": "judge-password-1", "role": role.ID}, &user); err != nil {
		t.Fatal(err)
	}

	// What boot calls: refused without an allowance, a dry run with one
	// changes nothing either.
	var refused *access.RefusedError
	if _, err := access.Reconcile(ctx, access.REST(c), files, access.ReconcileOptions{}); !errors.As(err, &refused) || refused.AllowValue() != "role:judge" {
		t.Fatalf("Reconcile without an allowance: want *RefusedError allowing role:judge, got %v", err)
	}
	allowJudge, _ := access.ParseAllowance("role:judge")
	if res, err := access.Reconcile(ctx, access.REST(c), files, access.ReconcileOptions{Allow: allowJudge, DryRun: true}); err != nil || res.Applied != 0 || len(res.Plan.Changes) != 2 {
		t.Fatalf("Reconcile dry run: %+v, %v", res, err)
	}

	code, out, _ := trmctl(t, env, "access", "diff")
	if code != 1 || !strings.Contains(out, "! delete role judge") || !strings.Contains(out, "TRM_ALLOW_ACCESS_REMOVAL=role:judge") {
		t.Errorf("diff: exit %d, want 1 marking the removal\n%s", code, out)
	}
	for _, allow := range []string{"", "policy:old-viewer", "role:someone-else"} {
		e := map[string]string{"TRM_ALLOW_ACCESS_REMOVAL": allow}
		for k, v := range env {
			e[k] = v
		}
		code, out, errOut := trmctl(t, e, "access", "apply")
		if code != 1 || !strings.Contains(out, "refused") || !strings.Contains(out, "TRM_ALLOW_ACCESS_REMOVAL=role:judge") {
			t.Errorf("apply with allowance %q: exit %d, want 1 refused\n%s%s", allow, code, out, errOut)
		}
		if roles, err := c.ListRoles(ctx, url.Values{"filter": {`{"name":{"_eq":"judge"}}`}}); err != nil || len(roles) != 1 {
			t.Fatalf("a refused apply changed something: roles %v, %v", roles, err)
		}
		if perms, err := c.ListPermissions(ctx, url.Values{"filter": {`{"policy":{"_eq":"` + pol.ID + `"}}`}}); err != nil || len(perms) != 1 {
			t.Fatalf("a refused apply changed something: permissions %v, %v", perms, err)
		}
	}
	e := map[string]string{"TRM_ALLOW_ACCESS_REMOVAL": "role:judge"}
	for k, v := range env {
		e[k] = v
	}
	code, out, errOut := trmctl(t, e, "access", "apply")
	if code != 0 || !strings.Contains(out, "delete role judge") || !strings.Contains(out, "delete policy old-viewer") {
		t.Fatalf("apply allowed: exit %d\n%s%s", code, out, errOut)
	}
	if roles, _ := c.ListRoles(ctx, url.Values{"filter": {`{"name":{"_eq":"judge"}}`}}); len(roles) != 0 {
		t.Errorf("role judge is still there")
	}
	if pols, _ := c.ListPolicies(ctx, url.Values{"filter": {`{"name":{"_eq":"old-viewer"}}`}}); len(pols) != 0 {
		t.Errorf("policy old-viewer is still there")
	}
	if err := c.Do(ctx, http.MethodGet, "/users/"+user.ID, nil, nil, nil); err != nil {
		t.Errorf("the judge's account must stay, without the role: %v", err)
	}
	if code, out, _ := trmctl(t, env, "access", "diff"); code != 0 {
		t.Errorf("diff after the allowed apply: exit %d\n%s", code, out)
	}
}

func drift(t *testing.T, env map[string]string, c *directusctl.Client) {
	pols, err := c.ListPolicies(ctx, url.Values{"filter": {`{"name":{"_eq":"org-admin"}}`}})
	if err != nil || len(pols) != 1 {
		t.Fatalf("policy org-admin: %v %v", pols, err)
	}
	perms, err := c.ListPermissions(ctx, url.Values{"filter": {`{"policy":{"_eq":"` + pols[0].ID + `"},"collection":{"_eq":"devices"},"action":{"_eq":"read"}}`}})
	if err != nil || len(perms) != 1 {
		t.Fatalf("org-admin's devices read: %v %v", perms, err)
	}
	widened := `{"registrations":{"organization_id":{"members":{"user_id":{"_eq":"$CURRENT_USER"},"role":{"_eq":"viewer"}}}}}`
	if _, err := c.UpdatePermission(ctx, perms[0].ID, map[string]any{"permissions": json.RawMessage(widened)}); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := trmctl(t, env, "access", "diff", "--json")
	var doc struct {
		Changes []struct {
			Change  string `json:"change"`
			Details []struct{ Path, From, To string }
		} `json:"changes"`
	}
	if code != 1 || json.Unmarshal([]byte(out), &doc) != nil || len(doc.Changes) != 1 {
		t.Fatalf("diff --json: exit %d\n%s%s", code, out, errOut)
	}
	ch := doc.Changes[0]
	if ch.Change != "update permission org-admin: devices read" || len(ch.Details) != 1 ||
		ch.Details[0].Path != "filter.registrations.organization_id.members.role._eq" || ch.Details[0].From != `"viewer"` || ch.Details[0].To != `"org-admin"` {
		t.Errorf("the change should read as one filter leaf: %+v", ch)
	}
	if code, out, errOut := trmctl(t, env, "access", "apply"); code != 0 {
		t.Fatalf("apply: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, _ := trmctl(t, env, "access", "diff"); code != 0 {
		t.Errorf("diff after repair: exit %d\n%s", code, out)
	}
}

func badFiles(t *testing.T, env map[string]string) {
	dir := testenv.CopyTree(t, testenv.Path(t, "access"))
	p := filepath.Join(dir, "policies", "viewer.yaml")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(strings.Replace(string(b), "entry_crew:", "entry_crews:", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := trmctl(t, env, "access", "apply", "--access-dir", dir)
	if code != 2 || !strings.Contains(errOut, "policies/viewer.yaml:") || !strings.Contains(errOut, "no collection entry_crews") || !strings.Contains(errOut, "nothing was compared or applied") {
		t.Errorf("apply with a bad file: exit %d, want 2 naming the file\n%s%s", code, out, errOut)
	}
	noSecret(t, out, errOut)
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndex(s, "\n"); i >= 0 {
		return s[i+1:]
	}
	return s
}
