package ui

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"git.dev.trmtracking.org/trm/directus/tests/internal/testdirectus"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testenv"
)

// importRules runs `trmctl rules import` of the committed placeholder
// rulebook against inst, as make dev does.
func importRules(t *testing.T, inst *testdirectus.Instance) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, trmctlBin, "rules", "import", "--event", "rally-albania-2026",
		testenv.Path(t, "seed/rally-albania-2026/rules.yaml"), "--directus-url", inst.URL)
	cmd.Env = []string{"TRM_DIRECTUS_TOKEN=" + inst.Token, "PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("trmctl rules import: %v\n%s", err, out)
	}
}

// create makes an item as the administrator and returns its id.
func create(t *testing.T, inst *testdirectus.Instance, collection string, item map[string]any) string {
	t.Helper()
	var out struct {
		ID string `json:"id"`
	}
	if err := inst.Client().CreateItem(context.Background(), collection, item, &out); err != nil {
		t.Fatalf("create %s: %v", collection, err)
	}
	return out.ID
}

// choose picks choice in the dropdown of field: it opens the dropdown
// (again, until the form answers) and clicks the choice, then waits until
// the field shows it.
func choose(field, choice string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](fmt.Sprintf(`(() => {
		const input = document.querySelector('[data-field=%q] input');
		if (input && input.value === %q) return true;
		const item = [...document.querySelectorAll('.v-menu-content .v-list-item')].find(e => e.innerText.trim() === %q);
		if (item) item.click();
		else document.querySelector('[data-field=%q] .v-input')?.click();
		return false;
	})()`, field, choice, choice, field), chromedp.WithPollingInterval(500*time.Millisecond), chromedp.WithPollingTimeout(0))
}

// A race director at the end of stage 1: entry 301's page shows its start,
// the crossings the processor recorded and the penalties it computed, one
// screen; the speeding penalty is overridden with a reason, in the admin
// app, and recorded with who decided; stage 1's page shows the ranking,
// by overall position.
func TestAdminAppShowsAnEntrysTimingAndTheStageRanking(t *testing.T) {
	chromiumPath(t)
	inst := testdirectus.StartProvisioned(t, pg.New(t))
	seed(t, inst)
	importCourse(t, inst)
	importRules(t, inst)

	// What the processor would have written for stage 1 (through REST
	// here: the screen is the same).
	event := itemID(t, inst, "events", `{"slug":{"_eq":"rally-albania-2026"}}`)
	e301 := itemID(t, inst, "entries", `{"race_number":{"_eq":301}}`)
	class := func(code string) string {
		return itemID(t, inst, "classes", fmt.Sprintf(`{"_and":[{"code":{"_eq":%q}},{"event_id":{"_eq":%q}}]}`, code, event))
	}
	// A rally's entry past draft races in a vehicle (extensions/trm's
	// discipline rules), registered with the event's organisation
	// (db-init/post/006).
	org := itemID(t, inst, "organizations", `{"slug":{"_eq":"msc-albania"}}`)
	registered := []map[string]any{{"organization_id": org}}
	moto := create(t, inst, "vehicles", map[string]any{"make": "KTM", "model": "450 Rally", "registrations": registered})
	quad := create(t, inst, "vehicles", map[string]any{"make": "Yamaha", "model": "Raptor 700", "registrations": registered})
	e7 := create(t, inst, "entries", map[string]any{"event_id": event, "class_id": class("M-1"), "race_number": 7, "status": "racing", "vehicle_id": moto})
	e12 := create(t, inst, "entries", map[string]any{"event_id": event, "class_id": class("Q-1"), "race_number": 12, "status": "racing", "vehicle_id": quad})
	s1 := itemID(t, inst, "stages", `{"code":{"_eq":"S1"}}`)
	ss1 := itemID(t, inst, "segments", `{"_and":[{"code":{"_eq":"SS1"}},{"stage_id":{"code":{"_eq":"S1"}}}]}`)
	l1 := itemID(t, inst, "segments", `{"_and":[{"code":{"_eq":"L1"}},{"stage_id":{"code":{"_eq":"S1"}}}]}`)
	waypoint := func(name string) string {
		return itemID(t, inst, "waypoints", fmt.Sprintf(`{"_and":[{"name":{"_eq":%q}},{"segment_id":{"_eq":%q}}]}`, name, ss1))
	}
	geofence := func(name string) string {
		return itemID(t, inst, "geofences", fmt.Sprintf(`{"name":{"_eq":%q}}`, name))
	}
	formula := func(key string, above float64) string {
		return itemID(t, inst, "penalty_formulas", fmt.Sprintf(`{"_and":[{"rule_key":{"_eq":%q}},{"offence_min":{"_eq":%v}}]}`, key, above))
	}
	for i, e := range []string{e7, e12, e301} {
		create(t, inst, "entry_segment_starts", map[string]any{"entry_id": e, "segment_id": ss1, "start_position": i + 1,
			"target_at": time.Date(2026, 6, 7, 8, i, 0, 0, time.UTC).Format(time.RFC3339)})
	}
	for _, c := range []map[string]any{
		{"geofence_id": geofence("S1 DSS"), "ts": "2026-06-07T08:02:04Z", "kind": "entered"},
		{"geofence_id": geofence("S1 DSS"), "ts": "2026-06-07T08:02:31Z", "kind": "left"},
		{"waypoint_id": waypoint("WP1"), "ts": "2026-06-07T08:19:40Z", "kind": "validated"},
		{"waypoint_id": waypoint("WP3"), "ts": "2026-06-07T08:51:12Z", "kind": "validated"},
		{"geofence_id": geofence("S1 ASS"), "ts": "2026-06-07T09:00:44Z", "kind": "entered"},
	} {
		c["entry_id"] = e301
		create(t, inst, "entry_crossings", c)
	}
	speeding := create(t, inst, "entry_penalties", map[string]any{"entry_id": e301, "segment_id": l1, "type": "speeding",
		"offence_key": "speeding:DZ1–FZ1:2026-06-07T07:41:10Z", "occurred_at": "2026-06-07T07:41:10Z", "formula_id": formula("speeding", 20),
		"formula_snapshot": map[string]any{"rule_key": "speeding", "version": 1, "offence_min": 20, "offence_max": 40, "operator": "per_pulse", "penalty": 120},
		"inputs":           map[string]any{"value": 28, "pulses": 3, "repeat": 1}, "seconds": 360,
		"explanation": "speeding: 28 km/h over, bracket 2 (above 20 up to 40): 2m per pulse × 3 = 6m"})
	create(t, inst, "entry_penalties", map[string]any{"entry_id": e301, "segment_id": ss1, "type": "missed_waypoint", "qualifier": "WPM",
		"offence_key": "missed_waypoint:WP2", "occurred_at": "2026-06-07T08:35:00Z", "formula_id": formula("missed-wpm", 0),
		"formula_snapshot": map[string]any{"rule_key": "missed-wpm", "version": 1, "operator": "per_unit_over", "penalty": 900, "per": 1},
		"inputs":           map[string]any{"value": 1}, "seconds": 900,
		"explanation": "missed_waypoint WPM: 1 missed, 15m per 1 × 1 = 15m"})
	for _, r := range []struct {
		entry                      string
		elapsed, penalty, position int
	}{{e7, 3512, 0, 1}, {e12, 3698, 0, 2}, {e301, 3520, 1260, 3}} {
		create(t, inst, "stage_results", map[string]any{"entry_id": r.entry, "stage_id": s1, "elapsed_seconds": r.elapsed,
			"penalty_seconds": r.penalty, "total_seconds": r.elapsed + r.penalty, "position_overall": r.position, "position_class": 1})
	}

	b := newBrowser(t)
	b.prefix = "directus-admin-rally-albania-timing"
	b.step("log in", 90*time.Second,
		chromedp.Navigate(inst.URL+"/admin/login"),
		chromedp.WaitVisible(chromedp.CSS(`input[type="email"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[type="email"]`), testdirectus.AdminEmail),
		chromedp.SendKeys(chromedp.CSS(`input[type="password"]`), testdirectus.AdminPassword),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		waitLeft("/login"),
		waitText("Timing", "Penalty formulas", "Segment starts", "Crossings", "Penalties", "Stage results"),
	)
	b.screenshot("01-navigation")

	b.step("entry 301: its start, crossings and penalties on one screen", 60*time.Second,
		chromedp.Navigate(inst.URL+"/admin/content/entries/"+e301),
		waitWords("Segment starts", "Crossings", "Penalties", "Results",
			"Entered", "Left", "Validated",
			"L1 — 360 s — speeding: 28 km/h over, bracket 2 (above 20 up to 40): 2m per pulse × 3 = 6m", "SS1 — 900 s — missed_waypoint WPM: 1 missed", "Computed",
			"S1 — 3. — total 4780 s (elapsed 3520 s + penalties 1260 s)"),
		chromedp.Sleep(time.Second),
	)
	b.screenshot("02-entry-301")
	b.step("scroll to its crossings and penalties", 30*time.Second,
		chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-field="crossings"]').scrollIntoView()`),
		chromedp.Sleep(time.Second),
	)
	b.screenshot("03-entry-301-crossings-and-penalties")

	b.step("override it with a reason", 60*time.Second,
		chromedp.Navigate(inst.URL+"/admin/content/entry_penalties/"+speeding),
		waitText("Override (s)", "Reason", "Decided by", "Formula as used"),
		choose("status", "Overridden"),
		chromedp.SendKeys(chromedp.CSS(`[data-field="override_seconds"] input`), "120"),
		chromedp.SendKeys(chromedp.CSS(`[data-field="override_reason"] textarea`), "GPS multipath in Kavajë: the marshal at FZ1 saw 52 km/h, one pulse"),
		chromedp.Sleep(500*time.Millisecond),
	)
	b.screenshot("04-penalty-override")
	b.step("save", 60*time.Second,
		chromedp.Poll[chromedp.Void](`(() => { const b = document.querySelector('i[data-icon="check"]')?.closest('button'); if (b && !b.disabled) { b.click(); return true } return false })()`,
			chromedp.WithPollingInterval(200*time.Millisecond), chromedp.WithPollingTimeout(0)),
		waitLeft("/entry_penalties/"),
	)
	var got struct {
		Status          string  `json:"status"`
		OverrideSeconds *int    `json:"override_seconds"`
		Reason          *string `json:"override_reason"`
		DecidedBy       *string `json:"decided_by"`
	}
	if err := inst.Client().GetItem(context.Background(), "entry_penalties", speeding, url.Values{"fields": {"status,override_seconds,override_reason,decided_by"}}, &got); err != nil {
		t.Fatal(err)
	}
	if got.Status != "overridden" || got.OverrideSeconds == nil || *got.OverrideSeconds != 120 || got.Reason == nil || got.DecidedBy == nil {
		t.Errorf("after the override in the admin app: %+v", got)
	}

	b.step("the entry's page shows the override", 60*time.Second,
		chromedp.Navigate(inst.URL+"/admin/content/entries/"+e301),
		waitWords("Overridden L1 — 360 s", "Computed SS1"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-field="penalties"]').scrollIntoView()`),
		chromedp.Sleep(time.Second),
	)
	b.screenshot("05-entry-301-overridden")

	b.step("stage 1's ranking", 60*time.Second,
		chromedp.Navigate(inst.URL+"/admin/content/stages/"+s1),
		waitWords("Results", "1. #7 M-1 (class 1.) — total 3512 s", "2. #12 Q-1", "3. #301 C-2", "Provisional"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-field="results"]').scrollIntoView()`),
		chromedp.Sleep(time.Second),
	)
	b.screenshot("06-stage-s1-ranking")
	order, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`(() => {
		const list = document.querySelector('[data-field="results"]');
		return [...list.querySelectorAll('.v-list-item')].map(r => r.innerText.replace(/\s+/g, " ").trim());
	})()`))
	if err != nil || len(order) != 3 {
		t.Fatalf("the ranking's rows: %q %v", order, err)
	}
	for i, want := range []string{"1. #7", "2. #12", "3. #301"} {
		if !containsWord(order[i], want) {
			t.Errorf("ranking row %d is %q, want %s", i+1, order[i], want)
		}
	}
	if err := context.Cause(b.ctx); err != nil && err != context.Canceled {
		t.Errorf("browser: %v", err)
	}
}

// containsWord reports whether s has w as words of their own.
func containsWord(s, w string) bool { return strings.Contains(" "+s+" ", " "+w+" ") }
