package main

import (
	"git.dev.trmtracking.org/trm/directus/internal/catalog"
	"git.dev.trmtracking.org/trm/directus/tools/internal/schemaapi"
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
		out[i] = choice{Value: c.Value, Text: c.Label, Color: c.Color}
	}
	return out
}

// enumOf is the dropdown of a catalog enumeration: required with its
// default, or optional.
func enumOf(e catalog.Enum, note string) field {
	if e.Optional {
		return schemaapi.OptionalEnum(e.Field, note, choicesOf(e))
	}
	var def any
	if e.Default != "" {
		def = e.Default
	}
	return schemaapi.Enum(e.Field, note, def, choicesOf(e))
}

// timing is the navigation folder of Phase 3, after Phase 2's course.
var timing = folder{Name: "timing", Label: "Timing", Icon: "timer", Note: "Rules, start lists, crossings, penalties and stage results: what timing reads and writes.", Sort: 4}

// phase2Collections must exist before this tool runs.
var phase2Collections = []string{"events", "entries", "classes", "stages", "segments", "geofences", "waypoints", "speed_limit_zones"}

// addedFields are the fields Phase 3 adds to earlier collections: the
// rulebook's marker and note on events, and the o2m lists that make an
// entry's timing one screen. sort continues after each collection's last
// field.
func addedFields() []struct {
	Collection string
	Sort       int
	Fields     []field
} {
	placeholder := schemaapi.Boolean("rules_placeholder", "The rulebook of this event is a placeholder: the supplementary regulations have not replaced it yet (trmctl rules import sets it from the file).")
	placeholder.Label = "Rules are a placeholder"
	note := field{Name: "rules_note", Kind: "text", Iface: "input-multiline", Width: "full", Label: "Rules note",
		Note: "The rulebook's note (where its numbers come from); trmctl rules import writes it from the file."}
	return []struct {
		Collection string
		Sort       int
		Fields     []field
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
// timing hook of extensions/trm fills it.
func readonly(f field) field {
	f.Readonly = true
	return f
}

func seconds(name, label, note string, required bool) field {
	f := schemaapi.Integer(name, note, required)
	f.Label = label
	return f
}

func dec(name, label, note string, required bool) field {
	f := schemaapi.Decimal(name, label, note, "", 16, 6)
	f.Required = required
	return f
}

func text(name, label, note string) field {
	return field{Name: name, Kind: "text", Iface: "input-multiline", Width: "full", Note: note, Label: label}
}

func jsonField(name, label, note string) field {
	return field{Name: name, Kind: "json", Iface: "input-code", Options: map[string]any{"language": "JSON"},
		Width: "full", Label: label, Special: []string{"cast-json"}, Required: true, Note: note}
}

func user(name, label, note string) field {
	return readonly(schemaapi.M2O(name, "directus_users", userTemplate, label, note, false, relation{}))
}

// moment is a timestamp of timing, shown to the second on a 24-hour
// clock ("Jun 7, 08:02:04"): the admin UI's default display drops the
// seconds that timing is about.
func moment(name, label, note string) field {
	f := schemaapi.Timestamp(name, note)
	f.Label = label
	f.Options = map[string]any{"includeSeconds": true, "use24": true}
	f.DispOpts = map[string]any{"format": "MMM d, HH:mm:ss"}
	return f
}

func when(name, label, note string) field { return readonly(moment(name, label, note)) }

// collections returns the Phase 3 collections in creation order: every
// collection after those its fields reference.
func collections() []collection {
	ref := func(name, label, note string, required bool) field {
		f := schemaapi.Str(name, note, required, "half")
		f.Label, f.MaxLen = label, refLength
		return f
	}
	ruleKey := ref("rule_key", "Rule key", "Stable across versions, e.g. speeding or missed-wpm.", true)
	ruleKey.Validate = schemaapi.Regex("rule_key", keyPattern)
	ruleKey.ValidMsg = "Lower-case letters and digits, with single - _ . between them, e.g. speeding-moto."
	ruleKey.Options = map[string]any{"trim": true, "font": "monospace"}
	version := schemaapi.Integer("version", "1 for the first; a change is a new version (never an edit of a formula that priced penalties).", true)
	supersedes := schemaapi.Integer("supersedes", "The version this one replaces: version − 1 (0 for the first).", true)
	supersedes.Def = 0
	position := func(name, label, note string) field {
		f := schemaapi.Integer(name, note, false)
		f.Label = label
		return f
	}
	return []collection{
		{
			Name: "penalty_formulas", Icon: "gavel", DisplayTemplate: formulaTemplate, Group: "timing", Sort: 1, Label: "Penalty formulas",
			Note: "The event's rules as data: one row per bracket of each version of each rule. Import and export them with trmctl rules; a change is a new version.",
			Fields: []field{
				schemaapi.IDField(),
				schemaapi.M2O("event_id", "events", eventTemplate, "Event", "", true, relation{OneField: "penalty_formulas", Deselect: "delete"}),
				ruleKey,
				version,
				supersedes,
				enumOf(catalog.RuleTypes(), "What the rule prices: the processor's evaluator."),
				enumOf(catalog.RuleQualifiers(), "The waypoint or control type, for missed waypoints and missed controls."),
				enumOf(catalog.RuleScopes(), "What the rule belongs to; the most specific rule that matches an offence prices it."),
				ref("belongs_to_id", "Belongs to", "The class, stage, segment or speed zone (its id), or the category (moto, quad, car, ssv, truck, foot); empty for the whole event.", false),
				ref("base", "Base rule", "A repeat rule's base: the key of the rule whose penalty it multiplies.", false),
				enumOf(catalog.RuleRepeatScopes(), "A repeat rule counts earlier offences in the event or in the stage."),
				schemaapi.Boolean("contiguous", "The brackets leave no gap from the first up, the last open-ended."),
				dec("pulse_seconds", "Pulse every (s)", "Per pulse: a pulse every this many seconds…", false),
				dec("pulse_metres", "Pulse every (m)", "…or this many metres, whichever first.", false),
				dec("offence_min", "Above", "The bracket holds offences above this…", true),
				dec("offence_max", "Up to", "…up to and including this; empty: no upper bound.", false),
				enumOf(catalog.RuleOperators(), "How the bracket turns the offence into seconds (docs/rules-model.md)."),
				func() field {
					f := seconds("penalty", "Penalty (s)", "Seconds: once (flat), per unit (per unit over) or per pulse; 0 for a repeat multiplier.", true)
					f.Def = 0
					return f
				}(),
				dec("per", "Per", "Per unit over: the unit (60 = per minute, 1 = per waypoint).", false),
				enumOf(catalog.RuleRounds(), "Per unit over: does a started unit count?"),
				dec("multiplier", "Multiplier", "Repeat multiplier: the factor on the base rule's penalty.", false),
				enumOf(catalog.RuleOutcomes(), "Besides the seconds: the stage is not finished, or the entry is out of the event."),
				schemaapi.Boolean("retroactive", "This version re-prices offences priced with the version it supersedes."),
				func() field {
					f := schemaapi.Boolean("enabled", "A disabled rule prices nothing; a retired rule is a disabled version.")
					f.Def = true
					return f
				}(),
				text("note", "Note", "Where the numbers come from, e.g. the article of the regulations."),
				schemaapi.O2M("penalties", penaltyTemplate, "Penalties priced with this formula: while there are any, its numbers cannot change."),
			},
		},
		{
			Name: "entry_segment_starts", Icon: "sports_score", DisplayTemplate: startTemplate, Group: "timing", Sort: 2, Label: "Segment starts",
			Note: "Each entry's start position and target time per segment, made when a stage opens; timekeepers adjust target times.",
			Fields: []field{
				schemaapi.IDField(),
				schemaapi.M2O("entry_id", "entries", entryTemplate, "Entry", "", true, relation{OneField: "segment_starts", Deselect: "delete"}),
				schemaapi.M2O("segment_id", "segments", segmentTemplate, "Segment", "", true, relation{OneField: "starts", Deselect: "delete"}),
				func() field {
					f := position("start_position", "Start position", "1, 2, …: once per segment.")
					f.Required = true
					return f
				}(),
				moment("target_at", "Target time", "When the entry is due at the segment's start."),
				schemaapi.Boolean("manual_override", "The start was set by hand rather than by the stage's start order: say why."),
				text("override_reason", "Override reason", "Why the start was set by hand (required with a manual override)."),
				user("override_by", "Overridden by", "Who set it by hand (filled in from the session)."),
			},
		},
		{
			Name: "entry_crossings", Icon: "pin_drop", DisplayTemplate: crossingTemplate, Group: "timing", Sort: 3, Label: "Crossings",
			Note: "Written by the processor: when an entry entered or left a geofence, or validated a waypoint, and the position it came from.",
			Fields: []field{
				schemaapi.IDField(),
				schemaapi.M2O("entry_id", "entries", entryTemplate, "Entry", "", true, relation{OneField: "crossings", Deselect: "delete"}),
				schemaapi.M2O("geofence_id", "geofences", "{{name}}", "Geofence", "The geofence crossed; empty for a waypoint.", false, relation{}),
				schemaapi.M2O("waypoint_id", "waypoints", "{{name}}", "Waypoint", "The waypoint validated; empty for a geofence.", false, relation{}),
				func() field {
					f := moment("ts", "Time", "When it happened.")
					f.Required = true
					return f
				}(),
				enumOf(catalog.CrossingKinds(), ""),
				ref("position_device_id", "Position's device", "The device (IMEI) of the position it came from.", false),
				when("position_ts", "Position's time", "The time of the position it came from (positions.ts)."),
			},
		},
		{
			Name: "entry_penalties", Icon: "report", DisplayTemplate: penaltyTemplate, Group: "timing", Sort: 4, Label: "Penalties",
			Note: "Computed by the processor from the formulas, then confirmed, overridden (with a reason) or cancelled by the race director.",
			Fields: []field{
				schemaapi.IDField(),
				schemaapi.M2O("entry_id", "entries", entryTemplate, "Entry", "", true, relation{OneField: "penalties", Deselect: "delete"}),
				schemaapi.M2O("segment_id", "segments", segmentTemplate, "Segment", "", true, relation{}),
				enumOf(catalog.PenaltyTypes(), ""),
				enumOf(catalog.PenaltyQualifiers(), ""),
				ref("offence_key", "Offence", "Which offence this is, as the processor names it (e.g. the zone and the time): one penalty per offence.", true),
				moment("occurred_at", "Occurred at", "When the offence happened."),
				schemaapi.M2O("formula_id", "penalty_formulas", formulaTemplate, "Formula", "The formula row (bracket) that priced it.", true, relation{OneField: "penalties"}),
				schemaapi.M2O("repeat_formula_id", "penalty_formulas", formulaTemplate, "Repeat formula", "The repeat rule's row that multiplied it, if any.", false, relation{}),
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
			Name: "stage_results", Icon: "leaderboard", DisplayTemplate: resultTemplate, Group: "timing", Sort: 5, Label: "Stage results",
			Note: "Per entry and stage: elapsed time, penalties, total and positions. Provisional while computed; official once published, then frozen until the stage is reopened.",
			Fields: []field{
				schemaapi.IDField(),
				schemaapi.M2O("entry_id", "entries", entryTemplate, "Entry", "", true, relation{OneField: "results", Deselect: "delete"}),
				schemaapi.M2O("stage_id", "stages", stageTemplate, "Stage", "", true, relation{OneField: "results", Deselect: "delete"}),
				seconds("elapsed_seconds", "Elapsed (s)", "Time taken; empty when the entry did not finish.", false),
				func() field {
					f := seconds("penalty_seconds", "Penalties (s)", "The sum of the applying penalties.", true)
					f.Def = 0
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
