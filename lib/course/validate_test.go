package course

import (
	"errors"
	"math"
	"strings"
	"testing"
)

// validCourse is a small course that passes Validate; each case of
// TestValidateNamesEachBrokenRule breaks one rule of a fresh copy.
func validCourse() *Course {
	at := func(lon, lat float64) Point { return Point{Lon: lon, Lat: lat} }
	km := func(v float64) *float64 { return &v }
	secs := func(v int) *int { return &v }
	return &Course{
		Name: "Rally Albania 2026",
		Geofences: []*Geofence{
			{Name: "S1 DSS", Kind: KindStart, Geometry: GeofenceCircle(at(20.06, 41.20), 90)},
			{Name: "S1 ASS", Kind: KindFinish, Geometry: GeofenceCircle(at(20.39, 41.06), 90)},
		},
		Stages: []*Stage{
			{Code: "P", Name: "Prologue", SortOrder: 1, Role: RolePrologue, Status: StatusPublished, StartOrder: StartOrder{Strategy: StartManual}},
			{Code: "S1", Name: "Stage 1", SortOrder: 2, Role: RoleStage, Status: StatusDraft, StartIntervalSeconds: secs(60),
				StartOrder: StartOrder{Strategy: StartInverseTopNThenNatural, Params: StartOrderParams{N: 10}, InputStage: "P"},
				Segments: []*Segment{
					{Code: "SS1", Name: "Special 1", SortOrder: 1, Type: SegmentSpecialStage, EntryGeofence: "S1 DSS", ExitGeofence: "S1 ASS",
						AllowedLatenessSeconds: secs(1800), LengthKm: km(34.2),
						Route: LineString{at(20.06, 41.20), at(20.39, 41.06)},
						Waypoints: []*Waypoint{
							{SortOrder: 1, Name: "DSS", Type: DSS, Location: at(20.06, 41.20), OpenRadiusMeters: 800, ToleranceMeters: 90, DistanceKm: km(0)},
							{SortOrder: 2, Name: "DZ1", Type: DZ, Location: at(20.10, 41.18), OpenRadiusMeters: 800, ToleranceMeters: 90, DistanceKm: km(5)},
							{SortOrder: 3, Name: "FZ1", Type: FZ, Location: at(20.12, 41.17), OpenRadiusMeters: 800, ToleranceMeters: 90, DistanceKm: km(7)},
							{SortOrder: 4, Name: "WP1", Type: WPM, Location: at(20.20, 41.12), OpenRadiusMeters: 800, ToleranceMeters: 200, DistanceKm: km(15), Notes: "left at the fork\n(cattle grid)"},
							{SortOrder: 5, Name: "ASS", Type: ASS, Location: at(20.39, 41.06), OpenRadiusMeters: 800, ToleranceMeters: 90, DistanceKm: km(34.2)},
						},
						SpeedZones: []*SpeedZone{
							{Name: "Village", LimitKmh: 50, StartWaypoint: "DZ1", EndWaypoint: "FZ1"},
							{Name: "Bridge", LimitKmh: 30, Area: Polygon{Ring{at(20.3, 41.1), at(20.31, 41.1), at(20.31, 41.11), at(20.3, 41.1)}}},
						}},
				}},
		},
	}
}

func TestValidCourseIsValid(t *testing.T) {
	if err := validCourse().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestValidateNamesEachBrokenRule(t *testing.T) {
	s1 := func(c *Course) *Stage { return c.Stages[1] }
	ss1 := func(c *Course) *Segment { return c.Stages[1].Segments[0] }
	wp := func(c *Course, name string) *Waypoint { return ss1(c).Waypoint(name) }
	for _, tc := range []struct {
		name   string
		break_ func(c *Course)
		code   Code
		path   Path
	}{
		{"unknown role", func(c *Course) { s1(c).Role = "rest-day" }, CodeEnum, Path{Stage: "S1"}},
		{"unknown status", func(c *Course) { s1(c).Status = "running" }, CodeEnum, Path{Stage: "S1"}},
		{"empty stage code", func(c *Course) { s1(c).Code = "" }, CodeMissing, Path{}},
		{"stage code with a space", func(c *Course) { s1(c).Code = "S 1" }, CodeValue, Path{Stage: "S 1"}},
		{"stage code used twice", func(c *Course) { s1(c).Code = "P"; s1(c).StartOrder = StartOrder{Strategy: StartManual} }, CodeDuplicate, Path{Stage: "P"}},
		{"stage sort order used twice", func(c *Course) { s1(c).SortOrder = 1 }, CodeDuplicate, Path{Stage: "S1"}},
		{"stage sort order zero", func(c *Course) { c.Stages[0].SortOrder = 0 }, CodeNumber, Path{Stage: "P"}},
		{"stage name blank", func(c *Course) { s1(c).Name = "  " }, CodeMissing, Path{Stage: "S1"}},
		{"stage name with a trailing space", func(c *Course) { s1(c).Name = "Stage 1 " }, CodeValue, Path{Stage: "S1"}},
		{"stage name too long", func(c *Course) { s1(c).Name = strings.Repeat("ë", MaxNameLen+1) }, CodeNumber, Path{Stage: "S1"}},
		{"negative start interval", func(c *Course) { v := -1; s1(c).StartIntervalSeconds = &v }, CodeNumber, Path{Stage: "S1"}},
		{"unknown strategy", func(c *Course) { s1(c).StartOrder.Strategy = "random" }, CodeEnum, Path{Stage: "S1"}},
		{"top N without n", func(c *Course) { s1(c).StartOrder.Params.N = 0 }, CodeStartOrder, Path{Stage: "S1"}},
		{"n for another strategy", func(c *Course) { s1(c).StartOrder.Strategy = StartInverseOfOverall }, CodeStartOrder, Path{Stage: "S1"}},
		{"no input stage", func(c *Course) { s1(c).StartOrder.InputStage = "" }, CodeStartOrder, Path{Stage: "S1"}},
		{"input stage of its own", func(c *Course) { s1(c).StartOrder.InputStage = "S1" }, CodeStartOrder, Path{Stage: "S1"}},
		{"input stage later", func(c *Course) {
			c.Stages[0].StartOrder = StartOrder{Strategy: StartPreviousStageCleanResult, InputStage: "S1"}
		}, CodeStartOrder, Path{Stage: "P"}},
		{"unknown segment type", func(c *Course) { ss1(c).Type = "transfer" }, CodeEnum, Path{Stage: "S1", Segment: "SS1"}},
		{"unknown entry geofence", func(c *Course) { ss1(c).EntryGeofence = "S1 TC1" }, CodeReference, Path{Stage: "S1", Segment: "SS1"}},
		{"zero target duration", func(c *Course) { v := 0; ss1(c).TargetDurationSeconds = &v }, CodeNumber, Path{Stage: "S1", Segment: "SS1"}},
		{"negative lateness", func(c *Course) { v := -60; ss1(c).AllowedLatenessSeconds = &v }, CodeNumber, Path{Stage: "S1", Segment: "SS1"}},
		{"length not a number", func(c *Course) { v := math.NaN(); ss1(c).LengthKm = &v }, CodeDistance, Path{Stage: "S1", Segment: "SS1"}},
		{"route of one point", func(c *Course) { ss1(c).Route = ss1(c).Route[:1] }, CodeRoute, Path{Stage: "S1", Segment: "SS1"}},
		{"route point out of range", func(c *Course) { ss1(c).Route[1].Lat = 91 }, CodeCoordinates, Path{Stage: "S1", Segment: "SS1"}},
		{"unknown waypoint type", func(c *Course) { wp(c, "WP1").Type = "WPZ" }, CodeEnum, Path{Stage: "S1", Segment: "SS1", Waypoint: "WP1"}},
		{"waypoint sort order used twice", func(c *Course) { wp(c, "WP1").SortOrder = 1 }, CodeDuplicate, Path{Stage: "S1", Segment: "SS1", Waypoint: "WP1"}},
		{"waypoint name empty", func(c *Course) { wp(c, "WP1").Name = "" }, CodeMissing, Path{Stage: "S1", Segment: "SS1"}},
		{"open radius too large", func(c *Course) { wp(c, "WP1").OpenRadiusMeters = MaxRadius + 1 }, CodeRadius, Path{Stage: "S1", Segment: "SS1", Waypoint: "WP1"}},
		{"validation radius above open", func(c *Course) { wp(c, "WP1").ToleranceMeters = 900 }, CodeRadiiOrder, Path{Stage: "S1", Segment: "SS1", Waypoint: "WP1"}},
		{"infinite longitude", func(c *Course) { wp(c, "WP1").Location.Lon = math.Inf(1) }, CodeCoordinates, Path{Stage: "S1", Segment: "SS1", Waypoint: "WP1"}},
		{"notes with a control character", func(c *Course) { wp(c, "WP1").Notes = "a\x00b" }, CodeValue, Path{Stage: "S1", Segment: "SS1", Waypoint: "WP1"}},
		{"notes with invalid UTF-8", func(c *Course) { wp(c, "WP1").Notes = "a\xffb" }, CodeValue, Path{Stage: "S1", Segment: "SS1", Waypoint: "WP1"}},
		{"second DSS", func(c *Course) { wp(c, "WP1").Type = DSS }, CodeMarkerPlacement, Path{Stage: "S1", Segment: "SS1", Waypoint: "WP1"}},
		{"DSS in a liaison", func(c *Course) { ss1(c).Type = SegmentLiaison }, CodeMarkerPlacement, Path{Stage: "S1", Segment: "SS1", Waypoint: "DSS"}},
		{"ASS before DSS", func(c *Course) { wp(c, "ASS").SortOrder = 0; wp(c, "DSS").SortOrder = 9 }, CodeASSWithoutDSS, Path{Stage: "S1", Segment: "SS1", Waypoint: "ASS"}},
		{"zone limit too high", func(c *Course) { ss1(c).SpeedZones[0].LimitKmh = MaxLimitKmh + 1 }, CodeNumber, Path{Stage: "S1", Segment: "SS1", Zone: "Village"}},
		{"zone name used twice", func(c *Course) { ss1(c).SpeedZones[1].Name = "Village" }, CodeDuplicate, Path{Stage: "S1", Segment: "SS1", Zone: "Village"}},
		{"zone of an unknown DZ", func(c *Course) { ss1(c).SpeedZones[0].StartWaypoint = "DZ9" }, CodeReference, Path{Stage: "S1", Segment: "SS1", Zone: "Village"}},
		{"zone starting at a WPM", func(c *Course) { ss1(c).SpeedZones[0].StartWaypoint = "WP1" }, CodeReference, Path{Stage: "S1", Segment: "SS1", Zone: "Village"}},
		{"zone without its FZ", func(c *Course) { ss1(c).SpeedZones[0].EndWaypoint = "" }, CodeDZWithoutFZ, Path{Stage: "S1", Segment: "SS1", Zone: "Village"}},
		{"zone without its DZ", func(c *Course) { ss1(c).SpeedZones[0].StartWaypoint = "" }, CodeFZWithoutDZ, Path{Stage: "S1", Segment: "SS1", Zone: "Village"}},
		{"FZ ending no zone", func(c *Course) { ss1(c).SpeedZones = ss1(c).SpeedZones[1:] }, CodeFZWithoutDZ, Path{Stage: "S1", Segment: "SS1", Waypoint: "FZ1"}},
		{"DZ used by two zones", func(c *Course) {
			ss1(c).SpeedZones = append(ss1(c).SpeedZones, &SpeedZone{Name: "Again", LimitKmh: 40, StartWaypoint: "DZ1", EndWaypoint: "FZ1"})
		}, CodeDuplicate, Path{Stage: "S1", Segment: "SS1", Zone: "Again"}},
		{"area zone with an open ring", func(c *Course) { a := ss1(c).SpeedZones[1].Area[0]; a[len(a)-1] = Point{20.2, 41.2} }, CodePolygon, Path{Stage: "S1", Segment: "SS1", Zone: "Bridge"}},
		{"unknown geofence kind", func(c *Course) { c.Geofences[0].Kind = "gate" }, CodeEnum, Path{Geofence: "S1 DSS"}},
		{"geofence name used twice", func(c *Course) { c.Geofences[1].Name = "S1 DSS" }, CodeDuplicate, Path{Geofence: "S1 DSS"}},
		{"geofence without a ring", func(c *Course) { c.Geofences[0].Geometry = nil }, CodePolygon, Path{Geofence: "S1 DSS"}},
		{"geofence of too many vertices", func(c *Course) {
			r := make(Ring, 0, MaxPolygonVertices+1)
			for i := 0; i < MaxPolygonVertices; i++ {
				a := 2 * math.Pi * float64(i) / MaxPolygonVertices
				r = append(r, Point{20 + math.Cos(a), 41 + math.Sin(a)})
			}
			c.Geofences[0].Geometry = Polygon{append(r, r[0])}
		}, CodePolygon, Path{Geofence: "S1 DSS"}},
		{"geofence folding back", func(c *Course) {
			c.Geofences[0].Geometry = Polygon{Ring{{20, 41}, {20.1, 41}, {20.05, 41}, {20.05, 41.1}, {20, 41}}}
		}, CodePolygon, Path{Geofence: "S1 DSS"}},
		{"geofence of zero area", func(c *Course) {
			c.Geofences[0].Geometry = Polygon{Ring{{20, 41}, {20.1, 41.1}, {20.2, 41.2}, {20, 41}}}
		}, CodePolygon, Path{Geofence: "S1 DSS"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := validCourse()
			tc.break_(c)
			err := c.Validate()
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Validate() = %v, want a *ValidationError", err)
			}
			for _, p := range ve.Problems {
				if p.Code == tc.code && p.Path == tc.path {
					return
				}
			}
			t.Fatalf("no %s problem at %+v in:\n%v", tc.code, tc.path, err)
		})
	}
}

func TestGeofenceCircleContainsItsWholeCircle(t *testing.T) {
	for _, center := range []Point{{20.06, 41.20}, {-70.5, -33.4}, {135, 65}} {
		for _, r := range []int{1, 90, 200, 3000} {
			p := GeofenceCircle(center, r)
			if code, msg := polygonProblem(p); code != "" {
				t.Fatalf("%v r=%d: %s", center, r, msg)
			}
			ring := p[0]
			if len(ring) != CircleVertices+1 || ring[0] != ring[len(ring)-1] {
				t.Fatalf("ring of %d points", len(ring))
			}
			var area float64
			for i := 0; i+1 < len(ring); i++ {
				area += ring[i].Lon*ring[i+1].Lat - ring[i+1].Lon*ring[i].Lat
				// An edge's midpoint is its point nearest the centre: at
				// least the radius (less the 1e-7° rounding, ≈ 1 cm).
				mid := Point{(ring[i].Lon + ring[i+1].Lon) / 2, (ring[i].Lat + ring[i+1].Lat) / 2}
				if d := Distance(center, mid); d < float64(r)-0.05 {
					t.Errorf("%v r=%d: edge %d passes %.3f m from the centre, inside the circle", center, r, i, d)
				}
				if d := Distance(center, ring[i]); d > float64(r)*1.006+0.05 {
					t.Errorf("%v r=%d: vertex %d is %.3f m out", center, r, i, d)
				}
			}
			if area <= 0 {
				t.Errorf("%v r=%d: ring is not counter-clockwise", center, r)
			}
			if again := GeofenceCircle(center, r); !equalPolygon(again, p) {
				t.Errorf("%v r=%d: not deterministic", center, r)
			}
		}
	}
}

func equalPolygon(a, b Polygon) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if len(a[i]) != len(b[i]) {
			return false
		}
		for j := range a[i] {
			if a[i][j] != b[i][j] {
				return false
			}
		}
	}
	return true
}

func TestDistanceIsTheGreatCircleDistance(t *testing.T) {
	// Tirana → Durrës, about 30 km; one degree of latitude, about 111.2 km.
	if d := Distance(Point{19.8187, 41.3275}, Point{19.4565, 41.3231}); math.Abs(d-30290) > 300 {
		t.Errorf("Tirana–Durrës %.0f m", d)
	}
	if d := Distance(Point{20, 41}, Point{20, 42}); math.Abs(d-111195) > 10 {
		t.Errorf("one degree %.0f m", d)
	}
}

func TestEnumerationsAreComplete(t *testing.T) {
	check := func(name string, values []string, valid func(string) bool, label func(string) string) {
		seen := map[string]bool{}
		for _, v := range values {
			if seen[v] {
				t.Errorf("%s: %q listed twice", name, v)
			}
			seen[v] = true
			if !valid(v) || label(v) == "" {
				t.Errorf("%s: %q not valid or unlabelled", name, v)
			}
		}
		for _, bad := range []string{"", "x", strings.ToUpper(values[0]) + "!"} {
			if valid(bad) {
				t.Errorf("%s: %q valid", name, bad)
			}
		}
	}
	check("StageRole", strs(StageRoles()), func(s string) bool { return StageRole(s).Valid() }, func(s string) string { return StageRole(s).Label() })
	check("StageStatus", strs(StageStatuses()), func(s string) bool { return StageStatus(s).Valid() }, func(s string) string { return StageStatus(s).Label() })
	check("StartOrderStrategy", strs(StartOrderStrategies()), func(s string) bool { return StartOrderStrategy(s).Valid() }, func(s string) string { return StartOrderStrategy(s).Label() })
	check("SegmentType", strs(SegmentTypes()), func(s string) bool { return SegmentType(s).Valid() }, func(s string) string { return SegmentType(s).Label() })
	check("GeofenceKind", strs(GeofenceKinds()), func(s string) bool { return GeofenceKind(s).Valid() }, func(s string) string { return GeofenceKind(s).Label() })
	check("WaypointType", strs(WaypointTypes()), func(s string) bool { return WaypointType(s).Valid() }, func(s string) string { return WaypointType(s).Label() })
	for _, w := range WaypointTypes() {
		if k, ok := w.GeofenceKind(); ok && !k.Valid() {
			t.Errorf("%s gets geofence kind %q", w, k)
		}
		if _, ok := roleRank[w]; !ok {
			t.Errorf("%s has no rank among a point's roles", w)
		}
		if el, _ := openRallyElement(w); el == "" && w != PC {
			t.Errorf("%s has no OpenRally element", w)
		}
		if r := DefaultRadii(w); r.Tolerance <= 0 || r.Tolerance > r.Open {
			t.Errorf("%s default radii %+v", w, r)
		}
	}
	if DefaultRadii(WPM) != (Radii{800, 200}) || DefaultRadii(WPS) != (Radii{3000, 90}) || DefaultRadii(WPV) != (Radii{800, 90}) {
		t.Error("default radii differ from the rules")
	}
	if StartManual.NeedsInputStage() || !StartInverseOfOverall.NeedsInputStage() {
		t.Error("NeedsInputStage")
	}
}

func strs[T ~string](list []T) []string {
	out := make([]string, len(list))
	for i, v := range list {
		out[i] = string(v)
	}
	return out
}
