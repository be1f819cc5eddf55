// Package rules holds an event's penalty rules as data, checks them, and
// defines the arithmetic that turns an offence into seconds. Numbers live
// in the database (the penalty_formulas table) and in rulebook files; the
// maths lives here, once: the processor's evaluators measure offences and
// call [Evaluate], so that a stored row means one thing, and a penalty is
// always explainable from the rows it was priced with.
//
// # Model
//
// A [Rulebook] is one event's rules. A [Rule] has a stable key, a version,
// a [Type] (the processor's evaluator key), a qualifier where the type
// takes one, a [Scope] (what it belongs to) and [Bracket]s. In the
// database each bracket of each rule version is one row, a [Formula], with
// the rule's fields repeated; [Rule.Formulas] and [RulesFromFormulas]
// convert.
//
//	file (rulebook)       Go                     penalty_formulas column
//	event                 Rulebook.Event         event
//	key                   Rule.Key               rule_key
//	version               Rule.Version           version (+ supersedes = version-1)
//	type                  Rule.Type              type
//	qualifier             Rule.Qualifier         qualifier
//	scope                 Rule.Scope             belongs_to_type, belongs_to
//	base, repeat_within   Rule.Base, …           base, repeat_within
//	contiguous            Rule.Contiguous        contiguous
//	pulse                 Rule.Pulse             pulse_seconds, pulse_metres
//	retroactive, enabled  Rule.Retroactive, …    retroactive, enabled
//	note                  Rule.Note              note
//	above, up_to          Bracket.Min, Max       offence_min, offence_max (null: open)
//	flat: 15m, …          Bracket.Operator,      operator, penalty (seconds)
//	                      Bracket.Penalty
//	multiplier            Bracket.Multiplier     multiplier
//	per, round, outcome   Bracket.Per, …         per, round, outcome
//
// # Types and offences
//
// The offence is measured by the evaluator, in the type's unit ([Types]):
//
//	speeding                        km/h over the limit
//	missed_waypoint (WPV WPM WPE    waypoints of that type missed
//	  WPS WPC WPN WPP)
//	missed_control (TC CP DSS ASS)  controls of that kind missed
//	late_time_control               seconds after the target time
//	early_time_control              seconds before the target time
//	min_validated_waypoints_share   percent of the segment's waypoints NOT
//	                                validated ("fewer than 70 % validated"
//	                                is "more than 30 % missed")
//	exceeded_time_limit             seconds over the segment's maximum time
//
// Every unit grows with the gravity of the offence, so that one rule holds:
// a greater offence never costs less. The waypoint or control type is the
// qualifier, a field of its own rather than part of the type, so that one
// evaluator (missed_waypoint) serves every waypoint type and a query can
// select by either.
//
// # Brackets
//
// A bracket holds the offences above its lower bound up to and including
// its upper bound: {above: 20, up_to: 40} is 20 < x ≤ 40, and
// {above: 40} is open-ended. A rulebook's "1–20, 21–40, > 40 km/h" is
// therefore above 0 up to 20, above 20 up to 40, above 40: nothing falls
// between two brackets, and an offence of 0 (at the limit, on time) is in
// none. Brackets of a rule never overlap. A rule declared contiguous
// leaves no gap from its first bracket up, its last bracket open-ended;
// in a rule that is not, an offence in a gap costs nothing, as its
// rulebook says. Within a rule, a greater offence never costs fewer
// seconds nor a milder outcome than a smaller one a bracket prices
// (validation checks each pair of neighbouring brackets at their common
// bound).
//
// # Operators
//
// With p the bracket's penalty in seconds:
//
// flat: p, once. A passage control missed (FIM: 15 minutes):
// {above: 0, flat: 15m}; one missed costs 15m. With an outcome, fewer than
// 70 % of waypoints validated: {above: 30, flat: 0s, outcome: dnf}; 42.9 %
// missed gives 0s and dnf.
//
// per_unit_over: p × units, units = offence / per, rounded up (a started
// unit counts) or, with round: down, down. Units are counted from zero,
// not from the bracket's lower bound: the bracket chooses the rate.
// "1 minute per minute or part of a minute late": {above: 0s, up_to: 30m,
// per_unit_over: 1m, per: 1m}; 4m10s late is 5 started minutes, 5m (4m
// with round: down). "15 minutes per WPM missed": {above: 0,
// per_unit_over: 15m, per: 1}; 3 missed, 45m.
//
// per_pulse: p × pulses, the pulses recorded during the infringement
// (Offence.Pulses, at least 1). The rule says how pulses are counted,
// pulse: {seconds: 10, metres: 150}, and [Pulse.Count] counts them: one
// when the infringement starts, one more every 10 s or 150 m, whichever
// first. FIM speeding, 28 km/h over for 25 s and 300 m: bracket {above: 20,
// up_to: 40, per_pulse: 2m}, 3 pulses, 6m. Whether an infringement is
// priced at its peak (one call) or pulse by pulse (one call per pulse, with
// Pulses 1) is the evaluator's choice, documented with it.
//
// repeat_multiplier: in a repeat rule (base: <key>), a factor on the base
// rule's seconds, its brackets over the offence's ordinal (Offence.Repeat:
// 1 for the first, counted within the event or, with repeat_within: stage,
// the stage). {above: 1, up_to: 2, multiplier: 2}: the second
// infringement at 28 km/h over, 3 pulses, costs 6m × 2 = 12m; {above: 3,
// multiplier: 4, outcome: excluded}: the fourth excludes. A repeat rule
// takes its base's type, qualifier and scope, and needs an enabled base.
//
// # Outcomes
//
// A bracket may add an outcome to its seconds: dnf (the entry did not
// finish the stage: out of time, too few waypoints, a missed start or
// finish) or excluded (out of the event). The result's outcome is the
// gravest of the brackets applied. An outcome comes on top of the seconds,
// so the bracket of the outcome keeps at least the seconds below it:
// out of time after 30 minutes late is {above: 30m, flat: 30m, outcome:
// dnf}, the maximum penalty and the DNF.
//
// # Scopes
//
// A rule belongs to the event, a category (moto, quad, car, ssv, truck,
// foot), a class, a stage, a segment or a speed zone. [Rulebook.Select]
// returns the enabled rule of a type and qualifier whose scope matches
// where the offence happened and who committed it ([Where]), the most
// specific winning in the order event, category, class, stage, segment,
// speed zone: a place-bound rule is the exception to a class's table.
// Validation allows one enabled rule per type, qualifier and scope, so the
// choice is unique.
//
// # Versions
//
// Rules are never edited in place: a change is a new version, version+1,
// which supersedes the previous one (supersedes = version-1 on its rows);
// the old rows stay, so penalties priced with them keep their meaning.
// retroactive on the new version asks the processor to re-price offences
// priced with the old one. [Diff] compares a file with the stored versions
// and plans inserts only ([Plan]):
//
//   - a key the store lacks: add, version 1;
//   - a rule that differs in any field (brackets compared in offence order,
//     source lines ignored): change, a new version;
//   - an enabled stored rule the file lacks: retire, a new version with
//     enabled false (a retirement is a disabled version, never a deletion;
//     a disabled or retired rule the file lacks is left alone).
//
// An unchanged file plans nothing. A file may pin a rule's version
// (version: 3, as an export writes it): if the store has moved on, Diff
// refuses with a [ConflictError] rather than overwrite a change made
// since the export.
//
// # How the processor calls it
//
//	book, err := rules.RulebookFromFormulas(eventID, rows) // the event's penalty_formulas
//	if err == nil {
//		err = book.Validate()
//	}
//	…
//	rule, ok := book.Select(rules.TypeSpeeding, "", rules.Where{SpeedZone: zoneID,
//		Segment: segmentID, Stage: stageID, Class: classID, Category: category})
//	pulses := rule.Pulse.Count(seconds, metres)
//	res, err := book.Evaluate(rule.Key, rules.Offence{Value: kmhOver, Pulses: pulses, Repeat: n})
//	// store res.Seconds, res.Outcome; res.Formula (and res.Repeat.Formula)
//	// as entry_penalties.formula_snapshot; res.Offence as the inputs;
//	// res.String() explains it.
//
// # File format
//
// One event per file, YAML, at most [MaxFileSize] bytes:
//
//	event: rally-albania-2026        # the event's slug
//	placeholder: true                # until the supplementary regulations
//	note: free text
//	rules:
//	  - key: speeding                # stable across versions: a-z 0-9 - _ .
//	    type: speeding
//	    scope: {category: moto}      # or event (the default), {class: C-2},
//	                                 # {stage: …}, {segment: …}, {speed_zone: …}
//	    contiguous: true             # default false
//	    retroactive: true            # default false
//	    enabled: false               # default true
//	    pulse: {seconds: 10, metres: 150}
//	    brackets:
//	      - {above: 0, up_to: 20, per_pulse: 1m}
//	      - {above: 20, per_pulse: 2m, outcome: dnf}
//	  - key: speeding-repeat
//	    base: speeding               # type, qualifier and scope come from it
//	    repeat_within: stage         # default event
//	    brackets:
//	      - {above: 1, multiplier: 2}
//
// A bracket has exactly one of flat, per_unit_over, per_pulse (seconds) or
// multiplier; above defaults to 0, up_to to none (open-ended); round to
// up; outcome to none. Seconds and time-unit bounds are durations of whole
// h, m and s in that order (15m, 1h30m, 90s) or whole seconds (90). Keys
// are checked: an unknown or repeated key is an error, and so are anchors,
// aliases, merge keys and custom tags, which a rulebook does not need.
// [Rulebook.YAML] writes this format (rules and brackets in order,
// defaults left out, a bracket per line); [Parse] reads back what it
// writes, and writing again gives the same bytes. Comments are not kept.
//
// # Errors
//
// [Parse] gives a *[ParseError] (file, line, column, path) for a file that
// is not a rulebook, and a *[ValidationErrors] listing every
// *[ValidationError] (file, line, rule key, bracket number, field, a
// [Problem] such as [ProblemOverlap]) for one that breaks the model.
// [Evaluate] gives an *[EvalError] for an input it cannot price, [Diff] a
// *[ConflictError] for a stale pinned version, [RulesFromFormulas] a
// *[FormulaError] for rows that disagree. Use errors.As. Messages name the
// thing and what is expected, never a command: binaries add their own
// remedies. Nothing in this package panics on any input, logs, or keeps
// state between calls.
//
// # Dependencies
//
// The standard library and go.yaml.in/yaml/v3 (also used by lib/snapshot
// and in trmctl's build), for its node tree: line numbers for every value,
// and the key order a round trip keeps.
package rules
