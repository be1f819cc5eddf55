package ui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"git.dev.trmtracking.org/trm/directus/tests/internal/testdirectus"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testenv"
)

// importCourse runs `trmctl course import` of the committed Rally Albania
// roadbook against inst, as make dev does.
func importCourse(t *testing.T, inst *testdirectus.Instance) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, trmctlBin, "course", "import", "--event", "rally-albania-2026",
		testenv.Path(t, "seed/rally-albania-2026/roadbook.gpx"), "--directus-url", inst.URL)
	cmd.Env = []string{"TRM_DIRECTUS_TOKEN=" + inst.Token, "PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("trmctl course import: %v\n%s", err, out)
	}
}

// itemID is the id of the one item of collection that filter matches.
func itemID(t *testing.T, inst *testdirectus.Instance, collection, filter string) string {
	t.Helper()
	var found []struct {
		ID string `json:"id"`
	}
	if err := inst.Client().ListItems(context.Background(), collection, url.Values{"filter": {filter}, "fields": {"id"}}, &found); err != nil || len(found) != 1 {
		t.Fatalf("%s %s: %v %v", collection, filter, found, err)
	}
	return found[0].ID
}

// waitWords is waitText over the page's text with every run of white
// space made one space: a display template renders its parts in separate
// elements (a label chip between two texts), which innerText breaks into
// lines.
func waitWords(texts ...string) chromedp.Action[chromedp.Void] {
	want, _ := json.Marshal(texts)
	return chromedp.Poll[chromedp.Void](fmt.Sprintf(`(() => {
		const t = (document.body ? document.body.innerText : "").replace(/\s+/g, " ");
		if (t.includes(%q)) {
			const b = [...document.querySelectorAll("button")].find(b => b.innerText.trim() === %q);
			if (b) b.click();
			return false;
		}
		return %s.every(s => t.includes(s));
	})()`, ownerReminderText, ownerReminderButton, want),
		chromedp.WithPollingInterval(200*time.Millisecond), chromedp.WithPollingTimeout(0))
}

// The course an organiser checks before a stage: the stage lists its
// segments by their display templates ("SS1 — Special — 49.47 km"), the
// waypoints of the stage show on the map, a waypoint opens on its map with
// its radii named as in the rules.
func TestAdminAppShowsTheSeededStageWithItsWaypointsOnTheMap(t *testing.T) {
	chromiumPath(t)
	inst := testdirectus.StartProvisioned(t, pg.New(t))
	seed(t, inst)
	importCourse(t, inst)
	stage := itemID(t, inst, "stages", `{"code":{"_eq":"S1"}}`)
	wp2 := itemID(t, inst, "waypoints", `{"_and":[{"name":{"_eq":"WP2"}},{"segment_id":{"stage_id":{"code":{"_eq":"S1"}}}}]}`)

	// The waypoints collection opens on its map layout, filtered to the
	// stage: the view an organiser saves as a bookmark.
	var me struct {
		ID string `json:"id"`
	}
	c := inst.Client()
	if err := c.Do(context.Background(), http.MethodGet, "/users/me", url.Values{"fields": {"id"}}, nil, &me); err != nil {
		t.Fatal(err)
	}
	if err := c.Do(context.Background(), http.MethodPost, "/presets", nil, map[string]any{
		"user": me.ID, "collection": "waypoints", "layout": "map",
		"layout_options": map[string]any{"map": map[string]any{"geometryField": "location", "clusterData": false, "displayTemplate": "{{name}} — {{type}}"}},
		"filter":         map[string]any{"segment_id": map[string]any{"stage_id": map[string]any{"code": map[string]any{"_eq": "S1"}}}},
	}, nil); err != nil {
		t.Fatalf("map view of the waypoints: %v", err)
	}

	b := newBrowser(t)
	b.prefix = "directus-admin-rally-albania-course"
	b.step("log in", 90*time.Second,
		chromedp.Navigate(inst.URL+"/admin/login"),
		chromedp.WaitVisible(chromedp.CSS(`input[type="email"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[type="email"]`), testdirectus.AdminEmail),
		chromedp.SendKeys(chromedp.CSS(`input[type="password"]`), testdirectus.AdminPassword),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		waitLeft("/login"),
		// The navigation groups the collections in their folders.
		waitText("Organisation", "Event", "Course", "Stages", "Segments", "Waypoints", "Speed zones", "Geofences"),
	)
	b.screenshot("01-navigation")

	b.step("stage 1 lists its segments by their display templates", 60*time.Second,
		chromedp.Navigate(inst.URL+"/admin/content/stages/"+stage),
		waitWords("S1 — Stage 1 Durrës – Gramsh", "L1 — Liaison — 32.57 km", "SS1 — Special — 49.47 km", "L2 — Liaison — 2.86 km",
			"Start order from", "P — Prologue Durrës"),
	)
	b.screenshot("02-stage-s1")

	b.step("the waypoints of stage 1 on the map", 90*time.Second,
		chromedp.Navigate(inst.URL+"/admin/content/waypoints"),
		chromedp.WaitVisible(chromedp.CSS(`.maplibregl-canvas, .mapboxgl-canvas`)),
		waitWords("15 Filtered Items"),
		chromedp.Sleep(2*time.Second),
	)
	// Zoom in on Albania as a person would, with the mouse wheel over where
	// the stage's waypoints sit on the world map; the basemap stays blank
	// (no internet here), the waypoints are drawn on it.
	box, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]float64](`(() => { const r = document.querySelector('.maplibregl-canvas, .mapboxgl-canvas').getBoundingClientRect(); return [r.left, r.top, r.width, r.height] })()`))
	if err != nil || len(box) != 4 {
		t.Fatalf("the map's canvas: %v %v", box, err)
	}
	// The world fits the canvas's height: Albania (19.8° E, 41.1° N) is
	// that far right of and above its centre.
	world := box[3]
	x := box[0] + box[2]/2 + world*19.82/360
	y := box[1] + box[3]/2 - world*0.1245
	for i := 0; i < 8; i++ {
		b.step("zoom in", 30*time.Second, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseWheel, x, y, func(p *input.DispatchMouseEventParams) { p.DeltaX, p.DeltaY = 0.001, -600 }), // deltaX must be sent, and 0 is not,
			chromedp.Sleep(600*time.Millisecond))
	}
	// The layout lists what the map shows: all 15 still in view, zoomed in.
	b.step("the zoomed map shows all of them", 30*time.Second, chromedp.Sleep(time.Second), waitWords("15 Filtered Items"))
	shot := b.screenshot("03-stage-s1-waypoints-map")
	if st, err := os.Stat(shot); err != nil || st.Size() < 10_000 {
		t.Errorf("the map screenshot %s is empty (%v)", shot, err)
	}

	b.step("a waypoint opens on its map, with its radii", 60*time.Second,
		chromedp.Navigate(inst.URL+"/admin/content/waypoints/"+wp2),
		waitText("WPM — masked waypoint", "Open radius (m)", "Validation radius (m)", "Roadbook distance (km)"),
		chromedp.WaitVisible(chromedp.CSS(`.maplibregl-canvas, .mapboxgl-canvas`)),
		chromedp.Sleep(2*time.Second),
	)
	b.screenshot("04-waypoint-wp2")

	if err := context.Cause(b.ctx); err != nil && !errors.Is(err, context.Canceled) {
		t.Errorf("browser: %v", err)
	}
}
