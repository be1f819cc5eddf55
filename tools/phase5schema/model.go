package main

import "git.dev.trmtracking.org/trm/directus/tools/internal/schemaapi"

// The Phase 5 data model of control closing times, as
// docs/control-closing-times.md decides it. This is a development tool's
// input: once the collection exists, the snapshot Directus writes
// (snapshots/schema.yaml) is the source of truth.

const (
	closingTemplate  = "{{waypoint_id.name}} — closes {{closes_at}}"
	stageTemplate    = "{{code}} — {{name}}"
	waypointTemplate = "{{sort_order}}. {{name}} — {{type}}"
	entryTemplate    = "#{{race_number}}"
	startTemplate    = "{{start_position}}. #{{entry_id.race_number}} — {{segment_id.code}}"
)

// required must exist before this tool runs: the folder and what the
// collection refers to.
var required = []string{"timing", "stages", "waypoints", "entries", "entry_segment_starts"}

// moment is a computed timestamp, shown to the second on a 24-hour clock
// like timing's other times.
func moment(name, label, note string) schemaapi.Field {
	f := schemaapi.Timestamp(name, note)
	f.Label, f.Required, f.Readonly = label, true, true
	f.Options = map[string]any{"includeSeconds": true, "use24": true}
	f.DispOpts = map[string]any{"format": "MMM d, HH:mm:ss"}
	return f
}

func readonly(f schemaapi.Field) schemaapi.Field {
	f.Readonly = true
	return f
}

// collections returns the Phase 5 collections. Every row is computed by
// extensions/trm (closing-times): nobody types one, so every field is
// read-only in the admin UI and no policy grants a write.
func collections() []schemaapi.Collection {
	lateness := schemaapi.Integer("allowed_lateness_seconds", "The segment's allowed lateness when this was computed.", true)
	lateness.Label, lateness.Readonly = "Allowed lateness (s)", true
	waypoint := readonly(schemaapi.M2O("waypoint_id", "waypoints", waypointTemplate, "Control",
		"The time control (TC) or checkpoint (CP): one closing time per control.", true, schemaapi.Relation{OnDelete: "CASCADE"}))
	waypoint.Unique = true
	return []schemaapi.Collection{{
		Name: "control_closing_times", Icon: "lock_clock", DisplayTemplate: closingTemplate, Group: "timing", Sort: 6,
		Label: "Control closing times",
		Note:  "Computed, never typed: when each TC and CP of an open stage closes — the last starter's due time there plus the segment's allowed lateness. Recomputed whenever starts, the course or the stage's status change.",
		Fields: []schemaapi.Field{
			schemaapi.IDField(),
			readonly(schemaapi.M2O("stage_id", "stages", stageTemplate, "Stage", "", true, schemaapi.Relation{OnDelete: "CASCADE"})),
			waypoint,
			moment("closes_at", "Closes at", "The last starter's due time plus the allowed lateness: arriving later is out of time."),
			moment("due_at", "Last due at", "When the last starter is due at this control."),
			lateness,
			readonly(schemaapi.M2O("last_entry_id", "entries", entryTemplate, "Last starter", "The entry due last at this control.", false,
				schemaapi.Relation{OnDelete: "SET NULL"})),
			readonly(schemaapi.M2O("last_start_id", "entry_segment_starts", startTemplate, "Last starter's start",
				"The start the due time comes from; empty once that start is deleted, until the recompute.", false,
				schemaapi.Relation{OnDelete: "SET NULL"})),
			moment("computed_at", "Computed at", "When a recompute last changed this closing time."),
		},
	}}
}
