package access

import (
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"git.dev.trmtracking.org/trm/directus/lib/snapshot"
)

var (
	catOnce sync.Once
	catVal  *Catalog
	catErr  error
)

// committedCatalog is the catalog of the committed schema snapshot.
func committedCatalog(t testing.TB) *Catalog {
	t.Helper()
	catOnce.Do(func() {
		var s *snapshot.Snapshot
		s, catErr = snapshot.ReadFile("../../snapshots/schema.yaml")
		if catErr == nil {
			catVal = NewCatalog(s)
		}
	})
	if catErr != nil {
		t.Fatal(catErr)
	}
	return catVal
}

// committedSet reads the repository's access files.
func committedSet(t testing.TB) *Set {
	t.Helper()
	s, err := ReadDir("../../access")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

const mainYAML = `administrator: {role: Administrator, policy: Administrator}
public: {permissions: {}}
admin_only: [organizations, organization_users, organization_vehicles, organization_devices, vehicles, devices, classes, stages, segments, geofences, waypoints, speed_limit_zones, entry_crew, entry_devices, penalty_formulas, entry_segment_starts, entry_crossings, entry_penalties, control_closing_times, stage_results]
roles:
  member: {icon: badge, policies: [staff]}
`

// smallFS is a valid access folder whose policy file is policy.
func smallFS(policy string) fstest.MapFS {
	return fstest.MapFS{
		"access.yaml":         {Data: []byte(mainYAML)},
		"policies/staff.yaml": {Data: []byte(policy)},
	}
}

const staffYAML = `name: staff
icon: badge
app_access: true
permissions:
  events:
    read:
      filter: {organization_id: {members: {role: {_eq: staff}, user_id: {_eq: $CURRENT_USER}}}}
      fields: ['*']
  entries:
    read:
      filter: {event_id: {organization_id: {members: {user_id: {_eq: $CURRENT_USER}}}}}
      fields: [id, race_number]
`

// problems reads and validates fsys and returns the problems as text.
func problems(t *testing.T, fsys fstest.MapFS) string {
	t.Helper()
	s, err := Read(fsys, "access")
	if err == nil {
		err = Validate(s, committedCatalog(t))
	}
	if err == nil {
		return ""
	}
	pe, ok := err.(*ProblemsError)
	if !ok {
		t.Fatalf("want *ProblemsError, got %T: %v", err, err)
	}
	var lines []string
	for _, p := range pe.Problems {
		lines = append(lines, p.String())
	}
	return strings.Join(lines, "\n")
}
