package extensions

import (
	"net/http"
	"testing"
)

// BenchmarkStageOpen measures opening a stage of 400 entries × 6 segments
// (2,400 starts; inverse top 10 of a prologue with 400 official results),
// with Directus run as compose runs it (deploy/scaling.env, one instance,
// one Redis), by a race director, from request to answer, the commit
// included (target: under 2 s):
//
//   - endpoint-first-open: POST /trm/stages/:id/open of a stage without
//     starts (2,400 inserted);
//   - admin-app-first-open: PATCH /items/stages/:id {"status": "open"}, as
//     the admin app saves it (2,400 inserted);
//   - endpoint-reopen: the open stage opened again (planned, nothing
//     changes);
//   - endpoint-dry-run: the plan of a stage without starts, nothing
//     written.
//
// Between iterations (timer stopped) the stage's starts are deleted and
// its status set back to published.
func BenchmarkStageOpen(b *testing.B) {
	s := newStack(b, 1, inRedis)
	r := &rally{s: s, admin: s.client(), entries: map[int]string{}, stages: map[string]string{}}
	r.event = create(b, r.admin, "events", map[string]any{"organization_id": s.org, "name": "Rally Albania 2026", "slug": "rally-albania-2026",
		"discipline": "rally", "starts_at": "2026-06-05T22:00:00Z", "ends_at": "2026-06-13T22:00:00Z"})
	class := create(b, r.admin, "classes", map[string]any{"event_id": r.event, "code": "C-2", "name": "Cars", "category": "car"})
	// 400 registered entries, written as SQL for speed (no vehicles: the
	// discipline rule is the extension's, not the database's).
	if _, err := s.db.Exec(bg, `INSERT INTO entries (id, event_id, class_id, race_number, status)
		SELECT gen_random_uuid(), $1, $2, n, 'registered' FROM generate_series(1, 400) AS n`, r.event, class); err != nil {
		b.Fatal(err)
	}
	r.stage(b, "P", 1, map[string]any{"role": "prologue", "starts_at": "2026-06-06T14:00:00Z", "start_interval_seconds": 30},
		segmentDef{"SSP", "special-stage", nil})
	stage := r.stage(b, "S1", 2, map[string]any{"starts_at": "2026-06-07T05:00:00Z", "start_interval_seconds": 60,
		"start_order_strategy": "inverse_top_n_then_natural", "start_order_strategy_params": map[string]any{"n": 10}, "start_order_input_stage_id": r.stages["P"]},
		segmentDef{"L1", "liaison", 1800}, segmentDef{"N1", "neutralisation", 600}, segmentDef{"L2", "liaison", 1200},
		segmentDef{"SS1", "special-stage", nil}, segmentDef{"L3", "liaison", 2400}, segmentDef{"N2", "neutralisation", 300})
	if _, err := s.db.Exec(bg, `INSERT INTO stage_results (id, entry_id, stage_id, elapsed_seconds, penalty_seconds, total_seconds)
		SELECT gen_random_uuid(), e.id, $2, 600 + (e.race_number * 37) % 401, 0, 600 + (e.race_number * 37) % 401 FROM entries e WHERE e.event_id = $1`,
		r.event, r.stages["P"]); err != nil {
		b.Fatal(err)
	}
	if _, err := s.db.Exec(bg, `UPDATE stage_results SET status = 'official', published_by = $2, published_at = now() WHERE stage_id = $1`,
		r.stages["P"], s.admin); err != nil {
		b.Fatal(err)
	}
	director := r.member(b, s.org, "race-director")

	reset := func(b *testing.B) {
		b.Helper()
		if _, err := s.db.Exec(bg, `DELETE FROM entry_segment_starts x USING segments g WHERE g.id = x.segment_id AND g.stage_id = $1`, stage); err != nil {
			b.Fatal(err)
		}
		if _, err := s.db.Exec(bg, `UPDATE stages SET status = 'published' WHERE id = $1`, stage); err != nil {
			b.Fatal(err)
		}
	}
	inserted := func(b *testing.B, res openAnswer) {
		b.Helper()
		if res.Counts.Insert != 2400 {
			b.Fatalf("counts %+v, want 2400 inserted", res.Counts)
		}
	}

	b.Run("endpoint-first-open", func(b *testing.B) {
		for range b.N {
			b.StopTimer()
			reset(b)
			b.StartTimer()
			res, err := openStage(director, stage, false)
			if err != nil {
				b.Fatal(err)
			}
			inserted(b, res)
		}
	})

	b.Run("admin-app-first-open", func(b *testing.B) {
		for range b.N {
			b.StopTimer()
			reset(b)
			b.StartTimer()
			if err := director.Do(bg, http.MethodPatch, "/items/stages/"+stage, nil, map[string]any{"status": "open"}, nil); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		var n int
		if err := s.db.QueryRow(bg, `SELECT count(*) FROM entry_segment_starts x JOIN segments g ON g.id = x.segment_id WHERE g.stage_id = $1`, stage).Scan(&n); err != nil || n != 2400 {
			b.Fatalf("%d starts, want 2400: %v", n, err)
		}
	})

	b.Run("endpoint-reopen", func(b *testing.B) {
		for range b.N {
			res, err := openStage(director, stage, false)
			if err != nil {
				b.Fatal(err)
			}
			if c := res.Counts; c.Unchanged != 2400 {
				b.Fatalf("counts %+v, want 2400 unchanged", c)
			}
		}
	})

	b.Run("endpoint-dry-run", func(b *testing.B) {
		b.StopTimer()
		reset(b)
		b.StartTimer()
		for range b.N {
			res, err := openStage(director, stage, true)
			if err != nil {
				b.Fatal(err)
			}
			inserted(b, res)
		}
	})
}
