package schema

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"git.dev.trmtracking.org/trm/directus/internal/boot"
	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
	"git.dev.trmtracking.org/trm/directus/lib/snapshot"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testdb"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testdirectus"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testenv"
)

var pg *testdb.Server

func TestMain(m *testing.M) { os.Exit(testdb.Main(m, &pg)) }

// TestSchema boots the committed schema on a fresh database exactly
// as the image does (snapshot, db-init pre and post), proves the live
// schema is the committed snapshot, then starts Directus with the
// repository's extensions and makes every rule of
// docs/data-model-phase1.md and docs/data-model-phase2.md refuse (and
// allow) writes through the REST API.
func TestSchema(t *testing.T) {
	dbURL := pg.New(t)
	start := time.Now()
	testdirectus.Provision(t, dbURL)
	t.Logf("provisioned in %s", time.Since(start).Round(time.Millisecond))

	t.Run("live snapshot equals the committed one", func(t *testing.T) {
		liveSnapshotEqualsCommitted(t, dbURL)
	})

	start = time.Now()
	inst := testdirectus.Start(t, dbURL, testdirectus.WithoutBootstrap(),
		testdirectus.WithEnv("EXTENSIONS_PATH="+testenv.Path(t, "extensions")))
	t.Logf("directus started in %s", time.Since(start).Round(time.Millisecond))
	d := &api{t: t, c: inst.Client(), url: inst.URL}
	d.mustLoadExtension("trm-constraint-errors")

	t.Run("race number once per event", d.raceNumberOncePerEvent)
	t.Run("class of the entry's event", d.classOfTheSameEvent)
	t.Run("tracker assignments do not overlap", d.trackerWindows)
	t.Run("event ends after it starts", d.eventEndsAfterStart)
	t.Run("referenced items cannot be deleted", d.restrictDelete)
	t.Run("composite uniques", d.compositeUniques)
	t.Run("enumerations", d.enumerations)
	t.Run("field validations", d.fieldValidations)
	t.Run("a removed user leaves the panic button unassigned", d.assignedUserSetNull)
	t.Run("a user without admin rights reads the rule too", d.nonAdminReadsTheRule)

	t.Run("course: every Phase 2 rule refuses through REST with its sentence", d.courseRules)
	t.Run("course: the enumerations are lib/course's", func(t *testing.T) { courseEnumerationsAreLibCourses(t, dbURL) })
	t.Run("course: the spatial queries use the GiST indexes", func(t *testing.T) {
		f := d.courseFixture(t)
		spatialQueriesUseGiST(t, dbURL, f.event, f.ss1)
	})
}

// liveSnapshotEqualsCommitted pulls the live schema with Directus's CLI
// after the whole boot (post-schema constraints included) and compares it
// with snapshots/schema.yaml, without the tables db-init owns: a
// single-column UNIQUE or index added by db-init/post would show here.
func liveSnapshotEqualsCommitted(t *testing.T, dbURL string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	raw, _, err := testdirectus.CLI(testdirectus.Env(dbURL, 0)).Snapshot(ctx)
	if err != nil {
		t.Fatalf("directus schema snapshot: %v", err)
	}
	live, err := snapshot.Parse("live schema", raw)
	if err != nil {
		t.Fatal(err)
	}
	committed, err := snapshot.ReadFile(testenv.Path(t, "snapshots/schema.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if live, err = live.Exclude(boot.OwnedTables...); err != nil {
		t.Fatal(err)
	}
	if committed, err = committed.Exclude(boot.OwnedTables...); err != nil {
		t.Fatal(err)
	}
	if diff := snapshot.Diff(live, committed); !diff.Empty() {
		var b strings.Builder
		_ = diff.WriteText(&b, snapshot.TextOptions{})
		t.Fatalf("the live schema differs from snapshots/schema.yaml:\n%s", b.String())
	}
	// The committed snapshot is the Phase 2 one (Phase 1 and the course, in
	// their folders), not an empty file that trivially matches an empty
	// database.
	want := []string{"classes", "course", "devices", "entries", "entry_crew", "entry_devices", "event", "events", "geofences",
		"organisation", "organization_devices", "organization_users", "organization_vehicles", "organizations",
		"segments", "speed_limit_zones", "stages", "vehicles", "waypoints"}
	var got []string
	for _, c := range committed.Collections {
		got = append(got, c.Name())
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("committed collections = %v, want %v", got, want)
	}
}

// TestExtensionManifests: one invalid package.json stops every local
// extension from loading, so each is checked for what Directus 11
// requires.
func TestExtensionManifests(t *testing.T) {
	dirs, err := os.ReadDir(testenv.Path(t, "extensions"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range dirs {
		if !d.IsDir() || strings.HasPrefix(d.Name(), ".") {
			continue
		}
		n++
		path := filepath.Join(testenv.Path(t, "extensions"), d.Name(), "package.json")
		b, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("%s: %v", d.Name(), err)
			continue
		}
		var m struct {
			Name, Version, Type string
			Ext                 *struct{ Type, Path, Source, Host string } `json:"directus:extension"`
		}
		if err := json.Unmarshal(b, &m); err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		if m.Name == "" || m.Version == "" || m.Ext == nil || m.Ext.Type == "" || m.Ext.Path == "" || m.Ext.Source == "" || m.Ext.Host == "" {
			t.Errorf("%s: needs name, version and directus:extension {type, path, source, host}", path)
			continue
		}
		if _, err := os.Stat(filepath.Join(filepath.Dir(path), m.Ext.Path)); err != nil {
			t.Errorf("%s: entry point: %v", path, err)
		}
	}
	if n == 0 {
		t.Error("no extension found")
	}
}

// api is the admin's REST client with the helpers the rule tests share.
type api struct {
	t   *testing.T
	c   *directusctl.Client
	url string
}

var ctx = context.Background()

func (a *api) mustLoadExtension(folder string) {
	a.t.Helper()
	var exts []struct {
		Meta struct {
			Folder  string `json:"folder"`
			Enabled bool   `json:"enabled"`
		} `json:"meta"`
	}
	if err := a.c.Do(ctx, http.MethodGet, "/extensions", nil, nil, &exts); err != nil {
		a.t.Fatal(err)
	}
	for _, e := range exts {
		if e.Meta.Folder == folder && e.Meta.Enabled {
			return
		}
	}
	a.t.Fatalf("extension %s is not loaded: %+v", folder, exts)
}

// create makes an item and returns its id; the test fails if Directus
// refuses.
func create(t testing.TB, c *directusctl.Client, collection string, item map[string]any) string {
	t.Helper()
	var out struct {
		ID string `json:"id"`
	}
	if err := c.CreateItem(ctx, collection, item, &out); err != nil {
		t.Fatalf("create %s %v: %v", collection, item, err)
	}
	return out.ID
}

func (a *api) create(t testing.TB, collection string, item map[string]any) string {
	t.Helper()
	return create(t, a.c, collection, item)
}

// refused checks that err is Directus refusing with status and code, and
// that the message names the rule: the constraint and every word given.
func refused(t testing.TB, err error, status int, code, constraint string, words ...string) {
	t.Helper()
	var ae *directusctl.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want HTTP %d %s naming %s, got %v", status, code, constraint, err)
	}
	if ae.Status != status || ae.Code != code {
		t.Errorf("want HTTP %d %s, got %v", status, code, ae)
	}
	for _, w := range append(words, constraint) {
		if !strings.Contains(strings.ToLower(ae.Message), strings.ToLower(w)) {
			t.Errorf("the message does not say %q: %s", w, ae.Message)
		}
	}
	if constraint != "" {
		var ext struct {
			Constraint string `json:"constraint"`
		}
		_ = json.Unmarshal(ae.Errors[0].Extensions, &ext)
		if ext.Constraint != constraint {
			t.Errorf("extensions.constraint = %q, want %q", ext.Constraint, constraint)
		}
	}
}

// field returns extensions.field of a refusal.
func field(err error) string {
	var ae *directusctl.APIError
	if !errors.As(err, &ae) || len(ae.Errors) == 0 {
		return ""
	}
	var ext struct {
		Field string `json:"field"`
	}
	_ = json.Unmarshal(ae.Errors[0].Extensions, &ext)
	return ext.Field
}

var seq int

// unique returns a fresh suffix so that subtests never collide.
func unique() string {
	seq++
	return fmt.Sprintf("%d", seq)
}

// fixture is an organization with one event and one class in it.
type fixture struct {
	org, event, class string
}

func (a *api) fixture(t testing.TB) fixture {
	t.Helper()
	s := unique()
	org := a.create(t, "organizations", map[string]any{"name": "Club " + s, "slug": "club-" + s})
	ev := a.event(t, org, "rally-"+s)
	cl := a.create(t, "classes", map[string]any{"event_id": ev, "code": "C-2", "name": "Cars", "category": "car"})
	return fixture{org, ev, cl}
}

func (a *api) event(t testing.TB, org, slug string) string {
	t.Helper()
	return a.create(t, "events", map[string]any{"organization_id": org, "name": "Event " + slug, "slug": slug,
		"discipline": "rally", "starts_at": "2026-06-06T06:00:00Z", "ends_at": "2026-06-13T18:00:00Z"})
}
