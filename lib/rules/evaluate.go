package rules

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Offence is what an evaluator measured, the input of [Evaluate].
type Offence struct {
	// Value is how far the offence goes, in the rule type's unit (see
	// [Types]): km/h over the limit, waypoints missed, seconds late,
	// percent of waypoints missed.
	Value float64 `json:"value"`
	// Pulses is the number of pulses recorded during a speed infringement
	// (see [Pulse.Count]); per_pulse brackets need at least 1, other
	// operators ignore it.
	Pulses int `json:"pulses,omitempty"`
	// Repeat is the ordinal of this offence among the entry's offences
	// under the same rule, counted where the repeat rule says (event or
	// stage): 1 for the first. 0 reads as 1.
	Repeat int `json:"repeat,omitempty"`
}

// Result is a priced offence, with everything needed to explain it: the
// rule version and the bracket that applied (as the stored row, ready to be
// kept as entry_penalties.formula_snapshot), the inputs, the units
// counted, the repeat multiplier, the seconds and the outcome.
type Result struct {
	Rule      string  `json:"rule"`
	Version   int     `json:"version"`
	Type      Type    `json:"type"`
	Qualifier string  `json:"qualifier,omitempty"`
	Offence   Offence `json:"offence"`
	// Applied is false when no bracket holds the offence (below the first
	// bracket, in a gap of a rule that is not contiguous): no penalty.
	Applied bool `json:"applied"`
	// Bracket is the 1-based position of the bracket in the rule; 0 when
	// none applied.
	Bracket int `json:"bracket"`
	// Formula is the row that priced the offence; nil when none applied.
	Formula *Formula `json:"formula"`
	// Units is what per_unit_over counted (e.g. 3 started minutes).
	Units float64 `json:"units,omitempty"`
	// BaseSeconds is the bracket's seconds before any repeat multiplier.
	BaseSeconds int64 `json:"base_seconds"`
	// Repeat is the repeat multiplier applied, if any.
	Repeat *RepeatApplied `json:"repeat,omitempty"`
	// Seconds is the penalty; never negative.
	Seconds int64 `json:"seconds"`
	// Outcome is the gravest outcome of the brackets applied.
	Outcome Outcome `json:"outcome,omitempty"`
	unit    Unit
}

// RepeatApplied is the repeat multiplier a Result applied.
type RepeatApplied struct {
	Rule       string   `json:"rule"`
	Version    int      `json:"version"`
	Ordinal    int      `json:"ordinal"`
	Bracket    int      `json:"bracket"`
	Formula    *Formula `json:"formula"`
	Multiplier float64  `json:"multiplier"`
	Outcome    Outcome  `json:"outcome,omitempty"`
}

// Evaluate prices offence o under rule base and, when not nil and enabled,
// its repeat rule. It is the reference arithmetic of the operators: the
// processor's evaluators call it, so that a row means one thing.
//
// The bracket is the one holding o.Value (offence_min < value ≤
// offence_max). Then, with p its penalty in seconds:
//
//	flat               p
//	per_unit_over      p × units, units = value / per, rounded up (a started
//	                   unit counts) or down as the bracket says
//	per_pulse          p × o.Pulses
//
// A repeat rule's bracket holding the ordinal o.Repeat multiplies that,
// rounded to the nearest second (half away from zero). The outcome is the
// gravest of the brackets'. An offence no bracket holds costs nothing.
//
// Errors are *EvalError: a negative or non-finite input, pulses missing
// for a per_pulse bracket, a penalty beyond MaxResultSeconds, a disabled
// base, a repeat rule that is not base's, or a bracket that does not
// validate. Evaluate does not validate whole rules: validate rulebooks when
// they are loaded.
func Evaluate(base Rule, repeat *Rule, o Offence) (Result, error) {
	fail := func(field, format string, args ...any) (Result, error) {
		return Result{}, &EvalError{Rule: base.Key, Version: base.Version, Field: field, Msg: fmt.Sprintf(format, args...)}
	}
	switch {
	case base.IsRepeat():
		return fail("rule", "is a repeat rule; evaluate its base %s with it as the repeat rule", base.Base)
	case !base.Enabled:
		return fail("rule", "is disabled; a disabled rule prices nothing")
	case repeat != nil && repeat.Base != base.Key:
		return fail("repeat", "rule %s multiplies %q, not this rule", repeat.Key, repeat.Base)
	case !finite(o.Value) || o.Value > MaxOffence:
		return fail("value", "%v is not a finite number up to %g", o.Value, float64(MaxOffence))
	case o.Value < 0:
		return fail("value", "%v is negative; an offence is measured from 0", o.Value)
	case o.Pulses < 0:
		return fail("pulses", "%d is negative", o.Pulses)
	case o.Repeat < 0:
		return fail("repeat", "%d is negative; the first offence is 1", o.Repeat)
	}
	res := Result{Rule: base.Key, Version: base.Version, Type: base.Type, Qualifier: base.Qualifier, Offence: o, unit: base.Unit()}
	i := findBracket(base.Brackets, o.Value)
	if i < 0 {
		return res, nil
	}
	b := base.Brackets[i]
	if msg := unusable(b); msg != "" {
		return fail(fmt.Sprintf("bracket %d", i+1), "%s", msg)
	}
	f := base.formula("", i)
	res.Applied, res.Bracket, res.Formula, res.Outcome = true, i+1, &f, b.Outcome
	var seconds float64
	switch b.Operator {
	case OpFlat:
		seconds = float64(b.Penalty)
	case OpPerUnitOver:
		res.Units = countUnits(o.Value, b.Per, b.Round)
		seconds = float64(b.Penalty) * res.Units
	case OpPerPulse:
		if o.Pulses < 1 {
			return fail("pulses", "bracket %d prices each pulse: give the infringement's pulses (at least 1)", i+1)
		}
		seconds = float64(b.Penalty) * float64(o.Pulses)
	}
	if seconds > MaxResultSeconds {
		return fail("value", "the penalty would exceed %s", formatDuration(MaxResultSeconds))
	}
	res.BaseSeconds, res.Seconds = int64(seconds), int64(seconds)
	if repeat == nil || !repeat.Enabled {
		return res, nil
	}
	ordinal := max(o.Repeat, 1)
	j := findBracket(repeat.Brackets, float64(ordinal))
	if j < 0 {
		return res, nil
	}
	rb := repeat.Brackets[j]
	if rb.Operator != OpRepeatMultiplier || !finite(rb.Multiplier) || rb.Multiplier < 1 || rb.Multiplier > MaxMultiplier || rb.Outcome.rank() < 0 {
		return Result{}, &EvalError{Rule: repeat.Key, Version: repeat.Version, Field: fmt.Sprintf("bracket %d", j+1),
			Msg: "is not a repeat multiplier of at least 1; validate the rulebook"}
	}
	multiplied := math.Round(seconds * rb.Multiplier)
	if multiplied > MaxResultSeconds {
		return fail("repeat", "the penalty would exceed %s", formatDuration(MaxResultSeconds))
	}
	rf := repeat.formula("", j)
	res.Repeat = &RepeatApplied{Rule: repeat.Key, Version: repeat.Version, Ordinal: ordinal, Bracket: j + 1,
		Formula: &rf, Multiplier: rb.Multiplier, Outcome: rb.Outcome}
	res.Seconds = int64(multiplied)
	if rb.Outcome.rank() > res.Outcome.rank() {
		res.Outcome = rb.Outcome
	}
	return res, nil
}

// Evaluate prices o under the rule with key and its enabled repeat rule;
// the result's formulas carry b's event. See the function [Evaluate].
func (b *Rulebook) Evaluate(key string, o Offence) (Result, error) {
	base, ok := b.Rule(key)
	if !ok {
		return Result{}, &EvalError{Rule: key, Field: "rule", Msg: "no rule has this key in the rulebook of " + safe(b.Event)}
	}
	var repeat *Rule
	if r, ok := b.Repeat(key); ok {
		repeat = &r
	}
	res, err := Evaluate(base, repeat, o)
	if err != nil {
		return res, err
	}
	if res.Formula != nil {
		res.Formula.Event = b.Event
	}
	if res.Repeat != nil {
		res.Repeat.Formula.Event = b.Event
	}
	return res, nil
}

func findBracket(bs []Bracket, x float64) int {
	for i, b := range bs {
		if b.contains(x) {
			return i
		}
	}
	return -1
}

// unusable says why a bracket cannot price anything, or "".
func unusable(b Bracket) string {
	switch {
	case b.Operator != OpFlat && b.Operator != OpPerUnitOver && b.Operator != OpPerPulse:
		return fmt.Sprintf("operator %q does not price an offence", b.Operator)
	case b.Penalty < 0 || b.Penalty > MaxPenaltySeconds:
		return fmt.Sprintf("penalty %ds is outside 0 to %ds", b.Penalty, MaxPenaltySeconds)
	case b.Operator == OpPerUnitOver && (!finite(b.Per) || b.Per <= 0):
		return fmt.Sprintf("unit size %v is not above 0", b.Per)
	case b.Operator == OpPerUnitOver && b.Round != "" && b.Round != RoundUp && b.Round != RoundDown:
		return fmt.Sprintf("unknown rounding %q", b.Round)
	case b.Outcome.rank() < 0:
		return fmt.Sprintf("unknown outcome %q", b.Outcome)
	}
	return ""
}

// countUnits is value/per rounded as r says. A quotient within a billionth
// of a whole number is that number, so that 0.3/0.1 counts 3, not 2 or 4.
func countUnits(value, per float64, r Round) float64 {
	q := snap(value / per)
	if r == RoundDown {
		return math.Floor(q)
	}
	return math.Ceil(q)
}

func snap(q float64) float64 {
	if n := math.Round(q); math.Abs(q-n) <= 1e-9*math.Max(1, math.Abs(q)) {
		return n
	}
	return q
}

// String explains the result in one line, e.g.
//
//	speeding v1: 28 km/h over, bracket 2 (above 20 up to 40): 2m per pulse × 3 pulses = 6m; repeat 2 (speeding-repeat v1, bracket 1): × 2 = 12m
func (r Result) String() string {
	unit := r.unit
	if ti, ok := LookupType(r.Type); ok && unit == "" { // a Result read back from JSON
		unit = ti.Unit
	}
	var s strings.Builder
	s.WriteString(safe(r.Rule))
	if r.Version > 0 {
		fmt.Fprintf(&s, " v%d", r.Version)
	}
	s.WriteString(": " + formatOffence(r.Offence.Value, unit, r.Type))
	if !r.Applied {
		s.WriteString(": in no bracket, no penalty")
		return s.String()
	}
	f := r.Formula
	b := Bracket{Min: f.OffenceMin, Max: math.Inf(1)}
	if f.OffenceMax != nil {
		b.Max = *f.OffenceMax
	}
	fmt.Fprintf(&s, ", bracket %d (%s): ", r.Bracket, describeBracket(b, unit))
	switch f.Operator {
	case OpFlat:
		s.WriteString(formatDuration(f.Penalty) + " flat")
	case OpPerUnitOver:
		fmt.Fprintf(&s, "%s per %s × %s = %s", formatDuration(f.Penalty), formatBound(f.Per, unit), formatNumber(r.Units), formatDuration(r.BaseSeconds))
	case OpPerPulse:
		fmt.Fprintf(&s, "%s per pulse × %d = %s", formatDuration(f.Penalty), r.Offence.Pulses, formatDuration(r.BaseSeconds))
	}
	if f.Outcome != OutcomeNone {
		s.WriteString(", " + string(f.Outcome))
	}
	if rp := r.Repeat; rp != nil {
		fmt.Fprintf(&s, "; repeat %d (%s", rp.Ordinal, safe(rp.Rule))
		if rp.Version > 0 {
			fmt.Fprintf(&s, " v%d", rp.Version)
		}
		fmt.Fprintf(&s, ", bracket %d): × %s = %s", rp.Bracket, formatNumber(rp.Multiplier), formatDuration(r.Seconds))
		if rp.Outcome != OutcomeNone {
			s.WriteString(", " + string(rp.Outcome))
		}
	}
	return s.String()
}

func formatOffence(x float64, u Unit, t Type) string {
	switch u {
	case UnitKmhOver:
		return formatNumber(x) + " km/h over"
	case UnitSeconds:
		d := formatNumber(x) + "s"
		if x == math.Trunc(x) {
			d = formatDuration(int64(x))
		}
		switch t {
		case TypeLateTimeControl:
			return d + " late"
		case TypeEarlyTimeControl:
			return d + " early"
		}
		return d + " over the limit"
	case UnitPercent:
		return formatNumber(x) + " % missed"
	case UnitCount:
		return formatNumber(x) + " missed"
	}
	return formatNumber(x)
}

func formatNumber(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

// formatBound writes a bound or unit size as the file does: a duration for
// whole seconds, a number otherwise.
func formatBound(x float64, u Unit) string {
	if u == UnitSeconds && finite(x) && x == math.Trunc(x) && math.Abs(x) <= MaxOffence {
		return formatDuration(int64(x))
	}
	return formatNumber(x)
}
