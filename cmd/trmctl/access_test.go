package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// accessCopy copies the repository's access files into a temporary folder
// and returns the flags that point trmctl at it and at the committed
// snapshot.
func accessCopy(t *testing.T) (dir string, flags []string) {
	t.Helper()
	dir = t.TempDir()
	for _, sub := range []string{"", "policies"} {
		entries, err := os.ReadDir(filepath.Join("../../access", sub))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if e.IsDir() {
				continue
			}
			b, err := os.ReadFile(filepath.Join("../../access", sub, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, sub, e.Name()), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir, []string{"--access-dir", dir, "--snapshot", "../../snapshots/schema.yaml"}
}

func edit(t *testing.T, path, old, new string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		t.Fatalf("%s has no %q", path, old)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestAccessMatrixCheck(t *testing.T) {
	_, flags := accessCopy(t)
	out := filepath.Join(t.TempDir(), "matrix.md")
	if r := runCLI(t, "", nil, false, append([]string{"access", "matrix", "--output", out, "--check"}, flags...)...); r.code != 1 || !strings.Contains(r.err, "is out of date") {
		t.Fatalf("a missing matrix: code %d, err %q", r.code, r.err)
	}
	if r := runCLI(t, "", nil, false, append([]string{"access", "matrix", "--output", out}, flags...)...); r.code != 0 {
		t.Fatalf("write: code %d, err %q", r.code, r.err)
	}
	if r := runCLI(t, "", nil, false, append([]string{"access", "matrix", "--output", out, "--check"}, flags...)...); r.code != 0 || !strings.Contains(r.out, "is up to date") {
		t.Fatalf("check after write: code %d, out %q err %q", r.code, r.out, r.err)
	}
}

func TestAccessFmtRewritesAndChecks(t *testing.T) {
	dir, flags := accessCopy(t)
	policy := filepath.Join(dir, "policies", "viewer.yaml")
	edit(t, policy, "icon: visibility", "icon:    visibility   # aligned by hand")
	if r := runCLI(t, "", nil, false, append([]string{"access", "fmt", "--check"}, flags...)...); r.code != 1 || !strings.Contains(r.err, "policies/viewer.yaml") {
		t.Fatalf("fmt --check: code %d, err %q", r.code, r.err)
	}
	if r := runCLI(t, "", nil, false, append([]string{"access", "fmt"}, flags...)...); r.code != 0 {
		t.Fatalf("fmt: code %d, err %q", r.code, r.err)
	}
	if r := runCLI(t, "", nil, false, append([]string{"access", "fmt", "--check"}, flags...)...); r.code != 0 {
		t.Fatalf("fmt --check after fmt: code %d, err %q", r.code, r.err)
	}
}

func TestAccessDiffOffline(t *testing.T) {
	dir, flags := accessCopy(t)
	if r := runCLI(t, "", nil, false, append([]string{"access", "diff", "--from", "../../access"}, flags...)...); r.code != 0 || !strings.Contains(r.out, "No difference") {
		t.Fatalf("identical folders: code %d, out %q err %q", r.code, r.out, r.err)
	}
	edit(t, filepath.Join(dir, "policies", "org-admin.yaml"), "{registrations: {organization_id: {members: {role: {_eq: org-admin}", "{registrations: {organization_id: {members: {role: {_eq: viewer}")
	r := runCLI(t, "", nil, false, append([]string{"access", "diff", "--from", "../../access", "--json"}, flags...)...)
	var doc struct {
		Changes []struct {
			Change  string
			Details []struct{ Path, From, To string }
		}
		Summary map[string]int
	}
	if r.code != 1 || json.Unmarshal([]byte(r.out), &doc) != nil {
		t.Fatalf("code %d, out %q err %q", r.code, r.out, r.err)
	}
	if len(doc.Changes) != 1 || doc.Changes[0].Change != "update permission org-admin: devices read" || doc.Summary["update"] != 1 ||
		len(doc.Changes[0].Details) != 1 || doc.Changes[0].Details[0].Path != "filter.registrations.organization_id.members.role._eq" {
		t.Fatalf("got %+v", doc)
	}
	text := runCLI(t, "", nil, true, append([]string{"access", "diff", "--from", "../../access"}, flags...)...)
	if !strings.Contains(text.out, "\x1b[33mupdate permission org-admin: devices read\x1b[0m") {
		t.Errorf("on a terminal the change is coloured:\n%q", text.out)
	}
	plain := runCLI(t, "", map[string]string{"NO_COLOR": "1"}, true, append([]string{"access", "diff", "--from", "../../access"}, flags...)...)
	if strings.Contains(plain.out, "\x1b[") {
		t.Errorf("NO_COLOR must turn colour off:\n%q", plain.out)
	}
}

func TestAccessRefusesBadFilesWithFileAndLine(t *testing.T) {
	dir, flags := accessCopy(t)
	edit(t, filepath.Join(dir, "policies", "staff-reads.yaml"), "  entry_crew:", "  entry_crews:")
	for _, cmd := range [][]string{{"diff", "--from", "../../access"}, {"apply"}, {"matrix", "--check"}, {"fmt"}} {
		r := runCLI(t, "", map[string]string{"TRM_DIRECTUS_TOKEN": "secret-token-value"}, false, append(append([]string{"access"}, cmd...), flags...)...)
		if r.code != 2 || !strings.Contains(r.err, filepath.Join(dir, "policies", "staff-reads.yaml")+":") || !strings.Contains(r.err, "no collection entry_crews") {
			t.Errorf("%v: code %d, err %q", cmd, r.code, r.err)
		}
		if strings.Contains(r.out+r.err, "secret-token-value") {
			t.Errorf("%v shows the token", cmd)
		}
	}
}

func TestAccessApplyUsageErrors(t *testing.T) {
	_, flags := accessCopy(t)
	for _, tc := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{map[string]string{"TRM_DIRECTUS_TOKEN": "t"}, []string{"--allow", "collection:events"}, `"collection:events" is not an allowance`},
		{map[string]string{"TRM_DIRECTUS_TOKEN": "t", "TRM_ALLOW_ACCESS_REMOVAL": "role"}, nil, `"role" is not an allowance`},
		{nil, nil, "no credentials"},
		{map[string]string{"TRM_DIRECTUS_TOKEN": "t"}, []string{"--directus-url", "ftp://x"}, "want an http or https URL"},
	} {
		r := runCLI(t, "", tc.env, false, append(append([]string{"access", "apply"}, tc.args...), flags...)...)
		if r.code != 2 || !strings.Contains(r.err, tc.want) {
			t.Errorf("%v %v: code %d, err %q", tc.env, tc.args, r.code, r.err)
		}
	}
}
