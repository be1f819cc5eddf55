package main

import (
	"git.dev.trmtracking.org/trm/directus/internal/catalog"
	"git.dev.trmtracking.org/trm/directus/lib/course"
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
		out[i] = choice{value: c.Value, text: c.Label, color: c.Color}
	}
	return out
}

// courseEnum is the dropdown of a course enumeration, with its default.
func courseEnum(e catalog.Enum, note string) field {
	var def any
	if e.Default != "" {
		def = e.Default
	}
	return enum(e.Field, note, def, choicesOf(e))
}

// folders group the navigation: the Phase 1 collections go into the first
// two, the Phase 2 ones into course; timing comes with Phase 3.
var folders = []folder{
	{"organisation", "Organisation", "corporate_fare", "Clubs, their members, vehicles and trackers.", 1},
	{"event", "Event", "flag", "Events, their classes and entries with crews and trackers.", 2},
	{"course", "Course", "route", "The course of each event: stages, segments, waypoints, speed zones and geofences.", 3},
}

// phase1Groups places the Phase 1 collections in their folders, in the
// order the navigation lists them.
var phase1Groups = []struct {
	collection, group string
	sort              int
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
		o2m("stages", stageTemplate, "The stages of this event's course, in order."),
		o2m("geofences", geofenceTemplate, "Starts, finishes and controls of this event's course."),
	}
}

// collections returns the Phase 2 collections in creation order: every
// collection after those its fields reference.
func collections() []collection {
	code := func(note string) field {
		f := str("code", note, true, "half")
		f.maxLen = 32
		f.options = map[string]any{"trim": true, "font": "monospace"}
		f.validate = regex("code", codePattern)
		f.validMsg = "Letters, digits, '.', '_' and '-', starting with a letter or digit, at most 32 characters, e.g. S1 or SS1."
		return f
	}
	sortOrder := func(note string) field {
		f := integer("sort_order", note, true)
		f.label = "Sort order"
		return f
	}
	params := field{name: "start_order_strategy_params", kind: "json", iface: "input-code",
		options: map[string]any{"language": "JSON", "template": `{"n": 10}`}, width: "half", label: "Start order parameters",
		special: []string{"cast-json"},
		note:    `{"n": 10} for "Top N reversed" (N ≥ 1: how many start in reverse order); empty for the other strategies.`}
	notes := field{name: "notes", kind: "text", iface: "input-multiline", width: "full", note: "Roadbook notes (from the file's description).", label: "Notes"}
	radius := func(name, label, note string) field {
		f := integer(name, note, true)
		f.label = label
		f.options = map[string]any{"min": 1, "max": course.MaxRadius, "step": 10}
		return f
	}
	return []collection{
		{
			name: "stages", icon: "calendar_view_day", displayTemplate: stageTemplate, sortField: "sort_order",
			group: "course", sort: 1,
			note: "The stages of an event (a prologue, the days of the rally), in order; each holds its segments.",
			fields: []field{
				idField(),
				m2o("event_id", "events", eventTemplate, "Event", "", true, relation{oneField: "stages", sortField: "sort_order", deselect: "delete"}),
				code("Short code, unique in the event, e.g. P (prologue) or S1: course files name the stage by it."),
				str("name", "e.g. Prologue Durrës, Stage 1 Tirana – Korçë.", true, "half"),
				sortOrder("Place in the event (1, 2, …); unique in the event."),
				courseEnum(catalog.StageRoles(), "Prologue: a short stage that sets the start order of stage 1. Marathon: without outside assistance."),
				courseEnum(catalog.StageStatuses(), "Draft → Published → Open (running) → Closed; opening a stage fixes its start order."),
				timestamp("starts_at", "Scheduled start of the first competitor."),
				func() field {
					f := integer("start_interval_seconds", "Seconds between two starters.", false)
					f.label = "Start interval (s)"
					return f
				}(),
				courseEnum(catalog.StartOrderStrategies(), "How the start order is made: by hand, or from the result of an earlier stage."),
				params,
				m2o("start_order_input_stage_id", "stages", stageTemplate, "Start order from", "The earlier stage whose result orders this one; empty for a manual start order.", false, relation{}),
				o2m("segments", segmentTemplate, "Liaisons, specials and neutralisations, in order."),
			},
		},
		{
			name: "geofences", icon: "fence", displayTemplate: geofenceTemplate, group: "course", sort: 5,
			note: "Areas of the event that positions are tested against: starts, finishes, controls. Segments enter and exit by them.",
			fields: []field{
				idField(),
				m2o("event_id", "events", eventTemplate, "Event", "", true, relation{oneField: "geofences", deselect: "delete"}),
				str("name", "Unique in the event, e.g. S1 DSS.", true, "half"),
				courseEnum(catalog.GeofenceKinds(), ""),
				geometry("geometry", "Polygon", "The area (WGS 84). A control imported from a roadbook is a 32-sided polygon around its validation radius.", true),
				boolean("manual_verification", "A crossing needs a marshal's confirmation."),
				boolean("retroactive", "Changing this geofence re-evaluates past positions."),
			},
		},
		{
			name: "segments", icon: "route", displayTemplate: segmentTemplate, sortField: "sort_order", group: "course", sort: 2,
			note: "The parts of a stage in order: liaisons (to an ideal time), specials (timed, DSS to ASS), neutralisations, parc fermé.",
			fields: []field{
				idField(),
				m2o("stage_id", "stages", stageTemplate, "Stage", "", true, relation{oneField: "segments", sortField: "sort_order", deselect: "delete", onDelete: "CASCADE"}),
				code("Short code, unique in the stage, e.g. L1, SS1."),
				str("name", "", true, "half"),
				sortOrder("Place in the stage (1, 2, …); unique in the stage."),
				courseEnum(catalog.SegmentTypes(), ""),
				m2o("entry_geofence_id", "geofences", geofenceTemplate, "Entry geofence", "Where the segment starts (e.g. its DSS or time control).", false, relation{}),
				m2o("exit_geofence_id", "geofences", geofenceTemplate, "Exit geofence", "Where the segment ends (e.g. its ASS or time control).", false, relation{}),
				func() field {
					f := integer("target_duration_seconds", "Ideal time of a liaison, or length of a neutralisation, in seconds.", false)
					f.label = "Target duration (s)"
					return f
				}(),
				func() field {
					f := integer("allowed_lateness_seconds", "How late after its due time a competitor may reach the exit control, in seconds (common practice 1800 = 30 min); empty: the event's rule.", false)
					f.label = "Allowed lateness (s)"
					return f
				}(),
				decimal("length_km", "Length (km)", "Length by the roadbook.", " km", 12, 6),
				geometry("route", "LineString", "The roadbook track, for the map.", false),
				o2m("waypoints", waypointTemplate, "Validated in this order."),
				o2m("speed_limit_zones", zoneTemplate, "Speed-limited zones: a DZ → FZ pair of this segment's waypoints, or an area."),
			},
		},
		{
			name: "waypoints", icon: "where_to_vote", displayTemplate: waypointTemplate, sortField: "sort_order", group: "course", sort: 3,
			note: "The points of a segment's roadbook, validated in order: navigation waypoints (WPx), controls, DSS/ASS, DZ/FZ.",
			fields: []field{
				idField(),
				m2o("segment_id", "segments", segmentTemplate, "Segment", "", true, relation{oneField: "waypoints", sortField: "sort_order", deselect: "delete", onDelete: "CASCADE"}),
				sortOrder("Order of validation in the segment (1, 2, …); unique in the segment."),
				str("name", "Unique in the segment, e.g. WP12, DSS, CP1.", true, "half"),
				courseEnum(catalog.WaypointTypes(), ""),
				geometry("location", "Point", "", true),
				radius("open_radius_meters", "Open radius (m)", "From here the navigation instrument guides to the waypoint (OpenRally open)."),
				radius("tolerance_meters", "Validation radius (m)", "Passing within it validates the waypoint (OpenRally clear); not larger than the open radius."),
				decimal("distance_km", "Roadbook distance (km)", "From the start of the segment.", " km", 12, 6),
				notes,
			},
		},
		{
			name: "speed_limit_zones", icon: "speed", displayTemplate: zoneTemplate, group: "course", sort: 4, label: "Speed zones",
			note: "Speed-limited zones of a segment: from a DZ waypoint to an FZ waypoint, or an area. Speeding costs penalties (Phase 3).",
			fields: []field{
				idField(),
				m2o("segment_id", "segments", segmentTemplate, "Segment", "", true, relation{oneField: "speed_limit_zones", deselect: "delete", onDelete: "CASCADE"}),
				str("name", "Unique in the segment, e.g. DZ1–FZ1 or Kukës.", true, "half"),
				func() field {
					f := integer("limit_kmh", "", true)
					f.label = "Limit (km/h)"
					f.options = map[string]any{"min": 1, "max": course.MaxLimitKmh}
					return f
				}(),
				boolean("retroactive", "Changing this zone re-evaluates past positions."),
				geometry("area", "Polygon", "An area zone's polygon; empty for a DZ → FZ zone.", false),
				m2o("start_waypoint_id", "waypoints", "{{name}}", "DZ (start)", "A DZ waypoint of this segment; empty for an area zone.", false, relation{onDelete: "CASCADE"}),
				m2o("end_waypoint_id", "waypoints", "{{name}}", "FZ (end)", "An FZ waypoint of this segment after the DZ; empty for an area zone.", false, relation{onDelete: "CASCADE"}),
			},
		},
	}
}
