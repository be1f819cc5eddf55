package rules

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Validate checks everything the package knows about b and returns nil or
// a *ValidationErrors listing every problem:
//
//   - the event, keys, references and notes are well formed; keys are
//     unique;
//   - types, qualifiers, scopes, operators and outcomes are known, and each
//     operator is one the rule's type allows;
//   - numbers are finite, not negative, within the package's limits, whole
//     where the unit is (counts, seconds, repeats);
//   - every bracket is non-empty (offence_min < offence_max), brackets of a
//     rule never overlap, and a contiguous rule leaves no gap;
//   - a greater offence never costs fewer seconds, nor a milder outcome
//     (none < dnf < excluded), than a smaller one that a bracket of the
//     same rule prices; so for a greater repeat;
//   - a repeat multiplier has an enabled base rule of its type and scope;
//   - at most one enabled rule prices a type, qualifier and scope.
func (b *Rulebook) Validate() error { return b.validate("") }

type validator struct {
	source string
	errs   []*ValidationError
}

func (v *validator) add(line int, rule string, bracket int, field string, p Problem, format string, args ...any) {
	v.errs = append(v.errs, &ValidationError{
		Source: v.source, Line: line, Rule: rule, Bracket: bracket, Field: field,
		Problem: p, Msg: fmt.Sprintf(format, args...),
	})
}

func (b *Rulebook) validate(source string) error {
	v := &validator{source: source}
	if msg := checkKey(b.Event); msg != "" {
		v.add(0, "", 0, "event", ProblemInvalid, "%s (the event's slug, e.g. rally-albania-2026)", msg)
	}
	if msg := checkText(b.Note, MaxTextLength, true); msg != "" {
		v.add(0, "", 0, "note", ProblemInvalid, "%s", msg)
	}
	if len(b.Rules) > MaxRules {
		v.add(0, "", 0, "rules", ProblemOutOfRange, "%d rules, more than the limit of %d", len(b.Rules), MaxRules)
		return &ValidationErrors{Errs: v.errs}
	}
	seen := map[string]int{}
	for i := range b.Rules {
		r := &b.Rules[i]
		if first, dup := seen[r.Key]; dup && r.Key != "" {
			v.add(r.Line, r.Key, 0, "key", ProblemDuplicate, "key already used by the rule at position %d; keys are unique in a rulebook", first+1)
		} else {
			seen[r.Key] = i
		}
		v.rule(b, r)
	}
	v.ambiguity(b)
	if len(v.errs) == 0 {
		return nil
	}
	slices.SortStableFunc(v.errs, func(a, c *ValidationError) int { return cmp.Compare(lineOrMax(a.Line), lineOrMax(c.Line)) })
	return &ValidationErrors{Errs: v.errs}
}

func lineOrMax(l int) int {
	if l == 0 {
		return math.MaxInt
	}
	return l
}

func (v *validator) rule(b *Rulebook, r *Rule) {
	key := r.Key
	if msg := checkKey(r.Key); msg != "" {
		v.add(r.Line, key, 0, "key", ProblemInvalid, "%s (a stable name such as speeding-moto)", msg)
	}
	if r.Version < 0 {
		v.add(r.Line, key, 0, "version", ProblemNegative, "version %d; versions start at 1", r.Version)
	}
	if msg := checkText(r.Note, MaxTextLength, true); msg != "" {
		v.add(r.Line, key, 0, "note", ProblemInvalid, "%s", msg)
	}
	if r.IsRepeat() {
		v.repeatRule(b, r)
	} else {
		v.baseRule(r)
	}
	if r.Pulse != nil {
		p := r.Pulse
		switch {
		case !finite(p.Seconds) || !finite(p.Metres) || p.Seconds > MaxOffence || p.Metres > MaxOffence:
			v.add(r.Line, key, 0, "pulse", ProblemOutOfRange, "seconds and metres must be finite numbers up to %g", float64(MaxOffence))
		case p.Seconds < 0 || p.Metres < 0:
			v.add(r.Line, key, 0, "pulse", ProblemNegative, "seconds and metres must not be negative")
		case p.Seconds == 0 && p.Metres == 0:
			v.add(r.Line, key, 0, "pulse", ProblemInvalid, "give seconds, metres or both (a pulse every 10 s or 150 m: {seconds: 10, metres: 150})")
		}
	}
	v.brackets(r)
}

func (v *validator) baseRule(r *Rule) {
	key := r.Key
	ti, ok := LookupType(r.Type)
	if !ok {
		v.add(r.Line, key, 0, "type", ProblemUnknownType, "unknown type %q; the types are %s", r.Type, strings.Join(typeNames(), ", "))
	} else {
		switch {
		case len(ti.Qualifiers) == 0 && r.Qualifier != "":
			v.add(r.Line, key, 0, "qualifier", ProblemQualifier, "type %s takes no qualifier, got %q", r.Type, r.Qualifier)
		case len(ti.Qualifiers) > 0 && r.Qualifier == "":
			v.add(r.Line, key, 0, "qualifier", ProblemQualifier, "type %s needs a qualifier: one of %s", r.Type, strings.Join(ti.Qualifiers, ", "))
		case len(ti.Qualifiers) > 0 && !slices.Contains(ti.Qualifiers, r.Qualifier):
			hint := ""
			if slices.Contains(ti.Qualifiers, strings.ToUpper(r.Qualifier)) {
				hint = " (qualifiers are upper case)"
			}
			v.add(r.Line, key, 0, "qualifier", ProblemQualifier, "unknown qualifier %q for type %s; one of %s%s",
				r.Qualifier, r.Type, strings.Join(ti.Qualifiers, ", "), hint)
		}
		if r.Pulse != nil && !ti.Pulses {
			v.add(r.Line, key, 0, "pulse", ProblemOperatorNotAllowed, "type %s counts no pulses; remove pulse", r.Type)
		}
	}
	v.scope(r)
	if r.RepeatWithin != "" {
		v.add(r.Line, key, 0, "repeat_within", ProblemOperatorNotAllowed, "only a repeat rule (one with a base) counts repeats")
	}
}

func (v *validator) scope(r *Rule) {
	s := r.Scope
	switch s.Type {
	case ScopeEvent:
		if s.Ref != "" {
			v.add(r.Line, r.Key, 0, "scope", ProblemUnknownScope, "a rule of the whole event names nothing, got %q", s.Ref)
		}
	case ScopeCategory:
		if !slices.Contains(Categories(), s.Ref) {
			v.add(r.Line, r.Key, 0, "scope", ProblemUnknownScope, "unknown category %q; one of %s", s.Ref, strings.Join(Categories(), ", "))
		}
	case ScopeClass, ScopeStage, ScopeSegment, ScopeSpeedZone:
		if s.Ref == "" {
			v.add(r.Line, r.Key, 0, "scope", ProblemUnknownScope, "a rule of a %s must name it, e.g. {%s: …}", s.Type, s.Type)
		} else if msg := checkText(s.Ref, MaxRefLength, false); msg != "" {
			v.add(r.Line, r.Key, 0, "scope", ProblemInvalid, "%s", msg)
		}
	default:
		var names []string
		for _, t := range ScopeTypes() {
			names = append(names, string(t))
		}
		v.add(r.Line, r.Key, 0, "scope", ProblemUnknownScope, "unknown belongs_to_type %q; one of %s", s.Type, strings.Join(names, ", "))
	}
}

func (v *validator) repeatRule(b *Rulebook, r *Rule) {
	key := r.Key
	base, ok := b.Rule(r.Base)
	switch {
	case !ok:
		v.add(r.Line, key, 0, "base", ProblemRepeatWithoutBase, "no rule has the key %q: a repeat multiplier needs the rule it multiplies", r.Base)
	case base.IsRepeat():
		v.add(r.Line, key, 0, "base", ProblemRepeatWithoutBase, "%q is itself a repeat rule; name the rule that prices the offence", r.Base)
	case r.Enabled && !base.Enabled:
		v.add(r.Line, key, 0, "base", ProblemRepeatWithoutBase, "base rule %q is disabled; disable this repeat rule too, or enable the base", r.Base)
	case base.Type != r.Type || base.Qualifier != r.Qualifier || base.Scope != r.Scope:
		v.add(r.Line, key, 0, "base", ProblemRepeatWithoutBase,
			"a repeat rule has its base's type, qualifier and scope (%s); leave them out of the repeat rule", describeRuleKind(base))
	}
	if r.Enabled && ok {
		for _, o := range b.Rules {
			if o.Key == key {
				break
			}
			if o.Base == r.Base && o.Enabled {
				v.add(r.Line, key, 0, "base", ProblemDuplicate, "rule %s already multiplies %s; one enabled repeat rule per base", safe(o.Key), safe(r.Base))
				break
			}
		}
	}
	if r.RepeatWithin != "" && r.RepeatWithin != ScopeEvent && r.RepeatWithin != ScopeStage {
		v.add(r.Line, key, 0, "repeat_within", ProblemUnknownScope, "unknown %q; repeats are counted within the event or the stage", r.RepeatWithin)
	}
}

func describeRuleKind(r Rule) string {
	s := safe(string(r.Type))
	if r.Qualifier != "" {
		s += " " + safe(r.Qualifier)
	}
	if r.Scope.Type == ScopeEvent {
		return s + ", whole event"
	}
	return s + ", " + safe(string(r.Scope.Type)) + " " + safe(r.Scope.Ref)
}

func (v *validator) brackets(r *Rule) {
	key := r.Key
	if len(r.Brackets) == 0 {
		v.add(r.Line, key, 0, "brackets", ProblemInvalid, "a rule needs at least one bracket")
		return
	}
	if len(r.Brackets) > MaxBrackets {
		v.add(r.Line, key, 0, "brackets", ProblemOutOfRange, "%d brackets, more than the limit of %d", len(r.Brackets), MaxBrackets)
		return
	}
	unit := r.Unit()
	ti, typeKnown := LookupType(r.Type)
	usable := true
	pulses := false
	for i, bk := range r.Brackets {
		n := i + 1
		if !v.bracket(r, n, bk, unit, typeKnown && ti.Pulses) {
			usable = false
		}
		if bk.Operator == OpPerPulse {
			pulses = true
		}
	}
	if pulses && r.Pulse == nil && !r.IsRepeat() {
		v.add(r.Line, key, 0, "pulse", ProblemInvalid, "per_pulse brackets need the pulse interval, e.g. pulse: {seconds: 10, metres: 150}")
	}
	if !usable {
		return // order, overlaps and monotony mean nothing on broken bounds
	}
	order := make([]int, len(r.Brackets))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, c int) int { return cmp.Compare(r.Brackets[a].Min, r.Brackets[c].Min) })
	for k := 0; k+1 < len(order); k++ {
		a, c := r.Brackets[order[k]], r.Brackets[order[k+1]]
		na, nc := order[k]+1, order[k+1]+1
		switch {
		case a.Max > c.Min:
			v.add(c.Line, key, nc, "above", ProblemOverlap, "%s overlaps bracket %d (%s); brackets of a rule never share an offence",
				describeBracket(c, unit), na, describeBracket(a, unit))
			continue
		case r.Contiguous && a.Max < c.Min:
			v.add(c.Line, key, nc, "above", ProblemGap, "%s leaves offences above %s up to %s unpriced after bracket %d; the rule is contiguous: start it at %s",
				describeBracket(c, unit), formatBound(a.Max, unit), formatBound(c.Min, unit), na, formatBound(a.Max, unit))
		}
		v.monotone(r, unit, a, c, na, nc)
	}
	if last := r.Brackets[order[len(order)-1]]; r.Contiguous && !last.Open() {
		v.add(last.Line, key, order[len(order)-1]+1, "up_to", ProblemGap,
			"offences above %s are unpriced; the rule is contiguous: leave out up_to so the last bracket is open-ended", formatBound(last.Max, unit))
	}
}

// bracket checks one bracket on its own and reports whether its bounds
// are usable for the checks between brackets.
func (v *validator) bracket(r *Rule, n int, b Bracket, unit Unit, pulsesAllowed bool) bool {
	key, line := r.Key, b.Line
	usable := true
	if !finite(b.Min) || b.Min > MaxOffence {
		v.add(line, key, n, "above", ProblemOutOfRange, "must be a finite number up to %g", float64(MaxOffence))
		usable = false
	} else if b.Min < 0 {
		v.add(line, key, n, "above", ProblemNegative, "%s is negative; offences are measured from 0", formatBound(b.Min, unit))
		usable = false
	} else if unit.whole() && b.Min != math.Trunc(b.Min) {
		v.add(line, key, n, "above", ProblemOutOfRange, "%s is not whole; %s are whole numbers", formatBound(b.Min, unit), unitPlural(unit))
		usable = false
	}
	if math.IsNaN(b.Max) || (b.Max > MaxOffence && !b.Open()) || math.IsInf(b.Max, -1) {
		v.add(line, key, n, "up_to", ProblemOutOfRange, "must be a finite number up to %g, or left out for no upper bound", float64(MaxOffence))
		usable = false
	} else if !b.Open() && unit.whole() && b.Max != math.Trunc(b.Max) {
		v.add(line, key, n, "up_to", ProblemOutOfRange, "%s is not whole; %s are whole numbers", formatBound(b.Max, unit), unitPlural(unit))
		usable = false
	}
	if usable && b.Min >= b.Max {
		v.add(line, key, n, "up_to", ProblemEmptyBracket, "up_to %s is not above %s: a bracket holds the offences above its lower bound up to its upper bound",
			formatBound(b.Max, unit), formatBound(b.Min, unit))
		usable = false
	}
	if usable && unit == UnitPercent && !b.Open() && b.Max > 100 {
		v.add(line, key, n, "up_to", ProblemOutOfRange, "%g is above 100 %%", b.Max)
	}
	if b.Outcome.rank() < 0 {
		v.add(line, key, n, "outcome", ProblemUnknownOutcome, "unknown outcome %q; one of dnf, excluded, or none", b.Outcome)
	}
	switch b.Operator {
	case OpFlat, OpPerUnitOver, OpPerPulse:
		if r.IsRepeat() {
			v.add(line, key, n, string(b.Operator), ProblemOperatorNotAllowed, "a repeat rule's brackets give a multiplier, not seconds")
		}
		if b.Operator == OpPerPulse && !r.IsRepeat() && !pulsesAllowed {
			v.add(line, key, n, string(b.Operator), ProblemOperatorNotAllowed, "type %q counts no pulses; per_pulse is for speeding", r.Type)
		}
		if b.Penalty < 0 {
			v.add(line, key, n, string(b.Operator), ProblemNegative, "penalty %ds is negative", b.Penalty)
		} else if b.Penalty > MaxPenaltySeconds {
			v.add(line, key, n, string(b.Operator), ProblemOutOfRange, "penalty %s is above the limit of %s", formatDuration(b.Penalty), formatDuration(MaxPenaltySeconds))
		}
		if b.Multiplier != 0 {
			v.add(line, key, n, "multiplier", ProblemOperatorNotAllowed, "only a repeat_multiplier bracket has a multiplier")
		}
	case OpRepeatMultiplier:
		if !r.IsRepeat() {
			v.add(line, key, n, "multiplier", ProblemRepeatWithoutBase, "a repeat multiplier belongs in a repeat rule: one with base: <key of the rule it multiplies>")
		}
		if b.Penalty != 0 {
			v.add(line, key, n, "multiplier", ProblemOperatorNotAllowed, "a repeat multiplier has no penalty of its own (got %ds)", b.Penalty)
		}
		switch {
		case !finite(b.Multiplier) || b.Multiplier > MaxMultiplier:
			v.add(line, key, n, "multiplier", ProblemOutOfRange, "must be a finite number up to %d", MaxMultiplier)
		case b.Multiplier < 0:
			v.add(line, key, n, "multiplier", ProblemNegative, "%g is negative", b.Multiplier)
		case b.Multiplier < 1:
			v.add(line, key, n, "multiplier", ProblemNotMonotone, "%g would make a repeat cost less than the first offence; multipliers are at least 1", b.Multiplier)
		}
	default:
		v.add(line, key, n, "operator", ProblemUnknownOperator, "unknown operator %q; one of %s", b.Operator, strings.Join(operatorNames(), ", "))
		return false
	}
	if b.Operator == OpPerUnitOver {
		switch {
		case !finite(b.Per) || b.Per > MaxOffence:
			v.add(line, key, n, "per", ProblemOutOfRange, "must be a finite number up to %g", float64(MaxOffence))
			usable = false
		case b.Per <= 0:
			v.add(line, key, n, "per", ProblemInvalid, "per_unit_over needs the size of a unit, above 0 (per: 1m for \"per minute\", per: 1 for \"per km/h\")")
			usable = false
		case unit.whole() && b.Per != math.Trunc(b.Per):
			v.add(line, key, n, "per", ProblemOutOfRange, "%s is not whole; %s are whole numbers", formatBound(b.Per, unit), unitPlural(unit))
			usable = false
		}
		if b.Round != "" && b.Round != RoundUp && b.Round != RoundDown {
			v.add(line, key, n, "round", ProblemInvalid, "unknown rounding %q; up (a started unit counts) or down (whole units only)", b.Round)
			usable = false
		}
	} else {
		if b.Per != 0 {
			v.add(line, key, n, "per", ProblemOperatorNotAllowed, "only a per_unit_over bracket has a unit size")
		}
		if b.Round != "" {
			v.add(line, key, n, "round", ProblemOperatorNotAllowed, "only a per_unit_over bracket rounds")
		}
	}
	return usable
}

// monotone checks that offences in c (the next bracket up) never cost
// fewer seconds nor a milder outcome than offences in a. Seconds and
// outcome are each checked on their own, not one before the other, so that
// the order survives a repeat multiplier (which scales the seconds and may
// raise the outcome of both).
func (v *validator) monotone(r *Rule, unit Unit, a, c Bracket, na, nc int) {
	ra, rc := a.Outcome.rank(), c.Outcome.rank()
	if ra >= 0 && rc >= 0 && rc < ra {
		v.add(c.Line, r.Key, nc, "outcome", ProblemNotMonotone, "%s has a milder outcome (%s) than bracket %d below it (%s); a greater offence never costs less",
			describeBracket(c, unit), outcomeName(c.Outcome), na, outcomeName(a.Outcome))
	}
	if a.Operator == OpPerPulse && c.Operator != OpPerPulse {
		v.add(c.Line, r.Key, nc, operatorField(c.Operator), ProblemNotMonotone,
			"bracket %d below prices each pulse, this one does not: with enough pulses the smaller offence would cost more; price both per pulse", na)
		return
	}
	if top, bottom := atTop(a), atBottom(c); bottom < top {
		what := "seconds"
		if r.IsRepeat() {
			what = "multiplier"
		}
		v.add(c.Line, r.Key, nc, operatorField(c.Operator), ProblemNotMonotone,
			"%s gives %s at its lowest, less than the %s bracket %d gives at %s; a greater offence never costs less (an outcome such as dnf comes on top of the seconds: keep at least %s)",
			describeBracket(c, unit), formatAmount(bottom, what), formatAmount(top, what), na, formatBound(a.Max, unit), formatAmount(top, what))
	}
}

// atTop is what a bracket charges at its upper bound (one pulse, the
// multiplier for repeat brackets).
func atTop(b Bracket) float64 {
	switch b.Operator {
	case OpPerUnitOver:
		return float64(b.Penalty) * countUnits(b.Max, b.Per, b.Round)
	case OpRepeatMultiplier:
		return b.Multiplier
	}
	return float64(b.Penalty)
}

// atBottom is what a bracket charges just above its lower bound: for
// per_unit_over the units of the bound itself, since an offence a hair
// above it counts as the bound (see countUnits).
func atBottom(b Bracket) float64 {
	switch b.Operator {
	case OpPerUnitOver:
		return float64(b.Penalty) * countUnits(b.Min, b.Per, b.Round)
	case OpRepeatMultiplier:
		return b.Multiplier
	}
	return float64(b.Penalty)
}

func formatAmount(x float64, what string) string {
	if what == "multiplier" {
		return "×" + formatNumber(x)
	}
	return formatDuration(int64(x))
}

func outcomeName(o Outcome) string {
	if o == OutcomeNone {
		return "none"
	}
	return string(o)
}

// ambiguity reports two enabled base rules that would both price the same
// offence at the same place.
func (v *validator) ambiguity(b *Rulebook) {
	type slot struct {
		t Type
		q string
		s Scope
	}
	seen := map[slot]string{}
	for _, r := range b.Rules {
		if !r.Enabled || r.IsRepeat() {
			continue
		}
		k := slot{r.Type, r.Qualifier, r.Scope}
		if other, dup := seen[k]; dup {
			v.add(r.Line, r.Key, 0, "scope", ProblemDuplicate, "rule %s already prices %s; disable one or give them different scopes",
				safe(other), describeRuleKind(r))
			continue
		}
		seen[k] = r.Key
	}
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

func unitPlural(u Unit) string {
	switch u {
	case UnitCount:
		return "counts"
	case UnitSeconds:
		return "seconds"
	case UnitRepeat:
		return "repeats"
	}
	return string(u)
}

// describeBracket says a bracket's range as the file writes it.
func describeBracket(b Bracket, u Unit) string {
	s := "above " + formatBound(b.Min, u)
	if !b.Open() {
		s += " up to " + formatBound(b.Max, u)
	}
	return s
}

// checkKey returns what is wrong with a key or event slug, or "".
func checkKey(s string) string {
	switch {
	case s == "":
		return "missing"
	case len(s) > MaxRefLength:
		return fmt.Sprintf("longer than %d bytes", MaxRefLength)
	}
	prevSep := true
	for _, c := range s {
		sep := c == '-' || c == '_' || c == '.'
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || sep) {
			return fmt.Sprintf("%q has %q; use lower-case letters, digits and - _ . between them", s, c)
		}
		if sep && prevSep {
			return fmt.Sprintf("%q has a separator at the start or twice in a row", s)
		}
		prevSep = sep
	}
	if prevSep {
		return fmt.Sprintf("%q ends with a separator", s)
	}
	return ""
}

// checkText returns what is wrong with free text, or "": it must be valid
// UTF-8 without control characters (a note may hold line breaks and tabs),
// and a reference must not be blank or padded.
func checkText(s string, max int, multiline bool) string {
	if len(s) > max {
		return fmt.Sprintf("longer than %d bytes", max)
	}
	if !utf8.ValidString(s) {
		return "not valid UTF-8"
	}
	for _, c := range s {
		if multiline && (c == '\n' || c == '\t') {
			continue
		}
		if unicode.IsControl(c) || c == '\u2028' || c == '\u2029' || c == '\ufeff' {
			return fmt.Sprintf("has the control character %U", c)
		}
	}
	if !multiline && strings.TrimSpace(s) != s {
		return fmt.Sprintf("%q has leading or trailing spaces", s)
	}
	return ""
}
