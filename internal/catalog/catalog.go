// Package catalog defines the Phase 1 enumerations once: the values a
// field may hold, their labels and colours, the default and the database
// CHECK that enforces them; presents the course's (Phase 2), which
// lib/course defines, the same way (Phase2); and for timing (Phase 3)
// defines the statuses and presents the rules' enumerations, which
// lib/rules defines (Phase3).
//
// Everything else that lists the values is checked against this package
// rather than edited beside it: tools/phase1schema builds the Directus
// dropdowns from it; tests compare it with the committed snapshot's
// choices (snapshots/schema.yaml), the CHECK constraints of db-init/post
// on a provisioned database (tests/schema), the seed files
// (trmctl seed check) and docs/data-model-phase1.md.
//
// Changing an enumeration is therefore: this file, then the snapshot
// through Directus (phase1schema's README), then a new db-init/post file
// replacing the CHECK, then the documentation; the tests name whichever
// is left behind.
package catalog

import (
	"slices"

	"git.dev.trmtracking.org/trm/directus/lib/course"
	"git.dev.trmtracking.org/trm/directus/lib/rules"
)

// Choice is one value of an enumeration.
type Choice struct {
	// Value is what the database stores.
	Value string
	// Label is what people read in the admin UI.
	Label string
	// Color is the label's background in lists (#RRGGBB); empty for a
	// plain label.
	Color string
}

// Enum is the set of values of one field.
type Enum struct {
	Collection, Field string
	// Choices are in the order the admin UI lists them.
	Choices []Choice
	// Default is the column default; empty when there is none.
	Default string
	// Constraint is the CHECK constraint (db-init/post) that refuses any
	// other value; empty when other values are allowed (Open).
	Constraint string
	// Open lets users type a value that is not listed (the dropdown's
	// allowOther): the choices are suggestions.
	Open bool
	// Optional lets the field be empty (null in the table): the field is
	// not required, and its CHECK, which allows null, only refuses values
	// that are not listed.
	Optional bool
}

// Key is "collection.field".
func (e Enum) Key() string { return e.Collection + "." + e.Field }

// Values lists the values in order.
func (e Enum) Values() []string {
	out := make([]string, len(e.Choices))
	for i, c := range e.Choices {
		out[i] = c.Value
	}
	return out
}

// Allows reports whether v may be stored: one of the values, or anything
// for an open enumeration.
func (e Enum) Allows(v string) bool {
	return e.Open || slices.Contains(e.Values(), v)
}

// OrganizationRoles is what a member may do in an organisation (Phase 4
// policies build on it).
func OrganizationRoles() Enum {
	return Enum{
		Collection: "organization_users", Field: "role", Constraint: "organization_users_role_allowed",
		Choices: []Choice{
			{"org-admin", "Org admin", "#6644FF"},
			{"race-director", "Race director", "#E35169"},
			{"marshal", "Marshal", "#FFA439"},
			{"timekeeper", "Timekeeper", "#3399FF"},
			{"participant", "Participant", "#2ECDA7"},
			{"viewer", "Viewer", "#A2B5CD"},
		},
	}
}

// Disciplines are the kinds of event.
func Disciplines() Enum {
	return Enum{
		Collection: "events", Field: "discipline", Constraint: "events_discipline_allowed",
		Choices: []Choice{
			{"rally", "Rally", ""},
			{"time-trial", "Time trial", ""},
			{"regatta", "Regatta", ""},
			{"trail-run", "Trail run", ""},
			{"hike", "Hike", ""},
		},
	}
}

// Categories are the vehicle categories of a class (foot for runners and
// hikers).
func Categories() Enum {
	return Enum{
		Collection: "classes", Field: "category", Constraint: "classes_category_allowed",
		Choices: []Choice{
			{"moto", "Moto", ""},
			{"quad", "Quad", ""},
			{"car", "Car", ""},
			{"ssv", "SSV", ""},
			{"truck", "Truck", ""},
			{"foot", "Foot", ""},
		},
	}
}

// EntryStatuses are the stages of an entry; withdrawn entries are
// archived (restored as registered).
func EntryStatuses() Enum {
	return Enum{
		Collection: "entries", Field: "status", Constraint: "entries_status_allowed", Default: "draft",
		Choices: []Choice{
			{"draft", "Draft", "#A2B5CD"},
			{"submitted", "Submitted", "#3399FF"},
			{"registered", "Registered", "#6644FF"},
			{"scrutineered", "Scrutineered", "#2ECDA7"},
			{"racing", "Racing", "#FFA439"},
			{"finished", "Finished", "#2ECDA7"},
			{"retired", "Retired", "#E35169"},
			{"withdrawn", "Withdrawn", "#18222F"},
		},
	}
}

// CrewRoles are the racing roles of the people of an entry.
func CrewRoles() Enum {
	return Enum{
		Collection: "entry_crew", Field: "role", Constraint: "entry_crew_role_allowed",
		Choices: []Choice{
			{"pilot", "Pilot", ""},
			{"co-pilot", "Co-pilot", ""},
			{"navigator", "Navigator", ""},
			{"mechanic", "Mechanic", ""},
			{"rider", "Rider", ""},
			{"runner", "Runner", ""},
			{"hiker", "Hiker", ""},
		},
	}
}

// DeviceModels are the tracker models offered; other models are allowed.
func DeviceModels() Enum {
	return Enum{
		Collection: "devices", Field: "model", Open: true,
		Choices: []Choice{
			{"FMB920", "Teltonika FMB920 (vehicle tracker)", ""},
			{"FMB003", "Teltonika FMB003 (body-worn panic button)", ""},
		},
	}
}

// Phase1 lists every Phase 1 enumeration, in the order of
// docs/data-model-phase1.md.
func Phase1() []Enum {
	return []Enum{DeviceModels(), OrganizationRoles(), Disciplines(), Categories(), EntryStatuses(), CrewRoles()}
}

// The course's enumerations (Phase 2) are lib/course's, which the
// processor imports; these present them as catalog enumerations, with the
// admin UI's colours, so that every check of this package covers them
// too. Change them in lib/course.

func courseEnum[T ~string](collection, field, def string, values []T, label func(T) string, colours map[T]string) Enum {
	e := Enum{Collection: collection, Field: field, Constraint: collection + "_" + field + "_allowed", Default: def}
	for _, v := range values {
		e.Choices = append(e.Choices, Choice{Value: string(v), Label: label(v), Color: colours[v]})
	}
	return e
}

// StageRoles is stages.role.
func StageRoles() Enum {
	return courseEnum("stages", "role", string(course.RoleStage), course.StageRoles(), course.StageRole.Label, nil)
}

// StageStatuses is stages.status, coloured as the entry statuses: grey
// draft, blue published, orange running, green closed, dark cancelled.
func StageStatuses() Enum {
	return courseEnum("stages", "status", string(course.StatusDraft), course.StageStatuses(), course.StageStatus.Label, map[course.StageStatus]string{
		course.StatusDraft: "#A2B5CD", course.StatusPublished: "#3399FF", course.StatusOpen: "#FFA439",
		course.StatusClosed: "#2ECDA7", course.StatusCancelled: "#18222F",
	})
}

// StartOrderStrategies is stages.start_order_strategy.
func StartOrderStrategies() Enum {
	return courseEnum("stages", "start_order_strategy", string(course.StartManual), course.StartOrderStrategies(), course.StartOrderStrategy.Label, nil)
}

// SegmentTypes is segments.type.
func SegmentTypes() Enum {
	return courseEnum("segments", "type", string(course.SegmentLiaison), course.SegmentTypes(), course.SegmentType.Label, nil)
}

// GeofenceKinds is geofences.kind.
func GeofenceKinds() Enum {
	return courseEnum("geofences", "kind", "", course.GeofenceKinds(), course.GeofenceKind.Label, nil)
}

// WaypointTypes is waypoints.type.
func WaypointTypes() Enum {
	return courseEnum("waypoints", "type", "", course.WaypointTypes(), course.WaypointType.Label, nil)
}

// Phase2 lists every enumeration of the course, in the order of
// docs/data-model-phase2.md.
func Phase2() []Enum {
	return []Enum{StageRoles(), StageStatuses(), StartOrderStrategies(), SegmentTypes(), GeofenceKinds(), WaypointTypes()}
}

// Timing (Phase 3). The rules' enumerations are lib/rules's values, which
// the processor's evaluators and the rulebook files use; their labels are
// the admin UI's and live here. The statuses and kinds of what the
// processor writes are defined here: the processor writes 'computed'
// penalties, 'provisional' results and crossings of the three kinds, as
// docs/data-model-phase3.md says.

func rulesEnum[T ~string](collection, field, def string, optional bool, values []T, labels map[T]string) Enum {
	e := Enum{Collection: collection, Field: field, Constraint: collection + "_" + field + "_allowed", Default: def, Optional: optional}
	for _, v := range values {
		e.Choices = append(e.Choices, Choice{Value: string(v), Label: labels[v]})
	}
	return e
}

var (
	ruleTypeLabels = map[rules.Type]string{
		rules.TypeSpeeding:                   "Speeding",
		rules.TypeMissedWaypoint:             "Missed waypoint",
		rules.TypeMissedControl:              "Missed control",
		rules.TypeLateTimeControl:            "Late at a time control",
		rules.TypeEarlyTimeControl:           "Early at a time control",
		rules.TypeMinValidatedWaypointsShare: "Too few waypoints validated",
		rules.TypeExceededTimeLimit:          "Over the time limit",
	}
	operatorLabels = map[rules.Operator]string{
		rules.OpFlat:             "Flat",
		rules.OpPerUnitOver:      "Per unit over",
		rules.OpPerPulse:         "Per pulse",
		rules.OpRepeatMultiplier: "Repeat multiplier",
	}
	scopeLabels = map[rules.ScopeType]string{
		rules.ScopeEvent:     "Whole event",
		rules.ScopeCategory:  "Category",
		rules.ScopeClass:     "Class",
		rules.ScopeStage:     "Stage",
		rules.ScopeSegment:   "Segment",
		rules.ScopeSpeedZone: "Speed zone",
	}
	repeatScopeLabels = map[rules.ScopeType]string{
		rules.ScopeEvent: "In the event",
		rules.ScopeStage: "In the stage",
	}
	roundLabels = map[rules.Round]string{
		rules.RoundUp:   "A started unit counts",
		rules.RoundDown: "Whole units only",
	}
	outcomeLabels = map[rules.Outcome]string{
		rules.OutcomeDNF:      "DNF (stage not finished)",
		rules.OutcomeExcluded: "Excluded from the event",
	}
)

// qualifierLabels names each qualifier as lib/course names the waypoint
// type it is (WPM — masked waypoint, TC — time control).
func qualifierLabels() map[string]string {
	out := map[string]string{}
	for _, q := range rules.Qualifiers() {
		out[q] = course.WaypointType(q).Label()
	}
	return out
}

// RuleTypes is penalty_formulas.type: the processor's evaluator keys.
func RuleTypes() Enum {
	return rulesEnum("penalty_formulas", "type", "", false, ruleTypes(), ruleTypeLabels)
}

func ruleTypes() []rules.Type {
	var out []rules.Type
	for _, ti := range rules.Types() {
		out = append(out, ti.Type)
	}
	return out
}

// RuleQualifiers is penalty_formulas.qualifier: the waypoint or control
// type of a rule whose type takes one.
func RuleQualifiers() Enum {
	return rulesEnum("penalty_formulas", "qualifier", "", true, rules.Qualifiers(), qualifierLabels())
}

// RuleScopes is penalty_formulas.belongs_to_type.
func RuleScopes() Enum {
	return rulesEnum("penalty_formulas", "belongs_to_type", string(rules.ScopeEvent), false, rules.ScopeTypes(), scopeLabels)
}

// RuleRepeatScopes is penalty_formulas.repeat_within: set on repeat
// rules only.
func RuleRepeatScopes() Enum {
	return rulesEnum("penalty_formulas", "repeat_within", "", true, rules.RepeatScopes(), repeatScopeLabels)
}

// RuleOperators is penalty_formulas.operator.
func RuleOperators() Enum {
	return rulesEnum("penalty_formulas", "operator", "", false, rules.Operators(), operatorLabels)
}

// RuleRounds is penalty_formulas.round: set on per_unit_over brackets
// only.
func RuleRounds() Enum {
	return rulesEnum("penalty_formulas", "round", "", true, rules.Rounds(), roundLabels)
}

// RuleOutcomes is penalty_formulas.outcome: empty when the seconds are
// the whole penalty.
func RuleOutcomes() Enum {
	return rulesEnum("penalty_formulas", "outcome", "", true, rules.Outcomes(), outcomeLabels)
}

// PenaltyTypes is entry_penalties.type: the type of the formula that
// priced the penalty.
func PenaltyTypes() Enum {
	return rulesEnum("entry_penalties", "type", "", false, ruleTypes(), ruleTypeLabels)
}

// PenaltyQualifiers is entry_penalties.qualifier.
func PenaltyQualifiers() Enum {
	return rulesEnum("entry_penalties", "qualifier", "", true, rules.Qualifiers(), qualifierLabels())
}

// PenaltyOutcomes is entry_penalties.outcome.
func PenaltyOutcomes() Enum {
	return rulesEnum("entry_penalties", "outcome", "", true, rules.Outcomes(), outcomeLabels)
}

// PenaltyStatuses is entry_penalties.status: computed by the processor,
// then a race director's decision. A recompute replaces computed
// penalties only.
func PenaltyStatuses() Enum {
	return Enum{
		Collection: "entry_penalties", Field: "status", Constraint: "entry_penalties_status_allowed", Default: "computed",
		Choices: []Choice{
			{"computed", "Computed", "#A2B5CD"},
			{"confirmed", "Confirmed", "#2ECDA7"},
			{"overridden", "Overridden", "#FFA439"},
			{"cancelled", "Cancelled", "#18222F"},
		},
	}
}

// ResultStatuses is stage_results.status: provisional while the processor
// computes, official once published (then frozen until reopened).
func ResultStatuses() Enum {
	return Enum{
		Collection: "stage_results", Field: "status", Constraint: "stage_results_status_allowed", Default: "provisional",
		Choices: []Choice{
			{"provisional", "Provisional", "#FFA439"},
			{"official", "Official", "#2ECDA7"},
		},
	}
}

// CrossingKinds is entry_crossings.kind: what an entry did at a geofence
// or waypoint.
func CrossingKinds() Enum {
	return Enum{
		Collection: "entry_crossings", Field: "kind", Constraint: "entry_crossings_kind_allowed",
		Choices: []Choice{
			{"entered", "Entered", "#3399FF"},
			{"left", "Left", "#A2B5CD"},
			{"validated", "Validated", "#2ECDA7"},
		},
	}
}

// Phase3 lists every enumeration of timing, in the order of
// docs/data-model-phase3.md.
func Phase3() []Enum {
	return []Enum{RuleTypes(), RuleQualifiers(), RuleScopes(), RuleRepeatScopes(), RuleOperators(), RuleRounds(), RuleOutcomes(),
		CrossingKinds(), PenaltyTypes(), PenaltyQualifiers(), PenaltyOutcomes(), PenaltyStatuses(), ResultStatuses()}
}
