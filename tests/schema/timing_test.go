package schema

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
)

// The Phase 3 rules (docs/data-model-phase3.md, db-init/post/003), through
// the REST API as a user meets them, each refusal with its sentence; and
// what extensions/trm-timing records from the session.

// timingFixture is a course fixture with an entry, a second entry, a rule
// of two brackets and a flat rule.
type timingFixture struct {
	courseFixture
	entry, entry2, speeding, missed string
}

func (a *api) timingFixture(t testing.TB) timingFixture {
	t.Helper()
	f := timingFixture{courseFixture: a.courseFixture(t)}
	f.entry = a.create(t, "entries", map[string]any{"event_id": f.event, "class_id": f.class, "race_number": 201})
	f.entry2 = a.create(t, "entries", map[string]any{"event_id": f.event, "class_id": f.class, "race_number": 202})
	f.speeding = a.create(t, "penalty_formulas", speedingBracket(f.event, 1, 0, ptr(20.0), 60))
	a.create(t, "penalty_formulas", speedingBracket(f.event, 1, 20, nil, 120))
	f.missed = a.create(t, "penalty_formulas", map[string]any{"event_id": f.event, "rule_key": "missed-wpm", "version": 1, "supersedes": 0,
		"type": "missed_waypoint", "qualifier": "WPM", "belongs_to_type": "event", "offence_min": 0, "operator": "per_unit_over", "per": 1, "penalty": 900})
	return f
}

func ptr[T any](v T) *T { return &v }

// speedingBracket is a bracket of version v of the rule speeding.
func speedingBracket(event string, v int, min float64, max *float64, penalty int) map[string]any {
	m := map[string]any{"event_id": event, "rule_key": "speeding", "version": v, "supersedes": v - 1, "type": "speeding",
		"belongs_to_type": "event", "contiguous": true, "pulse_seconds": 10, "pulse_metres": 150,
		"offence_min": min, "operator": "per_pulse", "penalty": penalty}
	if max != nil {
		m["offence_max"] = *max
	}
	return m
}

func (a *api) penalty(f timingFixture, formula, offence string, extra map[string]any) map[string]any {
	m := map[string]any{"entry_id": f.entry, "segment_id": f.ss1, "type": "speeding", "offence_key": offence, "formula_id": formula,
		"formula_snapshot": map[string]any{"rule_key": "speeding", "version": 1}, "inputs": map[string]any{"value": 12, "pulses": 1}, "seconds": 60}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

// me is the id of the user the client is.
func (a *api) me(t testing.TB) string {
	t.Helper()
	var me struct {
		ID string `json:"id"`
	}
	if err := a.c.Do(ctx, http.MethodGet, "/users/me", nil, nil, &me); err != nil {
		t.Fatal(err)
	}
	return me.ID
}

func (a *api) timingRules(t *testing.T) {
	f := a.timingFixture(t)
	other := a.timingFixture(t)
	create := func(collection string, item map[string]any) func() error {
		return func() error { return a.c.CreateItem(ctx, collection, item, nil) }
	}
	formula := func(extra map[string]any) map[string]any {
		m := map[string]any{"event_id": f.event, "rule_key": "r" + unique(), "version": 1, "supersedes": 0, "type": "late_time_control",
			"belongs_to_type": "event", "offence_min": 0, "operator": "flat", "penalty": 60}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	const invalid, notUnique = directusctl.CodeInvalidPayload, directusctl.CodeRecordNotUnique
	for _, c := range []struct {
		name       string
		do         func() error
		code       string
		constraint string
		words      []string
	}{
		{"an overlapping bracket", create("penalty_formulas", speedingBracket(f.event, 1, 10, ptr(30.0), 90)), invalid, "penalty_formulas_brackets_do_not_overlap", []string{"overlaps another bracket"}},
		{"an overlapping open-ended bracket", create("penalty_formulas", speedingBracket(f.event, 1, 50, nil, 180)), invalid, "penalty_formulas_brackets_do_not_overlap", nil},
		{"a version that supersedes nothing", create("penalty_formulas", speedingBracket(f.event, 3, 0, nil, 60)), invalid, "penalty_formulas_supersedes_existing", []string{"must exist"}},
		{"supersedes not version - 1", create("penalty_formulas", formula(map[string]any{"version": 2, "supersedes": 0})), invalid, "penalty_formulas_version_valid", nil},
		{"an empty bracket", create("penalty_formulas", formula(map[string]any{"offence_min": 30, "offence_max": 30})), invalid, "penalty_formulas_bracket_valid", nil},
		{"a negative penalty", create("penalty_formulas", formula(map[string]any{"penalty": -60})), invalid, "penalty_formulas_numbers_valid", nil},
		{"per_unit_over without per", create("penalty_formulas", formula(map[string]any{"operator": "per_unit_over"})), invalid, "penalty_formulas_operator_fields", nil},
		{"per_pulse without a pulse", create("penalty_formulas", formula(map[string]any{"type": "speeding", "operator": "per_pulse"})), invalid, "penalty_formulas_operator_fields", nil},
		{"a multiplier without a base", create("penalty_formulas", formula(map[string]any{"operator": "repeat_multiplier", "multiplier": 2})), invalid, "penalty_formulas_operator_fields", nil},
		{"an unknown type", create("penalty_formulas", formula(map[string]any{"type": "littering"})), invalid, "penalty_formulas_type_allowed", []string{"must be one of"}},
		{"an unknown operator", create("penalty_formulas", formula(map[string]any{"operator": "per_lap"})), invalid, "penalty_formulas_operator_allowed", []string{"must be one of"}},
		{"a missed waypoint without its type", create("penalty_formulas", formula(map[string]any{"type": "missed_waypoint"})), invalid, "penalty_formulas_qualifier_of_type", nil},
		{"a qualifier of another type", create("penalty_formulas", formula(map[string]any{"type": "missed_control", "qualifier": "WPM"})), invalid, "penalty_formulas_qualifier_of_type", nil},
		{"an upper-case key", create("penalty_formulas", formula(map[string]any{"rule_key": "Speeding"})), "FAILED_VALIDATION", "", nil},
		{"a class of the whole event", create("penalty_formulas", formula(map[string]any{"belongs_to_id": f.class})), invalid, "penalty_formulas_scope_valid", nil},
		{"an unknown category", create("penalty_formulas", formula(map[string]any{"belongs_to_type": "category", "belongs_to_id": "bicycle"})), invalid, "penalty_formulas_scope_valid", nil},
		{"a class of another event", create("penalty_formulas", formula(map[string]any{"belongs_to_type": "class", "belongs_to_id": other.class})), invalid, "penalty_formulas_belongs_to_event", []string{"of its own event"}},
		{"a speed zone that does not exist", create("penalty_formulas", formula(map[string]any{"belongs_to_type": "speed_zone", "belongs_to_id": "00000000-0000-4000-8000-000000000000"})), invalid, "penalty_formulas_belongs_to_event", nil},

		{"two starts of an entry in a segment", create("entry_segment_starts", map[string]any{"entry_id": f.entry, "segment_id": f.ss1, "start_position": 9}), notUnique, "entry_segment_starts_once_per_segment", []string{"one start per entry"}},
		{"two entries at a start position", create("entry_segment_starts", map[string]any{"entry_id": f.entry2, "segment_id": f.ss1, "start_position": 1}), notUnique, "entry_segment_starts_position_once", []string{"one entry per start position"}},
		{"start position 0", create("entry_segment_starts", map[string]any{"entry_id": f.entry2, "segment_id": f.ss1, "start_position": 0}), invalid, "entry_segment_starts_position_valid", nil},
		{"a start set by hand without a reason", create("entry_segment_starts", map[string]any{"entry_id": f.entry2, "segment_id": f.ss1, "start_position": 5, "manual_override": true}), invalid, "entry_segment_starts_override_explained", []string{"says why"}},
		{"a start in a segment of another event", create("entry_segment_starts", map[string]any{"entry_id": f.entry2, "segment_id": other.ss1, "start_position": 7}), invalid, "entry_segment_starts_of_entry_event", nil},

		{"a crossing of nothing", create("entry_crossings", map[string]any{"entry_id": f.entry, "ts": "2026-06-07T10:00:00Z", "kind": "entered"}), invalid, "entry_crossings_one_target", []string{"exactly one"}},
		{"a crossing of a geofence and a waypoint", create("entry_crossings", map[string]any{"entry_id": f.entry, "geofence_id": f.geofence, "waypoint_id": f.wp, "ts": "2026-06-07T10:00:00Z", "kind": "entered"}), invalid, "entry_crossings_one_target", nil},
		{"a crossing of another event's geofence", create("entry_crossings", map[string]any{"entry_id": f.entry, "geofence_id": other.geofence, "ts": "2026-06-07T10:00:00Z", "kind": "entered"}), invalid, "entry_crossings_of_entry_event", nil},
		{"an unknown kind", create("entry_crossings", map[string]any{"entry_id": f.entry, "geofence_id": f.geofence, "ts": "2026-06-07T10:00:00Z", "kind": "touched"}), invalid, "entry_crossings_kind_allowed", []string{"must be one of"}},

		{"two penalties for one offence", create("entry_penalties", a.penalty(f, f.speeding, "zone1@10:00", nil)), notUnique, "entry_penalties_offence_once", []string{"one penalty per entry"}},
		{"an override without a reason", create("entry_penalties", a.penalty(f, f.speeding, "o"+unique(), map[string]any{"status": "overridden", "override_seconds": 30})), invalid, "entry_penalties_override_explained", nil},
		{"a penalty priced by another event's formula", create("entry_penalties", a.penalty(f, other.speeding, "o"+unique(), nil)), invalid, "entry_penalties_formula_of_entry", nil},
		{"a penalty of another type than its formula", create("entry_penalties", a.penalty(f, f.missed, "o"+unique(), nil)), invalid, "entry_penalties_formula_of_entry", nil},
		{"a penalty whose snapshot is not an object", create("entry_penalties", a.penalty(f, f.speeding, "o"+unique(), map[string]any{"formula_snapshot": []int{1}})), invalid, "entry_penalties_snapshot_valid", nil},

		{"two results of an entry in a stage", create("stage_results", map[string]any{"entry_id": f.entry, "stage_id": f.s1}), notUnique, "stage_results_once_per_stage", nil},
		{"a total that is not the sum", create("stage_results", map[string]any{"entry_id": f.entry2, "stage_id": f.p, "elapsed_seconds": 100, "penalty_seconds": 10, "total_seconds": 100}), invalid, "stage_results_total_is_sum", nil},
		{"a result of another event's stage", create("stage_results", map[string]any{"entry_id": f.entry2, "stage_id": other.s1}), invalid, "stage_results_of_entry_event", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			// Some cases need the rows they collide with.
			switch c.constraint {
			case "entry_segment_starts_once_per_segment", "entry_segment_starts_position_once":
				a.ensure(t, "entry_segment_starts", map[string]any{"entry_id": f.entry, "segment_id": f.ss1, "start_position": 1})
			case "entry_penalties_offence_once":
				a.ensure(t, "entry_penalties", a.penalty(f, f.speeding, "zone1@10:00", nil))
			case "stage_results_once_per_stage":
				a.ensure(t, "stage_results", map[string]any{"entry_id": f.entry, "stage_id": f.s1})
			}
			err := c.do()
			if c.constraint == "" {
				refused(t, err, http.StatusBadRequest, c.code, "")
				return
			}
			refused(t, err, http.StatusBadRequest, c.code, c.constraint, c.words...)
		})
	}
}

// ensured remembers the rows ensure made, so that a case run again
// collides with the same one.
var ensured = map[string]bool{}

func (a *api) ensure(t testing.TB, collection string, item map[string]any) {
	t.Helper()
	key := fmt.Sprint(collection, item)
	if !ensured[key] {
		a.create(t, collection, item)
		ensured[key] = true
	}
}

// A formula that priced a penalty is never edited: the database refuses
// with the sentence that says to make a new version, and a new version is
// accepted. Unused formulas may still be corrected.
func (a *api) usedFormulaIsNeverEdited(t *testing.T) {
	f := a.timingFixture(t)
	if err := a.c.UpdateItem(ctx, "penalty_formulas", f.missed, map[string]any{"penalty": 600}, nil); err != nil {
		t.Fatalf("correcting a formula nothing used: %v", err)
	}
	a.create(t, "entry_penalties", a.penalty(f, f.speeding, "zone1@10:00", nil))
	err := a.c.UpdateItem(ctx, "penalty_formulas", f.speeding, map[string]any{"penalty": 30}, nil)
	refused(t, err, http.StatusBadRequest, directusctl.CodeInvalidPayload, "penalty_formulas_used_not_edited", "cannot change in place", "new version")
	if got := field(err); got != "penalty" {
		t.Errorf("extensions.field = %q, want penalty", got)
	}
	refused(t, a.c.UpdateItem(ctx, "penalty_formulas", f.speeding, map[string]any{"enabled": false}, nil),
		http.StatusBadRequest, directusctl.CodeInvalidPayload, "penalty_formulas_used_not_edited")
	// The same values written again change nothing and pass.
	if err := a.c.UpdateItem(ctx, "penalty_formulas", f.speeding, map[string]any{"penalty": 60}, nil); err != nil {
		t.Errorf("writing a used formula's own values back: %v", err)
	}
	// Version 2, both brackets in one request.
	err = a.c.Do(ctx, http.MethodPost, "/items/penalty_formulas", nil, []map[string]any{
		speedingBracket(f.event, 2, 0, ptr(20.0), 30), speedingBracket(f.event, 2, 20, nil, 90)}, nil)
	if err != nil {
		t.Fatalf("a new version: %v", err)
	}
	var rows []struct {
		Version int    `json:"version"`
		Penalty int    `json:"penalty"`
		Min     string `json:"offence_min"`
	}
	if err := a.c.ListItems(ctx, "penalty_formulas", urlValues("filter", fmt.Sprintf(`{"event_id":{"_eq":%q},"rule_key":{"_eq":"speeding"}}`, f.event), "sort", "version,offence_min"), &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 || rows[0].Version != 1 || rows[0].Penalty != 60 || rows[2].Version != 2 || rows[2].Penalty != 30 {
		t.Errorf("the rule's rows after a new version: %+v", rows)
	}
	// The used formula cannot be deleted either.
	refused(t, a.c.DeleteItem(ctx, "penalty_formulas", f.speeding), http.StatusBadRequest, "INVALID_FOREIGN_KEY", "entry_penalties_formula_id_foreign", "still referenced")
}

// A crossing recorded twice is absorbed: through REST the second POST
// succeeds and adds nothing; the processor's replay inserts nothing.
func (a *api) duplicateCrossingIsAbsorbed(t *testing.T, dbURL string) {
	f := a.timingFixture(t)
	c := map[string]any{"entry_id": f.entry, "geofence_id": f.geofence, "ts": "2026-06-07T10:00:00Z", "kind": "entered",
		"position_device_id": "356307042441013", "position_ts": "2026-06-07T10:00:00Z"}
	first := a.create(t, "entry_crossings", c)
	if err := a.c.CreateItem(ctx, "entry_crossings", c, nil); err != nil {
		t.Fatalf("the duplicate through REST: %v (want it absorbed)", err)
	}
	// Another kind at the same time is another crossing.
	a.create(t, "entry_crossings", map[string]any{"entry_id": f.entry, "geofence_id": f.geofence, "ts": "2026-06-07T10:00:00Z", "kind": "left"})
	// A waypoint's validation too.
	w := map[string]any{"entry_id": f.entry, "waypoint_id": f.wp, "ts": "2026-06-07T10:05:00Z", "kind": "validated"}
	a.create(t, "entry_crossings", w)
	if err := a.c.CreateItem(ctx, "entry_crossings", w, nil); err != nil {
		t.Fatalf("the duplicate validation through REST: %v", err)
	}

	db := connect(t, dbURL)
	tag, err := db.Exec(ctx, `INSERT INTO entry_crossings (id, entry_id, geofence_id, ts, kind) VALUES (gen_random_uuid(), $1, $2, $3, 'entered')
		ON CONFLICT DO NOTHING`, f.entry, f.geofence, time.Date(2026, 6, 7, 10, 0, 0, 0, time.UTC))
	if err != nil || tag.RowsAffected() != 0 {
		t.Errorf("the processor's replay: %v, %d rows inserted, want 0", err, tag.RowsAffected())
	}
	var n int
	var id string
	if err := db.QueryRow(ctx, `SELECT count(*), min(id::text) FROM entry_crossings WHERE entry_id = $1 AND kind = 'entered'`, f.entry).Scan(&n, &id); err != nil {
		t.Fatal(err)
	}
	if n != 1 || id != first {
		t.Errorf("%d entered crossings (the first %s), want 1: %s", n, id, first)
	}
	if err := db.QueryRow(ctx, `SELECT count(*) FROM entry_crossings WHERE entry_id = $1`, f.entry).Scan(&n); err != nil || n != 3 {
		t.Errorf("%d crossings of the entry, want 3 (%v)", n, err)
	}
}

// Official results are frozen: no change and no delete, no new result in
// the stage, until the stage is reopened with a reason; who published and
// who reopened are recorded from the session, whatever a client sends.
// The Phase 4 hook decides who may reopen.
func (a *api) officialResultsAreFrozen(t *testing.T, dbURL string) {
	f := a.timingFixture(t)
	admin := a.me(t)
	r := a.create(t, "stage_results", map[string]any{"entry_id": f.entry, "stage_id": f.s1, "elapsed_seconds": 3600, "penalty_seconds": 60,
		"total_seconds": 3660, "position_overall": 1, "position_class": 1})
	const frozen = "stage_results_official_frozen"
	type result struct {
		Status      string  `json:"status"`
		Position    *int    `json:"position_overall"`
		PublishedBy *string `json:"published_by"`
		PublishedAt *string `json:"published_at"`
		ReopenedBy  *string `json:"reopened_by"`
		ReopenedAt  *string `json:"reopened_at"`
	}
	get := func() result {
		var out result
		if err := a.c.GetItem(ctx, "stage_results", r, nil, &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	// Publishing: a publisher the client names is replaced by the
	// session's user.
	if err := a.c.UpdateItem(ctx, "stage_results", r, map[string]any{"status": "official", "published_by": nil}, nil); err != nil {
		t.Fatalf("publishing: %v", err)
	}
	if got := get(); got.Status != "official" || got.PublishedBy == nil || *got.PublishedBy != admin || got.PublishedAt == nil {
		t.Fatalf("published: %+v, want official by %s with a time", got, admin)
	}

	refused(t, a.c.UpdateItem(ctx, "stage_results", r, map[string]any{"position_overall": 2}, nil),
		http.StatusBadRequest, directusctl.CodeInvalidPayload, frozen, "official", "reopened")
	// Nobody writes who published: the field is the hook's.
	if err := a.c.UpdateItem(ctx, "stage_results", r, map[string]any{"published_by": nil}, nil); err != nil {
		t.Errorf("a request writing published_by (ignored): %v", err)
	}
	if got := get(); got.PublishedBy == nil || *got.PublishedBy != admin {
		t.Errorf("published_by written by a client: %+v", got)
	}
	refused(t, a.c.DeleteItem(ctx, "stage_results", r), http.StatusBadRequest, directusctl.CodeInvalidPayload, frozen)
	refused(t, a.c.CreateItem(ctx, "stage_results", map[string]any{"entry_id": f.entry2, "stage_id": f.s1}, nil),
		http.StatusBadRequest, directusctl.CodeInvalidPayload, "stage_results_stage_not_official", "official")
	db := connect(t, dbURL)
	if _, err := db.Exec(ctx, `UPDATE stage_results SET elapsed_seconds = 1, total_seconds = 61 WHERE id = $1`, r); err == nil {
		t.Error("SQL as the tables' owner changed an official result")
	}
	if got := get(); got.Position == nil || *got.Position != 1 {
		t.Errorf("the official result changed: %+v", got)
	}

	// Reopening needs a reason.
	refused(t, a.c.UpdateItem(ctx, "stage_results", r, map[string]any{"status": "provisional"}, nil),
		http.StatusBadRequest, directusctl.CodeInvalidPayload, "stage_results_reopen_recorded", "reopen_reason")
	// Phase 4's hook decides who may: refusing everyone refuses this
	// reopen with its sentence. The committed function (db-init/post/006:
	// the administrator may) is put back after.
	var committed string
	if err := db.QueryRow(ctx, `SELECT pg_get_functiondef('trm_may_reopen_stage_results(uuid, uuid)'::regprocedure)`).Scan(&committed); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ctx, `CREATE OR REPLACE FUNCTION trm_may_reopen_stage_results(user_id uuid, stage_id uuid) RETURNS boolean
		LANGUAGE sql STABLE AS $$ SELECT false $$`); err != nil {
		t.Fatal(err)
	}
	refused(t, a.c.UpdateItem(ctx, "stage_results", r, map[string]any{"status": "provisional", "reopen_reason": "protest upheld"}, nil),
		http.StatusBadRequest, directusctl.CodeInvalidPayload, "stage_results_reopen_allowed", "may not reopen")
	if _, err := db.Exec(ctx, committed); err != nil {
		t.Fatal(err)
	}
	// Reopening with a reason, a result value in the same request: refused
	// (a reopen changes nothing else).
	refused(t, a.c.UpdateItem(ctx, "stage_results", r, map[string]any{"status": "provisional", "reopen_reason": "protest upheld", "position_overall": 2}, nil),
		http.StatusBadRequest, directusctl.CodeInvalidPayload, frozen)
	if err := a.c.UpdateItem(ctx, "stage_results", r, map[string]any{"status": "provisional", "reopen_reason": "protest upheld", "reopened_by": nil}, nil); err != nil {
		t.Fatalf("reopening with a reason: %v", err)
	}
	got := get()
	if got.Status != "provisional" || got.ReopenedBy == nil || *got.ReopenedBy != admin || got.ReopenedAt == nil {
		t.Errorf("reopened: %+v, want provisional, reopened by %s with a time", got, admin)
	}
	if err := a.c.UpdateItem(ctx, "stage_results", r, map[string]any{"position_overall": 2}, nil); err != nil {
		t.Errorf("changing the reopened result: %v", err)
	}
}

// A race director overrides a penalty with a reason; the decision is
// recorded with who made it, from the session, whatever the client
// sends.
func (a *api) penaltyOverride(t *testing.T) {
	f := a.timingFixture(t)
	admin := a.me(t)
	p := a.create(t, "entry_penalties", a.penalty(f, f.speeding, "zone1@11:00", nil))
	refused(t, a.c.UpdateItem(ctx, "entry_penalties", p, map[string]any{"status": "overridden", "override_seconds": 30}, nil),
		http.StatusBadRequest, directusctl.CodeInvalidPayload, "entry_penalties_override_explained", "why")
	refused(t, a.c.UpdateItem(ctx, "entry_penalties", p, map[string]any{"status": "cancelled"}, nil),
		http.StatusBadRequest, directusctl.CodeInvalidPayload, "entry_penalties_override_explained")
	if err := a.c.UpdateItem(ctx, "entry_penalties", p, map[string]any{"status": "overridden", "override_seconds": 30,
		"override_reason": "GPS multipath in the village", "decided_by": f.org}, nil); err != nil {
		t.Fatalf("overriding with a reason: %v", err)
	}
	var got struct {
		Status          string  `json:"status"`
		OverrideSeconds *int    `json:"override_seconds"`
		DecidedBy       *string `json:"decided_by"`
		DecidedAt       *string `json:"decided_at"`
	}
	if err := a.c.GetItem(ctx, "entry_penalties", p, nil, &got); err != nil {
		t.Fatal(err)
	}
	if got.Status != "overridden" || got.OverrideSeconds == nil || *got.OverrideSeconds != 30 || got.DecidedBy == nil || *got.DecidedBy != admin || got.DecidedAt == nil {
		t.Errorf("overridden: %+v, want 30 s decided by %s", got, admin)
	}
}

func urlValues(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

func connect(t testing.TB, dbURL string) *pgx.Conn {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := pgx.Connect(c, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close(context.Background()) })
	return db
}
