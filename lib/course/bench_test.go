package course

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// genRoadbook writes an OpenRally roadbook as Rally Navigator-like software
// exports one: nWpts points carrying elements (a liaison from TC0 to TC1,
// a special from DSS to ASS with WPx, DZ/FZ pairs and checkpoints, a
// liaison to TC2), a roadbook box with a tulip drawing between waypoints,
// and a track of nTrack points with elevation and time, winding south-east
// from Tirana.
func genRoadbook(nWpts, nTrack int) []byte {
	r := rand.New(rand.NewPCG(2026, 6))
	track := make([]Point, nTrack)
	p, heading := Point{Lon: 19.8187, Lat: 41.3275}, 2.4
	for i := range track {
		track[i] = p
		heading += (r.Float64() - 0.5) * 0.3
		step := 15.0 / 111195 // about 15 m
		p.Lat += step * math.Cos(heading) * 0.3
		p.Lon += step*math.Sin(heading)/math.Cos(p.Lat*math.Pi/180) + step*0.2
	}
	km := make([]float64, nTrack)
	for i := 1; i < nTrack; i++ {
		km[i] = km[i-1] + Distance(track[i-1], track[i])/1000
	}
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<gpx xmlns="http://www.topografix.com/GPX/1/1" creator="Rally Navigator" version="1.1" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:openrally="http://www.openrally.org/xmlschemas/GpxExtensions/v1.0.3">
  <metadata>
    <name>Rally Albania 2026 Stage 1</name>
    <extensions><openrally:units>metric</openrally:units><openrally:distance>` + fmt.Sprintf("%.2f", km[nTrack-1]) + `</openrally:distance></extensions>
  </metadata>
`)
	tulip := "data:image/png;base64," + strings.Repeat("iVBORw0KGgoAAAANSUhEUgAAAXAAAADiCAYAAABXwJzD", 30)
	wpt := func(i int, name, ext string) {
		fmt.Fprintf(&b, `  <wpt lat="%.7f" lon="%.7f">
    <name>%s</name>
    <extensions>
      <openrally:distance>%.2f</openrally:distance>
      %s
      <openrally:tulip><![CDATA[%s]]></openrally:tulip>
    </extensions>
  </wpt>
`, track[i].Lat, track[i].Lon, name, km[i], ext, tulip)
	}
	at := func(k int) int { return (nTrack - 1) * k / (nWpts - 1) }
	zone := 0
	for k := 0; k < nWpts; k++ {
		i := at(k)
		switch {
		case k == 0:
			wpt(i, "TC0", `<openrally:timecontrol allowed="60"/>`)
		case k == 9:
			wpt(i, "TC1", `<openrally:timecontrol/>`)
		case k == 10:
			wpt(i, "DSS", `<openrally:dss/>`)
		case k == nWpts-11:
			wpt(i, "ASS", `<openrally:ass/>`)
		case k == nWpts-1:
			wpt(i, "TC2", `<openrally:timecontrol/>`)
		case k > 10 && k < nWpts-11 && k%25 == 0:
			zone++
			wpt(i, fmt.Sprintf("DZ%d", zone), `<openrally:dz/><openrally:speed>50</openrally:speed>`)
		case k > 10 && k < nWpts-11 && k%25 == 2:
			wpt(i, fmt.Sprintf("FZ%d", zone), `<openrally:fz/>`)
		case k%40 == 20:
			wpt(i, fmt.Sprintf("CP%d", k/40+1), `<openrally:checkpoint/>`)
		default:
			el := []string{`<openrally:wpm open="800" clear="200"/>`, `<openrally:wpv/>`, `<openrally:wps open="3000" clear="90"/>`, `<openrally:wpe/>`, `<openrally:wpc/>`}[k%5]
			wpt(i, fmt.Sprintf("WP%d", k), el+`<openrally:danger>2</openrally:danger><openrally:cap>135</openrally:cap>`)
		}
	}
	b.WriteString("  <trk>\n    <name>Stage 1</name>\n    <trkseg>\n")
	t0 := time.Date(2026, 6, 7, 6, 0, 0, 0, time.UTC)
	for i, p := range track {
		fmt.Fprintf(&b, "      <trkpt lat=\"%.7f\" lon=\"%.7f\"><ele>%.1f</ele><time>%s</time></trkpt>\n",
			p.Lat, p.Lon, 120+50*math.Sin(float64(i)/300), t0.Add(time.Duration(i)*2*time.Second).Format(time.RFC3339))
	}
	b.WriteString("    </trkseg>\n  </trk>\n</gpx>\n")
	return b.Bytes()
}

func TestGeneratedRoadbookIsAValidStage(t *testing.T) {
	c, rep, err := Decode(bytes.NewReader(genRoadbook(300, 20000)), DecodeOptions{Name: "bench.gpx"})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, g := range c.Stages[0].Segments {
		n += len(g.Waypoints)
	}
	if n != 300 || rep.TrackPoints != 20000 || len(c.Stages[0].Segments) != 3 {
		t.Fatalf("%d waypoints, %d track points, %d segments", n, rep.TrackPoints, len(c.Stages[0].Segments))
	}
}

// BenchmarkDecodeRoadbook is the figure: parse an OpenRally
// roadbook of 300 waypoints and a 20,000-point track (target < 50 ms).
func BenchmarkDecodeRoadbook(b *testing.B) {
	data := genRoadbook(300, 20000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	cpu := processCPU()
	for b.Loop() {
		if _, _, err := Decode(bytes.NewReader(data), DecodeOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu)
}

// reportCPU adds cpu-ms/op: the process's CPU time per operation since
// start (garbage collection included), which a loaded machine does not
// inflate as it does ns/op.
func reportCPU(b *testing.B, start int64) {
	if end := processCPU(); end > 0 {
		b.ReportMetric(float64(end-start)/1e6/float64(b.N), "cpu-ms/op")
	}
}

func benchWritten(b *testing.B, write func(*bytes.Buffer, *Course) error) {
	c, _, err := Decode(bytes.NewReader(genRoadbook(300, 20000)), DecodeOptions{})
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	if err := write(&buf, c); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	cpu := processCPU()
	for b.Loop() {
		if _, _, err := Decode(bytes.NewReader(data), DecodeOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu)
}

// BenchmarkDecodeTRMGPX and BenchmarkDecodeGeoJSON read the same course as
// exported (what a re-import reads).
func BenchmarkDecodeTRMGPX(b *testing.B) {
	benchWritten(b, func(w *bytes.Buffer, c *Course) error { return WriteGPX(w, c) })
}

func BenchmarkDecodeGeoJSON(b *testing.B) {
	benchWritten(b, func(w *bytes.Buffer, c *Course) error { return WriteGeoJSON(w, c) })
}

func BenchmarkWriteGPX(b *testing.B) {
	c, _, err := Decode(bytes.NewReader(genRoadbook(300, 20000)), DecodeOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	cpu := processCPU()
	for b.Loop() {
		if err := WriteGPX(&bytes.Buffer{}, c); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu)
}
