package rules

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

func TestFormulasAreOneRowPerBracketAndGroupBack(t *testing.T) {
	b := mustParse(t, fimSpeeding)
	for i := range b.Rules {
		b.Rules[i].Version = 2
	}
	rows := b.Formulas()
	if len(rows) != 6 {
		t.Fatalf("%d rows, want 6", len(rows))
	}
	first := rows[0]
	if first.Event != "dakar-2023" || first.RuleKey != "speeding-moto" || first.Version != 2 || first.Supersedes != 1 ||
		first.BelongsToType != ScopeCategory || first.BelongsTo != "moto" || first.PulseSeconds != 10 || first.PulseMetres != 150 ||
		first.OffenceMin != 0 || *first.OffenceMax != 20 || first.Operator != OpPerPulse || first.Penalty != 60 {
		t.Fatalf("first row %+v", first)
	}
	if rows[2].OffenceMax != nil {
		t.Fatalf("an open-ended bracket has offence_max %v", *rows[2].OffenceMax)
	}
	data, err := json.Marshal(rows[2])
	if err != nil || !strings.Contains(string(data), `"offence_max":null`) || !strings.Contains(string(data), `"belongs_to_type":"category"`) {
		t.Fatalf("row as JSON: %s %v", data, err)
	}

	// Rows come back from the store in any order.
	shuffled := append([]Formula(nil), rows...)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	back, err := RulebookFromFormulas("dakar-2023", shuffled)
	if err != nil {
		t.Fatal(err)
	}
	if err := back.Validate(); err != nil {
		t.Fatal(err)
	}
	want := withoutLines(b)
	if !reflect.DeepEqual(want.Rules, withoutLines(back).Rules) {
		t.Fatalf("rows do not group back:\n%#v\n%#v", want.Rules, back.Rules)
	}
}

func TestRulesFromFormulasRefusesRowsThatDisagree(t *testing.T) {
	b := mustParse(t, fimSpeeding)
	for i := range b.Rules {
		b.Rules[i].Version = 1
	}
	rows := b.Formulas()
	for _, c := range []struct {
		name  string
		edit  func([]Formula)
		field string
	}{
		{"a bracket of another scope", func(r []Formula) { r[1].BelongsTo = "quad" }, "belongs_to"},
		{"a bracket disabled alone", func(r []Formula) { r[2].Enabled = false }, "enabled"},
		{"a row of another event", func(r []Formula) { r[3].Event = "x" }, "event"},
		{"a version 0", func(r []Formula) { r[0].Version = 0 }, "version"},
		{"supersedes out of sequence", func(r []Formula) { r[0].Version, r[0].Supersedes = 3, 1 }, "supersedes"},
	} {
		t.Run(c.name, func(t *testing.T) {
			edited := append([]Formula(nil), rows...)
			c.edit(edited)
			_, err := RulesFromFormulas(edited)
			var fe *FormulaError
			if !errors.As(err, &fe) || fe.Field != c.field {
				t.Fatalf("want a *FormulaError on %s, got %v", c.field, err)
			}
		})
	}
	if _, err := RulebookFromFormulas("other", rows); err == nil {
		t.Fatal("rows of another event accepted")
	}
}

func TestLatestKeepsTheHighestVersionOfEachKey(t *testing.T) {
	rules := []Rule{{Key: "b", Version: 1}, {Key: "a", Version: 2}, {Key: "a", Version: 3}, {Key: "a", Version: 1}}
	got := Latest(rules)
	if len(got) != 2 || got[0].Key != "a" || got[0].Version != 3 || got[1].Key != "b" {
		t.Fatalf("%+v", got)
	}
}
