package schema

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"git.dev.trmtracking.org/trm/directus/lib/course"
	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
)

// The Phase 2 rules (docs/data-model-phase2.md, db-init/post/002), each
// refused through the REST API with its sentence.

func circle(lon, lat float64) map[string]any {
	return polygonOf(course.GeofenceCircle(course.Point{Lon: lon, Lat: lat}, 90))
}

func polygonOf(p course.Polygon) map[string]any {
	var rings [][][]float64
	for _, r := range p {
		var ring [][]float64
		for _, q := range r {
			ring = append(ring, []float64{q.Lon, q.Lat})
		}
		rings = append(rings, ring)
	}
	return map[string]any{"type": "Polygon", "coordinates": rings}
}

func point(lon, lat float64) map[string]any {
	return map[string]any{"type": "Point", "coordinates": []float64{lon, lat}}
}

// courseFixture is an event with a prologue P and a stage S1 ordered by
// it, a geofence, and in S1 a special SS1 entering by it with the
// waypoints DZ1, WP1, FZ1 and the zone DZ1–FZ1.
type courseFixture struct {
	fixture
	p, s1, geofence, ss1, dz, wp, fz, zone string
}

func (a *api) courseFixture(t testing.TB) courseFixture {
	t.Helper()
	f := courseFixture{fixture: a.fixture(t)}
	f.p = a.create(t, "stages", map[string]any{"event_id": f.event, "code": "P", "name": "Prologue", "sort_order": 1, "role": "prologue"})
	f.s1 = a.create(t, "stages", map[string]any{"event_id": f.event, "code": "S1", "name": "Stage 1", "sort_order": 2,
		"start_order_strategy": "inverse_top_n_then_natural", "start_order_strategy_params": map[string]any{"n": 10}, "start_order_input_stage_id": f.p})
	f.geofence = a.create(t, "geofences", map[string]any{"event_id": f.event, "name": "S1 DSS", "kind": "start", "geometry": circle(19.67, 41.07)})
	f.ss1 = a.create(t, "segments", map[string]any{"stage_id": f.s1, "code": "SS1", "name": "Special 1", "sort_order": 1,
		"type": "special-stage", "entry_geofence_id": f.geofence, "length_km": 49.47})
	wp := func(name, typ string, sort int, lon float64) string {
		return a.create(t, "waypoints", map[string]any{"segment_id": f.ss1, "name": name, "type": typ, "sort_order": sort,
			"location": point(lon, 41.0), "open_radius_meters": 800, "tolerance_meters": 90})
	}
	f.dz, f.wp, f.fz = wp("DZ1", "DZ", 1, 19.8), wp("WP1", "WPM", 2, 19.85), wp("FZ1", "FZ", 3, 19.9)
	f.zone = a.create(t, "speed_limit_zones", map[string]any{"segment_id": f.ss1, "name": "DZ1–FZ1", "limit_kmh": 50,
		"start_waypoint_id": f.dz, "end_waypoint_id": f.fz})
	return f
}

func (a *api) courseRules(t *testing.T) {
	f := a.courseFixture(t)
	other := a.courseFixture(t)
	bowtie := map[string]any{"type": "Polygon", "coordinates": [][][]float64{{{20, 41}, {20.1, 41.1}, {20.1, 41}, {20, 41.1}, {20, 41}}}}
	square := map[string]any{"type": "Polygon", "coordinates": [][][]float64{{{20, 41}, {20.1, 41}, {20.1, 41.1}, {20, 41.1}, {20, 41}}}}
	stage := func(extra map[string]any) map[string]any {
		code := "S" + unique()
		m := map[string]any{"event_id": f.event, "code": code, "name": "Stage", "sort_order": 100 + seq}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	segment := func(extra map[string]any) map[string]any {
		m := map[string]any{"stage_id": f.s1, "code": "L" + unique(), "name": "Liaison", "sort_order": 100 + seq, "type": "liaison"}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	waypoint := func(extra map[string]any) map[string]any {
		m := map[string]any{"segment_id": f.ss1, "name": "WP" + unique(), "type": "WPV", "sort_order": 100 + seq,
			"location": point(19.95, 41.0), "open_radius_meters": 800, "tolerance_meters": 90}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	create := func(collection string, item map[string]any) func() error {
		return func() error { return a.c.CreateItem(ctx, collection, item, nil) }
	}
	update := func(collection, id string, patch map[string]any) func() error {
		return func() error { return a.c.UpdateItem(ctx, collection, id, patch, nil) }
	}
	const invalid, notUnique, foreign = directusctl.CodeInvalidPayload, directusctl.CodeRecordNotUnique, "INVALID_FOREIGN_KEY"
	for _, c := range []struct {
		name       string
		do         func() error
		code       string
		constraint string
		words      []string
	}{
		{"stage code twice in an event", create("stages", stage(map[string]any{"code": "P"})), notUnique, "stages_code_unique_per_event", []string{"stage with this code"}},
		{"stage sort order twice in an event", create("stages", stage(map[string]any{"sort_order": 1})), notUnique, "stages_sort_order_unique_per_event", []string{"sort order"}},
		{"unknown role", create("stages", stage(map[string]any{"role": "rest-day"})), invalid, "stages_role_allowed", []string{"must be one of"}},
		{"unknown status", create("stages", stage(map[string]any{"status": "running"})), invalid, "stages_status_allowed", []string{"must be one of"}},
		{"unknown strategy", create("stages", stage(map[string]any{"start_order_strategy": "random", "start_order_input_stage_id": f.p})), invalid, "stages_start_order_strategy_allowed", []string{"must be one of"}},
		{"strategy without input stage", create("stages", stage(map[string]any{"start_order_strategy": "inverse_of_overall"})), invalid, "stages_start_order_input_needed", []string{"needs one"}},
		{"manual with an input stage", create("stages", stage(map[string]any{"start_order_input_stage_id": f.p})), invalid, "stages_start_order_input_needed", []string{"takes no input stage"}},
		{"top N with n = 0", create("stages", stage(map[string]any{"start_order_strategy": "inverse_top_n_then_natural", "start_order_input_stage_id": f.p, "start_order_strategy_params": map[string]any{"n": 0}})), invalid, "stages_start_order_params_valid", []string{"whole N of at least 1"}},
		{"top N without n", create("stages", stage(map[string]any{"start_order_strategy": "inverse_top_n_then_natural", "start_order_input_stage_id": f.p})), invalid, "stages_start_order_params_valid", nil},
		{"a parameter for manual", create("stages", stage(map[string]any{"start_order_strategy_params": map[string]any{"n": 3}})), invalid, "stages_start_order_params_valid", nil},
		{"input stage of another event", create("stages", stage(map[string]any{"start_order_strategy": "previous_stage_clean_result", "start_order_input_stage_id": other.p})), foreign, "stages_input_stage_of_same_event", []string{"same event"}},
		{"input stage later", update("stages", f.p, map[string]any{"sort_order": 3}), invalid, "stages_input_stage_earlier", []string{"come earlier"}},
		{"negative start interval", create("stages", stage(map[string]any{"start_interval_seconds": -60})), invalid, "stages_start_interval_not_negative", nil},
		{"stage moved to another event with its geofences", update("stages", f.s1, map[string]any{"event_id": other.event, "start_order_strategy": "manual", "start_order_input_stage_id": nil, "start_order_strategy_params": nil, "sort_order": 50, "code": "S9"}), invalid, "stages_event_of_its_geofences", []string{"geofences of its event"}},

		{"segment code twice in a stage", create("segments", segment(map[string]any{"code": "SS1"})), notUnique, "segments_code_unique_per_stage", []string{"segment with this code"}},
		{"segment sort order twice in a stage", create("segments", segment(map[string]any{"sort_order": 1})), notUnique, "segments_sort_order_unique_per_stage", nil},
		{"unknown segment type", create("segments", segment(map[string]any{"type": "transfer"})), invalid, "segments_type_allowed", []string{"must be one of"}},
		{"zero target duration", create("segments", segment(map[string]any{"target_duration_seconds": 0})), invalid, "segments_durations_valid", nil},
		{"negative length", create("segments", segment(map[string]any{"length_km": -1})), invalid, "segments_length_not_negative", nil},
		{"route out of range", create("segments", segment(map[string]any{"route": map[string]any{"type": "LineString", "coordinates": [][]float64{{200, 41}, {20, 41}}}})), invalid, "segments_route_valid", nil},
		{"entry geofence of another event", create("segments", segment(map[string]any{"entry_geofence_id": other.geofence})), invalid, "segments_geofences_of_stage_event", []string{"geofences of its stage's event"}},

		{"geofence name twice in an event", create("geofences", map[string]any{"event_id": f.event, "name": "S1 DSS", "kind": "start", "geometry": square}), notUnique, "geofences_name_unique_per_event", nil},
		{"unknown geofence kind", create("geofences", map[string]any{"event_id": f.event, "name": "Gate " + unique(), "kind": "gate", "geometry": square}), invalid, "geofences_kind_allowed", []string{"must be one of"}},
		{"invalid polygon (a bow tie)", create("geofences", map[string]any{"event_id": f.event, "name": "Bow tie " + unique(), "kind": "checkpoint", "geometry": bowtie}), invalid, "geofences_geometry_valid", []string{"valid polygon"}},
		{"geofence used by segments moved to another event", update("geofences", f.geofence, map[string]any{"event_id": other.event, "name": "moved " + unique()}), invalid, "geofences_event_of_its_segments", nil},

		{"waypoint name twice in a segment", create("waypoints", waypoint(map[string]any{"name": "WP1"})), notUnique, "waypoints_name_unique_per_segment", nil},
		{"waypoint sort order twice in a segment", create("waypoints", waypoint(map[string]any{"sort_order": 2})), notUnique, "waypoints_sort_order_unique_per_segment", []string{"validated in order"}},
		{"unknown waypoint type", create("waypoints", waypoint(map[string]any{"type": "WPZ"})), invalid, "waypoints_type_allowed", []string{"must be one of"}},
		{"waypoint at (0, 0)", create("waypoints", waypoint(map[string]any{"location": point(0, 0)})), invalid, "waypoints_location_valid", []string{"(0, 0)"}},
		{"latitude out of range", create("waypoints", waypoint(map[string]any{"location": point(20, 95)})), invalid, "waypoints_location_valid", nil},
		{"validation radius above open", create("waypoints", waypoint(map[string]any{"tolerance_meters": 900})), invalid, "waypoints_radii_in_order", []string{"not larger than the open radius"}},
		{"zero validation radius", create("waypoints", waypoint(map[string]any{"tolerance_meters": 0})), invalid, "waypoints_radii_in_order", nil},
		{"negative distance", create("waypoints", waypoint(map[string]any{"distance_km": -0.5})), invalid, "waypoints_distance_not_negative", nil},
		{"DZ moved after its FZ", update("waypoints", f.dz, map[string]any{"sort_order": 9}), invalid, "waypoints_zone_order", nil},
		{"DZ turned into a WPV", update("waypoints", f.dz, map[string]any{"type": "WPV"}), invalid, "waypoints_zone_order", nil},

		{"zone name twice in a segment", create("speed_limit_zones", map[string]any{"segment_id": f.ss1, "name": "DZ1–FZ1", "limit_kmh": 30, "area": square}), notUnique, "speed_limit_zones_name_unique_per_segment", nil},
		{"zone with an area and waypoints", create("speed_limit_zones", map[string]any{"segment_id": f.ss1, "name": "Z" + unique(), "limit_kmh": 30, "area": square, "start_waypoint_id": f.dz, "end_waypoint_id": f.fz}), invalid, "speed_limit_zones_area_xor_waypoints", []string{"never both and never neither"}},
		{"zone with neither", create("speed_limit_zones", map[string]any{"segment_id": f.ss1, "name": "Z" + unique(), "limit_kmh": 30}), invalid, "speed_limit_zones_area_xor_waypoints", nil},
		{"zone with a DZ and no FZ", create("speed_limit_zones", map[string]any{"segment_id": f.ss1, "name": "Z" + unique(), "limit_kmh": 30, "start_waypoint_id": f.dz}), invalid, "speed_limit_zones_area_xor_waypoints", nil},
		{"zone limit 0", create("speed_limit_zones", map[string]any{"segment_id": f.ss1, "name": "Z" + unique(), "limit_kmh": 0, "area": square}), invalid, "speed_limit_zones_limit_valid", nil},
		{"zone area not valid", create("speed_limit_zones", map[string]any{"segment_id": f.ss1, "name": "Z" + unique(), "limit_kmh": 30, "area": bowtie}), invalid, "speed_limit_zones_area_valid", nil},
		{"DZ of another segment", create("speed_limit_zones", map[string]any{"segment_id": f.ss1, "name": "Z" + unique(), "limit_kmh": 30, "start_waypoint_id": other.dz, "end_waypoint_id": f.fz}), foreign, "speed_limit_zones_dz_of_segment", []string{"zone's segment"}},
		{"FZ before its DZ", create("speed_limit_zones", map[string]any{"segment_id": f.ss1, "name": "Z" + unique(), "limit_kmh": 30, "start_waypoint_id": f.fz, "end_waypoint_id": f.dz}), invalid, "speed_limit_zones_dz_before_fz", nil},
		{"zone starting at a WPM", create("speed_limit_zones", map[string]any{"segment_id": f.ss1, "name": "Z" + unique(), "limit_kmh": 30, "start_waypoint_id": f.wp, "end_waypoint_id": f.fz}), invalid, "speed_limit_zones_dz_before_fz", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			refused(t, c.do(), http.StatusBadRequest, c.code, c.constraint, c.words...)
		})
	}

	t.Run("a geofence in use cannot be deleted", func(t *testing.T) {
		refused(t, a.c.DeleteItem(ctx, "geofences", f.geofence), http.StatusBadRequest, foreign, "segments_entry_geofence_id_foreign", "still referenced by segments")
	})
	t.Run("renumbering a segment's waypoints in one request is allowed (uniqueness is checked at commit)", func(t *testing.T) {
		err := a.c.Do(ctx, http.MethodPatch, "/items/waypoints", nil, []map[string]any{
			{"id": f.dz, "sort_order": 2}, {"id": f.wp, "sort_order": 1}}, nil)
		if err != nil {
			t.Fatalf("swapping two sort orders: %v", err)
		}
	})
	t.Run("deleting a stage deletes its segments, waypoints and zones", func(t *testing.T) {
		g := a.courseFixture(t)
		if err := a.c.UpdateItem(ctx, "stages", g.s1, map[string]any{"start_order_strategy": "manual", "start_order_input_stage_id": nil, "start_order_strategy_params": nil}, nil); err != nil {
			t.Fatal(err)
		}
		if err := a.c.DeleteItem(ctx, "stages", g.s1); err != nil {
			t.Fatalf("deleting the stage: %v", err)
		}
		for coll, id := range map[string]string{"segments": g.ss1, "waypoints": g.dz, "speed_limit_zones": g.zone} {
			var got map[string]any
			if err := a.c.GetItem(ctx, coll, id, nil, &got); err == nil {
				t.Errorf("%s %s outlived its stage", coll, id)
			}
		}
	})
	t.Run("the input stage of a start order cannot be deleted", func(t *testing.T) {
		refused(t, a.c.DeleteItem(ctx, "stages", f.p), http.StatusBadRequest, foreign, "stages_start_order_input_stage_id_foreign", "still referenced by stages")
	})
}

// The processor's spatial questions — which geofences of an event contain
// a position, which speed zone of a segment a position falls in — are
// answered through the GiST indexes on a course of 500 geofences and 500
// area zones (EXPLAIN names the index).
func spatialQueriesUseGiST(t *testing.T, dbURL, event, segment string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	db, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(context.Background())
	// 500 circles of 90 m on a 0.01° grid around Tirana, and as many zones.
	if _, err := db.Exec(ctx, `
		INSERT INTO geofences (id, event_id, name, kind, geometry, manual_verification, retroactive)
		SELECT gen_random_uuid(), $1, 'grid ' || i, 'checkpoint',
		       ST_Buffer(ST_SetSRID(ST_MakePoint(19.5 + (i % 25) * 0.01, 41.0 + (i / 25) * 0.01), 4326)::geography, 90)::geometry,
		       false, false
		  FROM generate_series(0, 499) AS i`, event); err != nil {
		t.Fatalf("500 geofences: %v", err)
	}
	if _, err := db.Exec(ctx, `
		INSERT INTO speed_limit_zones (id, segment_id, name, limit_kmh, retroactive, area)
		SELECT gen_random_uuid(), $1, 'zone ' || i, 50, false,
		       ST_Buffer(ST_SetSRID(ST_MakePoint(19.5 + (i % 25) * 0.01, 41.0 + (i / 25) * 0.01), 4326)::geography, 300)::geometry
		  FROM generate_series(0, 499) AS i`, segment); err != nil {
		t.Fatalf("500 zones: %v", err)
	}
	if _, err := db.Exec(ctx, `ANALYZE geofences; ANALYZE speed_limit_zones`); err != nil {
		t.Fatal(err)
	}
	for _, q := range []struct{ what, sql, index string }{
		{"geofences of the event containing a position",
			`SELECT id FROM geofences WHERE event_id = '` + event + `' AND ST_Intersects(geometry, ST_SetSRID(ST_MakePoint(19.6, 41.1), 4326))`,
			"geofences_event_geometry_gist"},
		{"geofences of any event containing a position",
			`SELECT id FROM geofences WHERE ST_Intersects(geometry, ST_SetSRID(ST_MakePoint(19.6, 41.1), 4326))`,
			"geofences_event_geometry_gist"},
		{"the speed zone of the segment a position falls in",
			`SELECT id, limit_kmh FROM speed_limit_zones WHERE segment_id = '` + segment + `' AND ST_Intersects(area, ST_SetSRID(ST_MakePoint(19.6, 41.1), 4326))`,
			"speed_limit_zones_segment_area_gist"},
	} {
		rows, err := db.Query(ctx, "EXPLAIN "+q.sql)
		if err != nil {
			t.Fatalf("%s: %v", q.what, err)
		}
		var plan []string
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, line)
		}
		rows.Close()
		text := strings.Join(plan, "\n")
		t.Logf("%s:\n%s", q.what, text)
		if !strings.Contains(text, q.index) {
			t.Errorf("%s: the plan does not use %s:\n%s", q.what, q.index, text)
		}
	}
}
