package rules

import (
	"math"
	"slices"
)

// Type is the processor's evaluator key: which kind of offence a rule
// prices. The list is closed: a new type needs a new evaluator in the
// processor, and this package refuses types it does not know so that a
// typo in a rulebook cannot silently price nothing.
type Type string

// The evaluator keys. [Types] gives each with its offence unit and its
// qualifiers.
const (
	// TypeSpeeding: a speed infringement in a speed control zone (DZ→FZ) or
	// on a road section. Offence: km/h over the limit (the infringement's
	// peak, or one pulse's, as the evaluator chooses; see Offence.Pulses).
	TypeSpeeding Type = "speeding"
	// TypeMissedWaypoint: waypoints of one type not validated. Qualifier:
	// the waypoint type (WPV, WPM, WPE, WPS, WPC, WPN, WPP). Offence: how
	// many were missed.
	TypeMissedWaypoint Type = "missed_waypoint"
	// TypeMissedControl: controls not visited. Qualifier: TC (time
	// control), CP (checkpoint or passage control), DSS or ASS (start or
	// finish of a selective section). Offence: how many were missed.
	TypeMissedControl Type = "missed_control"
	// TypeLateTimeControl: checking in after the target time at a time
	// control. Offence: seconds late.
	TypeLateTimeControl Type = "late_time_control"
	// TypeEarlyTimeControl: checking in before the target time. Offence:
	// seconds early.
	TypeEarlyTimeControl Type = "early_time_control"
	// TypeMinValidatedWaypointsShare: too small a share of a segment's
	// waypoints validated. Offence: the percentage of its waypoints NOT
	// validated (0–100), so that a bigger offence is a worse one: "fewer
	// than 70 % validated" is "more than 30 % missed".
	TypeMinValidatedWaypointsShare Type = "min_validated_waypoints_share"
	// TypeExceededTimeLimit: finishing a segment after its maximum time
	// (e.g. a liaison's ideal time + 50 %). Offence: seconds over the limit.
	TypeExceededTimeLimit Type = "exceeded_time_limit"
)

// Unit is what an offence is measured in.
type Unit string

// The offence units.
const (
	UnitKmhOver Unit = "km/h over"
	UnitCount   Unit = "count"
	UnitSeconds Unit = "seconds"
	UnitPercent Unit = "percent"
	// UnitRepeat is the unit of a repeat-multiplier rule's brackets: the
	// ordinal of the offence (1 = first, 2 = first repeat, …).
	UnitRepeat Unit = "repeat"
)

// whole reports whether offences in u are whole numbers.
func (u Unit) whole() bool { return u == UnitCount || u == UnitSeconds || u == UnitRepeat }

// TypeInfo describes an evaluator key.
type TypeInfo struct {
	Type Type
	// Unit of the offence, and of the brackets' bounds.
	Unit Unit
	// Offence says what the evaluator measures.
	Offence string
	// Qualifiers allowed (one of them is then required); none when empty.
	Qualifiers []string
	// Pulses reports whether the per_pulse operator is allowed.
	Pulses bool
}

// Types lists the evaluator keys this package knows, in a stable order.
func Types() []TypeInfo {
	return []TypeInfo{
		{TypeSpeeding, UnitKmhOver, "km/h over the limit", nil, true},
		{TypeMissedWaypoint, UnitCount, "waypoints of the qualifier's type not validated",
			[]string{"WPV", "WPM", "WPE", "WPS", "WPC", "WPN", "WPP"}, false},
		{TypeMissedControl, UnitCount, "controls of the qualifier's kind not visited",
			[]string{"TC", "CP", "DSS", "ASS"}, false},
		{TypeLateTimeControl, UnitSeconds, "seconds after the target time at a time control", nil, false},
		{TypeEarlyTimeControl, UnitSeconds, "seconds before the target time at a time control", nil, false},
		{TypeMinValidatedWaypointsShare, UnitPercent, "percentage of the segment's waypoints not validated", nil, false},
		{TypeExceededTimeLimit, UnitSeconds, "seconds over the segment's maximum time", nil, false},
	}
}

// LookupType returns what is known of t.
func LookupType(t Type) (TypeInfo, bool) {
	for _, ti := range Types() {
		if ti.Type == t {
			return ti, true
		}
	}
	return TypeInfo{}, false
}

// Qualifiers lists every qualifier of every type, in the order of Types,
// each once: what a qualifier column may hold. Which types take which is
// in Types.
func Qualifiers() []string {
	var out []string
	for _, ti := range Types() {
		for _, q := range ti.Qualifiers {
			if !slices.Contains(out, q) {
				out = append(out, q)
			}
		}
	}
	return out
}

func typeNames() []string {
	var names []string
	for _, ti := range Types() {
		names = append(names, string(ti.Type))
	}
	return names
}

// ScopeType is what a rule belongs to (the table's belongs_to_type).
type ScopeType string

// The scopes, from the least to the most specific.
const (
	ScopeEvent     ScopeType = "event"
	ScopeCategory  ScopeType = "category"
	ScopeClass     ScopeType = "class"
	ScopeStage     ScopeType = "stage"
	ScopeSegment   ScopeType = "segment"
	ScopeSpeedZone ScopeType = "speed_zone"
)

// ScopeTypes lists what a rule may belong to, in the order of
// specificity: when rules of several scopes match, the later wins. Places
// come after people because a place-bound rule is the exception (this
// zone, this stage) to a class's or category's table.
func ScopeTypes() []ScopeType {
	return []ScopeType{ScopeEvent, ScopeCategory, ScopeClass, ScopeStage, ScopeSegment, ScopeSpeedZone}
}

// RepeatScopes lists where a repeat rule may count earlier offences (its
// repeat_within): the event, the default, or the stage.
func RepeatScopes() []ScopeType { return []ScopeType{ScopeEvent, ScopeStage} }

func (s ScopeType) specificity() int { return slices.Index(ScopeTypes(), s) }

// Categories are the vehicle categories of classes (Phase 1's
// classes.category).
func Categories() []string { return []string{"moto", "quad", "car", "ssv", "truck", "foot"} }

// Scope is what a rule belongs to: the whole event, or one stage, segment,
// speed zone, class or category of it.
type Scope struct {
	Type ScopeType
	// Ref names the stage, segment, zone, class or category: in a file a
	// readable reference (class code C-2, category moto, a stage's or
	// zone's name), in the database the row's id. Empty for the event.
	Ref string
}

// Operator says how a bracket turns an offence into seconds.
type Operator string

// The operators. Each is defined by [Evaluate]; the package documentation
// gives a worked example of each.
const (
	// OpFlat: the bracket's penalty, once.
	OpFlat Operator = "flat"
	// OpPerUnitOver: penalty × the number of units of the offence, a unit
	// being Per (rounded up by default: a started unit counts).
	OpPerUnitOver Operator = "per_unit_over"
	// OpPerPulse: penalty × the number of pulses recorded during the
	// infringement.
	OpPerPulse Operator = "per_pulse"
	// OpRepeatMultiplier: in a repeat rule, multiplies the base rule's
	// seconds for the offence's repeat ordinal.
	OpRepeatMultiplier Operator = "repeat_multiplier"
)

// Operators lists the operators, in the order of the documentation.
func Operators() []Operator {
	return []Operator{OpFlat, OpPerUnitOver, OpPerPulse, OpRepeatMultiplier}
}

func operatorNames() []string {
	var names []string
	for _, o := range Operators() {
		names = append(names, string(o))
	}
	return names
}

// Round says how per_unit_over counts a started unit.
type Round string

// The roundings; "" reads as RoundUp.
const (
	// RoundUp: a started unit counts whole ("per minute or fraction of a
	// minute").
	RoundUp Round = "up"
	// RoundDown: only whole units count ("per full minute").
	RoundDown Round = "down"
)

// Rounds lists the roundings of per_unit_over.
func Rounds() []Round { return []Round{RoundUp, RoundDown} }

// Outcome is what a bracket does besides adding seconds.
type Outcome string

// The outcomes, from the mildest.
const (
	// OutcomeNone: the seconds are the whole penalty.
	OutcomeNone Outcome = ""
	// OutcomeDNF: the entry did not finish the stage (out of time, too few
	// waypoints): the results apply the rulebook's DNF treatment.
	OutcomeDNF Outcome = "dnf"
	// OutcomeExcluded: the entry is out of the event.
	OutcomeExcluded Outcome = "excluded"
)

// Outcomes lists the outcomes a bracket may add, from the mildest;
// OutcomeNone, the absence of one, is not listed (a table stores it as
// null).
func Outcomes() []Outcome { return []Outcome{OutcomeDNF, OutcomeExcluded} }

func (o Outcome) rank() int {
	switch o {
	case OutcomeNone:
		return 0
	case OutcomeDNF:
		return 1
	case OutcomeExcluded:
		return 2
	}
	return -1
}

// Limits on what a rulebook may hold. They are far above any real
// rulebook and keep hostile input from costing memory or overflowing the
// arithmetic.
const (
	// MaxFileSize is the largest rulebook file read, in bytes.
	MaxFileSize = 1 << 20
	// MaxRules is the most rules a rulebook may hold.
	MaxRules = 1000
	// MaxBrackets is the most brackets a rule may hold.
	MaxBrackets = 100
	// MaxPenaltySeconds bounds a bracket's penalty (1000 hours).
	MaxPenaltySeconds = 1000 * 3600
	// MaxOffence bounds brackets' bounds and units.
	MaxOffence = 1e9
	// MaxMultiplier bounds a repeat multiplier.
	MaxMultiplier = 1000
	// MaxResultSeconds bounds a computed penalty (about 100 years);
	// Evaluate refuses an offence whose penalty would exceed it.
	MaxResultSeconds = 100 * 365 * 24 * 3600
	// MaxTextLength bounds notes, in bytes.
	MaxTextLength = 4000
	// MaxRefLength bounds keys, references and event names, in bytes.
	MaxRefLength = 200
)

// Pulse says how pulses are counted for per_pulse brackets: one when the
// infringement starts, then one every Seconds or every Metres, whichever
// comes first. A zero field is not used; at least one is set.
type Pulse struct {
	Seconds float64
	Metres  float64
}

// Count returns how many pulses an infringement lasting seconds and
// covering metres records: 1 + the intervals completed. At a steady speed
// "every 10 s or 150 m, whichever first" completes an interval every
// min(10 s, 150 m / speed), which is max(seconds/10, metres/150) intervals.
// Negative or non-finite inputs count as zero. A nil Pulse (a rule that
// counts no pulses) counts 1.
func (p *Pulse) Count(seconds, metres float64) int {
	if p == nil {
		return 1
	}
	intervals := 0.0
	if p.Seconds > 0 && seconds > 0 && !math.IsInf(seconds, 0) {
		intervals = math.Max(intervals, seconds/p.Seconds)
	}
	if p.Metres > 0 && metres > 0 && !math.IsInf(metres, 0) {
		intervals = math.Max(intervals, metres/p.Metres)
	}
	intervals = math.Min(math.Floor(intervals+1e-9), MaxOffence)
	return 1 + int(intervals)
}

// Bracket is one row's offence range and arithmetic: it applies to an
// offence x with Min < x ≤ Max ("above Min, up to Max").
type Bracket struct {
	// Min is offence_min, excluded; ≥ 0.
	Min float64
	// Max is offence_max, included; math.Inf(1) when open-ended.
	Max      float64
	Operator Operator
	// Penalty in seconds: the flat penalty, the penalty per unit or per
	// pulse. Zero for a repeat multiplier.
	Penalty int64
	// Per is the size of one unit for per_unit_over, in the type's unit
	// (60 for "per minute" late); zero for other operators.
	Per float64
	// Round is how per_unit_over counts a started unit; "" is RoundUp.
	Round Round
	// Multiplier is the factor of a repeat_multiplier bracket; zero for
	// other operators.
	Multiplier float64
	// Outcome besides the seconds.
	Outcome Outcome
	// Line is where the bracket was read (1-based), 0 when unknown. It is
	// not part of the bracket's content.
	Line int
}

// Open reports whether the bracket is open-ended.
func (b Bracket) Open() bool { return math.IsInf(b.Max, 1) }

// contains reports whether the offence x falls in the bracket.
func (b Bracket) contains(x float64) bool { return x > b.Min && x <= b.Max }

// Rule is one versioned rule of a rulebook: a type, what it belongs to, and
// its brackets. In the database a rule version is one penalty_formulas row
// per bracket (see [Formula]).
type Rule struct {
	// Key is the rule's stable key, the same across its versions
	// (e.g. speeding-moto, missed-wpm).
	Key string
	// Version is 1 for the first; every change makes version+1, which
	// supersedes the previous one. 0 in a file that does not pin versions.
	Version   int
	Type      Type
	Qualifier string
	Scope     Scope
	// Base makes this a repeat rule: the key of the rule whose seconds its
	// repeat_multiplier brackets multiply. Its Type, Qualifier and Scope
	// are the base's.
	Base string
	// RepeatWithin says where a repeat rule counts earlier offences: the
	// event ("" reads as event) or the stage.
	RepeatWithin ScopeType
	// Contiguous declares that the brackets leave no gap from the first
	// bracket's Min upwards, the last one open-ended.
	Contiguous bool
	// Pulse is how pulses are counted; required with per_pulse brackets.
	Pulse *Pulse
	// Retroactive: a new version re-prices offences committed under the
	// version it supersedes (the processor recomputes them).
	Retroactive bool
	// Enabled: a disabled rule prices nothing. A retired rule is a
	// disabled version.
	Enabled bool
	// Note is free text, e.g. the article of the regulations.
	Note     string
	Brackets []Bracket
	// Line is where the rule was read (1-based), 0 when unknown. It is not
	// part of the rule's content.
	Line int
}

// IsRepeat reports whether r is a repeat rule (it multiplies a base rule).
func (r Rule) IsRepeat() bool { return r.Base != "" }

// Unit is the unit of r's brackets.
func (r Rule) Unit() Unit {
	if r.IsRepeat() {
		return UnitRepeat
	}
	ti, _ := LookupType(r.Type)
	return ti.Unit
}

// Rulebook is the rules of one event.
type Rulebook struct {
	// Event is the event's slug in a file, its id in the database.
	Event string
	// Placeholder marks rules that stand in until the event's
	// supplementary regulations are published.
	Placeholder bool
	Note        string
	Rules       []Rule
}

// Rule returns the rule with key.
func (b *Rulebook) Rule(key string) (Rule, bool) {
	for _, r := range b.Rules {
		if r.Key == key {
			return r, true
		}
	}
	return Rule{}, false
}

// Repeat returns the enabled repeat rule of the rule with key baseKey.
func (b *Rulebook) Repeat(baseKey string) (Rule, bool) {
	for _, r := range b.Rules {
		if r.Base == baseKey && r.Enabled {
			return r, true
		}
	}
	return Rule{}, false
}

// Where is the place and the entry an offence is priced for: the keys of
// its stage, segment, speed zone and class (as the rules name them), and
// its category. Empty fields match no rule of that scope.
type Where struct {
	Stage, Segment, SpeedZone, Class, Category string
}

func (w Where) ref(s ScopeType) string {
	switch s {
	case ScopeStage:
		return w.Stage
	case ScopeSegment:
		return w.Segment
	case ScopeSpeedZone:
		return w.SpeedZone
	case ScopeClass:
		return w.Class
	case ScopeCategory:
		return w.Category
	}
	return ""
}

// Select returns the rule that prices offences of type t (with qualifier
// q) at w: among the enabled rules that are not repeat rules and whose
// scope matches w, the most specific (speed zone, then segment, stage,
// class, category, event). A valid rulebook has at most one enabled rule
// per type, qualifier and scope, so the choice is unique.
func (b *Rulebook) Select(t Type, q string, w Where) (Rule, bool) {
	best, found := -1, false
	var chosen Rule
	for _, r := range b.Rules {
		if !r.Enabled || r.IsRepeat() || r.Type != t || r.Qualifier != q {
			continue
		}
		if r.Scope.Type != ScopeEvent && (r.Scope.Ref == "" || w.ref(r.Scope.Type) != r.Scope.Ref) {
			continue
		}
		if s := r.Scope.Type.specificity(); s > best {
			best, chosen, found = s, r, true
		}
	}
	return chosen, found
}
