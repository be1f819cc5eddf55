package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"git.dev.trmtracking.org/trm/directus/lib/course"
)

// seedCourse reads the committed Rally Albania roadbook.
func seedCourse(t *testing.T) *course.Course {
	t.Helper()
	_, here, _, _ := runtime.Caller(0)
	f, err := os.Open(filepath.Join(filepath.Dir(here), "..", "..", "seed", "rally-albania-2026", "roadbook.gpx"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c, _, err := course.Decode(f, course.DecodeOptions{Name: "roadbook.gpx"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// stored is c as if read from Directus: every item with an ID.
func stored(t *testing.T, c *course.Course) *course.Course {
	t.Helper()
	for _, g := range c.Geofences {
		g.ID = newID()
	}
	for _, s := range c.Stages {
		s.ID = newID()
		for _, g := range s.Segments {
			g.ID = newID()
			for _, w := range g.Waypoints {
				w.ID = newID()
			}
			for _, z := range g.SpeedZones {
				z.ID = newID()
			}
		}
	}
	return c
}

const eventID = "00000000-0000-4000-8000-000000000001"

// TestFirstImportCreatesEverythingInReferenceOrder: every ID a write refers
// to is the event's, or an item created by an earlier write.
func TestFirstImportCreatesEverythingInReferenceOrder(t *testing.T) {
	target := seedCourse(t)
	plan, err := planImport(eventID, target, &course.Course{}, planScope{})
	if err != nil {
		t.Fatal(err)
	}
	create, update, del := plan.counts()
	if create != 2+6+23+2+13 || update != 0 || del != 0 {
		t.Fatalf("counts %d/%d/%d", create, update, del)
	}
	known := map[string]bool{eventID: true}
	var order []string
	for _, op := range plan.ops {
		for k, v := range op.Data {
			if s, ok := v.(string); ok && strings.HasSuffix(k, "_id") && !known[s] {
				t.Errorf("%s %s refers through %s to %s, not created before", op.Action, op.Collection, k, s)
			}
		}
		known[op.ID] = true
		if len(order) == 0 || order[len(order)-1] != op.Collection {
			order = append(order, op.Collection)
		}
	}
	if want := []string{"geofences", "stages", "segments", "waypoints", "speed_limit_zones"}; !slices.Equal(order, want) {
		t.Errorf("write order %v, want %v", order, want)
	}
	// The start order of S1 refers to the prologue.
	for _, op := range plan.ops {
		if op.Collection == "stages" && op.Data["code"] == "S1" {
			params, _ := json.Marshal(op.Data["start_order_strategy_params"])
			if op.Data["start_order_input_stage_id"] == nil || string(params) != `{"n":10}` {
				t.Errorf("S1: %v", op.Data)
			}
		}
	}
}

func TestSameCourseIsNoChange(t *testing.T) {
	current := stored(t, seedCourse(t))
	// What the database gives back: distances to the micrometre, floats
	// through text.
	for _, s := range current.Stages {
		for _, g := range s.Segments {
			if g.LengthKm != nil {
				v := *g.LengthKm + 2e-7
				g.LengthKm = &v
			}
			for _, w := range g.Waypoints {
				w.Location.Lat += 1e-12
			}
		}
	}
	plan, err := planImport(eventID, seedCourse(t), current, planScope{})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.ops) != 0 {
		t.Fatalf("changes for the same course: %+v", plan.changes)
	}
}

// The changed copy of the issue: one waypoint moved, one zone removed
// (with its DZ and FZ): exactly those writes, deletes in dependency order.
func TestChangedCourseChangesExactlyWhatDiffers(t *testing.T) {
	current := stored(t, seedCourse(t))
	target := seedCourse(t)
	ss1 := target.Stage("S1").Segment("SS1")
	ss1.Waypoint("WP2").Location.Lat += 0.002
	ss1.SpeedZones = nil
	ss1.Waypoints = slices.DeleteFunc(ss1.Waypoints, func(w *course.Waypoint) bool { return w.Type == course.DZ || w.Type == course.FZ })
	plan, err := planImport(eventID, target, current, planScope{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range plan.changes {
		got = append(got, c.Op+" "+c.Collection+" "+c.Key+" "+strings.Join(c.Fields, ","))
	}
	want := []string{
		"update waypoints S1/SS1/WP2 location",
		"delete speed_limit_zones S1/SS1/DZ2–FZ2 ",
		"delete waypoints S1/SS1/DZ2 ",
		"delete waypoints S1/SS1/FZ2 ",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("plan\n got %q\nwant %q", got, want)
	}
	if plan.ops[0].ID != current.Stage("S1").Segment("SS1").Waypoint("WP2").ID || len(plan.ops[0].Data) != 1 {
		t.Errorf("the update is not of WP2's location alone: %+v", plan.ops[0])
	}
}

// A whole-course import deletes what the file lacks: stages (their
// segments go with them) and geofences, after the writes that stop using
// them.
func TestWholeCourseImportDeletesWhatTheFileLacks(t *testing.T) {
	current := stored(t, seedCourse(t))
	target := seedCourse(t)
	target.Stages = target.Stages[:1]
	target.Geofences = slices.DeleteFunc(target.Geofences, func(g *course.Geofence) bool { return strings.HasPrefix(g.Name, "S1 ") })
	plan, err := planImport(eventID, target, current, planScope{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range plan.changes {
		got = append(got, c.Op+" "+c.Collection)
	}
	if len(got) != 1+6 || got[0] != "delete stages" || plan.changes[0].Key != "S1" {
		t.Fatalf("plan %v", got)
	}
	for _, g := range got[1:] {
		if g != "delete geofences" {
			t.Fatalf("plan %v", got)
		}
	}
}

// A roadbook imported as an existing stage replaces its segments and
// keeps the stage's own attributes; its geofences are the stage's.
func TestRoadbookStageKeepsTheStoredStageAttributes(t *testing.T) {
	current := stored(t, seedCourse(t))
	in := `<?xml version="1.0"?>
<gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1" xmlns:openrally="http://www.openrally.org/xmlschemas/GpxExtensions/v1.0.3">
<metadata><name>Some other name</name></metadata>
<wpt lat="41.3185" lon="19.4542"><name>TC0</name><extensions><openrally:timecontrol allowed="30"/></extensions></wpt>
<wpt lat="41.2888" lon="19.5312"><name>DSS</name><extensions><openrally:dss/></extensions></wpt>
<wpt lat="41.2360" lon="19.5441"><name>ASS</name><extensions><openrally:ass/></extensions></wpt>
</gpx>`
	target, _, err := course.Decode(strings.NewReader(in), course.DecodeOptions{Stage: course.StageOptions{Code: "P"}})
	if err != nil {
		t.Fatal(err)
	}
	plan, err := planImport(eventID, target, current, planScope{stage: "P", keepStageAttributes: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range plan.changes {
		if c.Collection == "stages" {
			t.Errorf("the stage itself changes: %+v", c)
		}
		if c.Collection == "geofences" && !strings.HasPrefix(c.Key, "P ") {
			t.Errorf("a geofence of another stage changes: %+v", c)
		}
		if strings.HasPrefix(c.Key, "S1") {
			t.Errorf("stage S1 changes: %+v", c)
		}
	}
	// P's L2 and the WPx of its special are gone; TC1, TC2, WP1-3 geofences too.
	deleted := map[string]bool{}
	for _, c := range plan.changes {
		if c.Op == "delete" {
			deleted[c.Collection+" "+c.Key] = true
		}
	}
	for _, k := range []string{"segments P/L2", "waypoints P/SS1/WP1", "geofences P TC1", "geofences P TC2"} {
		if !deleted[k] {
			t.Errorf("%s is not deleted: %v", k, deleted)
		}
	}
	if deleted["geofences Bivouac Durrës"] {
		t.Error("a geofence not named after the stage nor used by it was deleted")
	}
}

func TestAssembleCourseFromRows(t *testing.T) {
	rows := struct {
		stages    []stageRow
		segments  []segmentRow
		geofences []geofenceRow
		waypoints []waypointRow
		zones     []zoneRow
	}{}
	mustJSON := func(s string, v any) {
		if err := json.Unmarshal([]byte(s), v); err != nil {
			t.Fatal(err)
		}
	}
	mustJSON(`[{"id":"s1","code":"P","name":"Prologue","sort_order":1,"role":"prologue","status":"draft","starts_at":"2026-06-06T12:00:00.000Z","start_interval_seconds":60,"start_order_strategy":"manual","start_order_strategy_params":null,"start_order_input_stage_id":null},
	           {"id":"s2","code":"S1","name":"Stage 1","sort_order":2,"role":"stage","status":"draft","starts_at":null,"start_interval_seconds":null,"start_order_strategy":"inverse_top_n_then_natural","start_order_strategy_params":{"n":10},"start_order_input_stage_id":"s1"}]`, &rows.stages)
	mustJSON(`[{"id":"g1","name":"S1 DSS","kind":"start","geometry":{"type":"Polygon","coordinates":[[[20,41],[20.1,41],[20.1,41.1],[20,41]]]},"manual_verification":false,"retroactive":true}]`, &rows.geofences)
	mustJSON(`[{"id":"sg1","stage_id":"s2","code":"SS1","name":"Special","sort_order":1,"type":"special-stage","entry_geofence_id":"g1","exit_geofence_id":null,"target_duration_seconds":null,"allowed_lateness_seconds":1800,"length_km":"34.200000","route":{"type":"LineString","coordinates":[[20,41],[20.2,41.1]]}}]`, &rows.segments)
	mustJSON(`[{"id":"w1","segment_id":"sg1","sort_order":1,"name":"DZ1","type":"DZ","location":{"type":"Point","coordinates":[20.05,41.02]},"open_radius_meters":800,"tolerance_meters":90,"distance_km":"1.500000","notes":null},
	           {"id":"w2","segment_id":"sg1","sort_order":2,"name":"FZ1","type":"FZ","location":{"type":"Point","coordinates":[20.06,41.03]},"open_radius_meters":800,"tolerance_meters":90,"distance_km":null,"notes":"end"}]`, &rows.waypoints)
	mustJSON(`[{"id":"z1","segment_id":"sg1","name":"DZ1–FZ1","limit_kmh":50,"retroactive":false,"area":null,"start_waypoint_id":"w1","end_waypoint_id":"w2"}]`, &rows.zones)
	c, err := assembleCourse("Rally", rows.stages, rows.segments, rows.geofences, rows.waypoints, rows.zones)
	if err != nil {
		t.Fatal(err)
	}
	s1 := c.Stage("S1")
	g := s1.Segment("SS1")
	z := g.SpeedZones[0]
	if s1.StartOrder.InputStage != "P" || s1.StartOrder.Params.N != 10 || g.EntryGeofence != "S1 DSS" || *g.LengthKm != 34.2 ||
		*g.Waypoints[0].DistanceKm != 1.5 || g.Waypoints[1].Notes != "end" || z.StartWaypoint != "DZ1" || z.EndWaypoint != "FZ1" ||
		c.Stage("P").StartsAt.Hour() != 12 || len(g.Route) != 2 || !c.Geofences[0].Retroactive {
		t.Fatalf("assembled %+v / %+v / %+v", s1, g, z)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("assembled course invalid: %v", err)
	}
}
