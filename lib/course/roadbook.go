package course

import (
	"math"
	"regexp"
	"sort"
	"strings"
)

// A roadbook (an OpenRally or plain GPX file) is one stage: its points in
// order, and a track. readRoadbook turns it into segments, waypoints, speed
// zones and geofences; see the package documentation ("One-stage files")
// for the rules.

// role is one thing a point of the roadbook is; a point may be several
// (a time control and a DSS).
type role struct {
	typ       WaypointType
	open      int // metres
	clear     int
	haveOpen  bool
	haveClear bool
	allowed   int    // minutes to the next time control (timecontrol allowed=), -1 when none
	neutral   int    // seconds of a neutralisation, -1 when none
	speed     int    // a DZ's limit in km/h, 0 when none
	attrName  string // the element's name attribute
}

// roleRank orders the roles of one point: what closes the current segment
// (and its zone) first, then controls, then what opens the next one, then
// the navigation waypoints, which belong to the segment open by then.
var roleRank = map[WaypointType]int{
	FZ: 0, ASS: 1, FN: 2,
	TC: 3, SC: 4, CP: 5, PC: 6,
	FT: 7, DT: 8, DSS: 9, SN: 10, DZ: 11,
	WPV: 12, WPM: 13, WPE: 14, WPS: 15, WPC: 16, WPN: 17, WPP: 18,
}

// openRallyElements maps OpenRally elements to waypoint types.
var openRallyElements = map[string]WaypointType{
	"wpv": WPV, "wpm": WPM, "wpe": WPE, "wps": WPS, "wpc": WPC, "wpn": WPN, "wpp": WPP,
	"dss": DSS, "ass": ASS, "dz": DZ, "fz": FZ,
	"timecontrol": TC, "checkpoint": CP, "passagecontrol": PC, "stopcontrol": SC, "stop": SC,
	"dt": DT, "ft": FT, "neutralization": SN, "fn": FN,
}

// namePattern recognises a type at the start of a point's name: "WP12",
// "WPM 3", "DSS", "CP1 Kukës", "DZ-3", "tc2". A bare "WP" is a WPV.
var namePattern = regexp.MustCompile(`(?i)^(WPV|WPM|WPE|WPS|WPC|WPN|WPP|WP|DSS|ASS|DZ|FZ|TC|CP|PC|SC|DT|FT|SN|FN)(?:[ _#.-]*[0-9]+[A-Za-z]?)?(?:$|[^A-Za-z0-9])`)

// speedPattern finds a speed limit in a name or description: "50 km/h".
var speedPattern = regexp.MustCompile(`(?i)\b([0-9]{1,3})\s*(?:km/h|kmh|kph)\b`)

func typeFromText(s string) (WaypointType, bool) {
	m := namePattern.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return "", false
	}
	t := WaypointType(strings.ToUpper(m[1]))
	if t == "WP" {
		t = WPV
	}
	return t, true
}

type units struct {
	name       string
	radius, km float64 // metres per unit of radius, km per unit of distance and speed
}

var (
	metric  = units{"metric", 1, 1}
	statute = units{"statute", 0.9144, 1.609344}
)

// rbSegment is a segment being built.
type rbSegment struct {
	seg       *Segment
	implicit  bool // opened by a point that is no segment marker
	dtOpened  bool
	startOdo  *float64 // roadbook odometer at the segment's start
	lastOdo   *float64
	pendingDZ *Waypoint
	speed     int // the pending DZ's limit
	allowed   map[*Waypoint]int
}

type roadbook struct {
	file     string
	stage    *Stage
	units    units
	segments []*rbSegment
	cur      *rbSegment
	counts   map[SegmentType]int
	notes    []Note
}

func readRoadbook(f *gpxFile, opts DecodeOptions, rep *Report) (*Course, *Report, error) {
	u := metric
	switch f.units {
	case "", "metric":
	case "statute", "statue": // "statue" is the v1.0.3 schema's spelling
		u = statute
	default:
		return nil, nil, &DecodeError{Src: Source{File: opts.Name, Line: f.unitsLine}, Code: CodeUnits,
			Msg: "OpenRally units " + quote(f.units) + " are neither metric nor statute"}
	}
	if rep.Namespace != "" || f.units != "" {
		rep.Units = u.name
	}
	so := opts.Stage.withDefaults(f.name)
	stage := &Stage{Code: so.Code, Name: so.Name, SortOrder: so.SortOrder, Role: so.Role, Status: so.Status,
		StartOrder: StartOrder{Strategy: StartManual}, Src: Source{File: opts.Name}}
	b := &roadbook{file: opts.Name, stage: stage, units: u, counts: map[SegmentType]int{}}
	c := &Course{Name: f.name, Stages: []*Stage{stage}}

	rep.Format = FormatPlainGPX
	var odoOffset float64
	for _, w := range f.wpts {
		src := Source{File: opts.Name, Line: w.line}
		pm := PointMapping{Src: src, Name: w.name}
		roles, odo, reset, elems, by, err := b.roles(w)
		if err != nil {
			return nil, nil, err
		}
		var abs *float64
		if odo != nil {
			v := *odo + odoOffset
			abs = &v
		}
		if reset != nil && abs != nil {
			odoOffset = *abs - *reset
		}
		pm.By, pm.Elements = by, elems
		if len(elems) > 0 {
			rep.Format = FormatOpenRally
		}
		if len(roles) == 0 {
			pm.Skipped = "neither an OpenRally waypoint or control element nor a name that says a type (WP12, DSS, CP1, …)"
			rep.Points = append(rep.Points, pm)
			continue
		}
		base := w.name
		if base == "" {
			base = roles[0].attrName
		}
		for _, r := range roles {
			name := base
			if len(roles) > 1 && !strings.HasPrefix(strings.ToUpper(base), string(r.typ)) {
				name = strings.TrimSpace(base + " " + string(r.typ))
			}
			mw := b.add(w, r, name, abs, src)
			pm.Waypoints = append(pm.Waypoints, mw)
		}
		rep.Points = append(rep.Points, pm)
	}
	b.close()
	b.geofences(c)
	b.targets()
	var track LineString
	for _, t := range f.tracks {
		track = append(track, t.pts...)
	}
	b.routes(track)
	b.lengths()
	for _, s := range b.segments {
		stage.Segments = append(stage.Segments, s.seg)
	}
	rep.Notes = append(rep.Notes, b.notes...)
	return finish(c, rep, nil)
}

// roles reads what a point is: from its OpenRally elements, else from its
// GPX <type>, else from its name (by says which: "element", "type",
// "name", or "" for none); and its roadbook distance and reset.
func (b *roadbook) roles(w *wpt) (roles []role, odo, reset *float64, elems []string, by string, err error) {
	speed := 0
	line := w.line
	fail := func(msg string) error {
		return &DecodeError{Src: Source{File: b.file, Line: line}, Code: CodeValue, Msg: msg}
	}
	number := func(n *xnode, what string) (float64, error) {
		v, ok := parseDecimal(n.text)
		if !ok || v < 0 {
			return 0, fail("OpenRally " + what + " " + quote(strings.TrimSpace(n.text)) + " is not a non-negative number")
		}
		return v, nil
	}
	for _, e := range w.ext {
		if !isOpenRally(e.name.Space) {
			continue
		}
		line = e.line
		switch e.name.Local {
		case "distance":
			v, err := number(e, "distance")
			if err != nil {
				return nil, nil, nil, nil, "", err
			}
			v *= b.units.km
			odo = &v
			continue
		case "reset":
			v := 0.0
			if strings.TrimSpace(e.text) != "" {
				if v, err = number(e, "reset"); err != nil {
					return nil, nil, nil, nil, "", err
				}
			}
			v *= b.units.km
			reset = &v
			continue
		case "speed":
			v, err := number(e, "speed")
			if err != nil {
				return nil, nil, nil, nil, "", err
			}
			speed = int(math.Round(v * b.units.km))
			continue
		}
		typ, ok := openRallyElements[e.name.Local]
		if !ok {
			continue
		}
		r := role{typ: typ, allowed: -1, neutral: -1}
		r.attrName, _ = e.attrValue("name")
		r.attrName = strings.TrimSpace(r.attrName)
		for _, a := range []struct {
			name string
			val  *int
			have *bool
		}{{"open", &r.open, &r.haveOpen}, {"clear", &r.clear, &r.haveClear}} {
			s, ok := e.attrValue(a.name)
			if !ok {
				continue
			}
			v, ok := parseDecimal(s)
			if !ok || v > 1e9 || v < -1e9 {
				return nil, nil, nil, nil, "", fail("OpenRally " + e.name.Local + " " + a.name + "=" + quote(s) + " is not a number")
			}
			*a.val, *a.have = int(math.Round(v*b.units.radius)), true
		}
		switch typ {
		case TC:
			if s, ok := e.attrValue("allowed"); ok {
				v, ok := parseDecimal(s)
				if !ok || v < 0 || v > MaxDurationSecs/60 || v != math.Trunc(v) {
					return nil, nil, nil, nil, "", fail("OpenRally timecontrol allowed=" + quote(s) + " is not a whole number of minutes")
				}
				r.allowed = int(v)
			}
		case SN:
			if strings.TrimSpace(e.text) != "" {
				v, err := number(e, "neutralization")
				if err != nil {
					return nil, nil, nil, nil, "", err
				}
				if v > MaxDurationSecs || v != math.Trunc(v) {
					return nil, nil, nil, nil, "", fail("OpenRally neutralization " + quote(strings.TrimSpace(e.text)) + " is not a whole number of seconds up to a week")
				}
				r.neutral = int(v)
			}
		case DZ:
			if strings.TrimSpace(e.text) != "" {
				v, err := number(e, "dz speed")
				if err != nil {
					return nil, nil, nil, nil, "", err
				}
				speed = int(math.Round(v * b.units.km))
			}
		}
		roles = append(roles, r)
		elems = append(elems, e.name.Local)
	}
	if len(roles) > 0 {
		by = "element"
	} else {
		typ, ok := WaypointType(""), false
		if t := strings.ToUpper(w.typ); t == "WP" || WaypointType(t).Valid() {
			typ, ok, by = WaypointType(t), true, "type"
			if typ == "WP" {
				typ = WPV
			}
		}
		if !ok {
			typ, ok = typeFromText(w.name)
			by = "name"
		}
		if ok {
			roles = append(roles, role{typ: typ, allowed: -1, neutral: -1})
		} else {
			by = ""
		}
	}
	if speed == 0 {
		for _, s := range []string{w.name, w.desc, w.cmt} {
			if m := speedPattern.FindStringSubmatch(s); m != nil {
				v, _ := parseDecimal(m[1])
				speed = int(v)
				break
			}
		}
	}
	for i := range roles {
		if roles[i].typ == DZ {
			roles[i].speed = speed
		}
	}
	sort.SliceStable(roles, func(i, j int) bool { return roleRank[roles[i].typ] < roleRank[roles[j].typ] })
	return roles, odo, reset, elems, by, nil
}

// add places one role of a point as a waypoint, opening and closing
// segments as its type says.
func (b *roadbook) add(w *wpt, r role, name string, abs *float64, src Source) MappedWaypoint {
	switch r.typ {
	case DSS:
		b.open(SegmentSpecialStage, false)
	case SN:
		b.open(SegmentNeutralisation, false)
	case DT:
		if b.cur != nil && b.cur.seg.Type == SegmentLiaison && b.cur.implicit && !b.cur.dtOpened {
			b.cur.dtOpened = true
		} else {
			b.open(SegmentLiaison, false)
			b.cur.dtOpened = true
		}
	default:
		if b.cur == nil {
			b.open(SegmentLiaison, true)
		}
	}
	s := b.cur
	radii, defaulted := radiiFor(r)
	wp := &Waypoint{
		SortOrder:        len(s.seg.Waypoints) + 1,
		Name:             name,
		Type:             r.typ,
		Location:         w.loc,
		OpenRadiusMeters: radii.Open,
		ToleranceMeters:  radii.Tolerance,
		Notes:            strings.TrimSpace(w.desc),
		Src:              src,
	}
	if wp.Notes == "" {
		wp.Notes = strings.TrimSpace(w.cmt)
	}
	if wp.Name == "" {
		n := 1
		for _, o := range s.seg.Waypoints {
			if o.Type == r.typ {
				n++
			}
		}
		wp.Name = string(r.typ) + " " + itoa(n)
	}
	if abs != nil {
		if s.startOdo == nil || (len(s.seg.Waypoints) == 0 && *abs < *s.startOdo) {
			// The segment's first distance, or an odometer that restarts
			// with the segment: count from here.
			v := *abs
			s.startOdo = &v
		}
		rel := round6(*abs - *s.startOdo)
		wp.DistanceKm = &rel
		last := *abs
		s.lastOdo = &last
	}
	s.seg.Waypoints = append(s.seg.Waypoints, wp)
	switch r.typ {
	case TC:
		if r.allowed >= 0 {
			s.allowed[wp] = r.allowed
		}
	case SN:
		if r.neutral >= 0 {
			v := r.neutral
			s.seg.TargetDurationSeconds = &v
		}
	case DZ:
		s.pendingDZ, s.speed = wp, r.speed
	case FZ:
		if s.pendingDZ != nil {
			s.seg.SpeedZones = append(s.seg.SpeedZones, &SpeedZone{
				Name:          s.pendingDZ.Name + "–" + wp.Name,
				LimitKmh:      s.speed,
				StartWaypoint: s.pendingDZ.Name,
				EndWaypoint:   wp.Name,
				Src:           s.pendingDZ.Src,
			})
			s.pendingDZ = nil
		}
	}
	mw := MappedWaypoint{Stage: b.stage.Code, Segment: s.seg.Code, Name: wp.Name, Type: wp.Type, DefaultRadii: defaulted}
	switch r.typ {
	case ASS, FT, FN:
		b.close()
	}
	return mw
}

// radiiFor is the radii a role gets: those the file gives, the defaults of
// its type otherwise. When only one is given, the missing one is the
// default capped so that the given one stays consistent (a lone clear=1000
// makes the open radius 1000 too, rather than an error about a radius the
// file never gave).
func radiiFor(r role) (Radii, bool) {
	d := DefaultRadii(r.typ)
	switch {
	case r.haveOpen && r.haveClear:
		return Radii{Open: r.open, Tolerance: r.clear}, false
	case r.haveOpen:
		return Radii{Open: r.open, Tolerance: min(d.Tolerance, r.open)}, true
	case r.haveClear:
		return Radii{Open: max(d.Open, r.clear), Tolerance: r.clear}, true
	}
	return d, true
}

func (b *roadbook) open(t SegmentType, implicit bool) {
	var prevOdo *float64
	if b.cur != nil {
		prevOdo = b.cur.lastOdo
		b.close()
	} else if n := len(b.segments); n > 0 && implicit {
		prevOdo = b.segments[n-1].lastOdo
	}
	b.counts[t]++
	n := b.counts[t]
	seg := &Segment{
		Code:      t.codePrefix() + itoa(n),
		Name:      t.Label() + " " + itoa(n),
		SortOrder: len(b.segments) + 1,
		Type:      t,
		Src:       Source{File: b.file},
	}
	s := &rbSegment{seg: seg, implicit: implicit, allowed: map[*Waypoint]int{}}
	if implicit && prevOdo != nil {
		v := *prevOdo
		s.startOdo = &v
	}
	b.segments = append(b.segments, s)
	b.cur = s
}

func (b *roadbook) close() {
	if b.cur == nil {
		return
	}
	if len(b.cur.seg.Waypoints) > 0 {
		b.cur.seg.Src.Line = b.cur.seg.Waypoints[0].Src.Line
	}
	b.cur = nil
}

// geofences gives every control point a geofence (GeofenceCircle of its
// validation radius) and each segment its entry and exit. Consecutive
// segments of a roadbook join: a segment opened by a marker (DSS, DT,
// neutralization) enters by its first waypoint's geofence, one that merely
// continues after the previous segment closed (after an ASS) by the
// previous segment's exit; a segment exits by its last waypoint's geofence.
// What is still missing is taken from the neighbour: the previous
// segment's exit, the next segment's entry.
func (b *roadbook) geofences(c *Course) {
	code := b.stage.Code
	of := map[*Waypoint]string{}
	for _, s := range b.segments {
		for _, w := range s.seg.Waypoints {
			kind, ok := w.Type.GeofenceKind()
			if !ok {
				continue
			}
			if c, _ := pointProblem(w.Location); c != "" {
				continue // Validate reports the location
			}
			name := code + " " + w.Name
			if c.Geofence(name) != nil {
				name = code + " " + s.seg.Code + " " + w.Name
			}
			if c.Geofence(name) == nil {
				c.Geofences = append(c.Geofences, &Geofence{Name: name, Kind: kind,
					Geometry: GeofenceCircle(w.Location, w.ToleranceMeters), Src: w.Src})
			}
			of[w] = name
		}
	}
	for _, s := range b.segments {
		ws := s.seg.Waypoints
		s.seg.ExitGeofence = of[ws[len(ws)-1]]
	}
	for i, s := range b.segments {
		if s.implicit && i > 0 {
			s.seg.EntryGeofence = b.segments[i-1].seg.ExitGeofence
		}
		if s.seg.EntryGeofence == "" {
			s.seg.EntryGeofence = of[s.seg.Waypoints[0]]
		}
		if s.seg.EntryGeofence == "" && i > 0 {
			s.seg.EntryGeofence = b.segments[i-1].seg.ExitGeofence
		}
	}
	for i := len(b.segments) - 1; i >= 0; i-- {
		s := b.segments[i]
		if s.seg.ExitGeofence == "" && i+1 < len(b.segments) {
			s.seg.ExitGeofence = b.segments[i+1].seg.EntryGeofence
		}
	}
}

// targets turns timecontrol allowed= (minutes from this control to the
// next) into the target duration of the segment the control starts: the
// segment it is the first waypoint of, or the next one when it is the last
// waypoint of its segment. Elsewhere it cannot be placed: a Note.
func (b *roadbook) targets() {
	for i, s := range b.segments {
		ws := s.seg.Waypoints
		for _, w := range ws {
			min, ok := s.allowed[w]
			if !ok {
				continue
			}
			var target *Segment
			switch {
			case w == ws[0]:
				target = s.seg
			case w == ws[len(ws)-1] && i+1 < len(b.segments):
				target = b.segments[i+1].seg
			}
			if target == nil || (target.TargetDurationSeconds != nil && target != s.seg) {
				b.notes = append(b.notes, Note{Src: w.Src, Msg: "allowed time " + itoa(min) + " min of time control " + quote(w.Name) + " is not kept: the control neither starts a segment nor ends one before another"})
				continue
			}
			v := min * 60
			target.TargetDurationSeconds = &v
		}
	}
}

// maxRouteWork bounds the distance computations of cutting the track, so
// that a hostile file of many segments and a huge track stays cheap.
const maxRouteWork = 50_000_000

// routes cuts the track into the segments' routes. The first segment's
// route starts with the track and the last one's ends with it; in between,
// a segment opened by a marker starts where the track passes its first
// waypoint, one that continues after the previous segment starts where
// that one ended, and every segment ends where the track passes its last
// waypoint. "Passes" is the closest point of the first approach within
// 200 m, searching forward from the previous boundary (so a stage that
// returns to its start is cut right), else the nearest point after it.
func (b *roadbook) routes(track LineString) {
	if len(track) < 2 || len(b.segments) == 0 {
		return
	}
	if len(track)*len(b.segments)*2 > maxRouteWork {
		b.notes = append(b.notes, Note{Src: Source{File: b.file}, Msg: "the track is not cut into segment routes: " + itoa(len(track)) + " points for " + itoa(len(b.segments)) + " segments is more than this reader cuts"})
		return
	}
	cursor := 0
	for i, s := range b.segments {
		ws := s.seg.Waypoints
		i0 := cursor
		if i > 0 && !s.implicit {
			i0 = locate(track, cursor, ws[0].Location)
		}
		i1 := len(track) - 1
		if i+1 < len(b.segments) {
			i1 = locate(track, i0, ws[len(ws)-1].Location)
		}
		if i1 > i0 {
			s.seg.Route = append(LineString(nil), track[i0:i1+1]...)
		}
		cursor = i1
	}
}

func locate(track LineString, from int, p Point) int {
	const near = 200.0
	for i := from; i < len(track); i++ {
		if Distance(track[i], p) <= near {
			for i+1 < len(track) && Distance(track[i+1], p) <= Distance(track[i], p) {
				i++
			}
			return i
		}
	}
	best, bestD := from, math.Inf(1)
	for i := from; i < len(track); i++ {
		if d := Distance(track[i], p); d < bestD {
			best, bestD = i, d
		}
	}
	return best
}

// lengths: a segment's length is the roadbook distance of its last
// waypoint when the file gives distances, else the length of its route.
func (b *roadbook) lengths() {
	for _, s := range b.segments {
		ws := s.seg.Waypoints
		var km *float64
		for i := len(ws) - 1; i >= 0; i-- {
			if ws[i].DistanceKm != nil {
				v := *ws[i].DistanceKm
				km = &v
				break
			}
		}
		if km == nil && s.seg.Route != nil {
			v := round6(s.seg.Route.Length() / 1000)
			km = &v
		}
		s.seg.LengthKm = km
	}
}

// round6 keeps distances to the millimetre, so that sums and differences of
// decimal roadbook distances read as the decimals they are.
func round6(x float64) float64 { return math.Round(x*1e6) / 1e6 }

// codePrefix starts the codes of segments made from a roadbook: L1, SS1,
// N1, PF1 (numbered by type within the stage).
func (t SegmentType) codePrefix() string {
	switch t {
	case SegmentSpecialStage:
		return "SS"
	case SegmentNeutralisation:
		return "N"
	case SegmentParcFerme:
		return "PF"
	}
	return "L"
}
