package course_test

import (
	"errors"
	"fmt"
	"strings"

	"git.dev.trmtracking.org/trm/directus/lib/course"
)

const roadbook = `<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1"
     xmlns:openrally="http://www.openrally.org/xmlschemas/GpxExtensions/v1.0.3">
  <wpt lat="41.3275" lon="19.8187"><name>TC0</name><extensions>
    <openrally:distance>0</openrally:distance><openrally:timecontrol allowed="40"/></extensions></wpt>
  <wpt lat="41.2101" lon="20.0622"><name>TC1</name><extensions>
    <openrally:distance>23.0</openrally:distance><openrally:timecontrol/><openrally:dss/></extensions></wpt>
  <wpt lat="41.1702" lon="20.1433"><name>WP1</name><extensions>
    <openrally:distance>31.4</openrally:distance><openrally:wpm/></extensions></wpt>
  <wpt lat="41.0611" lon="20.3975"><name>ASS</name><extensions>
    <openrally:distance>57.2</openrally:distance><openrally:ass/></extensions></wpt>
</gpx>`

// Decode reads an OpenRally roadbook as one stage, segmented at its
// markers; a point that is a time control and a DSS becomes two waypoints.
func ExampleDecode() {
	c, rep, err := course.Decode(strings.NewReader(roadbook), course.DecodeOptions{
		Name:  "stage1.gpx",
		Stage: course.StageOptions{Code: "S1", Name: "Tirana – Korçë"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(rep.Format)
	for _, g := range c.Stage("S1").Segments {
		fmt.Printf("%s %s %s → %s, %v km\n", g.Code, g.Type.Label(), g.EntryGeofence, g.ExitGeofence, *g.LengthKm)
		for _, w := range g.Waypoints {
			fmt.Printf("  %-7s %-3s open %4d m, validation %3d m, at %v km\n", w.Name, w.Type, w.OpenRadiusMeters, w.ToleranceMeters, *w.DistanceKm)
		}
	}
	// Output:
	// openrally
	// L1 Liaison S1 TC0 → S1 TC1, 23 km
	//   TC0     TC  open  800 m, validation  90 m, at 0 km
	//   TC1     TC  open  800 m, validation  90 m, at 23 km
	// SS1 Special S1 TC1 DSS → S1 ASS, 34.2 km
	//   TC1 DSS DSS open  800 m, validation  90 m, at 0 km
	//   WP1     WPM open  800 m, validation 200 m, at 8.4 km
	//   ASS     ASS open  800 m, validation  90 m, at 34.2 km
}

// Every problem of a file is listed with its line and its place in the
// course, and carries a Code to test.
func ExampleValidationError() {
	bad := strings.Replace(roadbook, `<openrally:ass/>`, `<openrally:fz/>`, 1)
	bad = strings.Replace(bad, `<openrally:wpm/>`, `<openrally:wpm open="150" clear="200"/>`, 1)
	_, _, err := course.Decode(strings.NewReader(bad), course.DecodeOptions{Name: "stage1.gpx"})
	var ve *course.ValidationError
	if errors.As(err, &ve) {
		for _, p := range ve.Problems {
			fmt.Printf("%s [%s]\n", p, p.Code)
		}
	}
	// Output:
	// stage1.gpx:8: stage "S1", segment "SS1", waypoint "WP1": validation radius 200 m is larger than the open radius 150 m [radii-order]
	// stage1.gpx:6: stage "S1", segment "SS1", waypoint "TC1 DSS": DSS without an ASS after it: the special stage has no finish [dss-without-ass]
	// stage1.gpx:10: stage "S1", segment "SS1", waypoint "ASS": FZ without its DZ: no speed zone of the segment ends here after a DZ [fz-without-dz]
}

// A GPX of an OpenRally version this package does not know is refused
// before anything is read from it.
func ExampleDecodeError() {
	future := strings.Replace(roadbook, "v1.0.3", "v2.0.0", 1)
	_, _, err := course.Decode(strings.NewReader(future), course.DecodeOptions{Name: "stage1.gpx"})
	var de *course.DecodeError
	if errors.As(err, &de) {
		fmt.Println(de.Code)
		fmt.Println(de)
	}
	// Output:
	// namespace-version
	// stage1.gpx:3: the file uses the OpenRally namespace "http://www.openrally.org/xmlschemas/GpxExtensions/v2.0.0", a version this reader does not know; it reads http://www.openrally.org/xmlschemas/GpxExtensions/v1.0 to v1.0.3
}

// The whole course goes out as GeoJSON (or GPX) and comes back equal.
func ExampleWriteGeoJSON() {
	c, _, _ := course.Decode(strings.NewReader(roadbook), course.DecodeOptions{Stage: course.StageOptions{Code: "S1"}})
	var out strings.Builder
	if err := course.WriteGeoJSON(&out, c); err != nil {
		fmt.Println(err)
		return
	}
	back, rep, err := course.Decode(strings.NewReader(out.String()), course.DecodeOptions{})
	fmt.Println(rep.Format, err, len(back.Geofences), "geofences,", len(back.Stage("S1").Segments), "segments")
	// Output:
	// geojson <nil> 4 geofences, 2 segments
}

// Radii the file does not give come from the rules, and are stored.
func ExampleDefaultRadii() {
	for _, t := range []course.WaypointType{course.WPM, course.WPS, course.WPV, course.DSS} {
		r := course.DefaultRadii(t)
		fmt.Printf("%s open %d m, validation %d m\n", t, r.Open, r.Tolerance)
	}
	// Output:
	// WPM open 800 m, validation 200 m
	// WPS open 3000 m, validation 90 m
	// WPV open 800 m, validation 90 m
	// DSS open 800 m, validation 90 m
}

// The enumerations give the values and labels the admin UI offers.
func ExampleStageRoles() {
	for _, r := range course.StageRoles() {
		fmt.Printf("%s: %s\n", r, r.Label())
	}
	// Output:
	// prologue: Prologue
	// stage: Stage
	// marathon: Marathon stage
	// super-special: Super special
}

// WriteGPX writes OpenRally GPX with the TRM extension, which carries
// the course's structure.
func ExampleWriteGPX() {
	c, _, _ := course.Decode(strings.NewReader(roadbook), course.DecodeOptions{Stage: course.StageOptions{Code: "S1"}})
	var out strings.Builder
	if err := course.WriteGPX(&out, c); err != nil {
		fmt.Println(err)
		return
	}
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.Contains(line, "<trm:stage") || strings.Contains(line, "<trm:segment") || strings.Contains(line, "<trm:waypoint") {
			fmt.Println(strings.TrimSpace(line))
		}
	}
	// Output:
	// <trm:stage code="S1" name="Stage S1" sort="1" role="stage" status="draft" start-order="manual">
	// <trm:segment code="L1" name="Liaison 1" sort="1" type="liaison" entry="S1 TC0" exit="S1 TC1" target-duration="2400" length-km="23"/>
	// <trm:segment code="SS1" name="Special 1" sort="2" type="special-stage" entry="S1 TC1 DSS" exit="S1 ASS" length-km="34.2"/>
	// <trm:waypoint stage="S1" segment="L1" sort="1" type="TC" open="800" tolerance="90" distance-km="0"/>
	// <trm:waypoint stage="S1" segment="L1" sort="2" type="TC" open="800" tolerance="90" distance-km="23"/>
	// <trm:waypoint stage="S1" segment="SS1" sort="1" type="DSS" open="800" tolerance="90" distance-km="0"/>
	// <trm:waypoint stage="S1" segment="SS1" sort="2" type="WPM" open="800" tolerance="200" distance-km="8.4"/>
	// <trm:waypoint stage="S1" segment="SS1" sort="3" type="ASS" open="800" tolerance="90" distance-km="34.2"/>
}
