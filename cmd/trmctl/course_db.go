package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"git.dev.trmtracking.org/trm/directus/lib/course"
	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
)

// The course as Directus stores it: the rows of the event's stages,
// segments, geofences, waypoints and speed zones, read through the REST
// API and turned into a course.Course whose items carry their IDs.

// courseEvent is the event a course belongs to.
type courseEvent struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	Slug         string `json:"slug"`
	Organization struct {
		Slug string `json:"slug"`
		Name string `json:"name"`
	} `json:"organization_id"`
}

// findEvent resolves --event: an event slug, or ORGANISATION/SLUG when
// several organisations have an event of that slug.
func findEvent(ctx context.Context, c *directusctl.Client, ref string) (*courseEvent, error) {
	org, slug, scoped := strings.Cut(ref, "/")
	if !scoped {
		slug, org = org, ""
	}
	filter := map[string]any{"slug": map[string]any{"_eq": slug}}
	if scoped {
		filter["organization_id"] = map[string]any{"slug": map[string]any{"_eq": org}}
	}
	fb, _ := json.Marshal(filter)
	var found []courseEvent
	q := url.Values{"filter": {string(fb)}, "fields": {"id,name,slug,organization_id.slug,organization_id.name"}, "limit": {"10"}}
	if err := c.ListItems(ctx, "events", q, &found); err != nil {
		return nil, fmt.Errorf("look up event %s: %w", ref, explainAPIError(err))
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("no event %q in Directus at %s: check --event (an event's slug, or ORGANISATION/SLUG)", ref, c.BaseURL())
	case 1:
		return &found[0], nil
	}
	var which []string
	for _, e := range found {
		which = append(which, e.Organization.Slug+"/"+e.Slug)
	}
	return nil, fmt.Errorf("several organisations have an event %q: name one with --event %s", slug, strings.Join(which, " or --event "))
}

// geoJSON is a geometry as Directus reads and writes it.
type geoJSON struct {
	Type        string          `json:"type"`
	Coordinates json.RawMessage `json:"coordinates"`
}

func (g *geoJSON) point() (course.Point, error) {
	var xs []float64
	if g == nil || g.Type != "Point" || json.Unmarshal(g.Coordinates, &xs) != nil || len(xs) < 2 {
		return course.Point{}, errors.New("not a GeoJSON Point")
	}
	return course.Point{Lon: xs[0], Lat: xs[1]}, nil
}

func (g *geoJSON) lineString() (course.LineString, error) {
	if g == nil {
		return nil, nil
	}
	var xs [][]float64
	if g.Type != "LineString" || json.Unmarshal(g.Coordinates, &xs) != nil {
		return nil, errors.New("not a GeoJSON LineString")
	}
	l := make(course.LineString, len(xs))
	for i, p := range xs {
		if len(p) < 2 {
			return nil, errors.New("a LineString position without two numbers")
		}
		l[i] = course.Point{Lon: p[0], Lat: p[1]}
	}
	return l, nil
}

func (g *geoJSON) polygon() (course.Polygon, error) {
	if g == nil {
		return nil, nil
	}
	var xs [][][]float64
	if g.Type != "Polygon" || json.Unmarshal(g.Coordinates, &xs) != nil {
		return nil, errors.New("not a GeoJSON Polygon")
	}
	p := make(course.Polygon, len(xs))
	for i, r := range xs {
		p[i] = make(course.Ring, len(r))
		for j, q := range r {
			if len(q) < 2 {
				return nil, errors.New("a Polygon position without two numbers")
			}
			p[i][j] = course.Point{Lon: q[0], Lat: q[1]}
		}
	}
	return p, nil
}

func pointJSON(p course.Point) map[string]any {
	return map[string]any{"type": "Point", "coordinates": []float64{p.Lon, p.Lat}}
}

func lineJSON(l course.LineString) any {
	if l == nil {
		return nil
	}
	cs := make([][]float64, len(l))
	for i, p := range l {
		cs[i] = []float64{p.Lon, p.Lat}
	}
	return map[string]any{"type": "LineString", "coordinates": cs}
}

func polygonJSON(p course.Polygon) any {
	if p == nil {
		return nil
	}
	rings := make([][][]float64, len(p))
	for i, r := range p {
		rings[i] = make([][]float64, len(r))
		for j, q := range r {
			rings[i][j] = []float64{q.Lon, q.Lat}
		}
	}
	return map[string]any{"type": "Polygon", "coordinates": rings}
}

// decimalKm is a decimal column as Directus answers it: a JSON string
// ("34.200000") or a number, or null.
type decimalKm struct{ v *float64 }

func (d *decimalKm) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "null" || s == "" {
		d.v = nil
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("decimal %s: %w", b, err)
	}
	d.v = &f
	return nil
}

type stageRow struct {
	ID                       string          `json:"id"`
	Code                     string          `json:"code"`
	Name                     string          `json:"name"`
	SortOrder                int             `json:"sort_order"`
	Role                     string          `json:"role"`
	Status                   string          `json:"status"`
	StartsAt                 *time.Time      `json:"starts_at"`
	StartIntervalSeconds     *int            `json:"start_interval_seconds"`
	StartOrderStrategy       string          `json:"start_order_strategy"`
	StartOrderStrategyParams json.RawMessage `json:"start_order_strategy_params"`
	StartOrderInputStageID   *string         `json:"start_order_input_stage_id"`
}

type segmentRow struct {
	ID                     string    `json:"id"`
	StageID                string    `json:"stage_id"`
	Code                   string    `json:"code"`
	Name                   string    `json:"name"`
	SortOrder              int       `json:"sort_order"`
	Type                   string    `json:"type"`
	EntryGeofenceID        *string   `json:"entry_geofence_id"`
	ExitGeofenceID         *string   `json:"exit_geofence_id"`
	TargetDurationSeconds  *int      `json:"target_duration_seconds"`
	AllowedLatenessSeconds *int      `json:"allowed_lateness_seconds"`
	LengthKm               decimalKm `json:"length_km"`
	Route                  *geoJSON  `json:"route"`
}

type geofenceRow struct {
	ID                 string   `json:"id"`
	Name               string   `json:"name"`
	Kind               string   `json:"kind"`
	Geometry           *geoJSON `json:"geometry"`
	ManualVerification bool     `json:"manual_verification"`
	Retroactive        bool     `json:"retroactive"`
}

type waypointRow struct {
	ID               string    `json:"id"`
	SegmentID        string    `json:"segment_id"`
	SortOrder        int       `json:"sort_order"`
	Name             string    `json:"name"`
	Type             string    `json:"type"`
	Location         *geoJSON  `json:"location"`
	OpenRadiusMeters int       `json:"open_radius_meters"`
	ToleranceMeters  int       `json:"tolerance_meters"`
	DistanceKm       decimalKm `json:"distance_km"`
	Notes            *string   `json:"notes"`
}

type zoneRow struct {
	ID              string   `json:"id"`
	SegmentID       string   `json:"segment_id"`
	Name            string   `json:"name"`
	LimitKmh        int      `json:"limit_kmh"`
	Retroactive     bool     `json:"retroactive"`
	Area            *geoJSON `json:"area"`
	StartWaypointID *string  `json:"start_waypoint_id"`
	EndWaypointID   *string  `json:"end_waypoint_id"`
}

// readCourse reads the event's course. Items are in sort order; every one
// carries its ID.
func readCourse(ctx context.Context, c *directusctl.Client, ev *courseEvent) (*course.Course, error) {
	list := func(collection, fields string, filter map[string]any, sort string, out any) error {
		fb, _ := json.Marshal(filter)
		q := url.Values{"filter": {string(fb)}, "fields": {fields}, "limit": {"-1"}, "sort": {sort}}
		if err := c.ListItems(ctx, collection, q, out); err != nil {
			return fmt.Errorf("read %s of event %s: %w", collection, ev.Slug, explainAPIError(err))
		}
		return nil
	}
	eq := map[string]any{"_eq": ev.ID}
	var (
		stages    []stageRow
		segments  []segmentRow
		geofences []geofenceRow
		waypoints []waypointRow
		zones     []zoneRow
	)
	// The five reads are independent: in parallel, the slowest (the
	// segments' routes) sets the time.
	reads := []func() error{
		func() error {
			return list("stages", "id,code,name,sort_order,role,status,starts_at,start_interval_seconds,start_order_strategy,start_order_strategy_params,start_order_input_stage_id",
				map[string]any{"event_id": eq}, "sort_order,code", &stages)
		},
		func() error {
			return list("geofences", "id,name,kind,geometry,manual_verification,retroactive",
				map[string]any{"event_id": eq}, "name", &geofences)
		},
		func() error {
			return list("segments", "id,stage_id,code,name,sort_order,type,entry_geofence_id,exit_geofence_id,target_duration_seconds,allowed_lateness_seconds,length_km,route",
				map[string]any{"stage_id": map[string]any{"event_id": eq}}, "sort_order,code", &segments)
		},
		func() error {
			return list("waypoints", "id,segment_id,sort_order,name,type,location,open_radius_meters,tolerance_meters,distance_km,notes",
				map[string]any{"segment_id": map[string]any{"stage_id": map[string]any{"event_id": eq}}}, "sort_order,name", &waypoints)
		},
		func() error {
			return list("speed_limit_zones", "id,segment_id,name,limit_kmh,retroactive,area,start_waypoint_id,end_waypoint_id",
				map[string]any{"segment_id": map[string]any{"stage_id": map[string]any{"event_id": eq}}}, "name", &zones)
		},
	}
	errs := make([]error, len(reads))
	var wg sync.WaitGroup
	for i, read := range reads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = read()
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return assembleCourse(ev.Name, stages, segments, geofences, waypoints, zones)
}

// assembleCourse builds the course from its rows: parents by ID,
// references by name (as a file makes them).
func assembleCourse(name string, stages []stageRow, segments []segmentRow, geofences []geofenceRow, waypoints []waypointRow, zones []zoneRow) (*course.Course, error) {
	c := &course.Course{Name: name}
	bad := func(what, id string, err error) error {
		return fmt.Errorf("the stored course has a %s (%s) this tool cannot read: %v", what, id, err)
	}
	geofenceName := map[string]string{}
	for _, r := range geofences {
		poly, err := r.Geometry.polygon()
		if err != nil {
			return nil, bad("geofence", r.ID, err)
		}
		geofenceName[r.ID] = r.Name
		c.Geofences = append(c.Geofences, &course.Geofence{ID: r.ID, Name: r.Name, Kind: course.GeofenceKind(r.Kind),
			Geometry: poly, ManualVerification: r.ManualVerification, Retroactive: r.Retroactive})
	}
	stageByID := map[string]*course.Stage{}
	stageCode := map[string]string{}
	for _, r := range stages {
		stageCode[r.ID] = r.Code
	}
	for _, r := range stages {
		params, err := course.ParseStartOrderParams(r.StartOrderStrategyParams)
		if err != nil {
			return nil, bad("stage", r.Code, err)
		}
		s := &course.Stage{ID: r.ID, Code: r.Code, Name: r.Name, SortOrder: r.SortOrder, Role: course.StageRole(r.Role),
			Status: course.StageStatus(r.Status), StartIntervalSeconds: r.StartIntervalSeconds,
			StartOrder: course.StartOrder{Strategy: course.StartOrderStrategy(r.StartOrderStrategy), Params: params}}
		if r.StartsAt != nil {
			t := r.StartsAt.UTC()
			s.StartsAt = &t
		}
		if r.StartOrderInputStageID != nil {
			s.StartOrder.InputStage = stageCode[*r.StartOrderInputStageID]
		}
		stageByID[r.ID] = s
		c.Stages = append(c.Stages, s)
	}
	segByID := map[string]*course.Segment{}
	ref := func(id *string) string {
		if id == nil {
			return ""
		}
		return geofenceName[*id]
	}
	for _, r := range segments {
		s := stageByID[r.StageID]
		if s == nil {
			continue
		}
		route, err := r.Route.lineString()
		if err != nil {
			return nil, bad("segment", r.Code, err)
		}
		g := &course.Segment{ID: r.ID, Code: r.Code, Name: r.Name, SortOrder: r.SortOrder, Type: course.SegmentType(r.Type),
			EntryGeofence: ref(r.EntryGeofenceID), ExitGeofence: ref(r.ExitGeofenceID),
			TargetDurationSeconds: r.TargetDurationSeconds, AllowedLatenessSeconds: r.AllowedLatenessSeconds,
			LengthKm: r.LengthKm.v, Route: route}
		segByID[r.ID] = g
		s.Segments = append(s.Segments, g)
	}
	waypointName := map[string]string{}
	for _, r := range waypoints {
		g := segByID[r.SegmentID]
		if g == nil {
			continue
		}
		loc, err := r.Location.point()
		if err != nil {
			return nil, bad("waypoint", r.Name, err)
		}
		notes := ""
		if r.Notes != nil {
			notes = *r.Notes
		}
		waypointName[r.ID] = r.Name
		g.Waypoints = append(g.Waypoints, &course.Waypoint{ID: r.ID, SortOrder: r.SortOrder, Name: r.Name, Type: course.WaypointType(r.Type),
			Location: loc, OpenRadiusMeters: r.OpenRadiusMeters, ToleranceMeters: r.ToleranceMeters, DistanceKm: r.DistanceKm.v, Notes: notes})
	}
	for _, r := range zones {
		g := segByID[r.SegmentID]
		if g == nil {
			continue
		}
		area, err := r.Area.polygon()
		if err != nil {
			return nil, bad("speed zone", r.Name, err)
		}
		z := &course.SpeedZone{ID: r.ID, Name: r.Name, LimitKmh: r.LimitKmh, Retroactive: r.Retroactive, Area: area}
		if r.StartWaypointID != nil {
			z.StartWaypoint = waypointName[*r.StartWaypointID]
		}
		if r.EndWaypointID != nil {
			z.EndWaypoint = waypointName[*r.EndWaypointID]
		}
		g.SpeedZones = append(g.SpeedZones, z)
	}
	return c, nil
}

// sameFloat compares stored and file numbers: the database keeps
// distances to the millimetre (6 decimals of a km), and PostGIS writes
// coordinates with 15 decimals.
func sameFloat(a, b, tolerance float64) bool { return math.Abs(a-b) <= tolerance }

const (
	kmTolerance    = 5e-7 // half the last stored decimal of numeric(12,6)
	coordTolerance = 1e-9 // degrees: a tenth of a millimetre
)

func sameKm(a, b *float64) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return sameFloat(*a, *b, kmTolerance)
}

func samePoints(a, b []course.Point) bool {
	if len(a) != len(b) || (a == nil) != (b == nil) {
		return false
	}
	for i := range a {
		if !sameFloat(a[i].Lon, b[i].Lon, coordTolerance) || !sameFloat(a[i].Lat, b[i].Lat, coordTolerance) {
			return false
		}
	}
	return true
}

func samePolygon(a, b course.Polygon) bool {
	if len(a) != len(b) || (a == nil) != (b == nil) {
		return false
	}
	for i := range a {
		if !samePoints(a[i], b[i]) {
			return false
		}
	}
	return true
}
