package extensions

import (
	"context"
	"testing"
	"time"
)

// BenchmarkClosingTimes measures the closing-times hook at the size of a
// long rally-raid stage: 200 entries, 8 liaisons of 30 km, each with a TC
// at its start, two CPs and a TC at its end (32 controls, 1,600 starts),
// from the REST request to the stored closing time (the hook runs after
// Directus committed and answered; polled every 2 ms):
//
//   - target-at: a timekeeper-style PATCH of the last starter's target
//     time at the first liaison, until its TC's due time shows it;
//   - open: PATCH the stage's status to open, until its 32 closing times
//     are stored (setting it back to published, untimed, between runs);
//   - patch-only: a PATCH of the stage's name, which moves no closing
//     time: the share of the request itself in the two above.
//
// The course, entries and starts are written in SQL, as stage open
// materialises a start list.
func BenchmarkClosingTimes(b *testing.B) {
	s := newStack(b, 1, apart)
	c := s.client()
	ctx := context.Background()
	ev := create(b, c, "events", map[string]any{"organization_id": s.org, "name": "Rally Albania 2026", "slug": "ra-" + unique(),
		"discipline": "rally", "starts_at": "2026-06-06T06:00:00Z", "ends_at": "2026-06-13T18:00:00Z"})
	cl := create(b, c, "classes", map[string]any{"event_id": ev, "code": "C-1", "name": "Cars", "category": "car"})
	stage := create(b, c, "stages", map[string]any{"event_id": ev, "code": "S1", "name": "Stage 1", "sort_order": 1,
		"starts_at": "2026-06-07T08:00:00Z", "start_interval_seconds": 60})
	first := time.Date(2026, 6, 7, 8, 0, 0, 0, time.UTC)
	if _, err := s.db.Exec(ctx, `
		WITH e AS (
			INSERT INTO entries (id, event_id, class_id, race_number, status)
			SELECT gen_random_uuid(), $1, $2, n, 'registered' FROM generate_series(1, 200) n RETURNING id, race_number
		), g AS (
			INSERT INTO segments (id, stage_id, code, name, sort_order, type, target_duration_seconds, allowed_lateness_seconds)
			SELECT gen_random_uuid(), $3, 'L' || k, 'Liaison ' || k, k, 'liaison', 3600, 1800 FROM generate_series(1, 8) k RETURNING id, sort_order
		), w AS (
			INSERT INTO waypoints (id, segment_id, sort_order, name, type, location, open_radius_meters, tolerance_meters, distance_km)
			SELECT gen_random_uuid(), g.id, p.sort, p.name || g.sort_order, p.type,
			       ST_SetSRID(ST_MakePoint(19.8 + g.sort_order * 0.1 + p.sort * 0.01, 41.0), 4326), 800, 90, p.km
			  FROM g, (VALUES (1, 'TC-a', 'TC', 0), (2, 'CP-a', 'CP', 10), (3, 'CP-b', 'CP', 20), (4, 'TC-b', 'TC', 30)) AS p(sort, name, type, km)
		)
		INSERT INTO entry_segment_starts (id, entry_id, segment_id, start_position, target_at, manual_override)
		SELECT gen_random_uuid(), e.id, g.id, e.race_number,
		       $4::timestamptz + make_interval(secs => (g.sort_order - 1) * 5400 + (e.race_number - 1) * 60), false
		  FROM e, g`, ev, cl, stage, first); err != nil {
		b.Fatal(err)
	}
	var last, tc string
	if err := s.db.QueryRow(ctx, `
		SELECT st.id, w.id FROM entry_segment_starts st JOIN entries e ON e.id = st.entry_id JOIN segments g ON g.id = st.segment_id
		  JOIN waypoints w ON w.segment_id = g.id AND w.sort_order = 1
		 WHERE g.stage_id = $1 AND g.sort_order = 1 AND e.race_number = 200`, stage).Scan(&last, &tc); err != nil {
		b.Fatal(err)
	}
	count := func() int {
		var n int
		if err := s.db.QueryRow(ctx, `SELECT count(*) FROM control_closing_times WHERE stage_id = $1`, stage).Scan(&n); err != nil {
			b.Fatal(err)
		}
		return n
	}
	waitFor := func(what string, done func() bool) {
		deadline := time.Now().Add(30 * time.Second)
		for !done() {
			if time.Now().After(deadline) {
				b.Fatalf("%s: not after 30 s", what)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	status := func(to string) {
		if err := c.UpdateItem(bg, "stages", stage, map[string]any{"status": to}, nil); err != nil {
			b.Fatal(err)
		}
	}

	b.Run("open", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			status("published")
			waitFor("no closing times once published", func() bool { return count() == 0 })
			b.StartTimer()
			status("open")
			waitFor("32 closing times once open", func() bool { return count() == 32 })
		}
	})

	b.Run("patch-only", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if err := c.UpdateItem(bg, "stages", stage, map[string]any{"name": "Stage 1 " + unique()}, nil); err != nil {
				b.Fatal(err)
			}
		}
	})

	n := 0
	b.Run("target-at", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			n++
			at := first.Add(4*time.Hour + time.Duration(n)*time.Second)
			if err := c.UpdateItem(bg, "entry_segment_starts", last, map[string]any{"target_at": at.Format(time.RFC3339)}, nil); err != nil {
				b.Fatal(err)
			}
			waitFor("the new due time", func() bool {
				var due time.Time
				if err := s.db.QueryRow(ctx, `SELECT due_at FROM control_closing_times WHERE waypoint_id = $1`, tc).Scan(&due); err != nil {
					b.Fatal(err)
				}
				return due.Equal(at)
			})
		}
	})
}
