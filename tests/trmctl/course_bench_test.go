package trmctl

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"git.dev.trmtracking.org/trm/directus/tests/internal/testdirectus"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testenv"
)

// benchRoadbook writes an OpenRally roadbook as roadbook software exports
// one: 300 points with elements (a liaison TC0 → TC1, a special DSS → ASS
// with WPx, DZ/FZ pairs and checkpoints, a liaison to TC2) and a track of
// 20,000 points with elevation and time, winding south-east from Tirana.
// moved shifts one waypoint (WP101) by about 100 m: the one change of a
// re-import.
func benchRoadbook(t testing.TB, moved bool) string {
	const nWpts, nTrack = 300, 20000
	r := rand.New(rand.NewPCG(2026, 6))
	type pt struct{ lat, lon float64 }
	track := make([]pt, nTrack)
	p, heading := pt{41.3275, 19.8187}, 2.4
	for i := range track {
		track[i] = p
		heading += (r.Float64() - 0.5) * 0.3
		step := 15.0 / 111195
		p.lat += step * math.Cos(heading) * 0.3
		p.lon += step*math.Sin(heading)/math.Cos(p.lat*math.Pi/180) + step*0.2
	}
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<gpx xmlns="http://www.topografix.com/GPX/1/1" creator="bench" version="1.1" xmlns:openrally="http://www.openrally.org/xmlschemas/GpxExtensions/v1.0.3">
<metadata><name>Bench stage</name><extensions><openrally:units>metric</openrally:units></extensions></metadata>
`)
	km := 0.0
	zone := 0
	for k := 0; k < nWpts; k++ {
		i := (nTrack - 1) * k / (nWpts - 1)
		if k > 0 {
			km += 0.3 * float64(nTrack-1) / float64(nWpts-1) * 15 / 300
		}
		name, ext := fmt.Sprintf("WP%d", k), []string{`<openrally:wpm open="800" clear="200"/>`, `<openrally:wpv/>`, `<openrally:wps/>`, `<openrally:wpe/>`, `<openrally:wpc/>`}[k%5]
		switch {
		case k == 0:
			name, ext = "TC0", `<openrally:timecontrol allowed="60"/>`
		case k == 9:
			name, ext = "TC1", `<openrally:timecontrol/>`
		case k == 10:
			name, ext = "DSS", `<openrally:dss/>`
		case k == nWpts-11:
			name, ext = "ASS", `<openrally:ass/>`
		case k == nWpts-1:
			name, ext = "TC2", `<openrally:timecontrol/>`
		case k > 10 && k < nWpts-11 && k%25 == 0:
			zone++
			name, ext = fmt.Sprintf("DZ%d", zone), `<openrally:dz/><openrally:speed>50</openrally:speed>`
		case k > 10 && k < nWpts-11 && k%25 == 2:
			name, ext = fmt.Sprintf("FZ%d", zone), `<openrally:fz/>`
		case k%40 == 20:
			name, ext = fmt.Sprintf("CP%d", k/40+1), `<openrally:checkpoint/>`
		}
		lat := track[i].lat
		if moved && name == "WP101" {
			lat += 0.001
		}
		fmt.Fprintf(&b, "<wpt lat=\"%.7f\" lon=\"%.7f\"><name>%s</name><extensions><openrally:distance>%.2f</openrally:distance>%s<openrally:tulip><![CDATA[data:image/png;base64,%s]]></openrally:tulip></extensions></wpt>\n",
			lat, track[i].lon, name, km, ext, strings.Repeat("iVBORw0KGgoAAAANSUhEUgAAAXAAAADiCAYAAABXwJzD", 30))
	}
	b.WriteString("<trk><name>Bench stage</name><trkseg>\n")
	for i, q := range track {
		fmt.Fprintf(&b, "<trkpt lat=\"%.7f\" lon=\"%.7f\"><ele>%.1f</ele><time>2026-06-07T%02d:%02d:%02dZ</time></trkpt>\n",
			q.lat, q.lon, 120+50*math.Sin(float64(i)/300), 6+i/1800, (i/30)%60, (i*2)%60)
	}
	b.WriteString("</trkseg></trk></gpx>\n")
	path := filepath.Join(t.TempDir(), fmt.Sprintf("bench-moved-%v.gpx", moved))
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// benchDirectus is a provisioned Directus with Rally Albania 2026 seeded.
func benchDirectus(b *testing.B) (*testdirectus.Instance, map[string]string) {
	b.Helper()
	inst := testdirectus.StartProvisioned(b, pg.New(b))
	env := map[string]string{"TRM_DIRECTUS_TOKEN": inst.Token, "TRM_DIRECTUS_URL": inst.URL}
	if code, out, errOut := trmctl(b, env, "seed", "apply", testenv.Path(b, "seed/rally-albania-2026/seed.yaml")); code != 0 {
		b.Fatalf("seed: exit %d\n%s\n%s", code, out, errOut)
	}
	return inst, env
}

func benchImport(b *testing.B, env map[string]string, want string, args ...string) {
	b.Helper()
	code, out, errOut := trmctl(b, env, append([]string{"course", "import"}, args...)...)
	if code != 0 || !strings.Contains(out, want) {
		b.Fatalf("exit %d, want %q\n%s\n%s", code, want, out, errOut)
	}
}

// BenchmarkCourseImportFirst: the whole trmctl course import of the
// 300-waypoint, 20,000-point roadbook into a stage that does not exist
// yet (a fresh event per iteration, made outside the timer).
func BenchmarkCourseImportFirst(b *testing.B) {
	inst, env := benchDirectus(b)
	file := benchRoadbook(b, false)
	c := inst.Client()
	var orgs []struct{ ID string }
	if err := c.ListItems(context.Background(), "organizations", url.Values{"filter[slug][_eq]": {"msc-albania"}}, &orgs); err != nil || len(orgs) != 1 {
		b.Fatalf("organisation: %v %v", orgs, err)
	}
	n := 0
	for b.Loop() {
		b.StopTimer()
		n++
		slug := fmt.Sprintf("bench-%d", n)
		if err := c.CreateItem(context.Background(), "events", map[string]any{"organization_id": orgs[0].ID, "name": "Bench " + slug, "slug": slug,
			"discipline": "rally", "starts_at": "2026-06-06T06:00:00Z", "ends_at": "2026-06-13T18:00:00Z"}, nil); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		benchImport(b, env, "Applied: ", "--event", slug, "--stage", "S1", file)
	}
}

// BenchmarkCourseImportNoop: importing the same large roadbook again.
func BenchmarkCourseImportNoop(b *testing.B) {
	_, env := benchDirectus(b)
	file := benchRoadbook(b, false)
	benchImport(b, env, "Applied: ", "--event", "rally-albania-2026", "--stage", "S1", file)
	for b.Loop() {
		benchImport(b, env, "No changes", "--event", "rally-albania-2026", "--stage", "S1", file)
	}
}

// BenchmarkCourseImportOneChange: each import moves one waypoint back or
// forth (one update).
func BenchmarkCourseImportOneChange(b *testing.B) {
	_, env := benchDirectus(b)
	files := []string{benchRoadbook(b, false), benchRoadbook(b, true)}
	benchImport(b, env, "Applied: ", "--event", "rally-albania-2026", "--stage", "S1", files[0])
	i := 0
	for b.Loop() {
		i++
		benchImport(b, env, "Applied: 0 created, 1 updated, 0 deleted", "--event", "rally-albania-2026", "--stage", "S1", files[i%2])
	}
}

// BenchmarkCourseImportNoopSeed: the small seed roadbook again, to set
// against the large one's no-op: the cost of reading a larger file.
func BenchmarkCourseImportNoopSeed(b *testing.B) {
	_, env := benchDirectus(b)
	file := testenv.Path(b, "seed/rally-albania-2026/roadbook.gpx")
	benchImport(b, env, "Applied: ", "--event", "rally-albania-2026", file)
	for b.Loop() {
		benchImport(b, env, "No changes", "--event", "rally-albania-2026", file)
	}
}
