package rules_test

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"git.dev.trmtracking.org/trm/directus/lib/rules"
)

// The exported lists are what a table's CHECKs and dropdowns are made
// from: each value they list is one a rulebook may use, and validation
// refuses what they do not list.
func TestEnumerationListsAreWhatValidationAccepts(t *testing.T) {
	rule := func(typ rules.Type, qualifier string, scope rules.Scope, op rules.Operator, round rules.Round, outcome rules.Outcome) error {
		b := rules.Bracket{Min: 0, Max: math.Inf(1), Operator: op, Penalty: 60, Round: round, Outcome: outcome}
		if op == rules.OpPerUnitOver {
			b.Per = 1
		}
		r := rules.Rule{Key: "r", Type: typ, Qualifier: qualifier, Scope: scope, Enabled: true, Brackets: []rules.Bracket{b}}
		if op == rules.OpPerPulse {
			r.Pulse = &rules.Pulse{Seconds: 10}
		}
		return (&rules.Rulebook{Event: "e", Rules: []rules.Rule{r}}).Validate()
	}
	event := rules.Scope{Type: rules.ScopeEvent}
	for _, ti := range rules.Types() {
		q := ""
		if len(ti.Qualifiers) > 0 {
			q = ti.Qualifiers[0]
		}
		op := rules.OpFlat
		if ti.Pulses {
			op = rules.OpPerPulse
		}
		if err := rule(ti.Type, q, event, op, "", rules.OutcomeNone); err != nil {
			t.Errorf("type %s: %v", ti.Type, err)
		}
		for _, q := range ti.Qualifiers {
			if !slices.Contains(rules.Qualifiers(), q) {
				t.Errorf("qualifier %s of %s is not in Qualifiers()", q, ti.Type)
			}
		}
	}
	refs := map[rules.ScopeType]string{rules.ScopeCategory: "moto", rules.ScopeClass: "C-2", rules.ScopeStage: "S1",
		rules.ScopeSegment: "S1/SS1", rules.ScopeSpeedZone: "S1/SS1/Kavajë"}
	for _, s := range rules.ScopeTypes() {
		if err := rule(rules.TypeLateTimeControl, "", rules.Scope{Type: s, Ref: refs[s]}, rules.OpFlat, "", ""); err != nil {
			t.Errorf("scope %s: %v", s, err)
		}
	}
	if err := rule(rules.TypeLateTimeControl, "", rules.Scope{Type: "village"}, rules.OpFlat, "", ""); err == nil {
		t.Error("a scope type not in ScopeTypes() was accepted")
	}
	for _, r := range rules.Rounds() {
		if err := rule(rules.TypeLateTimeControl, "", event, rules.OpPerUnitOver, r, ""); err != nil {
			t.Errorf("round %s: %v", r, err)
		}
	}
	for _, o := range rules.Outcomes() {
		if o == rules.OutcomeNone {
			t.Error("Outcomes() lists the absence of an outcome")
		}
		if err := rule(rules.TypeLateTimeControl, "", event, rules.OpFlat, "", o); err != nil {
			t.Errorf("outcome %s: %v", o, err)
		}
	}
	if err := rule(rules.TypeLateTimeControl, "", event, "per_lap", "", ""); err == nil {
		t.Error("an operator not in Operators() was accepted")
	}
	if !slices.Equal(rules.RepeatScopes(), []rules.ScopeType{rules.ScopeEvent, rules.ScopeStage}) {
		t.Errorf("RepeatScopes() = %v", rules.RepeatScopes())
	}
	if len(rules.Operators()) != 4 || rules.Operators()[3] != rules.OpRepeatMultiplier {
		t.Errorf("Operators() = %v", rules.Operators())
	}
}

// What a qualifier column may hold, and which type takes which.
func ExampleQualifiers() {
	fmt.Println(rules.Qualifiers())
	ti, _ := rules.LookupType(rules.TypeMissedControl)
	fmt.Println(ti.Qualifiers)
	// Output:
	// [WPV WPM WPE WPS WPC WPN WPP TC CP DSS ASS]
	// [TC CP DSS ASS]
}
