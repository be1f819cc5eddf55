package course

import (
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Bounds Validate enforces, beyond the rules of the sport: they keep values
// inside what the database stores and what a rally can mean.
const (
	MaxCodeLen      = 32        // runes in a stage or segment code
	MaxNameLen      = 255       // runes in a name
	MaxNotesLen     = 10000     // runes in a waypoint's notes
	MaxSortOrder    = 1<<31 - 1 // the database's integer
	MaxRadius       = 100000    // metres, open or validation
	MaxLimitKmh     = 500       // a speed limit
	MaxDurationSecs = 7 * 86400 // target duration, allowed lateness, start interval
	MaxKm           = 100000    // a length or a roadbook distance
)

var codePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// Validate checks the whole course and returns nil or a *ValidationError
// listing every problem, each with where it is. It checks:
//
//   - geofences: a unique name, a known kind, a valid polygon (rings
//     closed, at least four points, coordinates in range, no
//     self-intersection, non-zero area, at most MaxPolygonVertices);
//   - stages: a unique code (letters, digits, ".", "_", "-"; at most
//     MaxCodeLen), a unique sort order ≥ 1, a known role and status, a
//     start interval of 0…MaxDurationSecs; the start order: a known
//     strategy, an input stage that is an earlier stage of the course for
//     every strategy but manual (none for manual), N ≥ 1 for
//     inverse_top_n_then_natural and no N for the others;
//   - segments: a unique code and sort order within the stage, a known
//     type, entry and exit geofences that exist, a target duration of
//     1…MaxDurationSecs, an allowed lateness of 0…MaxDurationSecs, a
//     length of 0…MaxKm, a route of at least two valid points;
//   - waypoints: a unique name and sort order within the segment, a known
//     type, a valid location that is not (0, 0), radii with 0 < validation
//     ≤ open ≤ MaxRadius, roadbook distances of 0…MaxKm that never
//     decrease in sort order; DSS and ASS only in a special stage, at most
//     one of each, the ASS after the DSS;
//   - speed zones: a unique name within the segment, a limit of
//     1…MaxLimitKmh, an area or a DZ → FZ pair (not both, not neither),
//     the DZ before the FZ; every DZ and FZ waypoint belongs to exactly one
//     zone;
//   - names are non-empty, at most MaxNameLen runes, without control
//     characters; notes at most MaxNotesLen runes.
func (c *Course) Validate() error {
	v := &validator{}
	v.course(c)
	if len(v.problems) == 0 {
		return nil
	}
	return &ValidationError{Problems: v.problems}
}

type validator struct {
	problems []Problem
}

func (v *validator) add(src Source, path Path, code Code, msg string) {
	v.problems = append(v.problems, Problem{Src: src, Path: path, Code: code, Msg: msg})
}

func (v *validator) name(src Source, path Path, what, s string) {
	switch {
	case strings.TrimSpace(s) == "":
		v.add(src, path, CodeMissing, what+" is empty")
	case utf8.RuneCountInString(s) > MaxNameLen:
		v.add(src, path, CodeNumber, what+" is longer than "+itoa(MaxNameLen)+" characters")
	case s != strings.TrimSpace(s):
		v.add(src, path, CodeValue, what+" "+quote(s)+" begins or ends with a space")
	default:
		if msg := textProblem(s, false); msg != "" {
			v.add(src, path, CodeValue, what+" "+msg)
		}
	}
}

// textProblem finds what neither GPX (XML) nor GeoJSON can carry exactly:
// invalid UTF-8, control characters (tab and line breaks allowed in notes),
// the non-characters U+FFFE and U+FFFF.
func textProblem(s string, multiline bool) string {
	if !utf8.ValidString(s) {
		return "is not valid UTF-8"
	}
	for _, r := range s {
		switch {
		case multiline && (r == '\t' || r == '\n' || r == '\r'):
		case unicode.IsControl(r):
			return "contains a control character (" + strconv.QuoteRune(r) + ")"
		case r == 0xFFFE || r == 0xFFFF:
			return "contains the non-character " + strconv.QuoteRune(r)
		}
	}
	return ""
}

func (v *validator) code(src Source, path Path, what, s string) {
	switch {
	case s == "":
		v.add(src, path, CodeMissing, what+" is empty")
	case utf8.RuneCountInString(s) > MaxCodeLen:
		v.add(src, path, CodeNumber, what+" is longer than "+itoa(MaxCodeLen)+" characters")
	case !codePattern.MatchString(s):
		v.add(src, path, CodeValue, what+" "+quote(s)+" may hold only letters, digits, '.', '_' and '-', starting with a letter or digit")
	}
}

func (v *validator) sortOrder(src Source, path Path, n int) {
	if n < 1 || n > MaxSortOrder {
		v.add(src, path, CodeNumber, "sort order "+itoa(n)+" is outside 1…"+itoa(MaxSortOrder))
	}
}

func (v *validator) optInt(src Source, path Path, what string, p *int, min, max int) {
	if p != nil && (*p < min || *p > max) {
		v.add(src, path, CodeNumber, what+" "+itoa(*p)+" is outside "+itoa(min)+"…"+itoa(max))
	}
}

func (v *validator) optKm(src Source, path Path, what string, p *float64) {
	if p != nil && (math.IsNaN(*p) || *p < 0 || *p > MaxKm) {
		v.add(src, path, CodeDistance, what+" "+fmtFloat(*p)+" km is outside 0…"+itoa(MaxKm))
	}
}

func (v *validator) course(c *Course) {
	if msg := textProblem(c.Name, false); msg != "" {
		v.add(Source{}, Path{}, CodeValue, "course name "+msg)
	} else if c.Name != strings.TrimSpace(c.Name) || utf8.RuneCountInString(c.Name) > MaxNameLen {
		v.add(Source{}, Path{}, CodeValue, "course name "+quote(c.Name)+" begins or ends with a space, or is longer than "+itoa(MaxNameLen)+" characters")
	}
	geofences := map[string]bool{}
	for _, g := range c.Geofences {
		v.geofence(g, geofences)
	}
	codes := map[string]*Stage{}
	sorts := map[int]string{}
	for _, s := range c.Stages {
		p := Path{Stage: s.Code}
		v.code(s.Src, p, "stage code", s.Code)
		if s.Code != "" {
			if codes[s.Code] != nil {
				v.add(s.Src, p, CodeDuplicate, "stage code "+quote(s.Code)+" is used by two stages")
			}
			codes[s.Code] = s
		}
		v.name(s.Src, p, "stage name", s.Name)
		v.sortOrder(s.Src, p, s.SortOrder)
		if other, dup := sorts[s.SortOrder]; dup {
			v.add(s.Src, p, CodeDuplicate, "sort order "+itoa(s.SortOrder)+" is also stage "+quote(other)+"'s")
		}
		sorts[s.SortOrder] = s.Code
		if !s.Role.Valid() {
			v.add(s.Src, p, CodeEnum, "role "+quote(string(s.Role))+" is not one of "+joinEnum(StageRoles()))
		}
		if !s.Status.Valid() {
			v.add(s.Src, p, CodeEnum, "status "+quote(string(s.Status))+" is not one of "+joinEnum(StageStatuses()))
		}
		v.optInt(s.Src, p, "start interval (seconds)", s.StartIntervalSeconds, 0, MaxDurationSecs)
	}
	for _, s := range c.Stages {
		v.startOrder(s, codes)
		segCodes := map[string]bool{}
		segSorts := map[int]string{}
		for _, g := range s.Segments {
			p := Path{Stage: s.Code, Segment: g.Code}
			v.code(g.Src, p, "segment code", g.Code)
			if g.Code != "" && segCodes[g.Code] {
				v.add(g.Src, p, CodeDuplicate, "segment code "+quote(g.Code)+" is used twice in the stage")
			}
			segCodes[g.Code] = true
			v.sortOrder(g.Src, p, g.SortOrder)
			if other, dup := segSorts[g.SortOrder]; dup {
				v.add(g.Src, p, CodeDuplicate, "sort order "+itoa(g.SortOrder)+" is also segment "+quote(other)+"'s")
			}
			segSorts[g.SortOrder] = g.Code
			v.segment(p, g, geofences)
		}
	}
}

func (v *validator) geofence(g *Geofence, seen map[string]bool) {
	p := Path{Geofence: g.Name}
	v.name(g.Src, p, "geofence name", g.Name)
	if g.Name != "" && seen[g.Name] {
		v.add(g.Src, p, CodeDuplicate, "geofence name "+quote(g.Name)+" is used twice")
	}
	seen[g.Name] = true
	if !g.Kind.Valid() {
		v.add(g.Src, p, CodeEnum, "kind "+quote(string(g.Kind))+" is not one of "+joinEnum(GeofenceKinds()))
	}
	if code, msg := polygonProblem(g.Geometry); code != "" {
		v.add(g.Src, p, code, msg)
	}
}

func (v *validator) startOrder(s *Stage, stages map[string]*Stage) {
	p := Path{Stage: s.Code}
	o := s.StartOrder
	if !o.Strategy.Valid() {
		v.add(s.Src, p, CodeEnum, "start-order strategy "+quote(string(o.Strategy))+" is not one of "+joinEnum(StartOrderStrategies()))
		return
	}
	if o.Strategy == StartInverseTopNThenNatural {
		if o.Params.N < 1 {
			v.add(s.Src, p, CodeStartOrder, "start-order strategy inverse_top_n_then_natural needs n ≥ 1 (how many start in reverse order), got "+itoa(o.Params.N))
		}
	} else if o.Params.N != 0 {
		v.add(s.Src, p, CodeStartOrder, "start-order strategy "+string(o.Strategy)+" takes no n (got "+itoa(o.Params.N)+")")
	}
	if !o.Strategy.NeedsInputStage() {
		if o.InputStage != "" {
			v.add(s.Src, p, CodeStartOrder, "start-order strategy manual takes no input stage (got "+quote(o.InputStage)+")")
		}
		return
	}
	in := stages[o.InputStage]
	switch {
	case o.InputStage == "":
		v.add(s.Src, p, CodeStartOrder, "start-order strategy "+string(o.Strategy)+" needs an input stage: the earlier stage whose result orders this one")
	case in == nil:
		v.add(s.Src, p, CodeReference, "start-order input stage "+quote(o.InputStage)+" is not a stage of the course")
	case in.SortOrder >= s.SortOrder:
		v.add(s.Src, p, CodeStartOrder, "start-order input stage "+quote(o.InputStage)+" is not earlier than this stage (sort order "+itoa(in.SortOrder)+" ≥ "+itoa(s.SortOrder)+")")
	}
}

func (v *validator) segment(p Path, g *Segment, geofences map[string]bool) {
	if !g.Type.Valid() {
		v.add(g.Src, p, CodeEnum, "type "+quote(string(g.Type))+" is not one of "+joinEnum(SegmentTypes()))
	}
	v.name(g.Src, p, "segment name", g.Name)
	for _, ref := range []struct{ what, name string }{{"entry", g.EntryGeofence}, {"exit", g.ExitGeofence}} {
		if ref.name != "" && !geofences[ref.name] {
			v.add(g.Src, p, CodeReference, ref.what+" geofence "+quote(ref.name)+" is not a geofence of the course")
		}
	}
	v.optInt(g.Src, p, "target duration (seconds)", g.TargetDurationSeconds, 1, MaxDurationSecs)
	v.optInt(g.Src, p, "allowed lateness (seconds)", g.AllowedLatenessSeconds, 0, MaxDurationSecs)
	v.optKm(g.Src, p, "length", g.LengthKm)
	if g.Route != nil {
		if len(g.Route) < 2 {
			v.add(g.Src, p, CodeRoute, "route has "+itoa(len(g.Route))+" point(s); a line needs at least 2")
		}
		for i, pt := range g.Route {
			if code, msg := pointProblem(pt); code == CodeCoordinates {
				v.add(g.Src, p, code, "route point "+itoa(i+1)+": "+msg)
				break
			}
		}
	}

	names := map[string]*Waypoint{}
	sorts := map[int]string{}
	for _, w := range g.Waypoints {
		wp := p
		wp.Waypoint = w.Name
		v.name(w.Src, wp, "waypoint name", w.Name)
		if w.Name != "" && names[w.Name] != nil {
			v.add(w.Src, wp, CodeDuplicate, "waypoint name "+quote(w.Name)+" is used twice in the segment (also "+names[w.Name].Src.String()+")")
		}
		if names[w.Name] == nil {
			names[w.Name] = w
		}
		v.sortOrder(w.Src, wp, w.SortOrder)
		if other, dup := sorts[w.SortOrder]; dup {
			v.add(w.Src, wp, CodeDuplicate, "sort order "+itoa(w.SortOrder)+" is also waypoint "+quote(other)+"'s")
		}
		sorts[w.SortOrder] = w.Name
		v.waypoint(wp, w)
	}
	ordered := append([]*Waypoint(nil), g.Waypoints...)
	sort.SliceStable(ordered, func(i, j int) bool { return ordered[i].SortOrder < ordered[j].SortOrder })
	v.markers(p, g, ordered)
	v.zones(p, g, names)
}

func (v *validator) waypoint(p Path, w *Waypoint) {
	if !w.Type.Valid() {
		v.add(w.Src, p, CodeEnum, "type "+quote(string(w.Type))+" is not one of "+joinEnum(WaypointTypes()))
	}
	if code, msg := pointProblem(w.Location); code != "" {
		v.add(w.Src, p, code, msg)
	}
	switch {
	case w.ToleranceMeters <= 0 || w.OpenRadiusMeters <= 0:
		v.add(w.Src, p, CodeRadius, "radii must be positive: open "+itoa(w.OpenRadiusMeters)+" m, validation "+itoa(w.ToleranceMeters)+" m")
	case w.OpenRadiusMeters > MaxRadius:
		v.add(w.Src, p, CodeRadius, "open radius "+itoa(w.OpenRadiusMeters)+" m is larger than "+itoa(MaxRadius)+" m")
	case w.ToleranceMeters > w.OpenRadiusMeters:
		v.add(w.Src, p, CodeRadiiOrder, "validation radius "+itoa(w.ToleranceMeters)+" m is larger than the open radius "+itoa(w.OpenRadiusMeters)+" m")
	}
	v.optKm(w.Src, p, "roadbook distance", w.DistanceKm)
	if utf8.RuneCountInString(w.Notes) > MaxNotesLen {
		v.add(w.Src, p, CodeNumber, "notes are longer than "+itoa(MaxNotesLen)+" characters")
	} else if msg := textProblem(w.Notes, true); msg != "" {
		v.add(w.Src, p, CodeValue, "notes "+msg)
	}
}

// markers checks DSS/ASS placement and roadbook distances in sort order.
func (v *validator) markers(p Path, g *Segment, ordered []*Waypoint) {
	var dss, ass *Waypoint
	var last *Waypoint
	for _, w := range ordered {
		wp := p
		wp.Waypoint = w.Name
		if w.DistanceKm != nil {
			if last != nil && *w.DistanceKm < *last.DistanceKm {
				v.add(w.Src, wp, CodeDistance, "roadbook distance "+fmtFloat(*w.DistanceKm)+" km is less than "+fmtFloat(*last.DistanceKm)+" km at "+quote(last.Name)+" before it")
			}
			last = w
		}
		switch w.Type {
		case DSS, ASS:
			if g.Type != SegmentSpecialStage {
				v.add(w.Src, wp, CodeMarkerPlacement, string(w.Type)+" belongs in a special stage, not in a "+string(g.Type))
			}
		}
		switch w.Type {
		case DSS:
			if dss != nil {
				v.add(w.Src, wp, CodeMarkerPlacement, "second DSS in the segment (the first is "+quote(dss.Name)+")")
				continue
			}
			dss = w
		case ASS:
			if ass != nil {
				v.add(w.Src, wp, CodeMarkerPlacement, "second ASS in the segment (the first is "+quote(ass.Name)+")")
				continue
			}
			if dss == nil {
				v.add(w.Src, wp, CodeASSWithoutDSS, "ASS without a DSS before it in the segment")
			}
			ass = w
		}
	}
	if dss != nil && ass == nil {
		wp := p
		wp.Waypoint = dss.Name
		v.add(dss.Src, wp, CodeDSSWithoutASS, "DSS without an ASS after it: the special stage has no finish")
	}
}

func (v *validator) zones(p Path, g *Segment, waypoints map[string]*Waypoint) {
	names := map[string]bool{}
	used := map[string]string{} // waypoint name → zone name
	for _, z := range g.SpeedZones {
		zp := p
		zp.Zone = z.Name
		src := z.Src
		if src == (Source{}) {
			if w := waypoints[z.StartWaypoint]; w != nil {
				src = w.Src
			}
		}
		v.name(src, zp, "speed zone name", z.Name)
		if z.Name != "" && names[z.Name] {
			v.add(src, zp, CodeDuplicate, "speed zone name "+quote(z.Name)+" is used twice in the segment")
		}
		names[z.Name] = true
		if z.LimitKmh < 1 || z.LimitKmh > MaxLimitKmh {
			v.add(src, zp, CodeNumber, "speed limit "+itoa(z.LimitKmh)+" km/h is outside 1…"+itoa(MaxLimitKmh))
		}
		hasArea := z.Area != nil
		hasWP := z.StartWaypoint != "" || z.EndWaypoint != ""
		switch {
		case hasArea && hasWP:
			v.add(src, zp, CodeZoneShape, "zone has both an area and DZ/FZ waypoints; it takes one or the other")
			continue
		case !hasArea && !hasWP:
			v.add(src, zp, CodeZoneShape, "zone has neither an area nor a DZ → FZ pair of waypoints")
			continue
		case hasArea:
			if code, msg := polygonProblem(z.Area); code != "" {
				v.add(src, zp, code, "area: "+msg)
			}
			continue
		}
		dz, fz := waypoints[z.StartWaypoint], waypoints[z.EndWaypoint]
		switch {
		case z.StartWaypoint == "":
			v.add(src, zp, CodeFZWithoutDZ, "zone ends at FZ "+quote(z.EndWaypoint)+" but has no DZ")
		case dz == nil:
			v.add(src, zp, CodeReference, "start waypoint "+quote(z.StartWaypoint)+" is not a waypoint of the segment")
		case dz.Type != DZ:
			v.add(src, zp, CodeReference, "start waypoint "+quote(z.StartWaypoint)+" is a "+string(dz.Type)+", not a DZ")
		}
		switch {
		case z.EndWaypoint == "":
			v.add(src, zp, CodeDZWithoutFZ, "zone starts at DZ "+quote(z.StartWaypoint)+" but has no FZ")
		case fz == nil:
			v.add(src, zp, CodeReference, "end waypoint "+quote(z.EndWaypoint)+" is not a waypoint of the segment")
		case fz.Type != FZ:
			v.add(src, zp, CodeReference, "end waypoint "+quote(z.EndWaypoint)+" is an "+string(fz.Type)+", not an FZ")
		}
		if dz != nil && fz != nil && dz.SortOrder >= fz.SortOrder {
			v.add(src, zp, CodeZoneOrder, "FZ "+quote(fz.Name)+" (sort order "+itoa(fz.SortOrder)+") comes before its DZ "+quote(dz.Name)+" (sort order "+itoa(dz.SortOrder)+")")
		}
		for _, w := range []*Waypoint{dz, fz} {
			if w == nil {
				continue
			}
			if other, ok := used[w.Name]; ok {
				v.add(src, zp, CodeDuplicate, string(w.Type)+" "+quote(w.Name)+" is also used by zone "+quote(other))
				continue
			}
			used[w.Name] = z.Name
		}
	}
	for _, w := range g.Waypoints {
		if _, ok := used[w.Name]; ok {
			continue
		}
		wp := p
		wp.Waypoint = w.Name
		switch w.Type {
		case DZ:
			v.add(w.Src, wp, CodeDZWithoutFZ, "DZ without its FZ: no speed zone of the segment starts here and ends at an FZ")
		case FZ:
			v.add(w.Src, wp, CodeFZWithoutDZ, "FZ without its DZ: no speed zone of the segment ends here after a DZ")
		}
	}
}

// quote shows a value from the input in a message: quoted, escaped (no
// control character reaches a terminal), at most 80 characters.
func quote(s string) string {
	if utf8.RuneCountInString(s) > 80 {
		s = string([]rune(s)[:80]) + "…"
	}
	return strconv.Quote(s)
}

func joinEnum[T ~string](list []T) string {
	parts := make([]string, len(list))
	for i, v := range list {
		parts[i] = string(v)
	}
	return strings.Join(parts, ", ")
}
