package rules

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// Formula is one row of the penalty_formulas table: one bracket of one
// version of one rule, with the rule's fields repeated on each of its rows
// (the table is flat so that a row, stored as an entry_penalties
// formula_snapshot, explains a penalty on its own). JSON names are the
// table's column names.
//
// For belongs_to_type event, belongs_to is empty: the event column says
// which. supersedes is the version this one replaces (version - 1), 0 for
// a first version; the table may hold it as a foreign key to that row.
type Formula struct {
	Event         string    `json:"event"`
	RuleKey       string    `json:"rule_key"`
	Version       int       `json:"version"`
	Supersedes    int       `json:"supersedes"`
	BelongsToType ScopeType `json:"belongs_to_type"`
	BelongsTo     string    `json:"belongs_to"`
	Type          Type      `json:"type"`
	Qualifier     string    `json:"qualifier"`
	Base          string    `json:"base"`
	RepeatWithin  ScopeType `json:"repeat_within"`
	Contiguous    bool      `json:"contiguous"`
	PulseSeconds  float64   `json:"pulse_seconds"`
	PulseMetres   float64   `json:"pulse_metres"`
	OffenceMin    float64   `json:"offence_min"`
	// OffenceMax is null for an open-ended bracket.
	OffenceMax  *float64 `json:"offence_max"`
	Operator    Operator `json:"operator"`
	Penalty     int64    `json:"penalty"`
	Per         float64  `json:"per"`
	Round       Round    `json:"round"`
	Multiplier  float64  `json:"multiplier"`
	Outcome     Outcome  `json:"outcome"`
	Retroactive bool     `json:"retroactive"`
	Enabled     bool     `json:"enabled"`
	Note        string   `json:"note"`
}

// Formulas returns r's rows for event, one per bracket in r's order.
func (r Rule) Formulas(event string) []Formula {
	rows := make([]Formula, len(r.Brackets))
	for i := range r.Brackets {
		rows[i] = r.formula(event, i)
	}
	return rows
}

func (r Rule) formula(event string, i int) Formula {
	b := r.Brackets[i]
	f := Formula{
		Event: event, RuleKey: r.Key, Version: r.Version,
		BelongsToType: r.Scope.Type, BelongsTo: r.Scope.Ref, Type: r.Type, Qualifier: r.Qualifier,
		Base: r.Base, RepeatWithin: r.RepeatWithin, Contiguous: r.Contiguous,
		OffenceMin: b.Min, Operator: b.Operator, Penalty: b.Penalty, Per: b.Per, Round: b.Round,
		Multiplier: b.Multiplier, Outcome: b.Outcome, Retroactive: r.Retroactive, Enabled: r.Enabled, Note: r.Note,
	}
	if r.Version > 1 {
		f.Supersedes = r.Version - 1
	}
	if r.Pulse != nil {
		f.PulseSeconds, f.PulseMetres = r.Pulse.Seconds, r.Pulse.Metres
	}
	if !b.Open() {
		m := b.Max
		f.OffenceMax = &m
	}
	return f
}

// Formulas returns the rows of every rule of b.
func (b *Rulebook) Formulas() []Formula {
	var rows []Formula
	for _, r := range b.Rules {
		rows = append(rows, r.Formulas(b.Event)...)
	}
	return rows
}

// RulesFromFormulas groups penalty_formulas rows back into rules: one Rule
// per (rule_key, version), its brackets ordered by offence_min, the rules
// ordered by key then version. The rows of a rule version must agree on
// every rule-level field, all rows must be of one event, and supersedes
// must be version - 1. It does not validate the rules (a stored rulebook
// that no longer validates must still be exportable to be fixed): call
// Validate on the rulebook made from them. Errors are *FormulaError.
func RulesFromFormulas(rows []Formula) ([]Rule, error) {
	type id struct {
		key     string
		version int
	}
	index := map[id]int{}
	first := map[id]int{}
	var out []Rule
	for i, f := range rows {
		if f.Event != rows[0].Event {
			return nil, &FormulaError{Row: i, Rule: f.RuleKey, Version: f.Version, Field: "event",
				Msg: fmt.Sprintf("%q, but row 0 is of %q: rows of one rulebook are of one event", f.Event, rows[0].Event)}
		}
		if f.Version < 1 {
			return nil, &FormulaError{Row: i, Rule: f.RuleKey, Version: f.Version, Field: "version", Msg: "stored versions start at 1"}
		}
		if want := f.Version - 1; f.Supersedes != want {
			return nil, &FormulaError{Row: i, Rule: f.RuleKey, Version: f.Version, Field: "supersedes",
				Msg: fmt.Sprintf("%d, expected %d: a version supersedes the one before it", f.Supersedes, want)}
		}
		k := id{f.RuleKey, f.Version}
		b := Bracket{Min: f.OffenceMin, Max: math.Inf(1), Operator: f.Operator, Penalty: f.Penalty, Per: f.Per,
			Round: f.Round, Multiplier: f.Multiplier, Outcome: f.Outcome}
		if f.OffenceMax != nil {
			b.Max = *f.OffenceMax
		}
		r := ruleOf(f)
		if j, ok := index[k]; ok {
			if field := ruleFieldDiff(out[j], r); field != "" {
				return nil, &FormulaError{Row: i, Rule: f.RuleKey, Version: f.Version, Field: field,
					Msg: fmt.Sprintf("differs from row %d of the same rule version: rule-level fields are the same on all its rows", first[k])}
			}
			out[j].Brackets = append(out[j].Brackets, b)
			continue
		}
		r.Brackets = []Bracket{b}
		index[k], first[k] = len(out), i
		out = append(out, r)
	}
	for i := range out {
		slices.SortStableFunc(out[i].Brackets, func(a, c Bracket) int { return cmp.Compare(a.Min, c.Min) })
	}
	slices.SortFunc(out, func(a, c Rule) int {
		return cmp.Or(cmp.Compare(a.Key, c.Key), cmp.Compare(a.Version, c.Version))
	})
	return out, nil
}

func ruleOf(f Formula) Rule {
	r := Rule{
		Key: f.RuleKey, Version: f.Version, Type: f.Type, Qualifier: f.Qualifier,
		Scope: Scope{Type: f.BelongsToType, Ref: f.BelongsTo}, Base: f.Base, RepeatWithin: f.RepeatWithin,
		Contiguous: f.Contiguous, Retroactive: f.Retroactive, Enabled: f.Enabled, Note: f.Note,
	}
	if f.PulseSeconds != 0 || f.PulseMetres != 0 {
		r.Pulse = &Pulse{Seconds: f.PulseSeconds, Metres: f.PulseMetres}
	}
	return r
}

// ruleFieldDiff names the first rule-level field where a and b differ.
func ruleFieldDiff(a, b Rule) string {
	switch {
	case a.Type != b.Type:
		return "type"
	case a.Qualifier != b.Qualifier:
		return "qualifier"
	case a.Scope.Type != b.Scope.Type:
		return "belongs_to_type"
	case a.Scope.Ref != b.Scope.Ref:
		return "belongs_to"
	case a.Base != b.Base:
		return "base"
	case a.RepeatWithin != b.RepeatWithin:
		return "repeat_within"
	case a.Contiguous != b.Contiguous:
		return "contiguous"
	case !samePulse(a.Pulse, b.Pulse):
		return "pulse"
	case a.Retroactive != b.Retroactive:
		return "retroactive"
	case a.Enabled != b.Enabled:
		return "enabled"
	case a.Note != b.Note:
		return "note"
	}
	return ""
}

func samePulse(a, b *Pulse) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// Latest returns the highest version of each key, ordered by key.
func Latest(rules []Rule) []Rule {
	latest := map[string]Rule{}
	for _, r := range rules {
		if cur, ok := latest[r.Key]; !ok || r.Version > cur.Version {
			latest[r.Key] = r
		}
	}
	out := make([]Rule, 0, len(latest))
	for _, r := range latest {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, c Rule) int { return cmp.Compare(a.Key, c.Key) })
	return out
}

// RulebookFromFormulas makes the current rulebook of an event from its
// stored rows: the latest version of every rule, disabled ones included
// (an export shows them as enabled: false). It does not validate.
func RulebookFromFormulas(event string, rows []Formula) (*Rulebook, error) {
	for i, f := range rows {
		if f.Event != event {
			return nil, &FormulaError{Row: i, Rule: f.RuleKey, Version: f.Version, Field: "event",
				Msg: fmt.Sprintf("%q, expected %q", f.Event, event)}
		}
	}
	rules, err := RulesFromFormulas(rows)
	if err != nil {
		return nil, err
	}
	return &Rulebook{Event: event, Rules: Latest(rules)}, nil
}
