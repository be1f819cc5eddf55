package access

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

func (m *matrix) client(t *testing.T, tr tester) *directusctl.Client {
	t.Helper()
	c, err := directusctl.NewClient(m.url, tokenOption(tr)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// timing: the escalations of issue 13 that the Phase 3 permissions make
// possible, each refused, each beside the request it is an escalation of,
// allowed (so that a refusal is the rule's, not a broken request).
func (m *matrix) timing(t *testing.T, testers []tester, dbURL string) {
	who := map[string]tester{}
	for _, tr := range testers {
		who[tr.name] = tr
	}
	a, b := m.subject["a"], m.subject["b"]
	timekeeper, participant, viewer, director := who["timekeeper of a"], who["participant of a"], who["viewer of a"], who["race-director of a"]
	refused := func(what string, tr tester, method, p string, body any) {
		t.Helper()
		if status, msg := m.send(t, tr, method, p, nil, body); status != http.StatusForbidden {
			t.Errorf("%s: HTTP %d %s, want 403", what, status, msg)
		}
	}
	allowed := func(what string, tr tester, method, p string, body any) {
		t.Helper()
		if status, msg := m.send(t, tr, method, p, nil, body); status/100 != 2 {
			t.Fatalf("%s: HTTP %d %s, want it allowed", what, status, msg)
		}
	}
	get := func(coll, id string, out any) {
		t.Helper()
		if err := m.admin.GetItem(ctx, coll, id, nil, out); err != nil {
			t.Fatal(err)
		}
	}

	// A timekeeper sets target_at and nothing else.
	t.Run("a timekeeper changes a start's target time and nothing else", func(t *testing.T) {
		allowed("a timekeeper sets target_at", timekeeper, http.MethodPatch, path("entry_segment_starts", a["entry_segment_starts"]),
			map[string]any{"target_at": "2099-06-07T08:01:00Z"})
		others := map[string]any{
			"start_position": 2, "manual_override": true, "override_reason": "by hand",
			"entry_id": a["entries"], "segment_id": a["segments"],
		}
		// override_by is extensions/trm-timing's: it drops what a client
		// sends (checked below: still empty), so the request is the
		// target_at change alone.
		for _, f := range m.cat.Fields("entry_segment_starts") {
			if f == "target_at" || f == "override_by" || f == m.cat.PrimaryKey("entry_segment_starts") {
				continue
			}
			v, ok := others[f]
			if !ok {
				t.Fatalf("entry_segment_starts.%s: no value to try (tests/access/timing_test.go)", f)
			}
			refused("a timekeeper changes "+f+" of a start", timekeeper, http.MethodPatch, path("entry_segment_starts", a["entry_segment_starts"]),
				map[string]any{f: v, "target_at": "2099-06-07T08:02:00Z"})
		}
		var start map[string]any
		get("entry_segment_starts", a["entry_segment_starts"], &start)
		if !strings.HasPrefix(strings.ReplaceAll(start["target_at"].(string), "T", " "), "2099-06-07 08:01") || start["start_position"].(float64) != 1 {
			t.Errorf("the start is %v; want target_at 08:01 (the allowed change only) and position 1", start)
		}
		m.send(t, timekeeper, http.MethodPatch, path("entry_segment_starts", a["entry_segment_starts"]), nil, map[string]any{"override_by": timekeeper.id})
		get("entry_segment_starts", a["entry_segment_starts"], &start)
		if start["override_by"] != nil || start["manual_override"] != false {
			t.Errorf("a timekeeper's override_by was stored: %v", start)
		}
	})

	t.Run("a timekeeper or a participant changes a penalty", func(t *testing.T) {
		for _, tr := range []tester{timekeeper, participant} {
			for _, body := range []map[string]any{
				{"status": "cancelled", "override_reason": "no"},
				{"status": "overridden", "override_seconds": 0, "override_reason": "no"},
				{"status": "confirmed"},
				{"seconds": 0},
			} {
				refused(tr.name+" changes a penalty "+strings.Join(sortedKeys(body), ","), tr, http.MethodPatch, path("entry_penalties", a["entry_penalties"]), body)
			}
			refused(tr.name+" deletes a penalty", tr, http.MethodDelete, path("entry_penalties", a["entry_penalties"]), nil)
		}
	})

	t.Run("a participant changes their result", func(t *testing.T) {
		for _, body := range []map[string]any{{"penalty_seconds": 0}, {"status": "official"}, {"position_overall": 1}, {"reopen_reason": "mine"}} {
			refused("a participant changes their result "+strings.Join(sortedKeys(body), ","), participant, http.MethodPatch, path("stage_results", a["stage_results"]), body)
		}
		refused("a participant deletes their result", participant, http.MethodDelete, path("stage_results", a["stage_results"]), nil)
	})

	t.Run("a race director overrides a penalty, recorded with who", func(t *testing.T) {
		allowed("a race director overrides a penalty", director, http.MethodPatch, path("entry_penalties", a["entry_penalties"]),
			map[string]any{"status": "overridden", "override_seconds": 300, "override_reason": "video reviewed"})
		var p map[string]any
		get("entry_penalties", a["entry_penalties"], &p)
		if p["status"] != "overridden" || p["override_seconds"].(float64) != 300 || p["decided_by"] != director.id {
			t.Errorf("the penalty is %v; want overridden at 300 s, decided by the race director %s", p, director.id)
		}
	})

	t.Run("a viewer reads official results only; a race director publishes and reopens their organisation's only", func(t *testing.T) {
		refused("a viewer reads a provisional result", viewer, http.MethodGet, path("stage_results", a["stage_results"]), nil)
		var rows []map[string]any
		if err := m.client(t, viewer).ListItems(ctx, "stage_results", url.Values{"fields": {"id"}}, &rows); err != nil || len(rows) != 0 {
			t.Errorf("a viewer lists results while all are provisional: %v %v, want none", rows, err)
		}

		refused("a race director of a publishes organisation b's result", director, http.MethodPatch, path("stage_results", b["stage_results"]),
			map[string]any{"status": "official"})
		allowed("a race director publishes their organisation's result", director, http.MethodPatch, path("stage_results", a["stage_results"]),
			map[string]any{"status": "official"})
		var r map[string]any
		get("stage_results", a["stage_results"], &r)
		if r["status"] != "official" || r["published_by"] != director.id {
			t.Errorf("the result is %v; want official, published by %s", r, director.id)
		}
		allowed("a viewer reads an official result", viewer, http.MethodGet, path("stage_results", a["stage_results"]), nil)

		if err := m.admin.UpdateItem(ctx, "stage_results", b["stage_results"], map[string]any{"status": "official"}, nil); err != nil {
			t.Fatal(err)
		}
		refused("a race director of a reopens organisation b's result", director, http.MethodPatch, path("stage_results", b["stage_results"]),
			map[string]any{"status": "provisional", "reopen_reason": "protest"})
		for _, tr := range []tester{timekeeper, who["marshal of a"], participant, viewer} {
			refused(tr.name+" reopens a result", tr, http.MethodPatch, path("stage_results", a["stage_results"]),
				map[string]any{"status": "provisional", "reopen_reason": "protest"})
		}
		allowed("a race director reopens their organisation's result", director, http.MethodPatch, path("stage_results", a["stage_results"]),
			map[string]any{"status": "provisional", "reopen_reason": "protest upheld"})
		get("stage_results", a["stage_results"], &r)
		if r["status"] != "provisional" || r["reopened_by"] != director.id {
			t.Errorf("the result is %v; want provisional, reopened by %s", r, director.id)
		}
	})

	// The database's reopen rule (db-init/post/006) is the files': an
	// administrator, or an org-admin or race-director of the stage's
	// organisation. Asked directly for every tester, and applied to a
	// reopen that does not go through Directus's permissions.
	t.Run("the database lets exactly the files' people reopen", func(t *testing.T) {
		conn, err := pgx.Connect(ctx, dbURL)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		var me struct {
			ID string `json:"id"`
		}
		if err := m.admin.Do(ctx, http.MethodGet, "/users/me", url.Values{"fields": {"id"}}, nil, &me); err != nil {
			t.Fatal(err)
		}
		ask := func(user any) bool {
			var may bool
			if err := conn.QueryRow(ctx, `SELECT trm_may_reopen_stage_results($1, $2)`, user, a["stages"]).Scan(&may); err != nil {
				t.Fatal(err)
			}
			return may
		}
		if !ask(me.ID) {
			t.Error("the administrator may not reopen")
		}
		if ask(nil) {
			t.Error("nobody (no user) may reopen")
		}
		for _, org := range []string{"a", "b"} {
			for _, r := range orgRoles {
				want := org == "a" && (r == "org-admin" || r == "race-director")
				if got := ask(m.ids[org+"/"+r]); got != want {
					t.Errorf("%s of %s may reopen organisation a's stage: %v, want %v", r, org, got, want)
				}
			}
		}
		if ask(who["member of no organisation"].id) {
			t.Error("a member of no organisation may reopen")
		}

		if err := m.admin.UpdateItem(ctx, "stage_results", a["stage_results"], map[string]any{"status": "official"}, nil); err != nil {
			t.Fatal(err)
		}
		_, err = conn.Exec(ctx, `UPDATE stage_results SET status = 'provisional', reopened_by = $1, reopened_at = now(), reopen_reason = 'x' WHERE id = $2`,
			m.ids["a/marshal"], a["stage_results"])
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.ConstraintName != "stage_results_reopen_allowed" {
			t.Errorf("a marshal's reopen in SQL: %v, want refused by stage_results_reopen_allowed", err)
		}
		if _, err = conn.Exec(ctx, `UPDATE stage_results SET status = 'provisional', reopened_by = $1, reopened_at = now(), reopen_reason = 'x' WHERE id = $2`,
			m.ids["a/org-admin"], a["stage_results"]); err != nil {
			t.Errorf("an org-admin's reopen in SQL: %v", err)
		}
		if _, err = conn.Exec(ctx, `UPDATE stage_results SET status = 'provisional', reopened_by = $1, reopened_at = now(), reopen_reason = 'x' WHERE id = $2`,
			me.ID, b["stage_results"]); err != nil {
			t.Errorf("the administrator's reopen in SQL: %v", err)
		}
	})
}
