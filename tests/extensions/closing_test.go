package extensions

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
)

// closing is one expected closing time: the control's name, when it
// closes, and the race number of the last starter it comes from.
type closing struct {
	control string
	closes  string // 15:04 on the stage's day, UTC
	last    int
}

func (c closing) String() string {
	return fmt.Sprintf("%s closes %s (last #%d)", c.control, c.closes, c.last)
}

// TestControlClosingTimes: through REST with users of Phase 4's roles, an
// open stage's time controls and checkpoints get the closing times of
// docs/control-closing-times.md, as computed by hand; a timekeeper's
// target time, a race director's lateness, a withdrawal, a deleted start
// and the stage's status each recompute them; nobody writes them through
// the API, and each role reads what access/ says.
func TestControlClosingTimes(t *testing.T) {
	s := newStack(t, 1, apart)
	admin := s.client()
	director, timekeeper := s.member(t, s.org, "race-director"), s.member(t, s.org, "timekeeper")
	participant, viewer := s.member(t, s.org, "participant"), s.member(t, s.org, "viewer")
	other := create(t, admin, "organizations", map[string]any{"name": "Other Club", "slug": "other-" + unique()})
	outsider := s.member(t, other, "race-director")
	anonymous, err := directusctl.NewClient(s.insts[0].URL)
	if err != nil {
		t.Fatal(err)
	}

	ev := create(t, admin, "events", map[string]any{"organization_id": s.org, "name": "Rally Albania 2026", "slug": "ra-" + unique(),
		"discipline": "rally", "starts_at": "2026-06-06T06:00:00Z", "ends_at": "2026-06-13T18:00:00Z"})
	cl := create(t, admin, "classes", map[string]any{"event_id": ev, "code": "C-1", "name": "Cars", "category": "car"})
	entries := map[int]string{}
	for _, n := range []int{1, 2, 3} {
		veh := create(t, admin, "vehicles", map[string]any{"make": "Toyota", "model": "Hilux " + unique()})
		create(t, admin, "organization_vehicles", map[string]any{"organization_id": s.org, "vehicle_id": veh})
		entries[n] = create(t, admin, "entries", map[string]any{"event_id": ev, "class_id": cl, "race_number": n, "status": "registered", "vehicle_id": veh})
	}
	stage := create(t, director, "stages", map[string]any{"event_id": ev, "code": "S1", "name": "Tirana – Berat", "sort_order": 1,
		"starts_at": "2026-06-07T08:00:00Z", "start_interval_seconds": 120})
	// L1: a liaison of an hour, 30 min late allowed, TC0 at its start, CP1
	// inside, TC1 at its end. SS1: a special without an ideal time, TC2
	// at its start (0 km, after the DSS), CP2 inside (no due time there).
	// L2: no lateness set.
	segment := func(code, typ string, sort int, target, lateness any) string {
		return create(t, director, "segments", map[string]any{"stage_id": stage, "code": code, "name": code, "sort_order": sort, "type": typ,
			"target_duration_seconds": target, "allowed_lateness_seconds": lateness})
	}
	l1, ss1, l2 := segment("L1", "liaison", 1, 3600, 1800), segment("SS1", "special-stage", 2, nil, 1800), segment("L2", "liaison", 3, 1800, nil)
	wp := func(seg, name, typ string, sort int, km float64) {
		create(t, director, "waypoints", map[string]any{"segment_id": seg, "name": name, "type": typ, "sort_order": sort, "distance_km": km,
			"location": map[string]any{"type": "Point", "coordinates": []float64{19.8 + float64(sort)*0.01, 41.0}}, "open_radius_meters": 800, "tolerance_meters": 90})
	}
	wp(l1, "TC0", "TC", 1, 0)
	wp(l1, "CP1", "CP", 2, 20)
	wp(l1, "WPV1", "WPV", 3, 30)
	wp(l1, "TC1", "TC", 4, 40)
	wp(ss1, "DSS1", "DSS", 1, 0)
	wp(ss1, "TC2", "TC", 2, 0)
	wp(ss1, "CP2", "CP", 3, 25)
	wp(l2, "TC3", "TC", 1, 0)
	starts := map[string]string{} // "L1/1" → id
	for _, n := range []int{1, 2, 3} {
		for _, sg := range []struct {
			code, id, first string
		}{{"L1", l1, "08:00"}, {"SS1", ss1, "09:05"}, {"L2", l2, "11:00"}} {
			first, _ := time.Parse("15:04", sg.first)
			at := time.Date(2026, 6, 7, first.Hour(), first.Minute(), 0, 0, time.UTC).Add(time.Duration(n-1) * 2 * time.Minute)
			starts[fmt.Sprintf("%s/%d", sg.code, n)] = create(t, admin, "entry_segment_starts", map[string]any{
				"entry_id": entries[n], "segment_id": sg.id, "start_position": n, "target_at": at.Format(time.RFC3339),
				// Set by hand, so that opening the stage (stage-open) keeps these
				// times rather than computing its own.
				"manual_override": true, "override_reason": "the organiser's time card"})
		}
	}

	want := func(t *testing.T, what string, expected ...closing) {
		t.Helper()
		s.waitClosing(t, stage, what, expected)
	}
	want(t, "a draft stage has no closing times")

	if err := director.UpdateItem(bg, "stages", stage, map[string]any{"status": "open"}, nil); err != nil {
		t.Fatal(err)
	}
	// TC0: the last starter (#3) is due at L1's start at 08:04, + 30 min.
	// CP1 and TC1: due at L1's end, 08:04 + 1 h, + 30 min. TC2: #3 is due
	// at SS1's start at 09:09, + 30 min. CP2: SS1 has no target duration;
	// TC3: L2 allows no lateness.
	opened := []closing{{"CP1", "09:34", 3}, {"TC0", "08:34", 3}, {"TC1", "09:34", 3}, {"TC2", "09:39", 3}}
	// Stage open computes them in the transaction of the start list and
	// the status: they are there when the answer comes, with no wait for
	// the action hook.
	if got := s.closingTimes(t, stage); !slices.Equal(got, opened) {
		t.Errorf("right after opening, the closing times are\n  %s\nwant\n  %s", join(got), join(opened))
	}
	want(t, "opening the stage computes them", opened...)

	t.Run("a timekeeper's target time recomputes them", func(t *testing.T) {
		if err := timekeeper.UpdateItem(bg, "entry_segment_starts", starts["L1/1"], map[string]any{"target_at": "2026-06-07T08:10:00Z"}, nil); err != nil {
			t.Fatal(err)
		}
		want(t, "#1 now due last at L1",
			closing{"CP1", "09:40", 1}, closing{"TC0", "08:40", 1}, closing{"TC1", "09:40", 1}, closing{"TC2", "09:39", 3})
	})

	t.Run("a race director's allowed lateness recomputes them", func(t *testing.T) {
		if err := director.UpdateItem(bg, "segments", l1, map[string]any{"allowed_lateness_seconds": 900}, nil); err != nil {
			t.Fatal(err)
		}
		want(t, "L1 allows 15 min",
			closing{"CP1", "09:25", 1}, closing{"TC0", "08:25", 1}, closing{"TC1", "09:25", 1}, closing{"TC2", "09:39", 3})
		if err := director.UpdateItem(bg, "segments", ss1, map[string]any{"target_duration_seconds": 5400}, nil); err != nil {
			t.Fatal(err)
		}
		// CP2 inside SS1 is due at SS1's end: 09:09 + 1 h 30, + 30 min.
		want(t, "SS1 gets an ideal time: CP2 closes",
			closing{"CP1", "09:25", 1}, closing{"CP2", "11:09", 3}, closing{"TC0", "08:25", 1}, closing{"TC1", "09:25", 1}, closing{"TC2", "09:39", 3})
	})

	t.Run("a withdrawn entry no longer starts", func(t *testing.T) {
		if err := director.UpdateItem(bg, "entries", entries[1], map[string]any{"status": "withdrawn"}, nil); err != nil {
			t.Fatal(err)
		}
		want(t, "#3 is last again",
			closing{"CP1", "09:19", 3}, closing{"CP2", "11:09", 3}, closing{"TC0", "08:19", 3}, closing{"TC1", "09:19", 3}, closing{"TC2", "09:39", 3})
	})

	t.Run("a deleted start recomputes them", func(t *testing.T) {
		// Nobody but an administrator deletes a start (access/).
		if err := admin.DeleteItem(bg, "entry_segment_starts", starts["L1/3"]); err != nil {
			t.Fatal(err)
		}
		want(t, "#2 is last at L1",
			closing{"CP1", "09:17", 2}, closing{"CP2", "11:09", 3}, closing{"TC0", "08:17", 2}, closing{"TC1", "09:17", 2}, closing{"TC2", "09:39", 3})
	})

	t.Run("nobody writes a closing time through the API", func(t *testing.T) {
		var row struct {
			ID       string `json:"id"`
			Waypoint string `json:"waypoint_id"`
		}
		rows := []map[string]any{}
		if err := admin.ListItems(bg, "control_closing_times", url.Values{"filter": {`{"stage_id":{"_eq":"` + stage + `"}}`}, "limit": {"1"}}, &rows); err != nil || len(rows) != 1 {
			t.Fatalf("a closing time to write: %v %v", rows, err)
		}
		row.ID, row.Waypoint = fmt.Sprint(rows[0]["id"]), fmt.Sprint(rows[0]["waypoint_id"])
		for name, c := range map[string]*directusctl.Client{"race director": director, "timekeeper": timekeeper, "participant": participant,
			"viewer": viewer, "race director of another organisation": outsider, "anonymous": anonymous} {
			refused := func(what string, err error) {
				t.Helper()
				var ae *directusctl.APIError
				if !asAPIError(err, &ae) || (ae.Status != http.StatusForbidden && !(c == anonymous && ae.Status == http.StatusUnauthorized)) {
					t.Errorf("%s %s: %v, want 403", name, what, err)
				}
			}
			refused("moves a closing time", c.UpdateItem(bg, "control_closing_times", row.ID, map[string]any{"closes_at": "2026-06-07T23:00:00Z"}, nil))
			refused("deletes a closing time", c.DeleteItem(bg, "control_closing_times", row.ID))
			refused("creates a closing time", c.CreateItem(bg, "control_closing_times", map[string]any{"stage_id": stage, "waypoint_id": row.Waypoint,
				"closes_at": "2026-06-07T23:00:00Z", "due_at": "2026-06-07T22:30:00Z", "allowed_lateness_seconds": 1800, "computed_at": "2026-06-07T07:00:00Z"}, nil))
		}
		want(t, "the closing times are as computed",
			closing{"CP1", "09:17", 2}, closing{"CP2", "11:09", 3}, closing{"TC0", "08:17", 2}, closing{"TC1", "09:17", 2}, closing{"TC2", "09:39", 3})
	})

	t.Run("the database refuses a closing time that breaks its rules, even an administrator's", func(t *testing.T) {
		var wps []struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		}
		if err := admin.ListItems(bg, "waypoints", url.Values{"filter": {`{"name":{"_in":["WPV1","TC3"]}}`}, "fields": {"id,name"}}, &wps); err != nil || len(wps) != 2 {
			t.Fatalf("waypoints: %v %v", wps, err)
		}
		ids := map[string]string{}
		for _, w := range wps {
			ids[w.Name] = w.ID
		}
		row := func(waypoint, closes string) map[string]any {
			return map[string]any{"stage_id": stage, "waypoint_id": waypoint, "closes_at": closes, "due_at": "2026-06-07T12:00:00Z",
				"allowed_lateness_seconds": 1800, "computed_at": "2026-06-07T07:00:00Z"}
		}
		for _, x := range []struct {
			what  string
			item  map[string]any
			words []string
		}{
			{"closes_at is not due_at + the lateness", row(ids["TC3"], "2026-06-07T12:10:00Z"), []string{"due time plus the allowed lateness", "control_closing_times_closes_after_lateness"}},
			{"a WPV is no control", row(ids["WPV1"], "2026-06-07T12:30:00Z"), []string{"time control (TC) or checkpoint (CP)", "control_closing_times_control_of_stage"}},
		} {
			err := admin.CreateItem(bg, "control_closing_times", x.item, nil)
			if r := refusalOf(t, err); r.Status != http.StatusBadRequest || !contains(r.Message, x.words...) {
				t.Errorf("%s: %d %s %q, want 400 naming %v", x.what, r.Status, r.Code, r.Message, x.words)
			}
		}
	})

	t.Run("each role reads what access says", func(t *testing.T) {
		count := func(c *directusctl.Client, fields string) (int, error) {
			var rows []map[string]any
			err := c.ListItems(bg, "control_closing_times", url.Values{"fields": {fields}, "filter": {`{"stage_id":{"_eq":"` + stage + `"}}`}}, &rows)
			return len(rows), err
		}
		for name, c := range map[string]*directusctl.Client{"race director": director, "timekeeper": timekeeper, "viewer": viewer} {
			if n, err := count(c, "*"); err != nil || n != 5 {
				t.Errorf("%s reads %d closing times with every field (%v), want 5", name, n, err)
			}
		}
		if n, err := count(participant, "id,stage_id,waypoint_id,closes_at"); err != nil || n != 5 {
			t.Errorf("a participant reads %d closing times (%v), want 5", n, err)
		}
		// The last starter belongs to the start list, which a participant
		// reads for their own entries only.
		var rows []map[string]any
		if err := participant.ListItems(bg, "control_closing_times", url.Values{"fields": {"id,closes_at,last_entry_id,last_start_id"},
			"filter": {`{"stage_id":{"_eq":"` + stage + `"}}`}}, &rows); err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if r["closes_at"] == nil || r["last_entry_id"] != nil || r["last_start_id"] != nil {
				t.Errorf("a participant reads %v; want the closing time without the last starter", r)
			}
		}
		if n, err := count(outsider, "id"); err != nil || n != 0 {
			t.Errorf("a race director of another organisation reads %d closing times (%v), want none", n, err)
		}
		var ae *directusctl.APIError
		if _, err := count(anonymous, "id"); !asAPIError(err, &ae) || (ae.Status != http.StatusForbidden && ae.Status != http.StatusUnauthorized) {
			t.Errorf("anonymous reads closing times: %v, want 401 or 403", err)
		}
	})

	t.Run("a stage set back has none; opened again, all", func(t *testing.T) {
		if err := director.UpdateItem(bg, "stages", stage, map[string]any{"status": "published"}, nil); err != nil {
			t.Fatal(err)
		}
		want(t, "the stage is published, not open")
		if err := director.UpdateItem(bg, "stages", stage, map[string]any{"status": "open"}, nil); err != nil {
			t.Fatal(err)
		}
		want(t, "open again",
			closing{"CP1", "09:17", 2}, closing{"CP2", "11:09", 3}, closing{"TC0", "08:17", 2}, closing{"TC1", "09:17", 2}, closing{"TC2", "09:39", 3})
		if err := director.UpdateItem(bg, "stages", stage, map[string]any{"status": "closed"}, nil); err != nil {
			t.Fatal(err)
		}
		if err := timekeeper.UpdateItem(bg, "entry_segment_starts", starts["L1/2"], map[string]any{"target_at": "2026-06-07T12:00:00Z"}, nil); err != nil {
			t.Fatal(err)
		}
		// A closed stage keeps the closing times it closed with: wait
		// until the hook has run for the change (it recomputes an open
		// stage's), then look.
		s.waitHooksIdle(t)
		want(t, "closed: kept as they were",
			closing{"CP1", "09:17", 2}, closing{"CP2", "11:09", 3}, closing{"TC0", "08:17", 2}, closing{"TC1", "09:17", 2}, closing{"TC2", "09:39", 3})
	})

	t.Run("a deleted control takes its closing time with it", func(t *testing.T) {
		var wps []struct {
			ID string `json:"id"`
		}
		if err := admin.ListItems(bg, "waypoints", url.Values{"filter": {`{"name":{"_eq":"CP1"}}`}, "fields": {"id"}}, &wps); err != nil || len(wps) != 1 {
			t.Fatalf("CP1: %v %v", wps, err)
		}
		if err := director.DeleteItem(bg, "waypoints", wps[0].ID); err != nil {
			t.Fatal(err)
		}
		want(t, "CP1 is gone",
			closing{"CP2", "11:09", 3}, closing{"TC0", "08:17", 2}, closing{"TC1", "09:17", 2}, closing{"TC2", "09:39", 3})
	})
}

func asAPIError(err error, target **directusctl.APIError) bool { return errors.As(err, target) }

// member is a person with Directus's member role, which carries the
// policies of access/, holding role in org: a person as the boot's access
// step makes them.
func (s *stack) member(t testing.TB, org, role string) *directusctl.Client {
	t.Helper()
	return newMember(t, s.client(), s.insts[0].URL, org, role).c
}

func (s *stack) closingTimes(t testing.TB, stage string) []closing {
	t.Helper()
	rows, err := s.db.Query(context.Background(), `
		SELECT w.name, to_char(c.closes_at AT TIME ZONE 'UTC', 'HH24:MI'), e.race_number
		  FROM control_closing_times c JOIN waypoints w ON w.id = c.waypoint_id LEFT JOIN entries e ON e.id = c.last_entry_id
		 WHERE c.stage_id = $1 ORDER BY w.name`, stage)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []closing
	for rows.Next() {
		var c closing
		var last *int
		if err := rows.Scan(&c.control, &c.closes, &last); err != nil {
			t.Fatal(err)
		}
		if last != nil {
			c.last = *last
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// waitClosing waits until the stage's closing times are want: the hook
// recomputes after Directus committed the write, so the answer to the
// request may come first.
func (s *stack) waitClosing(t testing.TB, stage, what string, want []closing) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := s.closingTimes(t, stage)
		if slices.Equal(got, want) {
			return
		}
		if time.Now().After(deadline) {
			var logged []string
			for _, l := range strings.Split(s.insts[0].Log(), "\n") {
				if strings.Contains(l, "closing times") {
					logged = append(logged, l)
				}
			}
			t.Fatalf("%s: after 20 s the closing times are\n  %s\nwant\n  %s\nthe hook logged:\n%s", what, join(got), join(want), strings.Join(logged, "\n"))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitHooksIdle gives the action hooks of the writes before it time to
// run: it makes six more writes, the last of which (a start in a
// throwaway open stage) the hook answers with a closing time, and waits
// for that. Directus starts action hooks in the order of the writes
// without waiting for them, so this is no proof that an earlier one has
// finished, only that the hook has been busy well past it.
func (s *stack) waitHooksIdle(t testing.TB) {
	t.Helper()
	c := s.client()
	ev := create(t, c, "events", map[string]any{"organization_id": s.org, "name": "Marker " + unique(), "slug": "marker-" + unique(),
		"discipline": "hike", "starts_at": "2026-06-06T06:00:00Z", "ends_at": "2026-06-13T18:00:00Z"})
	cl := create(t, c, "classes", map[string]any{"event_id": ev, "code": "F-1", "name": "Walkers", "category": "foot"})
	entry := create(t, c, "entries", map[string]any{"event_id": ev, "class_id": cl, "race_number": 1})
	st := create(t, c, "stages", map[string]any{"event_id": ev, "code": "M", "name": "Marker", "sort_order": 1})
	// Opened in SQL: stage open would leave out the marker's entry (a
	// draft), and this stage only needs to be open for the hook.
	if _, err := s.db.Exec(context.Background(), `UPDATE stages SET status = 'open' WHERE id = $1`, st); err != nil {
		t.Fatal(err)
	}
	sg := create(t, c, "segments", map[string]any{"stage_id": st, "code": "M", "name": "M", "sort_order": 1, "type": "liaison", "allowed_lateness_seconds": 60})
	create(t, c, "waypoints", map[string]any{"segment_id": sg, "name": "TC", "type": "TC", "sort_order": 1, "distance_km": 0,
		"location": map[string]any{"type": "Point", "coordinates": []float64{19.9, 41.1}}, "open_radius_meters": 800, "tolerance_meters": 90})
	create(t, c, "entry_segment_starts", map[string]any{"entry_id": entry, "segment_id": sg, "start_position": 1, "target_at": "2026-06-07T08:00:00Z"})
	s.waitClosing(t, st, "the marker stage", []closing{{"TC", "08:01", 1}})
}

func join(cs []closing) string {
	var parts []string
	for _, c := range cs {
		parts = append(parts, c.String())
	}
	if len(parts) == 0 {
		return "(none)"
	}
	return strings.Join(parts, "\n  ")
}
