package course

import (
	"strconv"
	"time"
)

// Course is the course of one event: its stages in order and the geofences
// their segments use. Stages, segments and waypoints are kept in sort order
// by the decoders; Validate checks that sort orders are unique, not that the
// slices are sorted.
type Course struct {
	// Name is the event's name as the file gives it; informational (the
	// event is chosen by whoever imports the course).
	Name      string
	Stages    []*Stage
	Geofences []*Geofence
}

// Stage is one stage of the event (table stages).
type Stage struct {
	// ID is the database key when the course was read from the database;
	// the codecs neither read nor write it.
	ID string
	// Code identifies the stage within its event, e.g. "P" or "S1".
	Code      string
	Name      string
	SortOrder int
	Role      StageRole
	Status    StageStatus
	// StartsAt is the scheduled start of the first competitor; nil when not
	// known yet.
	StartsAt *time.Time
	// StartIntervalSeconds is the interval between two starters; nil when
	// not set.
	StartIntervalSeconds *int
	StartOrder           StartOrder
	Segments             []*Segment
	Src                  Source
}

// StartOrder is how the start order of a stage is made (columns
// start_order_strategy, start_order_strategy_params and
// start_order_input_stage_id).
type StartOrder struct {
	Strategy StartOrderStrategy
	Params   StartOrderParams
	// InputStage is the code of the stage whose result orders this one: an
	// earlier stage of the same event; empty for manual.
	InputStage string
}

// StartOrderParams are the parameters of a start-order strategy, stored as
// a JSON object ({"n": 10}, or {} when none).
type StartOrderParams struct {
	// N is how many of the input stage's best start in reverse order
	// (inverse_top_n_then_natural only; ≥ 1 there, 0 elsewhere).
	N int `json:"n,omitempty"`
}

// Segment is one part of a stage (table segments).
type Segment struct {
	ID string
	// Code identifies the segment within its stage, e.g. "L1", "SS1".
	Code      string
	Name      string
	SortOrder int
	Type      SegmentType
	// EntryGeofence and ExitGeofence name geofences of the course; empty
	// when the segment has none.
	EntryGeofence string
	ExitGeofence  string
	// TargetDurationSeconds is the ideal time of a liaison, or the length
	// of a neutralisation; nil when none.
	TargetDurationSeconds *int
	// AllowedLatenessSeconds is how late after its due time a competitor
	// may still reach the segment's exit control (common practice: 30 min);
	// nil when the event's rule applies.
	AllowedLatenessSeconds *int
	// LengthKm is the segment's length by the roadbook; nil when unknown.
	LengthKm *float64
	// Route is the roadbook track of the segment, for the map; nil when the
	// file has none.
	Route      LineString
	Waypoints  []*Waypoint
	SpeedZones []*SpeedZone
	Src        Source
}

// Waypoint is a point of a segment's roadbook (table waypoints).
type Waypoint struct {
	ID string
	// SortOrder is the order of validation within the segment.
	SortOrder int
	// Name identifies the waypoint within its segment, e.g. "WP12", "DSS".
	Name     string
	Type     WaypointType
	Location Point
	// OpenRadiusMeters and ToleranceMeters (the validation radius) are
	// stored with the waypoint; a file without them gets DefaultRadii.
	OpenRadiusMeters int
	ToleranceMeters  int
	// DistanceKm is the roadbook distance from the segment's start; nil
	// when the file gives none.
	DistanceKm *float64
	Notes      string
	Src        Source
}

// SpeedZone is a speed-limited zone of a segment (table speed_limit_zones):
// either an area, or the stretch from a DZ waypoint to an FZ waypoint of the
// same segment, never both.
type SpeedZone struct {
	ID       string
	Name     string
	LimitKmh int
	// Retroactive: editing the zone re-evaluates past positions.
	Retroactive bool
	// Area is the zone's polygon; nil for a DZ → FZ zone.
	Area Polygon
	// StartWaypoint and EndWaypoint name the DZ and FZ waypoints of the
	// segment; empty for an area zone.
	StartWaypoint string
	EndWaypoint   string
	Src           Source
}

// Geofence is an area of the event that competitors' positions are tested
// against (table geofences): starts, finishes and controls that segments
// use as their entry and exit.
type Geofence struct {
	ID string
	// Name identifies the geofence within its event.
	Name     string
	Kind     GeofenceKind
	Geometry Polygon
	// ManualVerification: a crossing needs a marshal's confirmation.
	ManualVerification bool
	// Retroactive: editing the geofence re-evaluates past positions.
	Retroactive bool
	Src         Source
}

// Source locates an element in the file it was read from. Zero when the
// course was built in code or read from a database.
type Source struct {
	File string
	Line int
}

// String is "file:line", "file", "line N" or "".
func (s Source) String() string {
	switch {
	case s.File != "" && s.Line > 0:
		return s.File + ":" + strconv.Itoa(s.Line)
	case s.File != "":
		return s.File
	case s.Line > 0:
		return "line " + strconv.Itoa(s.Line)
	}
	return ""
}

// Stage returns the stage with this code, or nil.
func (c *Course) Stage(code string) *Stage {
	for _, s := range c.Stages {
		if s.Code == code {
			return s
		}
	}
	return nil
}

// Geofence returns the geofence with this name, or nil.
func (c *Course) Geofence(name string) *Geofence {
	for _, g := range c.Geofences {
		if g.Name == name {
			return g
		}
	}
	return nil
}

// Segment returns the segment with this code, or nil.
func (s *Stage) Segment(code string) *Segment {
	for _, g := range s.Segments {
		if g.Code == code {
			return g
		}
	}
	return nil
}

// Waypoint returns the waypoint with this name, or nil.
func (s *Segment) Waypoint(name string) *Waypoint {
	for _, w := range s.Waypoints {
		if w.Name == name {
			return w
		}
	}
	return nil
}

// SpeedZone returns the zone with this name, or nil.
func (s *Segment) SpeedZone(name string) *SpeedZone {
	for _, z := range s.SpeedZones {
		if z.Name == name {
			return z
		}
	}
	return nil
}
