package main

import (
	"git.dev.trmtracking.org/trm/directus/internal/catalog"
)

// The Phase 3 data model, as docs/data-model-phase3.md decides it. Its
// enumerations are lib/rules's values (types, qualifiers, scopes,
// operators, roundings, outcomes) and internal/catalog's statuses, with
// the catalog's labels and colours: the dropdowns offer exactly what the
// database's CHECKs allow and the processor reads and writes.
// This is a development tool's input: once the collections exist, the
// snapshot Directus writes (snapshots/schema.yaml) is the source of truth.

const (
	formulaTemplate  = "{{rule_key}} v{{version}} — {{type}} — above {{offence_min}}"
	startTemplate    = "{{start_position}}. #{{entry_id.race_number}} — {{segment_id.code}}"
	crossingTemplate = "{{ts}} — {{kind}}"
	penaltyTemplate  = "{{type}} — {{seconds}} s — {{status}}"
	resultTemplate   = "{{position_overall}}. #{{entry_id.race_number}} — {{total_seconds}} s — {{status}}"
	// On an entry's page: each penalty as the processor explained it; each
	// result by its stage. On a stage's page: the ranking.
	entryPenaltyTemplate = "{{status}} {{segment_id.code}} — {{seconds}} s — {{explanation}}"
	entryResultTemplate  = "{{status}} {{stage_id.code}} — {{position_overall}}. — total {{total_seconds}} s (elapsed {{elapsed_seconds}} s + penalties {{penalty_seconds}} s)"
	rankingTemplate      = "{{position_overall}}. #{{entry_id.race_number}} {{entry_id.class_id.code}} (class {{position_class}}.) — total {{total_seconds}} s = {{elapsed_seconds}} s + {{penalty_seconds}} s — {{status}}"
	entryTemplate        = "#{{race_number}}"
	segmentTemplate      = "{{stage_id.code}}/{{code}}"
	stageTemplate        = "{{code}} — {{name}}"
	userTemplate         = "{{first_name}} {{last_name}}"
	eventTemplate        = "{{name}}"
)

// keyPattern is lib/rules's rule key: lower-case letters and digits, with
// single separators - _ . between them (at most lib/rules.MaxRefLength
// bytes, the column's length).
const keyPattern = `^[a-z0-9]+([-_.][a-z0-9]+)*$`

// refLength is lib/rules.MaxRefLength: keys and references.
const refLength = 200

// choicesOf is a catalog enumeration as dropdown choices.
func choicesOf(e catalog.Enum) []choice {
	out := make([]choice, len(e.Choices))
	for i, c := range e.Choices {
		out[i] = choice{value: c.Value, text: c.Label, color: c.Color}
	}
	return out
}

// enumOf is the dropdown of a catalog enumeration: required with its
// default, or optional.
func enumOf(e catalog.Enum, note string) field {
	if e.Optional {
		return optionalEnum(e.Field, note, choicesOf(e))
	}
	var def any
	if e.Default != "" {
		def = e.Default
	}
	return enum(e.Field, note, def, choicesOf(e))
}

// timing is the navigation folder of Phase 3, after Phase 2's course.
var timing = folder{"timing", "Timing", "timer", "Rules, start lists, crossings, penalties and stage results: what timing reads and writes.", 4}

// phase2Collections must exist before this tool runs.
var phase2Collections = []string{"events", "entries", "classes", "stages", "segments", "geofences", "waypoints", "speed_limit_zones"}

// addedFields are the fields Phase 3 adds to earlier collections: the
// rulebook's marker and note on events, and the o2m lists that make an
// entry's timing one screen. sort continues after each collection's last
// field.
func addedFields() []struct {
	collection string
	sort       int
	fields     []field
} {
	placeholder := boolean("rules_placeholder", "The rulebook of this event is a placeholder: the supplementary regulations have not replaced it yet (trmctl rules import sets it from the file).")
	placeholder.label = "Rules are a placeholder"
	note := field{name: "rules_note", kind: "text", iface: "input-multiline", width: "full", label: "Rules note",
		note: "The rulebook's note (where its numbers come from); trmctl rules import writes it from the file."}
	return []struct {
		collection string
		sort       int
		fields     []field
	}{
		{"events", 12, []field{placeholder, note,
			o2mTable("penalty_formulas", formulaTemplate, "Every version of every rule of this event (trmctl rules import|export).",
				[]string{"rule_key", "version", "type", "qualifier", "offence_min", "offence_max", "operator", "penalty", "enabled"}, "rule_key"),
		}},
		{"entries", 9, []field{
			o2mTable("segment_starts", startTemplate, "Start position and target time per segment.",
				[]string{"segment_id", "start_position", "target_at", "manual_override"}, "target_at"),
			o2mTable("crossings", crossingTemplate, "What the processor recorded: geofences entered and left, waypoints validated.",
				[]string{"ts", "kind", "geofence_id", "waypoint_id"}, "ts"),
			o2mList("penalties", entryPenaltyTemplate, "How each penalty was computed, and its status. Open one to confirm, override (with a reason) or cancel it.", "occurred_at"),
			o2mList("results", entryResultTemplate, "This entry's result in each stage.", "stage_id"),
		}},
		{"stages", 14, []field{
			o2mList("results", rankingTemplate, "The stage ranking, by overall position; official once published.", "position_overall"),
		}},
		{"segments", 15, []field{
			o2mTable("starts", startTemplate, "The start list of this segment.",
				[]string{"start_position", "entry_id", "target_at", "manual_override"}, "start_position"),
		}},
	}
}

// readonly marks a field people read but never type: Directus or the
// trm-timing hook fills it.
func readonly(f field) field {
	f.readonly = true
	return f
}

func seconds(name, label, note string, required bool) field {
	f := integer(name, note, required)
	f.label = label
	return f
}

func dec(name, label, note string, required bool) field {
	f := decimal(name, label, note, "", 16, 6)
	f.required = required
	return f
}

func text(name, label, note string) field {
	return field{name: name, kind: "text", iface: "input-multiline", width: "full", note: note, label: label}
}

func jsonField(name, label, note string) field {
	return field{name: name, kind: "json", iface: "input-code", options: map[string]any{"language": "JSON"},
		width: "full", label: label, special: []string{"cast-json"}, required: true, note: note}
}

func user(name, label, note string) field {
	return readonly(m2o(name, "directus_users", userTemplate, label, note, false, relation{}))
}

// moment is a timestamp of timing, shown to the second on a 24-hour
// clock ("Jun 7, 08:02:04"): the admin UI's default display drops the
// seconds that timing is about.
func moment(name, label, note string) field {
	f := timestamp(name, note)
	f.label = label
	f.options = map[string]any{"includeSeconds": true, "use24": true}
	f.dispOpts = map[string]any{"format": "MMM d, HH:mm:ss"}
	return f
}

func when(name, label, note string) field { return readonly(moment(name, label, note)) }

// collections returns the Phase 3 collections in creation order: every
// collection after those its fields reference.
func collections() []collection {
	ref := func(name, label, note string, required bool) field {
		f := str(name, note, required, "half")
		f.label, f.maxLen = label, refLength
		return f
	}
	ruleKey := ref("rule_key", "Rule key", "Stable across versions, e.g. speeding or missed-wpm.", true)
	ruleKey.validate = regex("rule_key", keyPattern)
	ruleKey.validMsg = "Lower-case letters and digits, with single - _ . between them, e.g. speeding-moto."
	ruleKey.options = map[string]any{"trim": true, "font": "monospace"}
	version := integer("version", "1 for the first; a change is a new version (never an edit of a formula that priced penalties).", true)
	supersedes := integer("supersedes", "The version this one replaces: version − 1 (0 for the first).", true)
	supersedes.def = 0
	position := func(name, label, note string) field {
		f := integer(name, note, false)
		f.label = label
		return f
	}
	return []collection{
		{
			name: "penalty_formulas", icon: "gavel", displayTemplate: formulaTemplate, group: "timing", sort: 1, label: "Penalty formulas",
			note: "The event's rules as data: one row per bracket of each version of each rule. Import and export them with trmctl rules; a change is a new version.",
			fields: []field{
				idField(),
				m2o("event_id", "events", eventTemplate, "Event", "", true, relation{oneField: "penalty_formulas", deselect: "delete"}),
				ruleKey,
				version,
				supersedes,
				enumOf(catalog.RuleTypes(), "What the rule prices: the processor's evaluator."),
				enumOf(catalog.RuleQualifiers(), "The waypoint or control type, for missed waypoints and missed controls."),
				enumOf(catalog.RuleScopes(), "What the rule belongs to; the most specific rule that matches an offence prices it."),
				ref("belongs_to_id", "Belongs to", "The class, stage, segment or speed zone (its id), or the category (moto, quad, car, ssv, truck, foot); empty for the whole event.", false),
				ref("base", "Base rule", "A repeat rule's base: the key of the rule whose penalty it multiplies.", false),
				enumOf(catalog.RuleRepeatScopes(), "A repeat rule counts earlier offences in the event or in the stage."),
				boolean("contiguous", "The brackets leave no gap from the first up, the last open-ended."),
				dec("pulse_seconds", "Pulse every (s)", "Per pulse: a pulse every this many seconds…", false),
				dec("pulse_metres", "Pulse every (m)", "…or this many metres, whichever first.", false),
				dec("offence_min", "Above", "The bracket holds offences above this…", true),
				dec("offence_max", "Up to", "…up to and including this; empty: no upper bound.", false),
				enumOf(catalog.RuleOperators(), "How the bracket turns the offence into seconds (docs/rules-model.md)."),
				func() field {
					f := seconds("penalty", "Penalty (s)", "Seconds: once (flat), per unit (per unit over) or per pulse; 0 for a repeat multiplier.", true)
					f.def = 0
					return f
				}(),
				dec("per", "Per", "Per unit over: the unit (60 = per minute, 1 = per waypoint).", false),
				enumOf(catalog.RuleRounds(), "Per unit over: does a started unit count?"),
				dec("multiplier", "Multiplier", "Repeat multiplier: the factor on the base rule's penalty.", false),
				enumOf(catalog.RuleOutcomes(), "Besides the seconds: the stage is not finished, or the entry is out of the event."),
				boolean("retroactive", "This version re-prices offences priced with the version it supersedes."),
				func() field {
					f := boolean("enabled", "A disabled rule prices nothing; a retired rule is a disabled version.")
					f.def = true
					return f
				}(),
				text("note", "Note", "Where the numbers come from, e.g. the article of the regulations."),
				o2m("penalties", penaltyTemplate, "Penalties priced with this formula: while there are any, its numbers cannot change."),
			},
		},
		{
			name: "entry_segment_starts", icon: "sports_score", displayTemplate: startTemplate, group: "timing", sort: 2, label: "Segment starts",
			note: "Each entry's start position and target time per segment, made when a stage opens; timekeepers adjust target times.",
			fields: []field{
				idField(),
				m2o("entry_id", "entries", entryTemplate, "Entry", "", true, relation{oneField: "segment_starts", deselect: "delete"}),
				m2o("segment_id", "segments", segmentTemplate, "Segment", "", true, relation{oneField: "starts", deselect: "delete"}),
				func() field {
					f := position("start_position", "Start position", "1, 2, …: once per segment.")
					f.required = true
					return f
				}(),
				moment("target_at", "Target time", "When the entry is due at the segment's start."),
				boolean("manual_override", "The start was set by hand rather than by the stage's start order: say why."),
				text("override_reason", "Override reason", "Why the start was set by hand (required with a manual override)."),
				user("override_by", "Overridden by", "Who set it by hand (filled in from the session)."),
			},
		},
		{
			name: "entry_crossings", icon: "pin_drop", displayTemplate: crossingTemplate, group: "timing", sort: 3, label: "Crossings",
			note: "Written by the processor: when an entry entered or left a geofence, or validated a waypoint, and the position it came from.",
			fields: []field{
				idField(),
				m2o("entry_id", "entries", entryTemplate, "Entry", "", true, relation{oneField: "crossings", deselect: "delete"}),
				m2o("geofence_id", "geofences", "{{name}}", "Geofence", "The geofence crossed; empty for a waypoint.", false, relation{}),
				m2o("waypoint_id", "waypoints", "{{name}}", "Waypoint", "The waypoint validated; empty for a geofence.", false, relation{}),
				func() field {
					f := moment("ts", "Time", "When it happened.")
					f.required = true
					return f
				}(),
				enumOf(catalog.CrossingKinds(), ""),
				ref("position_device_id", "Position's device", "The device (IMEI) of the position it came from.", false),
				when("position_ts", "Position's time", "The time of the position it came from (positions.ts)."),
			},
		},
		{
			name: "entry_penalties", icon: "report", displayTemplate: penaltyTemplate, group: "timing", sort: 4, label: "Penalties",
			note: "Computed by the processor from the formulas, then confirmed, overridden (with a reason) or cancelled by the race director.",
			fields: []field{
				idField(),
				m2o("entry_id", "entries", entryTemplate, "Entry", "", true, relation{oneField: "penalties", deselect: "delete"}),
				m2o("segment_id", "segments", segmentTemplate, "Segment", "", true, relation{}),
				enumOf(catalog.PenaltyTypes(), ""),
				enumOf(catalog.PenaltyQualifiers(), ""),
				ref("offence_key", "Offence", "Which offence this is, as the processor names it (e.g. the zone and the time): one penalty per offence.", true),
				moment("occurred_at", "Occurred at", "When the offence happened."),
				m2o("formula_id", "penalty_formulas", formulaTemplate, "Formula", "The formula row (bracket) that priced it.", true, relation{oneField: "penalties"}),
				m2o("repeat_formula_id", "penalty_formulas", formulaTemplate, "Repeat formula", "The repeat rule's row that multiplied it, if any.", false, relation{}),
				jsonField("formula_snapshot", "Formula as used", "The formula's values when the penalty was priced: the penalty explains itself even after a new version."),
				jsonField("inputs", "Inputs", "What was measured: km/h over, pulses, repeat, count, seconds late…"),
				seconds("seconds", "Seconds", "The computed penalty.", true),
				enumOf(catalog.PenaltyOutcomes(), "Besides the seconds."),
				text("explanation", "Explanation", "How the seconds were computed, in one line."),
				enumOf(catalog.PenaltyStatuses(), "Computed by the processor (a recompute replaces it); confirmed, overridden or cancelled by a race director (a recompute keeps it)."),
				seconds("override_seconds", "Override (s)", "The seconds that apply instead (required when overridden).", false),
				text("override_reason", "Reason", "Why it was overridden or cancelled (required then)."),
				user("decided_by", "Decided by", "Who confirmed, overrode or cancelled it (filled in from the session)."),
				when("decided_at", "Decided at", ""),
			},
		},
		{
			name: "stage_results", icon: "leaderboard", displayTemplate: resultTemplate, group: "timing", sort: 5, label: "Stage results",
			note: "Per entry and stage: elapsed time, penalties, total and positions. Provisional while computed; official once published, then frozen until the stage is reopened.",
			fields: []field{
				idField(),
				m2o("entry_id", "entries", entryTemplate, "Entry", "", true, relation{oneField: "results", deselect: "delete"}),
				m2o("stage_id", "stages", stageTemplate, "Stage", "", true, relation{oneField: "results", deselect: "delete"}),
				seconds("elapsed_seconds", "Elapsed (s)", "Time taken; empty when the entry did not finish.", false),
				func() field {
					f := seconds("penalty_seconds", "Penalties (s)", "The sum of the applying penalties.", true)
					f.def = 0
					return f
				}(),
				seconds("total_seconds", "Total (s)", "Elapsed + penalties; empty when not classified.", false),
				position("position_overall", "Position", "Overall position in the stage; empty when not classified."),
				position("position_class", "Class position", "Position in the entry's class."),
				enumOf(catalog.ResultStatuses(), "Official results are published and frozen: reopening the stage (back to provisional, with a reason) is recorded with who did it."),
				user("published_by", "Published by", "Filled in from the session when the result becomes official."),
				when("published_at", "Published at", ""),
				text("reopen_reason", "Reopen reason", "Why the official result was reopened (required to reopen)."),
				user("reopened_by", "Reopened by", "Filled in from the session when an official result is reopened."),
				when("reopened_at", "Reopened at", ""),
			},
		},
	}
}
