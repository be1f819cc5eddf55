package course

import (
	"math/rand/v2"
	"strings"
	"time"
)

// genCourse builds a random valid course: what the property tests write and
// read back. It exercises every optional value (set and unset), text that
// needs escaping in XML and JSON, full-precision coordinates, area and
// DZ → FZ zones, shared and absent geofences.
func genCourse(r *rand.Rand) *Course {
	c := &Course{Name: genText(r, 1+r.IntN(30))}
	if r.IntN(5) == 0 {
		c.Name = ""
	}
	for i, n := 0, r.IntN(7); i < n; i++ {
		g := &Geofence{
			Name:               genText(r, 1+r.IntN(20)) + " #" + itoa(i),
			Kind:               GeofenceKinds()[r.IntN(len(GeofenceKinds()))],
			ManualVerification: r.IntN(2) == 0,
			Retroactive:        r.IntN(2) == 0,
		}
		if r.IntN(2) == 0 {
			g.Geometry = GeofenceCircle(genPoint(r), 1+r.IntN(2000))
		} else {
			g.Geometry = genQuad(r)
		}
		c.Geofences = append(c.Geofences, g)
	}
	sort := 0
	for i, n := 0, 1+r.IntN(3); i < n; i++ {
		sort += 1 + r.IntN(5)
		s := &Stage{
			Code:      []string{"P", "S", "SS-", "Day_", "x."}[r.IntN(5)] + itoa(i+1),
			Name:      genText(r, 1+r.IntN(40)),
			SortOrder: sort,
			Role:      StageRoles()[r.IntN(len(StageRoles()))],
			Status:    StageStatuses()[r.IntN(len(StageStatuses()))],
		}
		if r.IntN(2) == 0 {
			t := time.Date(2026, 6, 6+i, r.IntN(24), r.IntN(60), r.IntN(60), r.IntN(1e9), time.UTC)
			s.StartsAt = &t
		}
		s.StartIntervalSeconds = genOptInt(r, 0, 600)
		s.StartOrder.Strategy = StartManual
		if i > 0 && r.IntN(3) > 0 {
			s.StartOrder.Strategy = StartOrderStrategies()[1+r.IntN(3)]
			s.StartOrder.InputStage = c.Stages[r.IntN(i)].Code
			if s.StartOrder.Strategy == StartInverseTopNThenNatural {
				s.StartOrder.Params.N = 1 + r.IntN(20)
			}
		}
		segSort := 0
		for j, m := 0, 1+r.IntN(4); j < m; j++ {
			segSort += 1 + r.IntN(3)
			s.Segments = append(s.Segments, genSegment(r, c, j, segSort))
		}
		c.Stages = append(c.Stages, s)
	}
	return c
}

func genSegment(r *rand.Rand, c *Course, j, sortOrder int) *Segment {
	g := &Segment{
		Code:                   []string{"L", "SS", "N", "PF"}[r.IntN(4)] + itoa(j+1),
		Name:                   genText(r, 1+r.IntN(20)),
		SortOrder:              sortOrder,
		Type:                   SegmentTypes()[r.IntN(len(SegmentTypes()))],
		TargetDurationSeconds:  genOptInt(r, 1, 20000),
		AllowedLatenessSeconds: genOptInt(r, 0, 3600),
	}
	if r.IntN(2) == 0 {
		v := r.Float64() * 300
		g.LengthKm = &v
	}
	pickGeofence := func() string {
		if len(c.Geofences) == 0 || r.IntN(3) == 0 {
			return ""
		}
		return c.Geofences[r.IntN(len(c.Geofences))].Name
	}
	g.EntryGeofence, g.ExitGeofence = pickGeofence(), pickGeofence()
	if r.IntN(2) == 0 {
		for k, n := 0, 2+r.IntN(40); k < n; k++ {
			g.Route = append(g.Route, genPoint(r))
		}
	}
	var types []WaypointType
	nav := []WaypointType{WPV, WPM, WPE, WPS, WPC, WPN, WPP, TC, CP, PC, SC, DT, FT, SN, FN}
	for k, n := 0, r.IntN(12); k < n; k++ {
		types = append(types, nav[r.IntN(len(nav))])
	}
	zones := r.IntN(3)
	for k := 0; k < zones; k++ {
		at := r.IntN(len(types) + 1)
		types = append(types[:at], append([]WaypointType{DZ, FZ}, types[at:]...)...)
	}
	if g.Type == SegmentSpecialStage && r.IntN(2) == 0 {
		types = append([]WaypointType{DSS}, append(types, ASS)...)
	}
	dist := 0.0
	var open []*Waypoint // DZs waiting for their FZ: zones nest
	for k, t := range types {
		radii := Radii{Tolerance: 1 + r.IntN(1000)}
		radii.Open = radii.Tolerance + r.IntN(5000)
		w := &Waypoint{
			SortOrder:        2*k + 1 + r.IntN(2),
			Name:             string(t) + " " + genText(r, r.IntN(8)) + itoa(k),
			Type:             t,
			Location:         genPoint(r),
			OpenRadiusMeters: radii.Open,
			ToleranceMeters:  radii.Tolerance,
		}
		if r.IntN(3) > 0 {
			dist += r.Float64() * 20
			d := dist
			w.DistanceKm = &d
		}
		if r.IntN(3) == 0 {
			w.Notes = genNotes(r)
		}
		g.Waypoints = append(g.Waypoints, w)
		switch t {
		case DZ:
			open = append(open, w)
		case FZ:
			dz := open[len(open)-1]
			open = open[:len(open)-1]
			g.SpeedZones = append(g.SpeedZones, &SpeedZone{
				Name: "zone " + itoa(len(g.SpeedZones)+1), LimitKmh: 1 + r.IntN(MaxLimitKmh),
				Retroactive: r.IntN(2) == 0, StartWaypoint: dz.Name, EndWaypoint: w.Name,
			})
		}
	}
	if r.IntN(3) == 0 {
		g.SpeedZones = append(g.SpeedZones, &SpeedZone{
			Name: "area " + genText(r, 5), LimitKmh: 1 + r.IntN(MaxLimitKmh), Retroactive: r.IntN(2) == 0, Area: genQuad(r),
		})
	}
	return g
}

// genPoint is anywhere on Earth but (0, 0), at full float64 precision.
func genPoint(r *rand.Rand) Point {
	return Point{Lon: r.Float64()*340 - 170, Lat: r.Float64()*160 - 80 + 1e-9}
}

// genQuad is a small convex counter-clockwise quadrilateral, sometimes with
// a hole.
func genQuad(r *rand.Rand) Polygon {
	c := genPoint(r)
	d := 0.001 + r.Float64()*0.5
	ring := Ring{{c.Lon - d, c.Lat - d}, {c.Lon + d, c.Lat - d*0.9}, {c.Lon + d*1.1, c.Lat + d}, {c.Lon - d, c.Lat + d}}
	ring = append(ring, ring[0])
	p := Polygon{ring}
	if r.IntN(3) == 0 {
		h := d / 4
		hole := Ring{{c.Lon - h, c.Lat - h}, {c.Lon - h, c.Lat + h}, {c.Lon + h, c.Lat + h}, {c.Lon + h, c.Lat - h}}
		p = append(p, append(hole, hole[0]))
	}
	return p
}

func genOptInt(r *rand.Rand, min, max int) *int {
	if r.IntN(2) == 0 {
		return nil
	}
	v := min + r.IntN(max-min+1)
	return &v
}

// genText mixes letters, Albanian and other non-ASCII letters, and what
// XML and JSON escape; never a control character, never blank at either
// end.
func genText(r *rand.Rand, n int) string {
	alphabet := []rune("abcxyzABCXYZ0129 ëçËÇšž–—<>&\"'/\\{}[]:;,.日本")
	var b strings.Builder
	for b.Len() == 0 || len([]rune(b.String())) < n {
		b.WriteRune(alphabet[r.IntN(len(alphabet))])
	}
	s := strings.TrimSpace(b.String())
	if s == "" {
		return "x"
	}
	return s
}

func genNotes(r *rand.Rand) string {
	return genText(r, 5) + "\n\t" + genText(r, 10) + "\r\n " + genText(r, 3) + " "
}

// clearSources zeroes what the decoders add and the generator does not
// have: the source positions.
func clearSources(c *Course) {
	for _, g := range c.Geofences {
		g.Src = Source{}
	}
	for _, s := range c.Stages {
		s.Src = Source{}
		for _, g := range s.Segments {
			g.Src = Source{}
			for _, w := range g.Waypoints {
				w.Src = Source{}
			}
			for _, z := range g.SpeedZones {
				z.Src = Source{}
			}
		}
	}
}
