package trmctl

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"git.dev.trmtracking.org/trm/directus/tests/internal/testdirectus"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testenv"
)

// courseTables are the tables a course import writes.
var courseTables = []string{"stages", "segments", "geofences", "waypoints", "speed_limit_zones"}

// courseDigest is a fingerprint of every course row of the database, so
// that "nothing changed" is proven row for row, not by counts.
func courseDigest(t *testing.T, ctx context.Context, db *pgx.Conn) string {
	t.Helper()
	var parts []string
	for _, table := range courseTables {
		var d *string
		if err := db.QueryRow(ctx, "SELECT md5(string_agg(t::text, '|' ORDER BY t.id)) FROM "+pgx.Identifier{table}.Sanitize()+" t").Scan(&d); err != nil {
			t.Fatalf("digest %s: %v", table, err)
		}
		s := "empty"
		if d != nil {
			s = *d
		}
		parts = append(parts, table+"="+s)
	}
	return strings.Join(parts, " ")
}

func courseCounts(t *testing.T, ctx context.Context, db *pgx.Conn) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, table := range courseTables {
		var n int
		if err := db.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{table}.Sanitize()).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out[table] = n
	}
	return out
}

// courseJSON is the documented --json shape of course import.
type courseJSON struct {
	Event struct {
		ID, Slug, Organization, Name string
	} `json:"event"`
	File        string  `json:"file"`
	Format      string  `json:"format"`
	WholeCourse bool    `json:"whole_course"`
	Stage       *string `json:"stage"`
	DryRun      bool    `json:"dry_run"`
	Applied     bool    `json:"applied"`
	Summary     struct {
		Create, Update, Delete int
	} `json:"summary"`
	Changes []struct {
		Op, Collection, Key string
		Fields              []string
	} `json:"changes"`
	Points []struct {
		Line      int      `json:"line"`
		Name      string   `json:"name"`
		By        string   `json:"by"`
		Elements  []string `json:"elements"`
		Skipped   string   `json:"skipped"`
		Waypoints []struct {
			Stage, Segment, Name, Type string
			DefaultRadii               bool `json:"default_radii"`
		} `json:"waypoints"`
	} `json:"points"`
	Notes []struct {
		Line    int    `json:"line"`
		Message string `json:"message"`
	} `json:"notes"`
	DurationMS *float64 `json:"duration_ms"`
}

func decodeCourseJSON(t *testing.T, out string) courseJSON {
	t.Helper()
	var got courseJSON
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("--json: %v\n%s", err, out)
	}
	return got
}

func writeTemp(t testing.TB, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// changedRoadbook is the seed with S1's WP2 moved about 300 m and the
// zone DZ2–FZ2 removed with its DZ and FZ; badRoadbook adds to that an
// area zone whose hole lies outside it, which lib/course reads but
// PostGIS refuses (speed_limit_zones_area_valid) — the last write of the
// plan, after WP2's update.
func changedRoadbook(t *testing.T, seed string) string {
	t.Helper()
	s := strings.Replace(seed, `<trm:zone name="DZ2–FZ2" limit="30" retroactive="false" start="DZ2" end="FZ2"/>`+"\n", "", 1)
	s = regexp.MustCompile(`  <wpt [^>]*>\n    <name>(DZ2|FZ2)</name>\n(?:.*\n)*?  </wpt>\n`).ReplaceAllString(s, "")
	s = strings.Replace(s, `<wpt lat="41.01927" lon="19.80471">`, `<wpt lat="41.02155" lon="19.80702">`, 1)
	if s == seed || strings.Count(s, "<wpt ") != strings.Count(seed, "<wpt ")-2 {
		t.Fatal("the seed roadbook is not what this test changes")
	}
	return s
}

func badRoadbook(t *testing.T, changed string) string {
	t.Helper()
	old := `<trm:segment code="L2" name="Liaison 2" sort="3" type="liaison" entry="S1 ASS" exit="S1 TC2" target-duration="900" allowed-lateness="1800" length-km="2.86"/>`
	bad := strings.Replace(old, "/>", ">", 1) + `
            <trm:zone name="Paddock" limit="20" retroactive="false">
              <trm:ring><trm:pt lat="40.866" lon="20.182"/><trm:pt lat="40.866" lon="20.19"/><trm:pt lat="40.872" lon="20.19"/><trm:pt lat="40.872" lon="20.182"/><trm:pt lat="40.866" lon="20.182"/></trm:ring>
              <trm:ring><trm:pt lat="40.9" lon="20.3"/><trm:pt lat="40.91" lon="20.3"/><trm:pt lat="40.91" lon="20.31"/><trm:pt lat="40.9" lon="20.3"/></trm:ring>
            </trm:zone>
          </trm:segment>`
	if !strings.Contains(changed, old) {
		t.Fatal("the seed roadbook's S1/L2 is not what this test changes")
	}
	return strings.Replace(changed, old, bad, 1)
}

const orHead = `<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1" xmlns:openrally="http://www.openrally.org/xmlschemas/GpxExtensions/v1.0.3">
`

func orWpt(lat, lon, name, ext string) string {
	return `<wpt lat="` + lat + `" lon="` + lon + `"><name>` + name + `</name><extensions>` + ext + "</extensions></wpt>\n"
}

// One Directus serves the whole scenario: each start costs seconds.
func TestCourseImportAndExportAgainstAProvisionedDirectus(t *testing.T) {
	dbURL := pg.New(t)
	inst := testdirectus.StartProvisioned(t, dbURL)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	db, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(context.Background())
	env := map[string]string{"TRM_DIRECTUS_TOKEN": inst.Token, "TRM_DIRECTUS_URL": inst.URL}
	if code, out, errOut := trmctl(t, env, "seed", "apply", testenv.Path(t, "seed/rally-albania-2026/seed.yaml")); code != 0 {
		t.Fatalf("seed: exit %d\n%s\n%s", code, out, errOut)
	}
	seedPath := testenv.Path(t, "seed/rally-albania-2026/roadbook.gpx")
	seedBytes, err := os.ReadFile(seedPath)
	if err != nil {
		t.Fatal(err)
	}
	importArgs := func(file string, more ...string) []string {
		return append([]string{"course", "import", "--event", "rally-albania-2026", file}, more...)
	}

	t.Run("bad input is refused with the problem and its line, and nothing changes", func(t *testing.T) {
		before := courseDigest(t, ctx, db)
		dss, ass := orWpt("41.07", "19.67", "DSS", "<openrally:dss/>"), orWpt("40.88", "20.16", "ASS", "<openrally:ass/>")
		for _, c := range []struct {
			name, content string
			code          int
			words         []string
		}{
			{"not XML", "this is not a roadbook\n", 1, []string{"is not a course file", "neither GPX"}},
			{"XML that is not GPX", `<kml xmlns="http://www.opengis.net/kml/2.2"/>`, 1, []string{"not GPX"}},
			{"another OpenRally version", strings.Replace(orHead, "v1.0.3", "v2.0", 1) + dss + ass + "</gpx>", 1, []string{"OpenRally namespace", "v2.0", "does not know", ":2:"}},
			{"an FZ without its DZ", orHead + orWpt("41.1", "19.8", "FZ1", "<openrally:fz/>") + "</gpx>", 1, []string{":3:", `waypoint "FZ1"`, "FZ without its DZ"}},
			{"a DSS without an ASS", orHead + dss + orWpt("41.0", "19.8", "WP1", "<openrally:wpm/>") + "</gpx>", 1, []string{":3:", `waypoint "DSS"`, "DSS without an ASS"}},
			{"radii out of order", orHead + orWpt("41.0", "19.8", "WP1", `<openrally:wpm open="150" clear="200"/>`) + "</gpx>", 1, []string{":3:", "validation radius 200 m is larger than the open radius 150 m"}},
			{"coordinates out of range", orHead + orWpt("95", "19.8", "WP1", "<openrally:wpm/>") + "</gpx>", 1, []string{":3:", "latitude 95"}},
			{"a waypoint at (0, 0)", orHead + orWpt("0", "0", "WP1", "<openrally:wpm/>") + "</gpx>", 1, []string{":3:", "(0, 0)"}},
		} {
			t.Run(c.name, func(t *testing.T) {
				code, out, errOut := trmctl(t, env, importArgs(writeTemp(t, "in.gpx", c.content))...)
				if code != c.code {
					t.Fatalf("exit %d, want %d\n%s\n%s", code, c.code, out, errOut)
				}
				for _, w := range append(c.words, "nothing was changed") {
					if !strings.Contains(errOut, w) {
						t.Errorf("stderr does not say %q:\n%s", w, errOut)
					}
				}
			})
		}
		code, _, errOut := trmctl(t, env, "course", "import", "--event", "rally-albania-2027", seedPath)
		if code != 1 || !strings.Contains(errOut, `no event "rally-albania-2027"`) {
			t.Errorf("unknown event: exit %d\n%s", code, errOut)
		}
		if code, _, errOut := trmctl(t, env, "course", "import", seedPath); code != 2 || !strings.Contains(errOut, "--event is required") {
			t.Errorf("no --event: exit %d\n%s", code, errOut)
		}
		if code, _, errOut := trmctl(t, env, "course", "export", "--event", "rally-albania-2026", "--format", "kml"); code != 2 || !strings.Contains(errOut, "gpx or geojson") {
			t.Errorf("--format kml: exit %d\n%s", code, errOut)
		}
		if after := courseDigest(t, ctx, db); after != before {
			t.Errorf("the course changed:\n%s\n%s", before, after)
		}
	})

	var afterSeed string
	t.Run("the seed roadbook imports, and a dry run before changes nothing", func(t *testing.T) {
		code, out, errOut := trmctl(t, env, importArgs(seedPath, "--dry-run")...)
		if code != 0 || !strings.Contains(out, "Dry run: 46 to create, 0 to update, 0 to delete; nothing was changed") {
			t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
		}
		if n := courseCounts(t, ctx, db); n["waypoints"] != 0 {
			t.Fatalf("the dry run wrote: %v", n)
		}
		code, out, errOut = trmctl(t, env, importArgs(seedPath)...)
		if code != 0 || !strings.Contains(out, "Applied: 46 created, 0 updated, 0 deleted, in one transaction") {
			t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
		}
		want := map[string]int{"stages": 2, "segments": 6, "geofences": 13, "waypoints": 23, "speed_limit_zones": 2}
		if got := courseCounts(t, ctx, db); !mapsEqual(got, want) {
			t.Errorf("rows %v, want %v", got, want)
		}
		if strings.Contains(out+errOut, inst.Token) {
			t.Error("the token was printed")
		}
		afterSeed = courseDigest(t, ctx, db)
	})

	t.Run("importing the same file again changes nothing and says so", func(t *testing.T) {
		code, out, errOut := trmctl(t, env, importArgs(seedPath)...)
		if code != 0 || !strings.Contains(out, "No changes: the course of rally-albania-2026 already matches") {
			t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
		}
		code, out, errOut = trmctl(t, env, importArgs(seedPath, "--json")...)
		if code != 0 {
			t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
		}
		got := decodeCourseJSON(t, out)
		if got.Applied || got.Summary.Create+got.Summary.Update+got.Summary.Delete != 0 || len(got.Changes) != 0 || got.Changes == nil ||
			got.Format != "trm-gpx" || !got.WholeCourse || got.Stage != nil || got.Event.Slug != "rally-albania-2026" ||
			got.Event.Organization != "msc-albania" || got.DurationMS == nil || got.Points == nil || got.Notes == nil {
			t.Errorf("--json %+v", got)
		}
		if after := courseDigest(t, ctx, db); after != afterSeed {
			t.Error("a no-op import changed rows")
		}
	})

	t.Run("export gives back the file, as GPX and GeoJSON, and re-importing either changes nothing", func(t *testing.T) {
		code, out, errOut := trmctl(t, env, "course", "export", "--event", "rally-albania-2026")
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, errOut)
		}
		if out != string(seedBytes) {
			t.Errorf("the GPX export differs from the committed roadbook (%d and %d bytes)", len(out), len(seedBytes))
		}
		if !strings.Contains(errOut, "2 stages, 23 waypoints, 2 speed zones, 13 geofences") {
			t.Errorf("summary: %s", errOut)
		}
		geo := filepath.Join(t.TempDir(), "course.geojson")
		if code, _, errOut := trmctl(t, env, "course", "export", "--event", "rally-albania-2026", "--format", "geojson", "--output", geo); code != 0 {
			t.Fatalf("exit %d\n%s", code, errOut)
		}
		for _, f := range []string{writeTemp(t, "course.gpx", out), geo} {
			code, out, errOut := trmctl(t, env, importArgs(f)...)
			if code != 0 || !strings.Contains(out, "No changes") {
				t.Errorf("%s: exit %d\n%s\n%s", f, code, out, errOut)
			}
		}
	})

	changed := changedRoadbook(t, string(seedBytes))
	t.Run("a changed copy (one waypoint moved, one zone removed) changes exactly that", func(t *testing.T) {
		var before []string
		rows, err := db.Query(ctx, `SELECT w.name || ' ' || ST_AsText(w.location) FROM waypoints w ORDER BY w.id`)
		if err != nil {
			t.Fatal(err)
		}
		if before, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
			t.Fatal(err)
		}
		code, out, errOut := trmctl(t, env, importArgs(writeTemp(t, "changed.gpx", changed), "--json")...)
		if code != 0 {
			t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
		}
		got := decodeCourseJSON(t, out)
		var changes []string
		for _, c := range got.Changes {
			changes = append(changes, c.Op+" "+c.Collection+" "+c.Key+" "+strings.Join(c.Fields, ","))
		}
		want := []string{
			"update waypoints S1/SS1/WP2 location",
			"delete speed_limit_zones S1/SS1/DZ2–FZ2 ",
			"delete waypoints S1/SS1/DZ2 ",
			"delete waypoints S1/SS1/FZ2 ",
		}
		if !slices.Equal(changes, want) || !got.Applied {
			t.Fatalf("changes %q (applied %v), want %q", changes, got.Applied, want)
		}
		rows, err = db.Query(ctx, `SELECT w.name || ' ' || ST_AsText(w.location) FROM waypoints w ORDER BY w.id`)
		if err != nil {
			t.Fatal(err)
		}
		after, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		var gone, moved []string
		for _, b := range before {
			if !slices.Contains(after, b) {
				gone = append(gone, b)
			}
		}
		for _, a := range after {
			if !slices.Contains(before, a) {
				moved = append(moved, a)
			}
		}
		slices.Sort(gone)
		if len(gone) != 3 || !strings.HasPrefix(gone[0], "DZ2 ") || !strings.HasPrefix(gone[1], "FZ2 ") || !strings.HasPrefix(gone[2], "WP2 ") ||
			!slices.Equal(moved, []string{"WP2 POINT(19.80702 41.02155)"}) {
			t.Errorf("waypoints gone %v, new or moved %v", gone, moved)
		}
		if n := courseCounts(t, ctx, db); n["speed_limit_zones"] != 1 || n["waypoints"] != 21 || n["segments"] != 6 || n["geofences"] != 13 {
			t.Errorf("rows %v", n)
		}
	})

	t.Run("a failed import leaves nothing behind", func(t *testing.T) {
		before := courseDigest(t, ctx, db)
		bad := badRoadbook(t, strings.Replace(changed, `<wpt lat="41.02155" lon="19.80702">`, `<wpt lat="41.03" lon="19.81">`, 1))
		code, out, errOut := trmctl(t, env, importArgs(writeTemp(t, "bad.gpx", bad))...)
		if code != 1 {
			t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
		}
		for _, w := range []string{"nothing was changed (it runs in one transaction)", "create speed_limit_zones S1/L2/Paddock", "rule speed_limit_zones_area_valid"} {
			if !strings.Contains(errOut, w) {
				t.Errorf("stderr does not say %q:\n%s", w, errOut)
			}
		}
		if !regexp.MustCompile(`~\s+waypoints\s+S1/SS1/WP2\s+location`).MatchString(out) {
			t.Errorf("the plan did not hold WP2's update before the refused zone:\n%s", out)
		}
		if after := courseDigest(t, ctx, db); after != before {
			t.Errorf("the refused import changed rows:\n%s\n%s", before, after)
		}
	})

	t.Run("the seed again restores exactly what the changed copy removed", func(t *testing.T) {
		code, out, errOut := trmctl(t, env, importArgs(seedPath)...)
		if code != 0 || !strings.Contains(out, "Applied: 3 created, 1 updated, 0 deleted") {
			t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
		}
	})

	t.Run("a plain GPX becomes a new stage, read by names, with the mapping printed", func(t *testing.T) {
		plain := `<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="Garmin" xmlns="http://www.topografix.com/GPX/1/1">
<metadata><name>Shakedown</name></metadata>
<wpt lat="41.30" lon="19.44"><name>TC0</name></wpt>
<wpt lat="41.31" lon="19.45"><name>DSS</name></wpt>
<wpt lat="41.32" lon="19.46"><name>WP1</name></wpt>
<wpt lat="41.33" lon="19.47"><name>DZ1</name><desc>50 km/h</desc></wpt>
<wpt lat="41.34" lon="19.48"><name>FZ1</name></wpt>
<wpt lat="41.35" lon="19.49"><name>Fuel</name></wpt>
<wpt lat="41.36" lon="19.50"><name>ASS</name></wpt>
<trk><trkseg><trkpt lat="41.30" lon="19.44"/><trkpt lat="41.33" lon="19.47"/><trkpt lat="41.36" lon="19.50"/></trkseg></trk>
</gpx>`
		f := writeTemp(t, "shakedown.gpx", plain)
		code, out, errOut := trmctl(t, env, importArgs(f, "--stage", "SD")...)
		if code != 0 {
			t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
		}
		for _, w := range []string{"plain GPX read by names, one stage; stage SD", "Points of the file:", "WP1", "SD/SS1 WP1 WPV (default radii)", "skipped: neither an OpenRally waypoint",
			"Applied: 13 created"} {
			if !strings.Contains(out, w) {
				t.Errorf("output does not say %q:\n%s", w, out)
			}
		}
		var sort int
		var name, role string
		if err := db.QueryRow(ctx, `SELECT sort_order, name, role FROM stages WHERE code = 'SD'`).Scan(&sort, &name, &role); err != nil || sort != 3 || name != "Shakedown" || role != "stage" {
			t.Errorf("stage SD: sort %d, name %q, role %q (%v)", sort, name, role, err)
		}
		code, out, _ = trmctl(t, env, importArgs(f, "--stage", "SD", "--json")...)
		got := decodeCourseJSON(t, out)
		if code != 0 || got.Summary.Create+got.Summary.Update+got.Summary.Delete != 0 || len(got.Points) != 7 || got.Points[5].Skipped == "" ||
			got.Points[1].By != "name" || got.Points[1].Waypoints[0].Type != "DSS" || *got.Stage != "SD" || got.WholeCourse {
			t.Errorf("second import: exit %d, %+v", code, got)
		}
	})

	t.Run("an OpenRally roadbook replaces the segments of an existing stage and keeps its attributes", func(t *testing.T) {
		road := orHead + orWpt("41.3185", "19.4542", "TC0", `<openrally:distance>0</openrally:distance><openrally:timecontrol allowed="30"/>`) +
			orWpt("41.2888", "19.5312", "DSS", `<openrally:distance>7.1</openrally:distance><openrally:timecontrol/><openrally:dss/>`) +
			orWpt("41.2742", "19.5590", "12", `<openrally:distance>10.3</openrally:distance><openrally:wpm open="600" clear="150"/>`) +
			orWpt("41.2360", "19.5441", "ASS", `<openrally:distance>19.5</openrally:distance><openrally:ass/>`) + "</gpx>"
		code, out, errOut := trmctl(t, env, importArgs(writeTemp(t, "prologue.gpx", road), "--stage", "P")...)
		if code != 0 {
			t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
		}
		if !strings.Contains(out, "element timecontrol+dss") {
			t.Errorf("the mapping does not show the point of two elements:\n%s", out)
		}
		var name, role, status string
		var sort int
		if err := db.QueryRow(ctx, `SELECT name, role, status, sort_order FROM stages WHERE code = 'P'`).Scan(&name, &role, &status, &sort); err != nil ||
			name != "Prologue Durrës" || role != "prologue" || status != "published" || sort != 1 {
			t.Errorf("stage P: %q %q %q %d (%v)", name, role, status, sort, err)
		}
		var segs []string
		rows, err := db.Query(ctx, `SELECT sg.code || ':' || string_agg(w.name, ',' ORDER BY w.sort_order) FROM segments sg
			JOIN stages st ON st.id = sg.stage_id JOIN waypoints w ON w.segment_id = sg.id WHERE st.code = 'P' GROUP BY sg.code, sg.sort_order ORDER BY sg.sort_order`)
		if err != nil {
			t.Fatal(err)
		}
		if segs, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(segs, []string{"L1:TC0,DSS TC", "SS1:DSS,12,ASS"}) {
			t.Errorf("segments of P: %v", segs)
		}
		// S1 still takes its start order from P.
		var input string
		if err := db.QueryRow(ctx, `SELECT i.code FROM stages s JOIN stages i ON i.id = s.start_order_input_stage_id WHERE s.code = 'S1'`).Scan(&input); err != nil || input != "P" {
			t.Errorf("S1's input stage %q (%v)", input, err)
		}
	})
}
