package rules

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Action is what a plan does to one rule. Every action inserts a new
// version; none edits or deletes a stored one.
type Action string

// The actions.
const (
	// ActionAdd: a key the store does not have; version 1.
	ActionAdd Action = "add"
	// ActionChange: the file differs from the current version; version+1
	// supersedes it.
	ActionChange Action = "change"
	// ActionRetire: an enabled rule the file no longer has; version+1 is a
	// copy with enabled false. Penalties priced by earlier versions keep
	// pointing at them.
	ActionRetire Action = "retire"
)

// FieldChange is one difference between the current version and the new
// one, written as the file writes values.
type FieldChange struct {
	// Field is the file's name of the field (penalty of a bracket is
	// "brackets[2].flat"); brackets are compared in offence order.
	Field string `json:"field"`
	Old   string `json:"old"`
	New   string `json:"new"`
}

// Change is one rule's new version.
type Change struct {
	Action Action `json:"action"`
	Key    string `json:"key"`
	// Current is the stored version it supersedes; nil for an add.
	Current *Rule `json:"-"`
	// New is the version to insert: Version and the formulas' supersedes
	// are set.
	New Rule `json:"-"`
	// FromVersion is Current's version (0 for an add), ToVersion New's.
	FromVersion int `json:"from_version"`
	ToVersion   int `json:"to_version"`
	// Fields lists what differs (empty for an add).
	Fields []FieldChange `json:"fields"`
}

// Plan is what importing a rulebook file into the store would insert. An
// empty plan means the store already holds the file's rules.
type Plan struct {
	Event   string   `json:"event"`
	Changes []Change `json:"changes"`
}

// Empty reports whether the plan inserts nothing.
func (p *Plan) Empty() bool { return len(p.Changes) == 0 }

// Formulas returns the penalty_formulas rows the plan inserts, change by
// change.
func (p *Plan) Formulas() []Formula {
	var rows []Formula
	for _, c := range p.Changes {
		rows = append(rows, c.New.Formulas(p.Event)...)
	}
	return rows
}

// String summarises the plan, one line per change, e.g.
//
//	change speeding v1 → v2: brackets[3].per_pulse 3m → 6m
func (p *Plan) String() string {
	if p.Empty() {
		return "no change to the rules of " + safe(p.Event)
	}
	var b strings.Builder
	for i, c := range p.Changes {
		if i > 0 {
			b.WriteByte('\n')
		}
		switch c.Action {
		case ActionAdd:
			fmt.Fprintf(&b, "add %s v%d", safe(c.Key), c.ToVersion)
		default:
			fmt.Fprintf(&b, "%s %s v%d → v%d", c.Action, safe(c.Key), c.FromVersion, c.ToVersion)
		}
		for j, f := range c.Fields {
			sep := ", "
			if j == 0 {
				sep = ": "
			}
			fmt.Fprintf(&b, "%s%s %s → %s", sep, f.Field, safe(f.Old), safe(f.New))
		}
	}
	return b.String()
}

// Diff plans the new versions that make the stored rules (stored: every
// stored version of the event's rules, in any order) say what the file
// desired says:
//
//   - a key the store lacks is added as version 1;
//   - a key whose current (highest) version differs in any field gets a
//     new version, current+1, superseding it;
//   - an enabled stored rule the file lacks is retired: a new version, a
//     copy with enabled false. A retired or disabled rule the file lacks
//     is left alone, so importing the same file twice plans nothing.
//
// The order of brackets and the lines they were read from are not
// differences. desired must validate (the error is then its
// *ValidationErrors). A rule the file pins to a version (version: N) that
// is not the current one is a *ConflictError: the stored rule changed
// since the file was exported.
func Diff(stored []Rule, desired *Rulebook) (*Plan, error) {
	if err := desired.Validate(); err != nil {
		return nil, err
	}
	current := map[string]Rule{}
	for _, r := range Latest(stored) {
		if r.Version < 1 {
			return nil, &FormulaError{Row: -1, Rule: r.Key, Version: r.Version, Field: "version", Msg: "stored versions start at 1"}
		}
		current[r.Key] = r
	}
	plan := &Plan{Event: desired.Event, Changes: []Change{}}
	inFile := map[string]bool{}
	for _, want := range desired.Rules {
		inFile[want.Key] = true
		cur, ok := current[want.Key]
		if want.Version != 0 && (!ok || want.Version != cur.Version) {
			return nil, &ConflictError{Rule: want.Key, FileVersion: want.Version, StoredVersion: cur.Version, Line: want.Line}
		}
		next := clean(want)
		if !ok {
			next.Version = 1
			plan.Changes = append(plan.Changes, Change{Action: ActionAdd, Key: want.Key, New: next, ToVersion: 1, Fields: []FieldChange{}})
			continue
		}
		fields := compareRules(cur, want)
		if len(fields) == 0 {
			continue
		}
		next.Version = cur.Version + 1
		c := cur
		plan.Changes = append(plan.Changes, Change{Action: ActionChange, Key: want.Key, Current: &c, New: next,
			FromVersion: cur.Version, ToVersion: next.Version, Fields: fields})
	}
	var gone []Rule
	for key, cur := range current {
		if !inFile[key] && cur.Enabled {
			gone = append(gone, cur)
		}
	}
	slices.SortFunc(gone, func(a, c Rule) int { return cmp.Compare(a.Key, c.Key) })
	for _, cur := range gone {
		next := clean(cur)
		next.Version, next.Enabled = cur.Version+1, false
		c := cur
		plan.Changes = append(plan.Changes, Change{Action: ActionRetire, Key: cur.Key, Current: &c, New: next,
			FromVersion: cur.Version, ToVersion: next.Version,
			Fields: []FieldChange{{Field: "enabled", Old: "true", New: "false"}}})
	}
	return plan, nil
}

// clean copies r without source lines, brackets in offence order.
func clean(r Rule) Rule {
	r.Line = 0
	r.Brackets = sortedBrackets(r.Brackets)
	for i := range r.Brackets {
		r.Brackets[i].Line = 0
	}
	if r.Pulse != nil {
		p := *r.Pulse
		r.Pulse = &p
	}
	return r
}

func sortedBrackets(bs []Bracket) []Bracket {
	out := slices.Clone(bs)
	slices.SortStableFunc(out, func(a, c Bracket) int { return cmp.Compare(a.Min, c.Min) })
	return out
}

// compareRules lists the differences in content between a stored rule and
// a file's, ignoring versions and source lines. "" and the explicit
// default (round up, repeats within the event) are the same.
func compareRules(cur, want Rule) []FieldChange {
	var out []FieldChange
	diff := func(field, old, new string) {
		if old != new {
			out = append(out, FieldChange{Field: field, Old: old, New: new})
		}
	}
	diff("type", string(cur.Type), string(want.Type))
	diff("qualifier", cur.Qualifier, want.Qualifier)
	diff("scope", scopeText(cur.Scope), scopeText(want.Scope))
	diff("base", cur.Base, want.Base)
	diff("repeat_within", repeatWithinText(cur), repeatWithinText(want))
	diff("contiguous", fmt.Sprint(cur.Contiguous), fmt.Sprint(want.Contiguous))
	diff("pulse", pulseText(cur.Pulse), pulseText(want.Pulse))
	diff("retroactive", fmt.Sprint(cur.Retroactive), fmt.Sprint(want.Retroactive))
	diff("enabled", fmt.Sprint(cur.Enabled), fmt.Sprint(want.Enabled))
	diff("note", cur.Note, want.Note)
	unit := want.Unit()
	a, b := sortedBrackets(cur.Brackets), sortedBrackets(want.Brackets)
	if len(a) != len(b) {
		diff("brackets", bracketsText(a, unit), bracketsText(b, unit))
		return out
	}
	for i := range a {
		p := fmt.Sprintf("brackets[%d].", i+1)
		x, y := a[i], b[i]
		diff(p+"above", formatBound(x.Min, unit), formatBound(y.Min, unit))
		diff(p+"up_to", maxText(x, unit), maxText(y, unit))
		if x.Operator != y.Operator {
			diff(p+"operator", bracketPenaltyText(x), bracketPenaltyText(y))
		} else {
			diff(p+operatorField(x.Operator), bracketAmount(x), bracketAmount(y))
		}
		diff(p+"per", formatBound(x.Per, unit), formatBound(y.Per, unit))
		diff(p+"round", roundText(x), roundText(y))
		diff(p+"outcome", outcomeName(x.Outcome), outcomeName(y.Outcome))
	}
	return out
}

func operatorField(o Operator) string {
	if o == OpRepeatMultiplier {
		return "multiplier"
	}
	return string(o)
}

func bracketAmount(b Bracket) string {
	if b.Operator == OpRepeatMultiplier {
		return formatNumber(b.Multiplier)
	}
	return formatDuration(b.Penalty)
}

func bracketPenaltyText(b Bracket) string { return operatorField(b.Operator) + " " + bracketAmount(b) }

func maxText(b Bracket, u Unit) string {
	if b.Open() {
		return "none"
	}
	return formatBound(b.Max, u)
}

func roundText(b Bracket) string {
	if b.Operator == OpPerUnitOver && b.Round == "" {
		return string(RoundUp)
	}
	return string(b.Round)
}

func repeatWithinText(r Rule) string {
	if r.IsRepeat() && r.RepeatWithin == "" {
		return string(ScopeEvent)
	}
	return string(r.RepeatWithin)
}

func scopeText(s Scope) string {
	if s.Ref == "" {
		return string(s.Type)
	}
	return string(s.Type) + " " + s.Ref
}

func pulseText(p *Pulse) string {
	if p == nil {
		return "none"
	}
	return fmt.Sprintf("every %ss or %sm", formatNumber(p.Seconds), formatNumber(p.Metres))
}

func bracketsText(bs []Bracket, u Unit) string {
	parts := make([]string, len(bs))
	for i, b := range bs {
		s := describeBracket(b, u) + ": " + bracketPenaltyText(b)
		if b.Per != 0 {
			s += " per " + formatBound(b.Per, u)
		}
		if b.Outcome != OutcomeNone {
			s += ", " + string(b.Outcome)
		}
		parts[i] = s
	}
	return strings.Join(parts, "; ")
}
