package access

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

func TestCommittedFilesAreValidCanonicalAndMatchTheMatrix(t *testing.T) {
	s := committedSet(t)
	cat := committedCatalog(t)
	if err := Validate(s, cat); err != nil {
		t.Fatalf("the committed access files do not validate against snapshots/schema.yaml:\n%v", err)
	}
	files, err := Files(s)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join("../../access", filepath.FromSlash(name)))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("access/%s is not in the canonical layout: rewrite it with `trmctl access fmt`", name)
		}
	}
	got, err := os.ReadFile("../../docs/access-matrix.md")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, Matrix(s, cat)) {
		t.Error("docs/access-matrix.md differs from what access/ says: regenerate it with `trmctl access matrix`")
	}
}

func TestSmallFolderIsValid(t *testing.T) {
	if p := problems(t, smallFS(staffYAML)); p != "" {
		t.Fatalf("want no problem, got:\n%s", p)
	}
}

// Each case breaks the small folder in one way; the problem must name the
// file, the line and what to do.
func TestValidateNamesFileLineAndFix(t *testing.T) {
	for _, tc := range []struct {
		name   string
		policy string
		want   []string
	}{
		{
			name:   "unknown collection",
			policy: strings.Replace(staffYAML, "  events:", "  evnts:", 1),
			want:   []string{"access/policies/staff.yaml:6:", "evnts read: no collection evnts in the committed schema snapshot"},
		},
		{
			name:   "unknown field in a field list",
			policy: strings.Replace(staffYAML, "[id, race_number]", "[id, race_numbr]", 1),
			want:   []string{"access/policies/staff.yaml:12:15:", `unknown field "race_numbr"`},
		},
		{
			name:   "unknown field in a filter, with its path",
			policy: strings.Replace(staffYAML, "{members: {role:", "{membrs: {role:", 1),
			want:   []string{"access/policies/staff.yaml:7:15:", `organization_id.membrs: unknown field "membrs" of organizations`},
		},
		{
			name:   "_some below the first relation",
			policy: strings.Replace(staffYAML, "{event_id: {organization_id: {members: {user_id: {_eq: $CURRENT_USER}}}}}", "{event_id: {organization_id: {members: {_some: {user_id: {_eq: $CURRENT_USER}}}}}}", 1),
			want:   []string{"_some is refused below the first relation", "matches every row"},
		},
		{
			name:   "$FOLLOW",
			policy: strings.Replace(staffYAML, "{members: {role:", "{'$FOLLOW(organization_users,organization_id)': {role:", 1),
			want:   []string{"$FOLLOW(...) is refused", "500"},
		},
		{
			name:   "unknown operator",
			policy: strings.Replace(staffYAML, "role: {_eq: staff}", "role: {_equals: staff}", 1),
			want:   []string{"unknown operator _equals"},
		},
		{
			name:   "unknown dynamic variable",
			policy: strings.Replace(staffYAML, "role: {_eq: staff}, user_id: {_eq: $CURRENT_USER}", "user_id: {_eq: $CURRENT_USR}", 1),
			want:   []string{`"$CURRENT_USR" is not a dynamic variable`},
		},
		{
			name:   "unknown action",
			policy: strings.Replace(staffYAML, "    read:\n      filter: {event_id", "    view:\n      filter: {event_id", 1),
			want:   []string{"access/policies/staff.yaml:10:5:", `unknown key "view" (known: create, read, update, delete, share)`},
		},
		{
			name:   "file named after another policy",
			policy: strings.Replace(staffYAML, "name: staff", "name: stuff", 1),
			want:   []string{`the policy is named "stuff" but its file is staff.yaml`},
		},
		{
			name:   "a key given twice",
			policy: strings.Replace(staffYAML, "icon: badge", "icon: badge\nicon: flag", 1),
			want:   []string{"access/policies/staff.yaml:3:1:", `"icon" is given twice`},
		},
		{
			name:   "malformed YAML",
			policy: "name: [staff",
			want:   []string{"access/policies/staff.yaml: not YAML"},
		},
		{
			name:   "a create rule that does not start at a many-to-one field",
			policy: staffYAML + "    create:\n      filter: {race_number: {_gt: 0}}\n      fields: [event_id, class_id, race_number]\n",
			want:   []string{"a create rule checks the items the new one points at; race_number is not a many-to-one field"},
		},
		{
			name:   "an update that can move the item out of its organisation",
			policy: staffYAML + "    update:\n      filter: {event_id: {organization_id: {members: {user_id: {_eq: $CURRENT_USER}}}}}\n      fields: [event_id, race_number]\n",
			want:   []string{"the filter reads event_id, which the update may change"},
		},
		{
			name:   "admin access on a policy",
			policy: strings.Replace(staffYAML, "app_access: true", "app_access: true\nadmin_access: true", 1),
			want:   []string{"admin_access is reserved to the administrator policy"},
		},
		{
			name:   "every field of directus_users",
			policy: staffYAML + "  directus_users:\n    read:\n      filter: {id: {_eq: $CURRENT_USER}}\n      fields: ['*']\n",
			want:   []string{"list directus_users's fields one by one"},
		},
		{
			name:   "a secret of directus_users",
			policy: staffYAML + "  directus_users:\n    read:\n      filter: {id: {_eq: $CURRENT_USER}}\n      fields: [id, token]\n",
			want:   []string{"token is a secret"},
		},
		{
			name:   "a user changing their own role",
			policy: staffYAML + "  directus_users:\n    update:\n      filter: {id: {_eq: $CURRENT_USER}}\n      fields: [first_name, role]\n",
			want:   []string{"role decides what the person may do"},
		},
		{
			name:   "a write of an access key",
			policy: staffYAML + "  organizations:\n    update:\n      filter: {members: {user_id: {_eq: $CURRENT_USER}}}\n      fields: [name, access_staff]\n",
			want:   []string{"access_staff is an access key the database keeps", "nobody writes it"},
		},
		{
			name:   "a create naming an entry's access key",
			policy: staffYAML + "    create:\n      filter: {event_id: {organization_id: {members: {user_id: {_eq: $CURRENT_USER}}}}}\n      fields: [event_id, class_id, race_number, access_crew]\n",
			want:   []string{"access_crew is an access key the database keeps"},
		},
		{
			name:   "validation following a relation",
			policy: staffYAML + "    create:\n      filter: {event_id: {organization_id: {members: {user_id: {_eq: $CURRENT_USER}}}}}\n      validation: {event_id: {organization_id: {_nnull: true}}}\n      fields: ['*']\n",
			want:   []string{"validation checks the payload, which holds only event_id's key"},
		},
		{
			name:   "a read without the primary key",
			policy: strings.Replace(staffYAML, "[id, race_number]", "[race_number]", 1),
			want:   []string{"list the primary key id among the fields"},
		},
		{
			name:   "a system collection the files do not support",
			policy: staffYAML + "  directus_files:\n    read:\n      fields: ['*']\n",
			want:   []string{"the system collection directus_files is not supported"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := problems(t, smallFS(tc.policy))
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("want a problem containing %q, got:\n%s", w, got)
				}
			}
		})
	}
}

func TestValidateMainFile(t *testing.T) {
	for _, tc := range []struct {
		name, main string
		want       []string
	}{
		{"a collection left to Directus's default", strings.Replace(mainYAML, "classes, ", "", 1), []string{"no decision for classes"}},
		{"admin only and granted", strings.Replace(mainYAML, "stage_results]", "stage_results, events]", 1), []string{"admin_only lists events, but a policy grants it"}},
		{"a role naming a missing policy", strings.Replace(mainYAML, "[staff]", "[staff, judge]", 1), []string{"access/access.yaml:5:", `no policy "judge"`}},
		{"the administrator declared as a role", mainYAML + "  Administrator: {icon: verified, policies: [staff]}\n", []string{`role "Administrator" is the administrator role`}},
		{"a missing part", strings.Replace(mainYAML, "public: {permissions: {}}\n", "", 1), []string{"public is missing"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := smallFS(staffYAML)
			fsys["access.yaml"] = &fstest.MapFile{Data: []byte(tc.main)}
			got := problems(t, fsys)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("want a problem containing %q, got:\n%s", w, got)
				}
			}
		})
	}
}

// Directus applies the validations of all the permissions of a collection
// and action of every policy a person holds: two different ones on one
// role would apply to people they were not written for.
func TestValidateRefusesDifferentValidationsOnOneRole(t *testing.T) {
	fsys := smallFS(staffYAML + "    create:\n      filter: {event_id: {organization_id: {members: {user_id: {_eq: $CURRENT_USER}}}}}\n      validation: {status: {_eq: draft}}\n      fields: ['*']\n")
	fsys["access.yaml"] = &fstest.MapFile{Data: []byte(strings.Replace(mainYAML, "[staff]", "[staff, other]", 1))}
	fsys["policies/other.yaml"] = &fstest.MapFile{Data: []byte("name: other\nicon: badge\napp_access: false\npermissions:\n  entries:\n    create:\n      filter: {event_id: {organization_id: {members: {user_id: {_eq: $CURRENT_USER}}}}}\n      fields: ['*']\n")}
	got := problems(t, fsys)
	if !strings.Contains(got, "role member holds policies other and staff, which validate entries create differently") {
		t.Errorf("got:\n%s", got)
	}
}
