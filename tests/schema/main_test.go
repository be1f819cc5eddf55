package schema

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"git.dev.trmtracking.org/trm/directus/internal/boot"
	"git.dev.trmtracking.org/trm/directus/internal/catalog"
	"git.dev.trmtracking.org/trm/directus/internal/settings"
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
// docs/data-model-phase1.md, docs/data-model-phase2.md and
// docs/data-model-phase3.md refuse (and allow) writes through the REST
// API; and connects as the processor's role to prove what it may do.
func TestSchema(t *testing.T) {
	dbURL := pg.New(t)
	start := time.Now()
	processor := newProcessorRole()
	testdirectus.Provision(t, dbURL, processor.env()...)
	t.Logf("provisioned in %s", time.Since(start).Round(time.Millisecond))

	t.Run("live snapshot equals the committed one", func(t *testing.T) {
		liveSnapshotEqualsCommitted(t, dbURL)
	})
	t.Run("enumeration CHECKs allow exactly the catalog's values", func(t *testing.T) {
		enumerationChecksAreTheCatalog(t, dbURL)
	})

	start = time.Now()
	inst := testdirectus.Start(t, dbURL, testdirectus.WithoutBootstrap(),
		testdirectus.WithEnv("EXTENSIONS_PATH="+testenv.Path(t, "extensions")))
	t.Logf("directus started in %s", time.Since(start).Round(time.Millisecond))
	d := &api{t: t, c: inst.Client(), url: inst.URL}
	d.mustLoadExtension("constraint-errors")

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
	t.Run("course: the spatial queries use the GiST indexes", func(t *testing.T) {
		f := d.courseFixture(t)
		spatialQueriesUseGiST(t, dbURL, f.event, f.ss1)
	})

	d.mustLoadExtension("timing")
	t.Run("timing: every Phase 3 rule refuses through REST with its sentence", d.timingRules)
	t.Run("timing: a used formula is never edited; a new version is accepted", d.usedFormulaIsNeverEdited)
	t.Run("timing: a duplicate crossing is absorbed", func(t *testing.T) { d.duplicateCrossingIsAbsorbed(t, dbURL) })
	t.Run("timing: official results are frozen until reopened", func(t *testing.T) { d.officialResultsAreFrozen(t, dbURL) })
	t.Run("timing: a penalty is overridden with a reason, recorded with who", d.penaltyOverride)
	t.Run("timing: the processor's role may do exactly what it needs", func(t *testing.T) { d.processorRoleMatrix(t, dbURL, processor) })
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
	// The committed snapshot is the Phase 3 one (Phase 1, the course and
	// timing, in their folders), not an empty file that trivially matches
	// an empty database.
	want := []string{"classes", "control_closing_times", "course", "devices", "entries", "entry_crew", "entry_crossings", "entry_devices", "entry_penalties",
		"entry_segment_starts", "event", "events", "geofences", "organisation", "organization_devices", "organization_users",
		"organization_vehicles", "organizations", "penalty_formulas", "segments", "speed_limit_zones", "stage_results", "stages",
		"timing", "vehicles", "waypoints"}
	var got []string
	for _, c := range committed.Collections {
		got = append(got, c.Name())
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("committed collections = %v, want %v", got, want)
	}
}

// enumerationChecksAreTheCatalog reads the CHECK constraints db-init/post
// made on the provisioned database: each closed enumeration of
// internal/catalog has its CHECK allowing exactly its values, with a
// message listing them, an open one has none, and no other *_allowed
// CHECK exists.
func enumerationChecksAreTheCatalog(t *testing.T, dbURL string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(context.Background())
	rows, err := db.Query(ctx, `
		SELECT con.conname, con.conrelid::regclass::text, pg_get_constraintdef(con.oid),
		       coalesce(obj_description(con.oid, 'pg_constraint'), ''),
		       (SELECT array_agg(a.attname::text ORDER BY a.attname) FROM pg_attribute a
		         WHERE a.attrelid = con.conrelid AND a.attnum = ANY (con.conkey))
		  FROM pg_constraint con JOIN pg_namespace n ON n.oid = con.connamespace
		 WHERE con.contype = 'c' AND n.nspname = 'public'`)
	if err != nil {
		t.Fatal(err)
	}
	type check struct {
		table, def, message string
		columns             []string
	}
	checks := map[string]check{}
	for rows.Next() {
		var name string
		var c check
		if err := rows.Scan(&name, &c.table, &c.def, &c.message, &c.columns); err != nil {
			t.Fatal(err)
		}
		checks[name] = c
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	quoted := regexp.MustCompile(`'([^']*)'`)
	for _, e := range slices.Concat(catalog.Phase1(), catalog.Phase2(), catalog.Phase3()) {
		for name, c := range checks {
			if e.Open && c.table == e.Collection && slices.Equal(c.columns, []string{e.Field}) {
				t.Errorf("%s is open (other values allowed) but the CHECK %s restricts it: %s", e.Key(), name, c.def)
			}
		}
		if e.Open {
			continue
		}
		c, ok := checks[e.Constraint]
		if !ok {
			t.Errorf("%s: no CHECK %s on the provisioned database", e.Key(), e.Constraint)
			continue
		}
		delete(checks, e.Constraint)
		var got []string
		for _, m := range quoted.FindAllStringSubmatch(c.def, -1) {
			got = append(got, m[1])
		}
		want := e.Values()
		slices.Sort(got)
		slices.Sort(want)
		if c.table != e.Collection || !slices.Equal(c.columns, []string{e.Field}) || !slices.Equal(got, want) {
			t.Errorf("%s: the CHECK %s on %s %v allows %v, internal/catalog %v (%s)", e.Key(), e.Constraint, c.table, c.columns, got, want, c.def)
		}
		// The sentence users read when the CHECK refuses a write lists
		// the values too, in the catalog's order.
		if !strings.HasSuffix(c.message, " must be one of "+strings.Join(e.Values(), ", ")+".") {
			t.Errorf("%s: the message of %s, %q, does not list the catalog's values %v", e.Key(), e.Constraint, c.message, e.Values())
		}
	}
	for name, c := range checks {
		if strings.HasSuffix(name, "_allowed") {
			t.Errorf("the CHECK %s on %s is an enumeration internal/catalog does not define: %s", name, c.table, c.def)
		}
	}
}

// TestExtensionManifests: one invalid package.json stops every local
// extension from loading, so each is checked for what Directus 11
// requires; the bundle's entries must exist and its build must be there.
func TestExtensionManifests(t *testing.T) {
	root := testenv.Path(t, "extensions")
	dirs, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range dirs {
		if !d.IsDir() || strings.HasPrefix(d.Name(), ".") {
			continue
		}
		n++
		path := filepath.Join(root, d.Name(), "package.json")
		b, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("%s: %v", d.Name(), err)
			continue
		}
		var m struct {
			Name, Version, Type string
			Ext                 *struct {
				Type, Host string
				Path       json.RawMessage
				Source     string
				Entries    []struct{ Type, Name, Source string }
			} `json:"directus:extension"`
		}
		if err := json.Unmarshal(b, &m); err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		if m.Name == "" || m.Version == "" || m.Ext == nil || m.Ext.Type == "" || len(m.Ext.Path) == 0 || m.Ext.Host == "" {
			t.Errorf("%s: needs name, version and directus:extension {type, path, host}", path)
			continue
		}
		var entryPoints []string
		if m.Ext.Type == "bundle" {
			var p struct{ App, API string }
			if err := json.Unmarshal(m.Ext.Path, &p); err != nil || p.App == "" || p.API == "" {
				t.Errorf("%s: a bundle's path is {app, api}: %s", path, m.Ext.Path)
				continue
			}
			entryPoints = []string{p.API}
			if len(m.Ext.Entries) == 0 {
				t.Errorf("%s: a bundle without entries", path)
			}
			for _, e := range m.Ext.Entries {
				if e.Type == "" || e.Name == "" || e.Source == "" {
					t.Errorf("%s: entry %+v needs type, name and source", path, e)
				} else if _, err := os.Stat(filepath.Join(filepath.Dir(path), e.Source)); err != nil {
					t.Errorf("%s: entry %s: %v", path, e.Name, err)
				}
			}
		} else {
			var p string
			if err := json.Unmarshal(m.Ext.Path, &p); err != nil || p == "" || m.Ext.Source == "" {
				t.Errorf("%s: needs path and source", path)
				continue
			}
			entryPoints = []string{p}
		}
		for _, p := range entryPoints {
			if _, err := os.Stat(filepath.Join(filepath.Dir(path), p)); err != nil {
				t.Errorf("%s: entry point: %v (make extensions builds it)", path, err)
			}
		}
	}
	if n == 0 {
		t.Error("no extension found")
	}
}

// TestImageShipsEveryExtension: the Dockerfile copies extensions by name
// (the bundle from its build stage, its whole src/ and lockfile), so a new
// folder under extensions/ must get its line there or the image runs
// without it, and a line for a folder that is gone fails the image's
// build.
func TestImageShipsEveryExtension(t *testing.T) {
	b, err := os.ReadFile(testenv.Path(t, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	dockerfile := string(b)
	dirs, err := os.ReadDir(testenv.Path(t, "extensions"))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if !d.IsDir() || strings.HasPrefix(d.Name(), ".") {
			continue
		}
		if !strings.Contains(dockerfile, " /directus/extensions/"+d.Name()+"/") {
			t.Errorf("the Dockerfile does not copy extensions/%s to /directus/extensions/%s/", d.Name(), d.Name())
		}
	}
	for _, m := range regexp.MustCompile(`(?m)^COPY .*?extensions/([^/\s]+)/`).FindAllStringSubmatch(dockerfile, -1) {
		if info, err := os.Stat(testenv.Path(t, filepath.Join("extensions", m[1]))); err != nil || !info.IsDir() {
			t.Errorf("the Dockerfile copies extensions/%s, which is not a folder of extensions/: %s", m[1], m[0])
		}
	}
	// The bundle's build stage builds what the unit tests and the
	// end-to-end tests ran: every entry's source is under the src/ it copies.
	for _, want := range []string{"COPY extensions/trm/package.json extensions/trm/package-lock.json ./", "COPY extensions/trm/src/ src/", "COPY extensions/trm/tsconfig.json ./"} {
		if !strings.Contains(dockerfile, want) {
			t.Errorf("the Dockerfile's extensions stage lacks %q", want)
		}
	}
}

// api is the admin's REST client with the helpers the rule tests share.
type api struct {
	t   *testing.T
	c   *directusctl.Client
	url string
}

var ctx = context.Background()

// mustLoadExtension fails unless name, an entry of the bundle
// extensions/trm, is loaded and enabled.
func (a *api) mustLoadExtension(name string) {
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
		if e.Meta.Folder == name && e.Meta.Enabled {
			return
		}
	}
	a.t.Fatalf("extension %s is not loaded: %+v", name, exts)
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

// TestLocalRunsSetEveryImagePath: a setting of the entrypoint whose default
// is a path inside the image (/directus/...) points nowhere on a checkout,
// so make dev and the drift gate must set each one: a new one (the access
// folder was one) otherwise stops make dev at its first boot. The Node and
// Directus paths come from directus/runtime.env, which both read.
func TestLocalRunsSetEveryImagePath(t *testing.T) {
	for _, script := range []string{"scripts/dev.sh", "scripts/drift-gate.sh"} {
		b, err := os.ReadFile(testenv.Path(t, script))
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range settings.Table() {
			if s.Used&settings.Entrypoint == 0 || s.Runtime || !strings.HasPrefix(s.Default, "/directus/") {
				continue
			}
			if !regexp.MustCompile(`\b` + s.Env + `=`).Match(b) {
				t.Errorf("%s does not set %s (default %s, a path in the image)", script, s.Env, s.Default)
			}
		}
	}
}
