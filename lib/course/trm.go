package course

import (
	"math"
	"strings"
	"time"
)

// attrs reads the attributes of a TRM element, keeping the first error.
type attrs struct {
	file string
	n    *xnode
	err  error
}

func (a *attrs) fail(name, val, want string) {
	if a.err == nil {
		a.err = &DecodeError{Src: Source{File: a.file, Line: a.n.line}, Code: CodeValue,
			Msg: "trm:" + a.n.name.Local + " " + name + "=" + quote(val) + " is not " + want}
	}
}

func (a *attrs) str(name string) string {
	v, _ := a.n.attrValue(name)
	return v
}

func (a *attrs) integer(name string) *int {
	s, ok := a.n.attrValue(name)
	if !ok {
		return nil
	}
	v, ok := parseDecimal(s)
	if !ok || v != math.Trunc(v) || math.Abs(v) > 1<<53 {
		a.fail(name, s, "a whole number")
		return nil
	}
	i := int(v)
	return &i
}

func (a *attrs) intOr0(name string) int {
	if p := a.integer(name); p != nil {
		return *p
	}
	return 0
}

func (a *attrs) decimal(name string) *float64 {
	s, ok := a.n.attrValue(name)
	if !ok {
		return nil
	}
	v, ok := parseDecimal(s)
	if !ok {
		a.fail(name, s, "a decimal number")
		return nil
	}
	return &v
}

func (a *attrs) boolean(name string) bool {
	s, ok := a.n.attrValue(name)
	if !ok {
		return false
	}
	switch strings.TrimSpace(s) {
	case "true", "1":
		return true
	case "false", "0":
		return false
	}
	a.fail(name, s, "true or false")
	return false
}

func (a *attrs) time(name string) *time.Time {
	s, ok := a.n.attrValue(name)
	if !ok {
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
	if err != nil {
		a.fail(name, s, "an RFC 3339 time such as 2026-06-07T06:00:00Z")
		return nil
	}
	t = t.UTC()
	return &t
}

// polygon reads the trm:ring children of n (each of trm:pt lat lon).
func polygon(file string, n *xnode) (Polygon, error) {
	var p Polygon
	for _, k := range n.kids {
		if !isTRM(k.name.Space) || k.name.Local != "ring" {
			continue
		}
		ring := Ring{}
		for _, pt := range k.kids {
			if !isTRM(pt.name.Space) || pt.name.Local != "pt" {
				continue
			}
			a := attrs{file: file, n: pt}
			lat, lon := a.decimal("lat"), a.decimal("lon")
			if a.err != nil {
				return nil, a.err
			}
			if lat == nil || lon == nil {
				return nil, &DecodeError{Src: Source{File: file, Line: pt.line}, Code: CodeValue, Msg: "trm:pt without lat and lon"}
			}
			ring = append(ring, Point{Lon: *lon, Lat: *lat})
		}
		p = append(p, ring)
	}
	return p, nil
}

// readTRM reads a TRM course file: the structure from trm:course in the
// metadata, each wpt placed by its trm:waypoint, each trk by its trm:route.
func readTRM(f *gpxFile, opts DecodeOptions, rep *Report) (*Course, *Report, error) {
	file := opts.Name
	c := &Course{Name: f.name}
	var problems []Problem
	for _, n := range f.course.kids {
		if !isTRM(n.name.Space) {
			continue
		}
		a := &attrs{file: file, n: n}
		src := Source{File: file, Line: n.line}
		switch n.name.Local {
		case "geofence":
			g := &Geofence{Name: a.str("name"), Kind: GeofenceKind(a.str("kind")),
				ManualVerification: a.boolean("manual-verification"), Retroactive: a.boolean("retroactive"), Src: src}
			if a.err != nil {
				return nil, nil, a.err
			}
			var err error
			if g.Geometry, err = polygon(file, n); err != nil {
				return nil, nil, err
			}
			c.Geofences = append(c.Geofences, g)
		case "stage":
			s, err := trmStage(file, n)
			if err != nil {
				return nil, nil, err
			}
			c.Stages = append(c.Stages, s)
		default:
			return nil, nil, &DecodeError{Src: src, Code: CodeStructure, Msg: "unknown element trm:" + quote(n.name.Local) + " in trm:course"}
		}
	}
	segment := func(src Source, a *attrs, what string) *Segment {
		sc, gc := a.str("stage"), a.str("segment")
		s := c.Stage(sc)
		if s == nil {
			problems = append(problems, Problem{Src: src, Path: Path{Stage: sc, Segment: gc}, Code: CodeReference, Msg: what + " names stage " + quote(sc) + ", which trm:course does not have"})
			return nil
		}
		g := s.Segment(gc)
		if g == nil {
			problems = append(problems, Problem{Src: src, Path: Path{Stage: sc, Segment: gc}, Code: CodeReference, Msg: what + " names segment " + quote(gc) + ", which stage " + quote(sc) + " does not have"})
		}
		return g
	}
	for _, w := range f.wpts {
		src := Source{File: file, Line: w.line}
		pm := PointMapping{Src: src, Name: w.name, By: "trm"}
		var tw *xnode
		for _, e := range w.ext {
			if isTRM(e.name.Space) && e.name.Local == "waypoint" {
				tw = e
			}
		}
		if tw == nil {
			pm.By, pm.Skipped = "", "no trm:waypoint: in a TRM course file every point belongs to a segment"
			rep.Points = append(rep.Points, pm)
			problems = append(problems, Problem{Src: src, Path: Path{Waypoint: w.name}, Code: CodeReference, Msg: "point has no trm:waypoint, so it belongs to no segment"})
			continue
		}
		a := &attrs{file: file, n: tw}
		r := role{typ: WaypointType(a.str("type"))}
		if p := a.integer("open"); p != nil {
			r.open, r.haveOpen = *p, true
		}
		if p := a.integer("tolerance"); p != nil {
			r.clear, r.haveClear = *p, true
		}
		wp := &Waypoint{Name: w.name, Type: r.typ, Location: w.loc, SortOrder: a.intOr0("sort"),
			DistanceKm: a.decimal("distance-km"), Notes: w.desc, Src: src}
		if a.err != nil {
			return nil, nil, a.err
		}
		radii, defaulted := radiiFor(r)
		wp.OpenRadiusMeters, wp.ToleranceMeters = radii.Open, radii.Tolerance
		if g := segment(src, a, "trm:waypoint"); g != nil {
			g.Waypoints = append(g.Waypoints, wp)
			pm.Waypoints = []MappedWaypoint{{Stage: a.str("stage"), Segment: g.Code, Name: wp.Name, Type: wp.Type, DefaultRadii: defaulted}}
		}
		rep.Points = append(rep.Points, pm)
	}
	for _, t := range f.tracks {
		src := Source{File: file, Line: t.line}
		if t.route == nil {
			problems = append(problems, Problem{Src: src, Code: CodeReference, Msg: "track " + quote(t.name) + " has no trm:route, so it is the route of no segment"})
			continue
		}
		a := &attrs{file: file, n: t.route}
		g := segment(src, a, "trm:route")
		switch {
		case g == nil:
		case g.Route != nil:
			problems = append(problems, Problem{Src: src, Path: Path{Stage: a.str("stage"), Segment: g.Code}, Code: CodeDuplicate, Msg: "a second track for the segment's route"})
		default:
			g.Route = t.pts
			if g.Route == nil {
				g.Route = LineString{}
			}
		}
	}
	return finish(c, rep, problems)
}

func trmStage(file string, n *xnode) (*Stage, error) {
	a := &attrs{file: file, n: n}
	s := &Stage{
		Code: a.str("code"), Name: a.str("name"), SortOrder: a.intOr0("sort"),
		Role: StageRole(a.str("role")), Status: StageStatus(a.str("status")),
		StartsAt: a.time("starts-at"), StartIntervalSeconds: a.integer("start-interval"),
		StartOrder: StartOrder{Strategy: StartOrderStrategy(a.str("start-order")), Params: StartOrderParams{N: a.intOr0("n")}, InputStage: a.str("input-stage")},
		Src:        Source{File: file, Line: n.line},
	}
	if a.err != nil {
		return nil, a.err
	}
	s.defaults()
	for _, k := range n.kids {
		if !isTRM(k.name.Space) {
			continue
		}
		if k.name.Local != "segment" {
			return nil, &DecodeError{Src: Source{File: file, Line: k.line}, Code: CodeStructure, Msg: "unknown element trm:" + quote(k.name.Local) + " in trm:stage"}
		}
		b := &attrs{file: file, n: k}
		g := &Segment{
			Code: b.str("code"), Name: b.str("name"), SortOrder: b.intOr0("sort"), Type: SegmentType(b.str("type")),
			EntryGeofence: b.str("entry"), ExitGeofence: b.str("exit"),
			TargetDurationSeconds: b.integer("target-duration"), AllowedLatenessSeconds: b.integer("allowed-lateness"),
			LengthKm: b.decimal("length-km"), Src: Source{File: file, Line: k.line},
		}
		if b.err != nil {
			return nil, b.err
		}
		for _, z := range k.kids {
			if !isTRM(z.name.Space) {
				continue
			}
			if z.name.Local != "zone" {
				return nil, &DecodeError{Src: Source{File: file, Line: z.line}, Code: CodeStructure, Msg: "unknown element trm:" + quote(z.name.Local) + " in trm:segment"}
			}
			c := &attrs{file: file, n: z}
			sz := &SpeedZone{Name: c.str("name"), LimitKmh: c.intOr0("limit"), Retroactive: c.boolean("retroactive"),
				StartWaypoint: c.str("start"), EndWaypoint: c.str("end"), Src: Source{File: file, Line: z.line}}
			if c.err != nil {
				return nil, c.err
			}
			area, err := polygon(file, z)
			if err != nil {
				return nil, err
			}
			sz.Area = area
			g.SpeedZones = append(g.SpeedZones, sz)
		}
		s.Segments = append(s.Segments, g)
	}
	return s, nil
}

// defaults fills what a whole-course file may leave out: role stage, status
// draft, start order manual.
func (s *Stage) defaults() {
	if s.Role == "" {
		s.Role = RoleStage
	}
	if s.Status == "" {
		s.Status = StatusDraft
	}
	if s.StartOrder.Strategy == "" {
		s.StartOrder.Strategy = StartManual
	}
}
