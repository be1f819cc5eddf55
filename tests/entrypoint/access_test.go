package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testdirectus"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testenv"
)

// One database, the committed schema and access files, through the life
// of its access model: the first boot applies it (and Directus enforces
// it), a warm boot stays on the fast path, changed files and a hand-made
// change take the full path and converge, and a removal people would feel
// is refused until an allowance names it.
func TestAccessAtBoot(t *testing.T) {
	dbURL := pg.New(t)
	conn := connect(t, dbURL)
	ctx := context.Background()
	accessDir := testenv.CopyTree(t, testenv.Path(t, "access"))
	reboot := func(t *testing.T, extra ...string) (int, string) {
		return boot(t, dbURL, append([]string{"TRM_ACCESS_DIR=" + accessDir}, extra...)...)
	}
	policyCount := func(name string) int {
		return queryInt(t, conn, "SELECT count(*) FROM directus_policies WHERE name = '"+name+"'")
	}

	t.Run("a fresh boot applies the access files and Directus enforces them", func(t *testing.T) {
		port := testenv.Port(t)
		r := startBoot(t, bootEnv(t, dbURL, port, true, "TRM_ACCESS_DIR="+accessDir))
		waitHealthy(t, r, port)
		if out := r.out.String(); !strings.Contains(out, "msg=access step=access") {
			t.Fatalf("log lacks the access step:\n%s", out)
		}
		for _, p := range []string{"member", "viewer", "org-admin", "self"} {
			if policyCount(p) != 1 {
				t.Errorf("policy %s: %d rows, want 1", p, policyCount(p))
			}
		}
		base := fmt.Sprintf("http://127.0.0.1:%d", port)
		admin, err := directusctl.NewClient(base, directusctl.WithToken(testdirectus.AdminToken))
		if err != nil {
			t.Fatal(err)
		}
		var member string
		if err := conn.QueryRow(ctx, "SELECT id::text FROM directus_roles WHERE name = 'member'").Scan(&member); err != nil {
			t.Fatal(err)
		}
		create := func(path string, body map[string]any) string {
			t.Helper()
			var out struct {
				ID any `json:"id"`
			}
			if err := admin.Do(ctx, http.MethodPost, path, nil, body, &out); err != nil {
				t.Fatalf("POST %s: %v", path, err)
			}
			return fmt.Sprint(out.ID)
		}
		own := create("/items/organizations", map[string]any{"name": "Own", "slug": "own"})
		create("/items/organizations", map[string]any{"name": "Other", "slug": "other"})
		const token = "viewer-static-token-0123456789"
		user := create("/users", map[string]any{"email": "viewer@example.com", "password": "viewer-password-1", "role": member, "token": token})
		create("/items/organization_users", map[string]any{"organization_id": own, "user_id": user, "role": "viewer"})

		viewer, err := directusctl.NewClient(base, directusctl.WithToken(token))
		if err != nil {
			t.Fatal(err)
		}
		var orgs []struct {
			Slug string `json:"slug"`
		}
		if err := viewer.Do(ctx, http.MethodGet, "/items/organizations", url.Values{"fields": {"slug"}}, nil, &orgs); err != nil {
			t.Fatalf("a viewer reads organisations: %v", err)
		}
		if len(orgs) != 1 || orgs[0].Slug != "own" {
			t.Errorf("the viewer sees %+v, want only their own organisation", orgs)
		}
		if err := viewer.Do(ctx, http.MethodPost, "/items/organizations", nil, map[string]any{"name": "Mine", "slug": "mine"}, nil); err == nil {
			t.Error("a viewer created an organisation")
		}
		anon, _ := directusctl.NewClient(base)
		if err := anon.Do(ctx, http.MethodGet, "/items/organizations", nil, nil, &orgs); err == nil {
			t.Errorf("anonymous reads organisations: %+v", orgs)
		}
		r.stop()
	})

	t.Run("an unchanged warm boot stays on the fast path", func(t *testing.T) {
		code, out := reboot(t)
		if code != 0 || !strings.Contains(out, `result="unchanged since the last boot"`) || strings.Contains(out, "step=access") {
			t.Fatalf("exit %d:\n%s", code, out)
		}
	})

	t.Run("a changed access file is applied on the next boot", func(t *testing.T) {
		edit(t, filepath.Join(accessDir, "policies", "viewer.yaml"), "description: 'Follows", "description: 'Changed at boot. Follows")
		code, out := reboot(t)
		if code != 0 || !strings.Contains(out, `reason="access files changed"`) || !strings.Contains(out, "msg=access step=access") || !strings.Contains(out, "update=1") {
			t.Fatalf("exit %d:\n%s", code, out)
		}
		if n := queryInt(t, conn, "SELECT count(*) FROM directus_policies WHERE name = 'viewer' AND description LIKE 'Changed at boot. %'"); n != 1 {
			t.Error("the viewer policy's description was not applied")
		}
		if code, out := reboot(t); code != 0 || !strings.Contains(out, `result="unchanged since the last boot"`) {
			t.Fatalf("the boot after: exit %d:\n%s", code, out)
		}
	})

	t.Run("a permission changed by hand takes the full path and is put back", func(t *testing.T) {
		if _, err := conn.Exec(ctx, `UPDATE directus_permissions SET fields = '*' WHERE id = (SELECT min(id) FROM directus_permissions WHERE fields <> '*')`); err != nil {
			t.Fatal(err)
		}
		code, out := reboot(t)
		if code != 0 || !strings.Contains(out, `reason="live access model changed since the last boot"`) || !strings.Contains(out, "update=1") {
			t.Fatalf("exit %d:\n%s", code, out)
		}
	})

	t.Run("removing a policy people hold is refused without an allowance", func(t *testing.T) {
		if err := os.Remove(filepath.Join(accessDir, "policies", "viewer.yaml")); err != nil {
			t.Fatal(err)
		}
		// Every role that gives it: member and non-participant.
		edit(t, filepath.Join(accessDir, "access.yaml"), ", viewer]", "]")
		edit(t, filepath.Join(accessDir, "access.yaml"), ", viewer]", "]")
		code, out := reboot(t)
		if code != 1 {
			t.Fatalf("exit %d, want 1:\n%s", code, out)
		}
		last := lastLine(out)
		for _, want := range []string{"step=access-plan", "nothing was applied", "TRM_ALLOW_ACCESS_REMOVAL=policy:viewer"} {
			if !strings.Contains(last, want) {
				t.Errorf("last line lacks %q: %s", want, last)
			}
		}
		if policyCount("viewer") != 1 {
			t.Error("the viewer policy is gone without an allowance")
		}
	})

	t.Run("naming the policy allows the removal", func(t *testing.T) {
		code, out := reboot(t, "TRM_ALLOW_ACCESS_REMOVAL=policy:viewer")
		if code != 0 || !strings.Contains(out, "msg=access step=access") {
			t.Fatalf("exit %d:\n%s", code, out)
		}
		if policyCount("viewer") != 0 {
			t.Error("the viewer policy survived")
		}
		if code, out := reboot(t); code != 0 || !strings.Contains(out, `result="unchanged since the last boot"`) {
			t.Fatalf("the boot after: exit %d:\n%s", code, out)
		}
	})
}

func edit(t *testing.T, path, old, new string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		t.Fatalf("%s lacks %q", path, old)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}
