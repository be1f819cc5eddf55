package rules

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
)

func TestEvaluateRefusesWhatItCannotPrice(t *testing.T) {
	b := mustParse(t, fimSpeeding)
	base, _ := b.Rule("speeding-moto")
	rep, _ := b.Rule("speeding-moto-repeat")
	disabled := base
	disabled.Enabled = false
	broken := base
	broken.Brackets = []Bracket{{Max: math.Inf(1), Operator: OpFlat, Penalty: -1}}
	for _, c := range []struct {
		name   string
		base   Rule
		repeat *Rule
		o      Offence
		field  string
	}{
		{"negative offence", base, nil, Offence{Value: -1, Pulses: 1}, "value"},
		{"NaN offence", base, nil, Offence{Value: math.NaN(), Pulses: 1}, "value"},
		{"infinite offence", base, nil, Offence{Value: math.Inf(1), Pulses: 1}, "value"},
		{"no pulses for a per_pulse bracket", base, nil, Offence{Value: 10}, "pulses"},
		{"negative pulses", base, nil, Offence{Value: 10, Pulses: -2}, "pulses"},
		{"negative repeat", base, nil, Offence{Value: 10, Pulses: 1, Repeat: -1}, "repeat"},
		{"a repeat rule as the base", rep, nil, Offence{Value: 1}, "rule"},
		{"a disabled base", disabled, nil, Offence{Value: 10, Pulses: 1}, "rule"},
		{"another rule's repeat", mustParse(t, dakar2005Speeding).Rules[0], &rep, Offence{Value: 1}, "repeat"},
		{"a negative penalty", broken, nil, Offence{Value: 1}, "bracket 1"},
		{"a penalty beyond the limit", base, nil, Offence{Value: 50, Pulses: math.MaxInt32}, "value"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Evaluate(c.base, c.repeat, c.o)
			var ee *EvalError
			if !errors.As(err, &ee) || ee.Field != c.field {
				t.Fatalf("want *EvalError on %s, got %v", c.field, err)
			}
		})
	}
	if _, err := b.Evaluate("nope", Offence{}); err == nil {
		t.Fatal("an unknown key was priced")
	}
}

func TestEvaluateExplainsItself(t *testing.T) {
	b := mustParse(t, fimSpeeding)
	res, err := b.Evaluate("speeding-moto", Offence{Value: 28, Pulses: 3, Repeat: 2})
	if err != nil {
		t.Fatal(err)
	}
	want := "speeding-moto: 28 km/h over, bracket 2 (above 20 up to 40): 2m per pulse × 3 = 6m; repeat 2 (speeding-moto-repeat, bracket 2): × 2 = 12m"
	if res.String() != want {
		t.Fatalf("explanation\n got %s\nwant %s", res, want)
	}
	if res.Formula.Event != "dakar-2023" || res.Formula.RuleKey != "speeding-moto" || res.Formula.Penalty != 120 ||
		*res.Formula.OffenceMax != 40 || res.Repeat.Formula.Multiplier != 2 || res.Type != TypeSpeeding {
		t.Fatalf("result does not carry the formulas used: %+v %+v", res.Formula, res.Repeat.Formula)
	}

	// Stored as JSON (entry_penalties), the result still explains itself.
	data, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var back Result
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if back.String() != want {
		t.Fatalf("explanation after JSON\n got %s\nwant %s\n%s", back, want, data)
	}
	for _, key := range []string{`"formula":{"event":"dakar-2023","rule_key":"speeding-moto"`, `"offence_max":40`, `"seconds":720`, `"base_seconds":360`} {
		if !strings.Contains(string(data), key) {
			t.Errorf("JSON lacks %s: %s", key, data)
		}
	}

	late := mustParse(t, stageRallyTimeControls)
	for o, want := range map[float64]string{
		61:   "late-tc: 1m1s late, bracket 1 (above 0s up to 30m): 10s per 1m × 2 = 20s",
		1801: "late-tc: 30m1s late, bracket 2 (above 30m): 5m flat, dnf",
		0:    "late-tc: 0s late: in no bracket, no penalty",
	} {
		res, err := late.Evaluate("late-tc", Offence{Value: o})
		if err != nil || res.String() != want {
			t.Errorf("\n got %s (%v)\nwant %s", res, err, want)
		}
	}
}

func TestEvaluateCountsUnitsWithoutFloatingPointSurprises(t *testing.T) {
	for _, c := range []struct {
		value, per float64
		round      Round
		want       float64
	}{
		{0.3, 0.1, RoundUp, 3},
		{0.3, 0.1, RoundDown, 3},
		{0.7, 0.1, RoundDown, 7},
		{60, 60, RoundUp, 1},
		{61, 60, RoundUp, 2},
		{119, 60, RoundDown, 1},
		{1e9, 1, RoundUp, 1e9},
	} {
		if got := countUnits(c.value, c.per, c.round); got != c.want {
			t.Errorf("countUnits(%v, %v, %s) = %v, want %v", c.value, c.per, c.round, got, c.want)
		}
	}
}
