package course

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"sort"
	"strings"
	"time"
)

// GeoJSONVersion is the value of the FeatureCollection's "trm_course"
// member that WriteGeoJSON writes; DecodeGeoJSON refuses another.
const GeoJSONVersion = "v1"

// The GeoJSON layers: each feature's properties.layer, named after the
// database table it maps to.
const (
	LayerGeofences       = "geofences"
	LayerStages          = "stages"
	LayerSegments        = "segments"
	LayerWaypoints       = "waypoints"
	LayerSpeedLimitZones = "speed_limit_zones"
)

type gjGeometry struct {
	Type        string          `json:"type"`
	Coordinates json.RawMessage `json:"coordinates"`
}

type gjFeature struct {
	Type       string          `json:"type"`
	Geometry   *gjGeometry     `json:"geometry"`
	Properties json.RawMessage `json:"properties"`
}

type gjLayer struct {
	Layer string `json:"layer"`
}

type gjGeofence struct {
	Layer              string `json:"layer"`
	Name               string `json:"name"`
	Kind               string `json:"kind"`
	ManualVerification bool   `json:"manual_verification"`
	Retroactive        bool   `json:"retroactive"`
}

type gjStage struct {
	Layer                    string           `json:"layer"`
	Code                     string           `json:"code"`
	Name                     string           `json:"name"`
	SortOrder                int              `json:"sort_order"`
	Role                     string           `json:"role"`
	Status                   string           `json:"status"`
	StartsAt                 *string          `json:"starts_at"`
	StartIntervalSeconds     *int             `json:"start_interval_seconds"`
	StartOrderStrategy       string           `json:"start_order_strategy"`
	StartOrderStrategyParams *json.RawMessage `json:"start_order_strategy_params"`
	StartOrderInputStage     *string          `json:"start_order_input_stage"`
}

type gjSegment struct {
	Layer                  string   `json:"layer"`
	Stage                  string   `json:"stage"`
	Code                   string   `json:"code"`
	Name                   string   `json:"name"`
	SortOrder              int      `json:"sort_order"`
	Type                   string   `json:"type"`
	EntryGeofence          *string  `json:"entry_geofence"`
	ExitGeofence           *string  `json:"exit_geofence"`
	TargetDurationSeconds  *int     `json:"target_duration_seconds"`
	AllowedLatenessSeconds *int     `json:"allowed_lateness_seconds"`
	LengthKm               *float64 `json:"length_km"`
}

type gjWaypoint struct {
	Layer            string   `json:"layer"`
	Stage            string   `json:"stage"`
	Segment          string   `json:"segment"`
	SortOrder        int      `json:"sort_order"`
	Name             string   `json:"name"`
	Type             string   `json:"type"`
	OpenRadiusMeters *int     `json:"open_radius_meters"`
	ToleranceMeters  *int     `json:"tolerance_meters"`
	DistanceKm       *float64 `json:"distance_km"`
	Notes            string   `json:"notes"`
}

type gjZone struct {
	Layer         string  `json:"layer"`
	Stage         string  `json:"stage"`
	Segment       string  `json:"segment"`
	Name          string  `json:"name"`
	LimitKmh      int     `json:"limit_kmh"`
	Retroactive   bool    `json:"retroactive"`
	StartWaypoint *string `json:"start_waypoint"`
	EndWaypoint   *string `json:"end_waypoint"`
}

// WriteGeoJSON writes the whole course as one GeoJSON FeatureCollection
// (RFC 7946: WGS 84, longitude first), one feature per line, in this shape:
//
//	{"type": "FeatureCollection", "trm_course": "v1", "name": <course name>,
//	 "features": [
//	  geofences  Polygon     {layer, name, kind, manual_verification, retroactive}
//	  then per stage, in order:
//	  stages     null        {layer, code, name, sort_order, role, status,
//	                          starts_at (RFC 3339 or null), start_interval_seconds,
//	                          start_order_strategy, start_order_strategy_params ({} or {"n": N}),
//	                          start_order_input_stage (a stage code or null)}
//	  segments   LineString  {layer, stage, code, name, sort_order, type,
//	             or null      entry_geofence, exit_geofence (geofence names or null),
//	                          target_duration_seconds, allowed_lateness_seconds, length_km}
//	  waypoints  Point       {layer, stage, segment, sort_order, name, type,
//	                          open_radius_meters, tolerance_meters, distance_km, notes}
//	  speed_limit_zones      {layer, stage, segment, name, limit_kmh, retroactive,
//	             Polygon      start_waypoint, end_waypoint (DZ/FZ names, null for an area)}
//	             or null
//	 ]}
//
// properties.layer and the property names are the database's tables and
// columns; references are by code or name, never by database key. Numbers
// are written in full and read back exactly. DecodeGeoJSON takes features
// in any order, ignores properties and members it does not know, fills
// absent radii with DefaultRadii and an absent role, status or strategy
// with stage, draft and manual. The course must be valid: WriteGeoJSON
// returns Validate's error otherwise and writes nothing.
func WriteGeoJSON(w io.Writer, c *Course) error {
	if err := c.Validate(); err != nil {
		return err
	}
	b := bufio.NewWriterSize(w, 64<<10)
	head, err := json.Marshal(c.Name)
	if err != nil {
		return err
	}
	b.WriteString(`{"type":"FeatureCollection","trm_course":"` + GeoJSONVersion + `","name":` + string(head) + `,"features":[`)
	first := true
	feature := func(geom any, props any) error {
		f := struct {
			Type       string `json:"type"`
			Geometry   any    `json:"geometry"`
			Properties any    `json:"properties"`
		}{"Feature", geom, props}
		data, err := json.Marshal(f)
		if err != nil {
			return err
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		b.WriteString("\n")
		_, err = b.Write(data)
		return err
	}
	for _, g := range c.Geofences {
		if err := feature(polygonGeometry(g.Geometry), gjGeofence{LayerGeofences, g.Name, string(g.Kind), g.ManualVerification, g.Retroactive}); err != nil {
			return err
		}
	}
	for _, s := range c.Stages {
		params := json.RawMessage(s.StartOrder.Params.JSON())
		p := gjStage{Layer: LayerStages, Code: s.Code, Name: s.Name, SortOrder: s.SortOrder, Role: string(s.Role),
			Status: string(s.Status), StartIntervalSeconds: s.StartIntervalSeconds,
			StartOrderStrategy: string(s.StartOrder.Strategy), StartOrderStrategyParams: &params,
			StartOrderInputStage: optString(s.StartOrder.InputStage)}
		if s.StartsAt != nil {
			t := s.StartsAt.UTC().Format(time.RFC3339Nano)
			p.StartsAt = &t
		}
		if err := feature(nil, p); err != nil {
			return err
		}
		for _, g := range s.Segments {
			var geom any
			if g.Route != nil {
				geom = struct {
					Type        string      `json:"type"`
					Coordinates [][]float64 `json:"coordinates"`
				}{"LineString", positions(g.Route)}
			}
			if err := feature(geom, gjSegment{LayerSegments, s.Code, g.Code, g.Name, g.SortOrder, string(g.Type),
				optString(g.EntryGeofence), optString(g.ExitGeofence), g.TargetDurationSeconds, g.AllowedLatenessSeconds, g.LengthKm}); err != nil {
				return err
			}
			for _, w := range g.Waypoints {
				geom := struct {
					Type        string    `json:"type"`
					Coordinates []float64 `json:"coordinates"`
				}{"Point", []float64{w.Location.Lon, w.Location.Lat}}
				open, tol := w.OpenRadiusMeters, w.ToleranceMeters
				if err := feature(geom, gjWaypoint{LayerWaypoints, s.Code, g.Code, w.SortOrder, w.Name, string(w.Type),
					&open, &tol, w.DistanceKm, w.Notes}); err != nil {
					return err
				}
			}
			for _, z := range g.SpeedZones {
				var geom any
				if z.Area != nil {
					geom = polygonGeometry(z.Area)
				}
				if err := feature(geom, gjZone{LayerSpeedLimitZones, s.Code, g.Code, z.Name, z.LimitKmh, z.Retroactive,
					optString(z.StartWaypoint), optString(z.EndWaypoint)}); err != nil {
					return err
				}
			}
		}
	}
	b.WriteString("\n]}\n")
	return b.Flush()
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func positions(l []Point) [][]float64 {
	out := make([][]float64, len(l))
	for i, p := range l {
		out[i] = []float64{p.Lon, p.Lat}
	}
	return out
}

func polygonGeometry(p Polygon) any {
	rings := make([][][]float64, len(p))
	for i, r := range p {
		rings[i] = positions(r)
	}
	return struct {
		Type        string        `json:"type"`
		Coordinates [][][]float64 `json:"coordinates"`
	}{"Polygon", rings}
}

// JSON is the parameters as stored: {} or {"n": N}.
func (p StartOrderParams) JSON() []byte {
	data, _ := json.Marshal(p) // a struct of an int cannot fail
	return data
}

// ParseStartOrderParams reads start_order_strategy_params: a JSON object
// with at most the key "n" (a whole number); null or empty is no
// parameters. Unknown keys are an error, so that a typo is not silently
// ignored.
func ParseStartOrderParams(raw []byte) (StartOrderParams, error) {
	var p StartOrderParams
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return p, nil
	}
	if raw[0] != '{' {
		return p, errors.New("start_order_strategy_params must be a JSON object, e.g. {\"n\": 10}")
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	if err := d.Decode(&p); err != nil {
		return p, errors.New("start_order_strategy_params: " + err.Error() + " (the only parameter is n, a whole number)")
	}
	return p, nil
}

// geoReader reads a GeoJSON course, locating features by line.
type geoReader struct {
	data  []byte
	file  string
	lines []int // offsets of line starts
}

func (g *geoReader) lineAt(off int64) int {
	for int(off) < len(g.data) {
		switch g.data[off] {
		case ' ', '\t', '\r', '\n', ',':
			off++
			continue
		}
		break
	}
	return sort.Search(len(g.lines), func(i int) bool { return int64(g.lines[i]) > off })
}

func (g *geoReader) fail(line int, code Code, msg string, err error) *DecodeError {
	return &DecodeError{Src: Source{File: g.file, Line: line}, Code: code, Msg: msg, Err: err}
}

type located struct {
	f    gjFeature
	line int
}

func decodeGeoJSON(data []byte, opts DecodeOptions) (*Course, *Report, error) {
	g := &geoReader{data: data, file: opts.Name, lines: []int{0}}
	for i, b := range data {
		if b == '\n' {
			g.lines = append(g.lines, i+1)
		}
	}
	d := json.NewDecoder(bytes.NewReader(data))
	if tok, err := d.Token(); err != nil || tok != json.Delim('{') {
		if se := g.syntax(err); se != nil {
			return nil, nil, se
		}
		return nil, nil, g.fail(1, CodeNotGeoJSON, "not GeoJSON: the file is not a JSON object", nil)
	}
	var (
		typ, version, name string
		features           []located
		haveFeatures       bool
	)
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			if se := g.syntax(err); se != nil {
				return nil, nil, se
			}
			return nil, nil, g.fail(g.lineAt(d.InputOffset()), CodeSyntax, "not readable JSON", err)
		}
		key, _ := tok.(string)
		at := g.lineAt(d.InputOffset())
		var err2 error
		switch key {
		case "type":
			err2 = d.Decode(&typ)
		case "trm_course":
			err2 = d.Decode(&version)
		case "name":
			var n *string
			err2 = d.Decode(&n)
			if n != nil {
				name = *n
			}
		case "features":
			haveFeatures = true
			if tok, err := d.Token(); err != nil || tok != json.Delim('[') {
				return nil, nil, g.fail(at, CodeNotGeoJSON, "not GeoJSON: features is not a list", nil)
			}
			for d.More() {
				line := g.lineAt(d.InputOffset())
				var f gjFeature
				if err := d.Decode(&f); err != nil {
					if se := g.syntax(err); se != nil {
						return nil, nil, se
					}
					return nil, nil, g.fail(line, CodeNotGeoJSON, "feature "+itoa(len(features)+1)+" is not a GeoJSON feature: "+err.Error(), err)
				}
				features = append(features, located{f, line})
			}
			_, err2 = d.Token()
		default:
			var skip json.RawMessage
			err2 = d.Decode(&skip)
		}
		if err2 != nil {
			if se := g.syntax(err2); se != nil {
				return nil, nil, se
			}
			return nil, nil, g.fail(at, CodeNotGeoJSON, "member "+quote(key)+" is not of its type: "+err2.Error(), err2)
		}
	}
	if _, err := d.Token(); err != nil {
		if se := g.syntax(err); se != nil {
			return nil, nil, se
		}
		return nil, nil, g.fail(len(g.lines), CodeSyntax, "not well-formed JSON: the object is not closed", err)
	}
	if _, err := d.Token(); !errors.Is(err, io.EOF) {
		return nil, nil, g.fail(g.lineAt(d.InputOffset()), CodeSyntax, "not well-formed JSON: more after the FeatureCollection", err)
	}
	switch {
	case typ != "FeatureCollection":
		return nil, nil, g.fail(1, CodeNotGeoJSON, "not a course: a GeoJSON course is a FeatureCollection, this is "+quote(typ), nil)
	case version != "" && version != GeoJSONVersion:
		return nil, nil, g.fail(1, CodeNamespaceVersion, "trm_course "+quote(version)+" is a version of the GeoJSON course this reader does not know; it reads "+GeoJSONVersion, nil)
	case !haveFeatures:
		return nil, nil, g.fail(1, CodeNotGeoJSON, "not GeoJSON: a FeatureCollection without features", nil)
	}
	return g.build(name, features, opts)
}

// syntax turns a JSON syntax error, wherever the decoder met it, into a
// DecodeError at its line.
func (g *geoReader) syntax(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return g.fail(g.lineAt(max(se.Offset-1, 0)), CodeSyntax, "not well-formed JSON: "+se.Error(), err)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return g.fail(len(g.lines), CodeSyntax, "not well-formed JSON: the file ends inside a value", err)
	}
	return nil
}

func (g *geoReader) build(name string, features []located, opts DecodeOptions) (*Course, *Report, error) {
	c := &Course{Name: name}
	rep := &Report{Format: FormatGeoJSON}
	var problems []Problem
	type pending struct {
		line int
		w    *gjWaypoint
		z    *gjZone
		s    *gjSegment
		geom *gjGeometry
	}
	var segs, wps, zones []pending
	for i, lf := range features {
		f, line := lf.f, lf.line
		src := Source{File: g.file, Line: line}
		what := "feature " + itoa(i+1)
		if f.Type != "Feature" {
			return nil, nil, g.fail(line, CodeNotGeoJSON, what+" has type "+quote(f.Type)+", not Feature", nil)
		}
		var l gjLayer
		if len(f.Properties) == 0 || string(f.Properties) == "null" || json.Unmarshal(f.Properties, &l) != nil || l.Layer == "" {
			return nil, nil, g.fail(line, CodeNotGeoJSON, what+" has no properties.layer: a course file names each feature's layer ("+strings.Join([]string{LayerGeofences, LayerStages, LayerSegments, LayerWaypoints, LayerSpeedLimitZones}, ", ")+")", nil)
		}
		props := func(v any) error {
			if err := json.Unmarshal(f.Properties, v); err != nil {
				return g.fail(line, CodeValue, what+" ("+l.Layer+"): a property is not of its type: "+err.Error(), err)
			}
			return nil
		}
		switch l.Layer {
		case LayerGeofences:
			var p gjGeofence
			if err := props(&p); err != nil {
				return nil, nil, err
			}
			poly, err := g.polygon(f.Geometry, line, what, false)
			if err != nil {
				return nil, nil, err
			}
			c.Geofences = append(c.Geofences, &Geofence{Name: p.Name, Kind: GeofenceKind(p.Kind), Geometry: poly,
				ManualVerification: p.ManualVerification, Retroactive: p.Retroactive, Src: src})
		case LayerStages:
			var p gjStage
			if err := props(&p); err != nil {
				return nil, nil, err
			}
			s := &Stage{Code: p.Code, Name: p.Name, SortOrder: p.SortOrder, Role: StageRole(p.Role), Status: StageStatus(p.Status),
				StartIntervalSeconds: p.StartIntervalSeconds, StartOrder: StartOrder{Strategy: StartOrderStrategy(p.StartOrderStrategy)}, Src: src}
			if p.StartOrderInputStage != nil {
				s.StartOrder.InputStage = *p.StartOrderInputStage
			}
			if p.StartsAt != nil {
				t, err := time.Parse(time.RFC3339Nano, *p.StartsAt)
				if err != nil {
					return nil, nil, g.fail(line, CodeValue, what+" (stages): starts_at "+quote(*p.StartsAt)+" is not an RFC 3339 time such as 2026-06-07T06:00:00Z", err)
				}
				t = t.UTC()
				s.StartsAt = &t
			}
			if p.StartOrderStrategyParams != nil {
				params, err := ParseStartOrderParams(*p.StartOrderStrategyParams)
				if err != nil {
					problems = append(problems, Problem{Src: src, Path: Path{Stage: p.Code}, Code: CodeStartOrder, Msg: err.Error()})
				}
				s.StartOrder.Params = params
			}
			s.defaults()
			c.Stages = append(c.Stages, s)
		case LayerSegments:
			var p gjSegment
			if err := props(&p); err != nil {
				return nil, nil, err
			}
			segs = append(segs, pending{line: line, s: &p, geom: f.Geometry})
		case LayerWaypoints:
			var p gjWaypoint
			if err := props(&p); err != nil {
				return nil, nil, err
			}
			wps = append(wps, pending{line: line, w: &p, geom: f.Geometry})
		case LayerSpeedLimitZones:
			var p gjZone
			if err := props(&p); err != nil {
				return nil, nil, err
			}
			zones = append(zones, pending{line: line, z: &p, geom: f.Geometry})
		default:
			return nil, nil, g.fail(line, CodeNotGeoJSON, what+" has layer "+quote(l.Layer)+", not one of "+strings.Join([]string{LayerGeofences, LayerStages, LayerSegments, LayerWaypoints, LayerSpeedLimitZones}, ", "), nil)
		}
	}
	segment := func(src Source, stage, code, what string) *Segment {
		s := c.Stage(stage)
		if s == nil {
			problems = append(problems, Problem{Src: src, Path: Path{Stage: stage, Segment: code}, Code: CodeReference, Msg: what + " names stage " + quote(stage) + ", which is not a feature of the file"})
			return nil
		}
		seg := s.Segment(code)
		if seg == nil {
			problems = append(problems, Problem{Src: src, Path: Path{Stage: stage, Segment: code}, Code: CodeReference, Msg: what + " names segment " + quote(code) + ", which stage " + quote(stage) + " does not have"})
		}
		return seg
	}
	for _, p := range segs {
		src := Source{File: g.file, Line: p.line}
		s := c.Stage(p.s.Stage)
		if s == nil {
			problems = append(problems, Problem{Src: src, Path: Path{Stage: p.s.Stage, Segment: p.s.Code}, Code: CodeReference, Msg: "segment names stage " + quote(p.s.Stage) + ", which is not a feature of the file"})
			continue
		}
		seg := &Segment{Code: p.s.Code, Name: p.s.Name, SortOrder: p.s.SortOrder, Type: SegmentType(p.s.Type),
			TargetDurationSeconds: p.s.TargetDurationSeconds, AllowedLatenessSeconds: p.s.AllowedLatenessSeconds, LengthKm: p.s.LengthKm, Src: src}
		if p.s.EntryGeofence != nil {
			seg.EntryGeofence = *p.s.EntryGeofence
		}
		if p.s.ExitGeofence != nil {
			seg.ExitGeofence = *p.s.ExitGeofence
		}
		if p.geom != nil {
			var err error
			if seg.Route, err = g.lineString(p.geom, p.line); err != nil {
				return nil, nil, err
			}
		}
		s.Segments = append(s.Segments, seg)
	}
	for _, p := range wps {
		src := Source{File: g.file, Line: p.line}
		if p.geom == nil || p.geom.Type != "Point" {
			return nil, nil, g.fail(p.line, CodeNotGeoJSON, "waypoint "+quote(p.w.Name)+" needs a Point geometry", nil)
		}
		pt, err := g.position(p.geom.Coordinates, p.line)
		if err != nil {
			return nil, nil, err
		}
		r := role{typ: WaypointType(p.w.Type)}
		if p.w.OpenRadiusMeters != nil {
			r.open, r.haveOpen = *p.w.OpenRadiusMeters, true
		}
		if p.w.ToleranceMeters != nil {
			r.clear, r.haveClear = *p.w.ToleranceMeters, true
		}
		radii, defaulted := radiiFor(r)
		w := &Waypoint{SortOrder: p.w.SortOrder, Name: p.w.Name, Type: r.typ, Location: pt,
			OpenRadiusMeters: radii.Open, ToleranceMeters: radii.Tolerance, DistanceKm: p.w.DistanceKm, Notes: p.w.Notes, Src: src}
		pm := PointMapping{Src: src, Name: w.Name, By: "geojson"}
		if seg := segment(src, p.w.Stage, p.w.Segment, "waypoint"); seg != nil {
			seg.Waypoints = append(seg.Waypoints, w)
			pm.Waypoints = []MappedWaypoint{{Stage: p.w.Stage, Segment: seg.Code, Name: w.Name, Type: w.Type, DefaultRadii: defaulted}}
		}
		rep.Points = append(rep.Points, pm)
	}
	for _, p := range zones {
		src := Source{File: g.file, Line: p.line}
		z := &SpeedZone{Name: p.z.Name, LimitKmh: p.z.LimitKmh, Retroactive: p.z.Retroactive, Src: src}
		if p.z.StartWaypoint != nil {
			z.StartWaypoint = *p.z.StartWaypoint
		}
		if p.z.EndWaypoint != nil {
			z.EndWaypoint = *p.z.EndWaypoint
		}
		if p.geom != nil {
			var err error
			if z.Area, err = g.polygon(p.geom, p.line, "speed zone "+quote(z.Name), true); err != nil {
				return nil, nil, err
			}
		}
		if seg := segment(src, p.z.Stage, p.z.Segment, "speed zone"); seg != nil {
			seg.SpeedZones = append(seg.SpeedZones, z)
		}
	}
	for _, s := range c.Stages {
		for _, seg := range s.Segments {
			if seg.Route != nil {
				rep.TrackPoints += len(seg.Route)
			}
		}
	}
	return finish(c, rep, problems)
}

func (g *geoReader) position(raw json.RawMessage, line int) (Point, error) {
	var xs []float64
	if err := json.Unmarshal(raw, &xs); err != nil || len(xs) < 2 || len(xs) > 3 {
		return Point{}, g.fail(line, CodeValue, "a position is not [longitude, latitude] (or with an altitude)", err)
	}
	return Point{Lon: xs[0], Lat: xs[1]}, nil
}

func (g *geoReader) lineString(geom *gjGeometry, line int) (LineString, error) {
	if geom.Type != "LineString" {
		return nil, g.fail(line, CodeNotGeoJSON, "a segment's geometry is its route, a LineString, not "+quote(geom.Type), nil)
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(geom.Coordinates, &raw); err != nil {
		return nil, g.fail(line, CodeValue, "LineString coordinates are not a list of positions", err)
	}
	l := make(LineString, 0, len(raw))
	for _, r := range raw {
		p, err := g.position(r, line)
		if err != nil {
			return nil, err
		}
		l = append(l, p)
	}
	return l, nil
}

func (g *geoReader) polygon(geom *gjGeometry, line int, what string, nullable bool) (Polygon, error) {
	if geom == nil {
		if nullable {
			return nil, nil
		}
		return nil, g.fail(line, CodeNotGeoJSON, what+" needs a Polygon geometry", nil)
	}
	if geom.Type != "Polygon" {
		return nil, g.fail(line, CodeNotGeoJSON, what+": the geometry is a "+quote(geom.Type)+", not a Polygon", nil)
	}
	var rings [][]json.RawMessage
	if err := json.Unmarshal(geom.Coordinates, &rings); err != nil {
		return nil, g.fail(line, CodeValue, what+": Polygon coordinates are not a list of rings", err)
	}
	p := make(Polygon, 0, len(rings))
	for _, rr := range rings {
		r := make(Ring, 0, len(rr))
		for _, raw := range rr {
			pt, err := g.position(raw, line)
			if err != nil {
				return nil, err
			}
			r = append(r, pt)
		}
		p = append(p, r)
	}
	return p, nil
}
