package main

import (
	"git.dev.trmtracking.org/trm/directus/internal/catalog"
	"git.dev.trmtracking.org/trm/directus/lib/course"
	"git.dev.trmtracking.org/trm/directus/tools/internal/schemaapi"
)

// The Phase 2 data model, as docs/data-model-phase2.md decides it. Its
// enumerations are lib/course's, with its labels, as internal/catalog
// presents them (with their colours): the dropdowns offer exactly what the
// database's CHECKs allow and the processor reads.
// This is a development tool's input: once the collections exist, the
// snapshot Directus writes (snapshots/schema.yaml) is the source of truth.

const (
	stageTemplate    = "{{code}} — {{name}}"
	segmentTemplate  = "{{code}} — {{type}} — {{length_km}}"
	waypointTemplate = "{{sort_order}}. {{name}} — {{type}}"
	zoneTemplate     = "{{name}} — {{limit_kmh}} km/h"
	geofenceTemplate = "{{name}} — {{kind}}"
	eventTemplate    = "{{name}}"
)

// codePattern is lib/course's pattern of stage and segment codes.
const codePattern = `^[A-Za-z0-9][A-Za-z0-9_.-]*$`

// choicesOf is a catalog enumeration (lib/course's values and labels, the
// catalog's colours) as dropdown choices.
func choicesOf(e catalog.Enum) []choice {
	out := make([]choice, len(e.Choices))
	for i, c := range e.Choices {
		out[i] = choice{Value: c.Value, Text: c.Label, Color: c.Color}
	}
	return out
}

// courseEnum is the dropdown of a course enumeration, with its default.
func courseEnum(e catalog.Enum, note string) field {
	var def any
	if e.Default != "" {
		def = e.Default
	}
	return schemaapi.Enum(e.Field, note, def, choicesOf(e))
}

// folders group the navigation: the Phase 1 collections go into the first
// two, the Phase 2 ones into course; timing comes with Phase 3.
var folders = []folder{
	{Name: "organisation", Label: "Organisation", Icon: "corporate_fare", Note: "Clubs, their members, vehicles and trackers.", Sort: 1},
	{Name: "event", Label: "Event", Icon: "flag", Note: "Events, their classes and entries with crews and trackers.", Sort: 2},
	{Name: "course", Label: "Course", Icon: "route", Note: "The course of each event: stages, segments, waypoints, speed zones and geofences.", Sort: 3},
}

// phase1Groups places the Phase 1 collections in their folders, in the
// order the navigation lists them.
var phase1Groups = []struct {
	Collection, Group string
	Sort              int
}{
	{"organizations", "organisation", 1},
	{"organization_users", "organisation", 2},
	{"vehicles", "organisation", 3},
	{"organization_vehicles", "organisation", 4},
	{"devices", "organisation", 5},
	{"organization_devices", "organisation", 6},
	{"events", "event", 1},
	{"classes", "event", 2},
	{"entries", "event", 3},
	{"entry_crew", "event", 4},
	{"entry_devices", "event", 5},
}

// eventAliases are the o2m fields Phase 2 adds to events, after its
// Phase 1 fields.
func eventAliases() []field {
	return []field{
		schemaapi.O2M("stages", stageTemplate, "The stages of this event's course, in order."),
		schemaapi.O2M("geofences", geofenceTemplate, "Starts, finishes and controls of this event's course."),
	}
}

// collections returns the Phase 2 collections in creation order: every
// collection after those its fields reference.
func collections() []collection {
	code := func(note string) field {
		f := schemaapi.Str("code", note, true, "half")
		f.MaxLen = 32
		f.Options = map[string]any{"trim": true, "font": "monospace"}
		f.Validate = schemaapi.Regex("code", codePattern)
		f.ValidMsg = "Letters, digits, '.', '_' and '-', starting with a letter or digit, at most 32 characters, e.g. S1 or SS1."
		return f
	}
	sortOrder := func(note string) field {
		f := schemaapi.Integer("sort_order", note, true)
		f.Label = "Sort order"
		return f
	}
	params := field{Name: "start_order_strategy_params", Kind: "json", Iface: "input-code",
		Options: map[string]any{"language": "JSON", "template": `{"n": 10}`}, Width: "half", Label: "Start order parameters",
		Special: []string{"cast-json"},
		Note:    `{"n": 10} for "Top N reversed" (N ≥ 1: how many start in reverse order); empty for the other strategies.`}
	notes := field{Name: "notes", Kind: "text", Iface: "input-multiline", Width: "full", Note: "Roadbook notes (from the file's description).", Label: "Notes"}
	radius := func(name, label, note string) field {
		f := schemaapi.Integer(name, note, true)
		f.Label = label
		f.Options = map[string]any{"min": 1, "max": course.MaxRadius, "step": 10}
		return f
	}
	return []collection{
		{
			Name: "stages", Icon: "calendar_view_day", DisplayTemplate: stageTemplate, SortField: "sort_order",
			Group: "course", Sort: 1,
			Note: "The stages of an event (a prologue, the days of the rally), in order; each holds its segments.",
			Fields: []field{
				schemaapi.IDField(),
				schemaapi.M2O("event_id", "events", eventTemplate, "Event", "", true, relation{OneField: "stages", SortField: "sort_order", Deselect: "delete"}),
				code("Short code, unique in the event, e.g. P (prologue) or S1: course files name the stage by it."),
				schemaapi.Str("name", "e.g. Prologue Durrës, Stage 1 Tirana – Korçë.", true, "half"),
				sortOrder("Place in the event (1, 2, …); unique in the event."),
				courseEnum(catalog.StageRoles(), "Prologue: a short stage that sets the start order of stage 1. Marathon: without outside assistance."),
				courseEnum(catalog.StageStatuses(), "Draft → Published → Open (running) → Closed; opening a stage fixes its start order."),
				schemaapi.Timestamp("starts_at", "Scheduled start of the first competitor."),
				func() field {
					f := schemaapi.Integer("start_interval_seconds", "Seconds between two starters.", false)
					f.Label = "Start interval (s)"
					return f
				}(),
				courseEnum(catalog.StartOrderStrategies(), "How the start order is made: by hand, or from the result of an earlier stage."),
				params,
				schemaapi.M2O("start_order_input_stage_id", "stages", stageTemplate, "Start order from", "The earlier stage whose result orders this one; empty for a manual start order.", false, relation{}),
				schemaapi.O2M("segments", segmentTemplate, "Liaisons, specials and neutralisations, in order."),
			},
		},
		{
			Name: "geofences", Icon: "fence", DisplayTemplate: geofenceTemplate, Group: "course", Sort: 5,
			Note: "Areas of the event that positions are tested against: starts, finishes, controls. Segments enter and exit by them.",
			Fields: []field{
				schemaapi.IDField(),
				schemaapi.M2O("event_id", "events", eventTemplate, "Event", "", true, relation{OneField: "geofences", Deselect: "delete"}),
				schemaapi.Str("name", "Unique in the event, e.g. S1 DSS.", true, "half"),
				courseEnum(catalog.GeofenceKinds(), ""),
				geometry("geometry", "Polygon", "The area (WGS 84). A control imported from a roadbook is a 32-sided polygon around its validation radius.", true),
				schemaapi.Boolean("manual_verification", "A crossing needs a marshal's confirmation."),
				schemaapi.Boolean("retroactive", "Changing this geofence re-evaluates past positions."),
			},
		},
		{
			Name: "segments", Icon: "route", DisplayTemplate: segmentTemplate, SortField: "sort_order", Group: "course", Sort: 2,
			Note: "The parts of a stage in order: liaisons (to an ideal time), specials (timed, DSS to ASS), neutralisations, parc fermé.",
			Fields: []field{
				schemaapi.IDField(),
				schemaapi.M2O("stage_id", "stages", stageTemplate, "Stage", "", true, relation{OneField: "segments", SortField: "sort_order", Deselect: "delete", OnDelete: "CASCADE"}),
				code("Short code, unique in the stage, e.g. L1, SS1."),
				schemaapi.Str("name", "", true, "half"),
				sortOrder("Place in the stage (1, 2, …); unique in the stage."),
				courseEnum(catalog.SegmentTypes(), ""),
				schemaapi.M2O("entry_geofence_id", "geofences", geofenceTemplate, "Entry geofence", "Where the segment starts (e.g. its DSS or time control).", false, relation{}),
				schemaapi.M2O("exit_geofence_id", "geofences", geofenceTemplate, "Exit geofence", "Where the segment ends (e.g. its ASS or time control).", false, relation{}),
				func() field {
					f := schemaapi.Integer("target_duration_seconds", "Ideal time of a liaison, or length of a neutralisation, in seconds.", false)
					f.Label = "Target duration (s)"
					return f
				}(),
				func() field {
					f := schemaapi.Integer("allowed_lateness_seconds", "How late after its due time a competitor may reach the exit control, in seconds (common practice 1800 = 30 min); empty: the event's rule.", false)
					f.Label = "Allowed lateness (s)"
					return f
				}(),
				schemaapi.Decimal("length_km", "Length (km)", "Length by the roadbook.", " km", 12, 6),
				geometry("route", "LineString", "The roadbook track, for the map.", false),
				schemaapi.O2M("waypoints", waypointTemplate, "Validated in this order."),
				schemaapi.O2M("speed_limit_zones", zoneTemplate, "Speed-limited zones: a DZ → FZ pair of this segment's waypoints, or an area."),
			},
		},
		{
			Name: "waypoints", Icon: "where_to_vote", DisplayTemplate: waypointTemplate, SortField: "sort_order", Group: "course", Sort: 3,
			Note: "The points of a segment's roadbook, validated in order: navigation waypoints (WPx), controls, DSS/ASS, DZ/FZ.",
			Fields: []field{
				schemaapi.IDField(),
				schemaapi.M2O("segment_id", "segments", segmentTemplate, "Segment", "", true, relation{OneField: "waypoints", SortField: "sort_order", Deselect: "delete", OnDelete: "CASCADE"}),
				sortOrder("Order of validation in the segment (1, 2, …); unique in the segment."),
				schemaapi.Str("name", "Unique in the segment, e.g. WP12, DSS, CP1.", true, "half"),
				courseEnum(catalog.WaypointTypes(), ""),
				geometry("location", "Point", "", true),
				radius("open_radius_meters", "Open radius (m)", "From here the navigation instrument guides to the waypoint (OpenRally open)."),
				radius("tolerance_meters", "Validation radius (m)", "Passing within it validates the waypoint (OpenRally clear); not larger than the open radius."),
				schemaapi.Decimal("distance_km", "Roadbook distance (km)", "From the start of the segment.", " km", 12, 6),
				notes,
			},
		},
		{
			Name: "speed_limit_zones", Icon: "speed", DisplayTemplate: zoneTemplate, Group: "course", Sort: 4, Label: "Speed zones",
			Note: "Speed-limited zones of a segment: from a DZ waypoint to an FZ waypoint, or an area. Speeding costs penalties (Phase 3).",
			Fields: []field{
				schemaapi.IDField(),
				schemaapi.M2O("segment_id", "segments", segmentTemplate, "Segment", "", true, relation{OneField: "speed_limit_zones", Deselect: "delete", OnDelete: "CASCADE"}),
				schemaapi.Str("name", "Unique in the segment, e.g. DZ1–FZ1 or Kukës.", true, "half"),
				func() field {
					f := schemaapi.Integer("limit_kmh", "", true)
					f.Label = "Limit (km/h)"
					f.Options = map[string]any{"min": 1, "max": course.MaxLimitKmh}
					return f
				}(),
				schemaapi.Boolean("retroactive", "Changing this zone re-evaluates past positions."),
				geometry("area", "Polygon", "An area zone's polygon; empty for a DZ → FZ zone.", false),
				schemaapi.M2O("start_waypoint_id", "waypoints", "{{name}}", "DZ (start)", "A DZ waypoint of this segment; empty for an area zone.", false, relation{OnDelete: "CASCADE"}),
				schemaapi.M2O("end_waypoint_id", "waypoints", "{{name}}", "FZ (end)", "An FZ waypoint of this segment after the DZ; empty for an area zone.", false, relation{OnDelete: "CASCADE"}),
			},
		},
	}
}
