package course

import (
	"errors"
	"os"
	"strings"
	"testing"
)

const orHead = `<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1" xmlns:openrally="http://www.openrally.org/xmlschemas/GpxExtensions/v1.0.3">
`

// orWpt is an OpenRally wpt on one line.
func orWpt(lat, lon, name, ext string) string {
	return `<wpt lat="` + lat + `" lon="` + lon + `"><name>` + name + `</name><extensions>` + ext + "</extensions></wpt>\n"
}

// stageGPX is an OpenRally file of these wpt lines; the first wpt is on
// line 3.
func stageGPX(wpts ...string) string {
	return orHead + strings.Join(wpts, "") + "</gpx>\n"
}

func decodeString(s string) (*Course, *Report, error) {
	return Decode(strings.NewReader(s), DecodeOptions{Name: "in.gpx"})
}

func TestBadInputIsRefusedWithItsCodeAndPlace(t *testing.T) {
	okDSS := orWpt("41.2", "20.1", "DSS", "<openrally:dss/>")
	okASS := orWpt("41.3", "20.2", "ASS", "<openrally:ass/>")
	deep := strings.Repeat("<x>", 100) + strings.Repeat("</x>", 100)
	for _, tc := range []struct {
		name string
		in   string
		opts DecodeOptions
		// decode is the code of a *DecodeError; problem that of a Problem
		// of a *ValidationError, at line (when > 0) about waypoint.
		decode, problem Code
		line            int
		waypoint        string
	}{
		{name: "not XML nor JSON", in: "hello, world", decode: CodeUnknownFormat},
		{name: "empty file", in: "", decode: CodeUnknownFormat},
		{name: "XML not closed", in: orHead + "<wpt lat=\"41\" lon=\"20\">\n", decode: CodeSyntax},
		{name: "XML mismatched tags", in: orHead + "<wpt lat=\"41\" lon=\"20\"></trk>\n</gpx>", decode: CodeSyntax, line: 3},
		{name: "XML text after the root", in: stageGPX() + "junk", decode: CodeSyntax},
		{name: "XML entity (no DTD processing)", in: `<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY e SYSTEM "file:///etc/passwd">]><gpx xmlns="http://www.topografix.com/GPX/1/1"><metadata><name>&e;</name></metadata></gpx>`, decode: CodeSyntax},
		{name: "not GPX", in: `<kml xmlns="http://www.opengis.net/kml/2.2"/>`, decode: CodeNotGPX},
		{name: "GPX of an unknown namespace", in: `<gpx xmlns="http://www.topografix.com/GPX/2/0"/>`, decode: CodeNotGPX},
		{name: "OpenRally of a later version", in: strings.Replace(stageGPX(okDSS, okASS), "v1.0.3", "v1.1.0", 1), decode: CodeNamespaceVersion, line: 2},
		{name: "OpenRally of an earlier major version", in: strings.Replace(stageGPX(okDSS, okASS), "v1.0.3", "v0.1", 1), decode: CodeNamespaceVersion, line: 2},
		{name: "OpenRally namespace declared on a waypoint", in: stageGPX(`<wpt lat="41" lon="20" xmlns:o="http://www.openrally.org/xmlschemas/GpxExtensions/v2"><extensions><o:dss/></extensions></wpt>` + "\n"), decode: CodeNamespaceVersion, line: 3},
		{name: "TRM course of another version", in: `<gpx xmlns="http://www.topografix.com/GPX/1/1" xmlns:trm="https://trmtracking.org/xmlschemas/course/v2"/>`, decode: CodeNamespaceVersion},
		{name: "undeclared prefix", in: strings.Replace(stageGPX(okDSS), ` xmlns:openrally="http://www.openrally.org/xmlschemas/GpxExtensions/v1.0.3"`, "", 1), decode: CodeStructure},
		{name: "latitude not a number", in: stageGPX(orWpt("north", "20", "DSS", "<openrally:dss/>")), decode: CodeValue, line: 3},
		{name: "latitude NaN", in: stageGPX(orWpt("NaN", "20", "DSS", "<openrally:dss/>")), decode: CodeValue, line: 3},
		{name: "hexadecimal longitude", in: stageGPX(orWpt("41", "0x14", "DSS", "<openrally:dss/>")), decode: CodeValue, line: 3},
		{name: "point without lon", in: stageGPX(`<wpt lat="41"><name>x</name></wpt>` + "\n"), decode: CodeValue, line: 3},
		{name: "radius not a number", in: stageGPX(orWpt("41", "20", "WP1", `<openrally:wpm clear="far"/>`)), decode: CodeValue, line: 3},
		{name: "distance negative", in: stageGPX(orWpt("41", "20", "WP1", `<openrally:distance>-3</openrally:distance><openrally:wpm/>`)), decode: CodeValue, line: 3},
		{name: "allowed minutes not whole", in: stageGPX(orWpt("41", "20", "TC0", `<openrally:timecontrol allowed="1.5"/>`)), decode: CodeValue, line: 3},
		{name: "unknown units", in: orHead + "<metadata><extensions><openrally:units>imperial</openrally:units></extensions></metadata>\n</gpx>", decode: CodeUnits, line: 3},
		{name: "encoding other than UTF-8 and Latin-1", in: `<?xml version="1.0" encoding="windows-1251"?><gpx xmlns="http://www.topografix.com/GPX/1/1"/>`, decode: CodeEncoding},
		{name: "nesting too deep", in: stageGPX(orWpt("41", "20", "WP1", "<openrally:wpm/>"+deep)), decode: CodeStructure, line: 3},
		{name: "input too large", in: stageGPX(okDSS, okASS), opts: DecodeOptions{MaxBytes: 100}, decode: CodeTooLarge},

		{name: "FZ without its DZ", in: stageGPX(orWpt("41.1", "20.1", "FZ1", "<openrally:fz/>")), problem: CodeFZWithoutDZ, line: 3, waypoint: "FZ1"},
		{name: "DZ without its FZ", in: stageGPX(orWpt("41.1", "20.1", "DZ1", "<openrally:dz/><openrally:speed>50</openrally:speed>")), problem: CodeDZWithoutFZ, line: 3, waypoint: "DZ1"},
		{name: "FZ before any DZ, then a DZ", in: stageGPX(orWpt("41.1", "20.1", "FZ1", "<openrally:fz/>"), orWpt("41.2", "20.1", "DZ1", "<openrally:dz/><openrally:speed>50</openrally:speed>")), problem: CodeFZWithoutDZ, line: 3, waypoint: "FZ1"},
		{name: "DZ without a speed", in: stageGPX(orWpt("41.1", "20.1", "DZ1", "<openrally:dz/>"), orWpt("41.2", "20.1", "FZ1", "<openrally:fz/>")), problem: CodeNumber, line: 3},
		{name: "DSS without an ASS", in: stageGPX(okDSS, orWpt("41.25", "20.15", "WP1", "<openrally:wpm/>")), problem: CodeDSSWithoutASS, line: 3, waypoint: "DSS"},
		{name: "DSS without an ASS before a transfer", in: stageGPX(okDSS, orWpt("41.25", "20.15", "DT", "<openrally:dt/>")), problem: CodeDSSWithoutASS, line: 3, waypoint: "DSS"},
		{name: "ASS without a DSS", in: stageGPX(okASS), problem: CodeASSWithoutDSS, line: 3, waypoint: "ASS"},
		{name: "validation radius larger than open", in: stageGPX(orWpt("41", "20", "WP1", `<openrally:wpm open="100" clear="200"/>`)), problem: CodeRadiiOrder, line: 3, waypoint: "WP1"},
		{name: "zero radius", in: stageGPX(orWpt("41", "20", "WP1", `<openrally:wpm open="800" clear="0"/>`)), problem: CodeRadius, line: 3, waypoint: "WP1"},
		{name: "negative radius", in: stageGPX(orWpt("41", "20", "WP1", `<openrally:wpv open="-800" clear="-90"/>`)), problem: CodeRadius, line: 3, waypoint: "WP1"},
		{name: "latitude out of range", in: stageGPX(orWpt("95", "20", "WP1", "<openrally:wpm/>")), problem: CodeCoordinates, line: 3, waypoint: "WP1"},
		{name: "longitude out of range", in: stageGPX(orWpt("41", "-181", "WP1", "<openrally:wpm/>")), problem: CodeCoordinates, line: 3, waypoint: "WP1"},
		{name: "waypoint at (0, 0)", in: stageGPX(orWpt("0", "0", "WP1", "<openrally:wpm/>")), problem: CodeNullIsland, line: 3, waypoint: "WP1"},
		{name: "two waypoints of one name", in: stageGPX(orWpt("41", "20", "WP1", "<openrally:wpm/>"), orWpt("41.1", "20", "WP1", "<openrally:wpv/>")), problem: CodeDuplicate, line: 4, waypoint: "WP1"},
		{name: "distance decreasing without a reset", in: stageGPX(orWpt("41", "20", "WP1", "<openrally:distance>12</openrally:distance><openrally:wpm/>"), orWpt("41.1", "20", "WP2", "<openrally:distance>10</openrally:distance><openrally:wpm/>")), problem: CodeDistance, line: 4, waypoint: "WP2"},
		{name: "control character (refused by XML itself)", in: stageGPX(orWpt("41", "20", "WP&#x1b;[31m1", "<openrally:wpm/>")), decode: CodeSyntax, line: 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts
			opts.Name = "in.gpx"
			c, rep, err := Decode(strings.NewReader(tc.in), opts)
			if err == nil {
				t.Fatalf("accepted: %+v", c)
			}
			if tc.decode != "" {
				var de *DecodeError
				if !errors.As(err, &de) {
					t.Fatalf("error %T %v, want a *DecodeError", err, err)
				}
				if de.Code != tc.decode || (tc.line > 0 && de.Src.Line != tc.line) || de.Src.File != "in.gpx" {
					t.Fatalf("got %s at %v (%v), want %s at line %d", de.Code, de.Src, err, tc.decode, tc.line)
				}
				if c != nil || rep != nil {
					t.Fatal("a course or report came with a *DecodeError")
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("error %T %v, want a *ValidationError", err, err)
			}
			if c == nil || rep == nil {
				t.Fatal("a *ValidationError came without the course and report")
			}
			for _, p := range ve.Problems {
				if p.Code == tc.problem && (tc.line == 0 || p.Src.Line == tc.line) && p.Path.Waypoint == tc.waypoint || (tc.waypoint == "" && p.Code == tc.problem && (tc.line == 0 || p.Src.Line == tc.line)) {
					if tc.line > 0 && !strings.Contains(err.Error(), "in.gpx:"+itoa(tc.line)) {
						t.Errorf("message %q does not name in.gpx:%d", err, tc.line)
					}
					if strings.ContainsRune(err.Error(), 0x1b) {
						t.Errorf("message %q carries a raw control character", err)
					}
					return
				}
			}
			t.Fatalf("no %s problem at line %d about waypoint %q in:\n%v", tc.problem, tc.line, tc.waypoint, err)
		})
	}
}

func TestOpenRallyStageIsSegmentedAtItsMarkers(t *testing.T) {
	f, err := os.Open("testdata/openrally-stage.gpx")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c, rep, err := Decode(f, DecodeOptions{Name: "openrally-stage.gpx", Stage: StageOptions{Code: "S1"}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Format != FormatOpenRally || rep.Units != "metric" || rep.Namespace != OpenRallyNamespace || rep.TrackPoints != 11 {
		t.Fatalf("report %+v", rep)
	}
	s := c.Stage("S1")
	if s == nil || s.Name != "Stage 1 Tirana - Korca" || s.Role != RoleStage || s.Status != StatusDraft || s.StartOrder.Strategy != StartManual {
		t.Fatalf("stage %+v", s)
	}
	type seg struct {
		code, typ, entry, exit string
		target                 int
		length                 float64
		waypoints              string
		route                  int
	}
	var got []seg
	for _, g := range s.Segments {
		var names []string
		for _, w := range g.Waypoints {
			names = append(names, w.Name+":"+string(w.Type)+"@"+fmtFloat(*w.DistanceKm))
		}
		target := 0
		if g.TargetDurationSeconds != nil {
			target = *g.TargetDurationSeconds
		}
		got = append(got, seg{g.Code, string(g.Type), g.EntryGeofence, g.ExitGeofence, target, *g.LengthKm, strings.Join(names, " "), len(g.Route)})
	}
	want := []seg{
		{"L1", "liaison", "S1 TC0", "S1 TC1", 45 * 60, 23, "TC0:TC@0 DZ1:DZ@18.4 FZ1:FZ@20.1 TC1:TC@23", 5},
		{"SS1", "special-stage", "S1 DSS", "S1 ASS", 0, 34.2, "DSS:DSS@0 WP1:WPM@8.4 WP2:WPS@16.9 CP1:CP@25.7 ASS:ASS@34.2", 5},
		{"L2", "liaison", "S1 ASS", "S1 TC2", 0, 7.3, "TC2:TC@7.3", 2},
	}
	if len(got) != len(want) {
		t.Fatalf("segments %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("segment %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
	z := s.Segments[0].SpeedZones
	if len(z) != 1 || z[0].Name != "DZ1–FZ1" || z[0].LimitKmh != 50 || z[0].StartWaypoint != "DZ1" || z[0].EndWaypoint != "FZ1" || z[0].Area != nil {
		t.Errorf("zones %+v", z)
	}
	wp2 := s.Segments[1].Waypoint("WP2")
	if wp2.OpenRadiusMeters != 2500 || wp2.ToleranceMeters != 100 {
		t.Errorf("WP2 radii from the file: %+v", wp2)
	}
	wp1 := s.Segments[1].Waypoint("WP1")
	if wp1.OpenRadiusMeters != 800 || wp1.ToleranceMeters != 200 || wp1.Src.Line != 56 {
		t.Errorf("WP1 has the WPM defaults and its line: %+v", wp1)
	}
	var kinds []string
	for _, g := range c.Geofences {
		kinds = append(kinds, g.Name+"="+string(g.Kind))
	}
	if strings.Join(kinds, " ") != "S1 TC0=time-control S1 TC1=time-control S1 DSS=start S1 CP1=checkpoint S1 ASS=finish S1 TC2=time-control" {
		t.Errorf("geofences %v", kinds)
	}
	if rep.Points[1].Skipped == "" || rep.Points[1].Name != "1" {
		t.Errorf("the roadbook box without a waypoint element is skipped: %+v", rep.Points[1])
	}
	if tc0 := s.Segments[0].Waypoints[0]; tc0.Notes != "Start, Tirana bivouac" {
		t.Errorf("notes from desc: %q", tc0.Notes)
	}
}

func TestAPointOfSeveralElementsBecomesOneWaypointPerRole(t *testing.T) {
	c, rep, err := decodeString(stageGPX(
		orWpt("41.10", "20.10", "TC0", `<openrally:timecontrol allowed="30"/>`),
		orWpt("41.20", "20.20", "TC1", `<openrally:timecontrol/><openrally:dss/>`),
		orWpt("41.30", "20.30", "12", `<openrally:wpe clear="200"/><openrally:dz/><openrally:speed>40</openrally:speed>`),
		orWpt("41.40", "20.40", "13", `<openrally:fz/><openrally:ass/><openrally:stop/>`),
	))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, g := range c.Stages[0].Segments {
		for _, w := range g.Waypoints {
			got = append(got, g.Code+"/"+w.Name+":"+string(w.Type))
		}
	}
	want := "L1/TC0:TC L1/TC1:TC SS1/TC1 DSS:DSS SS1/12 DZ:DZ SS1/12 WPE:WPE SS1/13 FZ:FZ SS1/13 ASS:ASS L2/13 SC:SC"
	if strings.Join(got, " ") != want {
		t.Fatalf("waypoints\n got %s\nwant %s", strings.Join(got, " "), want)
	}
	if p := rep.Points[1]; strings.Join(p.Elements, ",") != "timecontrol,dss" || len(p.Waypoints) != 2 {
		t.Errorf("mapping of the TC+DSS point: %+v", p)
	}
	if w := c.Stages[0].Segments[1].Waypoint("12 WPE"); w.OpenRadiusMeters != 800 || w.ToleranceMeters != 200 {
		t.Errorf("a lone clear keeps the default open radius: %+v", w)
	}
	if t0 := c.Stages[0].Segments[0].TargetDurationSeconds; t0 == nil || *t0 != 1800 {
		t.Errorf("allowed 30 min at the liaison's first control: %v", t0)
	}
}

func TestPlainGPXIsReadByItsNamesAndSaysHow(t *testing.T) {
	in := `<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="Garmin" xmlns="http://www.topografix.com/GPX/1/1">
<metadata><name>Prologue Durrës</name></metadata>
<wpt lat="41.30" lon="19.44"><name>START TC0</name></wpt>
<wpt lat="41.31" lon="19.45"><name>TC0</name></wpt>
<wpt lat="41.32" lon="19.46"><name>DSS</name></wpt>
<wpt lat="41.33" lon="19.47"><name>WP12</name></wpt>
<wpt lat="41.34" lon="19.48"><name>dz3</name><desc>village, 50 km/h</desc></wpt>
<wpt lat="41.35" lon="19.49"><name>FZ3</name></wpt>
<wpt lat="41.36" lon="19.50"><name>CP1 Kukës</name></wpt>
<wpt lat="41.37" lon="19.51"><name>Danger</name><type>WPS</type></wpt>
<wpt lat="41.38" lon="19.52"><name>ASS</name></wpt>
<wpt lat="41.39" lon="19.53"><name>TC2</name></wpt>
<trk><trkseg><trkpt lat="41.30" lon="19.44"/><trkpt lat="41.39" lon="19.53"/></trkseg></trk>
</gpx>
`
	c, rep, err := Decode(strings.NewReader(in), DecodeOptions{Name: "plain.gpx", Stage: StageOptions{Code: "P", Role: RolePrologue}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Format != FormatPlainGPX || rep.Units != "" {
		t.Fatalf("report %+v", rep)
	}
	var mapping []string
	for _, p := range rep.Points {
		if p.Skipped != "" {
			mapping = append(mapping, p.Name+"→skipped")
			continue
		}
		mapping = append(mapping, p.Name+"→"+string(p.Waypoints[0].Type)+"/"+p.By)
	}
	want := "START TC0→skipped TC0→TC/name DSS→DSS/name WP12→WPV/name dz3→DZ/name FZ3→FZ/name CP1 Kukës→CP/name Danger→WPS/type ASS→ASS/name TC2→TC/name"
	if strings.Join(mapping, " ") != want {
		t.Fatalf("mapping\n got %s\nwant %s", strings.Join(mapping, " "), want)
	}
	s := c.Stage("P")
	if s.Role != RolePrologue || s.Name != "Prologue Durrës" || len(s.Segments) != 3 {
		t.Fatalf("stage %+v", s)
	}
	if z := s.Segments[1].SpeedZones; len(z) != 1 || z[0].LimitKmh != 50 {
		t.Errorf("the speed from the DZ's description: %+v", z)
	}
}

func TestNamespaceDeclaredButUnusedIsPlainGPX(t *testing.T) {
	_, rep, err := decodeString(stageGPX(`<wpt lat="41" lon="20"><name>WPM1</name></wpt>` + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Format != FormatPlainGPX || rep.Points[0].By != "name" {
		t.Fatalf("report %+v", rep)
	}
}

func TestEveryOpenRallyVersion1_0IsRead(t *testing.T) {
	for _, v := range []string{"v1.0", "v1.0.0", "v1.0.1", "v1.0.2", "v1.0.3", "v1.0-Cross-Country-DRAFT"} {
		in := strings.Replace(stageGPX(orWpt("41", "20", "WP1", "<openrally:wpm/>")), "v1.0.3", v, 1)
		_, rep, err := decodeString(in)
		if err != nil || rep.Format != FormatOpenRally || !strings.HasSuffix(rep.Namespace, v) {
			t.Errorf("%s: %v %+v", v, err, rep)
		}
	}
}

func TestStatuteUnitsAreConvertedToMetric(t *testing.T) {
	in := orHead + `<metadata><extensions><openrally:units>statue</openrally:units></extensions></metadata>
` + orWpt("41.1", "20.1", "DZ1", `<openrally:distance>1</openrally:distance><openrally:dz open="1000" clear="100"/><openrally:speed>30</openrally:speed>`) +
		orWpt("41.2", "20.1", "FZ1", `<openrally:distance>11</openrally:distance><openrally:fz/>`) + "</gpx>"
	c, rep, err := decodeString(in)
	if err != nil {
		t.Fatal(err)
	}
	g := c.Stages[0].Segments[0]
	dz, fz := g.Waypoints[0], g.Waypoints[1]
	if rep.Units != "statute" || dz.OpenRadiusMeters != 914 || dz.ToleranceMeters != 91 || *fz.DistanceKm != 16.09344 || g.SpeedZones[0].LimitKmh != 48 {
		t.Fatalf("units %s, DZ %+v, FZ at %v km, limit %d", rep.Units, dz, *fz.DistanceKm, g.SpeedZones[0].LimitKmh)
	}
}

func TestResetRestartsTheOdometerWithinASegment(t *testing.T) {
	c, _, err := decodeString(stageGPX(
		orWpt("41.1", "20.1", "WP1", `<openrally:distance>5</openrally:distance><openrally:wpm/>`),
		orWpt("41.2", "20.1", "WP2", `<openrally:distance>8</openrally:distance><openrally:reset/><openrally:wpm/>`),
		orWpt("41.3", "20.1", "WP3", `<openrally:distance>2.5</openrally:distance><openrally:wpm/>`),
	))
	if err != nil {
		t.Fatal(err)
	}
	ws := c.Stages[0].Segments[0].Waypoints
	if *ws[0].DistanceKm != 0 || *ws[1].DistanceKm != 3 || *ws[2].DistanceKm != 5.5 {
		t.Fatalf("distances %v %v %v", *ws[0].DistanceKm, *ws[1].DistanceKm, *ws[2].DistanceKm)
	}
}

func TestLatin1FileIsRead(t *testing.T) {
	in := "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<gpx xmlns=\"http://www.topografix.com/GPX/1/1\"><wpt lat=\"42.07\" lon=\"20.42\"><name>CP1 Kuk\xebs</name></wpt></gpx>"
	c, _, err := decodeString(in)
	if err != nil {
		t.Fatal(err)
	}
	if w := c.Stages[0].Segments[0].Waypoints[0]; w.Name != "CP1 Kukës" {
		t.Fatalf("name %q", w.Name)
	}
}

func TestAllowedTimeInTheMiddleOfASegmentIsANote(t *testing.T) {
	c, rep, err := decodeString(stageGPX(
		orWpt("41.1", "20.1", "WP1", `<openrally:wpm/>`),
		orWpt("41.2", "20.1", "TC1", `<openrally:timecontrol allowed="20"/>`),
		orWpt("41.3", "20.1", "WP2", `<openrally:wpm/>`),
	))
	if err != nil {
		t.Fatal(err)
	}
	if c.Stages[0].Segments[0].TargetDurationSeconds != nil || len(rep.Notes) != 1 || rep.Notes[0].Src.Line != 4 {
		t.Fatalf("target %v, notes %+v", c.Stages[0].Segments[0].TargetDurationSeconds, rep.Notes)
	}
}

func TestGeoJSONBadInputIsRefusedWithItsCode(t *testing.T) {
	stage := `{"type":"Feature","geometry":null,"properties":{"layer":"stages","code":"S1","name":"Stage 1","sort_order":1}}`
	seg := `{"type":"Feature","geometry":null,"properties":{"layer":"segments","stage":"S1","code":"L1","name":"Liaison","sort_order":1,"type":"liaison"}}`
	wp := func(name string, sort int, typ, coords string) string {
		return `{"type":"Feature","geometry":{"type":"Point","coordinates":` + coords + `},"properties":{"layer":"waypoints","stage":"S1","segment":"L1","sort_order":` + itoa(sort) + `,"name":"` + name + `","type":"` + typ + `"}}`
	}
	fc := func(features ...string) string {
		return "{\"type\":\"FeatureCollection\",\"features\":[\n" + strings.Join(features, ",\n") + "\n]}"
	}
	bowtie := `{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[20,41],[20.1,41.1],[20.1,41],[20,41.1],[20,41]]]},"properties":{"layer":"geofences","name":"bow tie","kind":"start"}}`
	for _, tc := range []struct {
		name            string
		in              string
		decode, problem Code
		line            int
	}{
		{name: "broken JSON", in: "{\"type\":\n\"FeatureCollection\",", decode: CodeSyntax},
		{name: "a JSON array", in: "[]", decode: CodeUnknownFormat},
		{name: "JSON not closed", in: `{"type":"FeatureCollection","features":[]`, decode: CodeSyntax},
		{name: "JSON with more after it", in: "{\"type\":\"FeatureCollection\",\"features\":[]}\n{}", decode: CodeSyntax, line: 2},
		{name: "JSON broken inside a feature", in: "{\"type\":\"FeatureCollection\",\"features\":[\n{\"type\":\"Feature\",\n\"geometry\":nul}]}", decode: CodeSyntax, line: 3},
		{name: "a single feature", in: stage, decode: CodeNotGeoJSON},
		{name: "another version", in: `{"type":"FeatureCollection","trm_course":"v2","features":[]}`, decode: CodeNamespaceVersion},
		{name: "no features", in: `{"type":"FeatureCollection"}`, decode: CodeNotGeoJSON},
		{name: "feature without a layer", in: fc(stage, `{"type":"Feature","geometry":null,"properties":{"name":"x"}}`), decode: CodeNotGeoJSON, line: 3},
		{name: "unknown layer", in: fc(`{"type":"Feature","geometry":null,"properties":{"layer":"penalties"}}`), decode: CodeNotGeoJSON, line: 2},
		{name: "sort order not a number", in: fc(stage, seg, `{"type":"Feature","geometry":{"type":"Point","coordinates":[20,41]},"properties":{"layer":"waypoints","stage":"S1","segment":"L1","sort_order":"first","name":"WP1","type":"WPM"}}`), decode: CodeValue, line: 4},
		{name: "waypoint without a point", in: fc(stage, seg, `{"type":"Feature","geometry":null,"properties":{"layer":"waypoints","stage":"S1","segment":"L1","sort_order":1,"name":"WP1","type":"WPM"}}`), decode: CodeNotGeoJSON, line: 4},
		{name: "position of one number", in: fc(stage, seg, wp("WP1", 1, "WPM", "[20]")), decode: CodeValue, line: 4},
		{name: "coordinate overflow", in: fc(stage, seg, wp("WP1", 1, "WPM", "[20, 1e999]")), decode: CodeValue, line: 4},

		{name: "duplicate sort orders", in: fc(stage, seg, wp("WP1", 1, "WPM", "[20,41]"), wp("WP2", 1, "WPM", "[20.1,41]")), problem: CodeDuplicate, line: 5},
		{name: "duplicate names", in: fc(stage, seg, wp("WP1", 1, "WPM", "[20,41]"), wp("WP1", 2, "WPM", "[20.1,41]")), problem: CodeDuplicate, line: 5},
		{name: "unknown waypoint type", in: fc(stage, seg, wp("WP1", 1, "WPX", "[20,41]")), problem: CodeEnum, line: 4},
		{name: "waypoint at (0, 0)", in: fc(stage, seg, wp("WP1", 1, "WPM", "[0,0]")), problem: CodeNullIsland, line: 4},
		{name: "segment of an unknown stage", in: fc(stage, strings.Replace(seg, `"stage":"S1"`, `"stage":"S9"`, 1)), problem: CodeReference, line: 3},
		{name: "self-intersecting polygon", in: fc(bowtie), problem: CodePolygon, line: 2},
		{name: "unclosed ring", in: fc(`{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[20,41],[20.1,41.1],[20.1,41],[20,41.05]]]},"properties":{"layer":"geofences","name":"open","kind":"start"}}`), problem: CodePolygon, line: 2},
		{name: "top N without n", in: fc(stage, `{"type":"Feature","geometry":null,"properties":{"layer":"stages","code":"S2","name":"Stage 2","sort_order":2,"start_order_strategy":"inverse_top_n_then_natural","start_order_input_stage":"S1"}}`), problem: CodeStartOrder, line: 3},
		{name: "n of zero", in: fc(stage, `{"type":"Feature","geometry":null,"properties":{"layer":"stages","code":"S2","name":"Stage 2","sort_order":2,"start_order_strategy":"inverse_top_n_then_natural","start_order_strategy_params":{"n":0},"start_order_input_stage":"S1"}}`), problem: CodeStartOrder, line: 3},
		{name: "unknown parameter", in: fc(stage, `{"type":"Feature","geometry":null,"properties":{"layer":"stages","code":"S2","name":"Stage 2","sort_order":2,"start_order_strategy":"previous_stage_clean_result","start_order_strategy_params":{"top":3},"start_order_input_stage":"S1"}}`), problem: CodeStartOrder, line: 3},
		{name: "input stage not earlier", in: fc(stage, `{"type":"Feature","geometry":null,"properties":{"layer":"stages","code":"S0","name":"Stage 0","sort_order":0,"start_order_strategy":"inverse_of_overall","start_order_input_stage":"S1"}}`), problem: CodeStartOrder, line: 3},
		{name: "input stage unknown", in: fc(`{"type":"Feature","geometry":null,"properties":{"layer":"stages","code":"S2","name":"Stage 2","sort_order":2,"start_order_strategy":"previous_stage_clean_result","start_order_input_stage":"S1"}}`), problem: CodeReference, line: 2},
		{name: "manual with an input stage", in: fc(stage, `{"type":"Feature","geometry":null,"properties":{"layer":"stages","code":"S2","name":"Stage 2","sort_order":2,"start_order_strategy":"manual","start_order_input_stage":"S1"}}`), problem: CodeStartOrder, line: 3},
		{name: "zone with area and waypoints", in: fc(stage, seg, wp("DZ1", 1, "DZ", "[20,41]"), wp("FZ1", 2, "FZ", "[20.1,41]"), `{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[20,41],[20.1,41],[20.1,41.1],[20,41]]]},"properties":{"layer":"speed_limit_zones","stage":"S1","segment":"L1","name":"z","limit_kmh":50,"start_waypoint":"DZ1","end_waypoint":"FZ1"}}`), problem: CodeZoneShape, line: 6},
		{name: "zone with neither", in: fc(stage, seg, `{"type":"Feature","geometry":null,"properties":{"layer":"speed_limit_zones","stage":"S1","segment":"L1","name":"z","limit_kmh":50}}`), problem: CodeZoneShape, line: 4},
		{name: "FZ before its DZ", in: fc(stage, seg, wp("DZ1", 2, "DZ", "[20,41]"), wp("FZ1", 1, "FZ", "[20.1,41]"), `{"type":"Feature","geometry":null,"properties":{"layer":"speed_limit_zones","stage":"S1","segment":"L1","name":"z","limit_kmh":50,"start_waypoint":"DZ1","end_waypoint":"FZ1"}}`), problem: CodeZoneOrder, line: 6},
		{name: "control character in a name", in: fc(stage, seg, wp(`WP\u001b[31m1`, 1, "WPM", "[20,41]")), problem: CodeValue, line: 4},
		{name: "zone limit zero", in: fc(stage, seg, wp("DZ1", 1, "DZ", "[20,41]"), wp("FZ1", 2, "FZ", "[20.1,41]"), `{"type":"Feature","geometry":null,"properties":{"layer":"speed_limit_zones","stage":"S1","segment":"L1","name":"z","limit_kmh":0,"start_waypoint":"DZ1","end_waypoint":"FZ1"}}`), problem: CodeNumber, line: 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _, err := Decode(strings.NewReader(tc.in), DecodeOptions{Name: "in.geojson"})
			if err == nil {
				t.Fatalf("accepted: %+v", c)
			}
			if tc.decode != "" {
				var de *DecodeError
				if !errors.As(err, &de) || de.Code != tc.decode || (tc.line > 0 && de.Src.Line != tc.line) {
					t.Fatalf("got %v (%T), want a %s DecodeError at line %d", err, err, tc.decode, tc.line)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("got %v (%T), want a *ValidationError", err, err)
			}
			if strings.ContainsRune(err.Error(), 0x1b) {
				t.Errorf("message %q carries a raw control character", err)
			}
			for _, p := range ve.Problems {
				if p.Code == tc.problem && p.Src.Line == tc.line {
					return
				}
			}
			t.Fatalf("no %s problem at line %d in:\n%v", tc.problem, tc.line, err)
		})
	}
}

// The track's fast path (xmlfast.go) must read exactly what encoding/xml
// reads: the same points whether or not a comment sends a trkseg down the
// slow path, and the right line for an error after a track.
func TestTrackFastPathReadsWhatTheSlowPathReads(t *testing.T) {
	var pts strings.Builder
	for i := 0; i < 50; i++ {
		pts.WriteString(`<trkpt lat="41.` + itoa(1000+i) + `" lon='20.` + itoa(2000+i) + `'>` + "\n<ele>12.5</ele><time>2026-06-07T06:00:00Z</time><extensions><speed/></extensions></trkpt>\n")
	}
	fast := stageGPX(orWpt("41.1", "20.1", "WP1", "<openrally:wpm/>")) + ""
	fast = strings.Replace(fast, "</gpx>", "<trk><trkseg>\n"+pts.String()+"</trkseg ></trk>\n</gpx>", 1)
	slow := strings.Replace(fast, "<trkseg>\n", "<trkseg><!-- a comment -->\n", 1)
	for i, in := range []string{fast, slow} {
		x := newXReader([]byte(in), "")
		if _, err := x.document(); err != nil {
			t.Fatal(err)
		}
		if took := x.lineAdj > 0; took != (i == 0) {
			t.Fatalf("case %d: fast path taken %v", i, took)
		}
	}
	var got [2]LineString
	for i, in := range []string{fast, slow} {
		c, rep, err := decodeString(in)
		if err != nil {
			t.Fatal(err)
		}
		if rep.TrackPoints != 50 {
			t.Fatalf("%d track points", rep.TrackPoints)
		}
		got[i] = c.Stages[0].Segments[0].Route
	}
	if !equalPolygon(Polygon{Ring(got[0])}, Polygon{Ring(got[1])}) || got[0][49] != (Point{Lon: 20.2049, Lat: 41.1049}) {
		t.Fatalf("fast %v\nslow %v", got[0], got[1])
	}
	// The wpt after the track is on the line after the 50 two-line points.
	after := strings.Replace(fast, "</trk>\n</gpx>", "</trk>\n"+`<wpt lat="x" lon="20"/>`+"\n</gpx>", 1)
	want := strings.Count(after[:strings.Index(after, `<wpt lat="x"`)], "\n") + 1
	_, _, err := decodeString(after)
	var de *DecodeError
	if !errors.As(err, &de) || de.Src.Line != want {
		t.Fatalf("error %v, want it at line %d", err, want)
	}
	// A mistake inside a fast-path candidate is still found.
	broken := strings.Replace(fast, "<ele>12.5</ele>", "<ele>12.5</elx>", 1)
	if _, _, err := decodeString(broken); !errors.As(err, &de) || de.Code != CodeSyntax {
		t.Fatalf("mismatched tag in a trkpt: %v", err)
	}
}

func TestTulipFastSkipKeepsXMLRules(t *testing.T) {
	ok := stageGPX(orWpt("41.1", "20.1", "WP1", "<openrally:wpm/><openrally:tulip><![CDATA[<svg>ë</svg>]]></openrally:tulip><openrally:notes>plain</openrally:notes>"), orWpt("41.2", "20.1", "WP2", "<openrally:wpm/>"))
	c, _, err := decodeString(ok)
	if err != nil || len(c.Stages[0].Segments[0].Waypoints) != 2 {
		t.Fatalf("%v", err)
	}
	bad := strings.Replace(ok, "<svg>ë</svg>", "<svg>\x01</svg>", 1)
	var de *DecodeError
	if _, _, err := decodeString(bad); !errors.As(err, &de) || de.Code != CodeSyntax || de.Src.Line != 3 {
		t.Fatalf("a control character in a tulip: %v", err)
	}
}

func TestAPointWithoutANameIsNamedByItsElementOrItsType(t *testing.T) {
	c, rep, err := decodeString(stageGPX(
		`<wpt lat="41.1" lon="20.1"><extensions><openrally:wpm name="K99"/></extensions></wpt>`+"\n",
		`<wpt lat="41.2" lon="20.1"><extensions><openrally:wpm/></extensions></wpt>`+"\n",
		`<wpt lat="41.3" lon="20.1"><extensions><openrally:wpm/></extensions></wpt>`+"\n",
	))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, w := range c.Stages[0].Segments[0].Waypoints {
		names = append(names, w.Name)
	}
	if strings.Join(names, ",") != "K99,WPM 2,WPM 3" || rep.Points[0].By != "element" {
		t.Fatalf("names %v, mapping %+v", names, rep.Points[0])
	}
}
