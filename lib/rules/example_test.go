package rules_test

import (
	"errors"
	"fmt"

	"git.dev.trmtracking.org/trm/directus/lib/rules"
)

const rulebook = `event: rally-albania-2026
rules:
  - key: speeding
    type: speeding
    contiguous: true
    pulse: {seconds: 10, metres: 150}
    brackets:
      - {above: 0, up_to: 20, per_pulse: 1m}
      - {above: 20, up_to: 40, per_pulse: 2m}
      - {above: 40, per_pulse: 3m}
  - key: speeding-repeat
    base: speeding
    brackets:
      - {above: 1, up_to: 2, multiplier: 2}
      - {above: 2, multiplier: 3}
  - key: speeding-quad
    type: speeding
    scope: {category: quad}
    pulse: {seconds: 10, metres: 150}
    brackets:
      - {above: 0, per_pulse: 2m}
  - key: missed-wpm
    type: missed_waypoint
    qualifier: WPM
    brackets:
      - {above: 0, per_unit_over: 15m, per: 1}
  - key: late-time-control
    type: late_time_control
    contiguous: true
    brackets:
      - {above: 0s, up_to: 30m, per_unit_over: 1m, per: 1m}
      - {above: 30m, flat: 30m, outcome: dnf}
`

// The processor's evaluator measures an offence, asks which rule prices it
// where it happened, and stores the result with the formulas it used.
func Example() {
	book, err := rules.Parse("rules.yaml", []byte(rulebook))
	if err != nil {
		fmt.Println(err)
		return
	}
	// A car 28 km/h over the limit for 25 s over 300 m, its second
	// infringement of the event.
	where := rules.Where{SpeedZone: "DZ Kukës", Stage: "2", Class: "C-2", Category: "car"}
	rule, _ := book.Select(rules.TypeSpeeding, "", where)
	pulse := rule.Pulse.Count(25, 300)
	res, err := book.Evaluate(rule.Key, rules.Offence{Value: 28, Pulses: pulse, Repeat: 2})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Seconds, res.Formula.RuleKey, res.Formula.Penalty)
	fmt.Println(res)
	// Output:
	// 720 speeding 120
	// speeding: 28 km/h over, bracket 2 (above 20 up to 40): 2m per pulse × 3 = 6m; repeat 2 (speeding-repeat, bracket 1): × 2 = 12m
}

// Each operator, with the numbers of a worked example.
func ExampleEvaluate() {
	book, _ := rules.Parse("rules.yaml", []byte(rulebook))
	for _, c := range []struct {
		key string
		o   rules.Offence
	}{
		{"missed-wpm", rules.Offence{Value: 3}},                      // per_unit_over: 15m × 3 waypoints
		{"late-time-control", rules.Offence{Value: 4*60 + 10}},       // per_unit_over: 1m per started minute
		{"late-time-control", rules.Offence{Value: 45 * 60}},         // flat, with an outcome
		{"speeding", rules.Offence{Value: 45, Pulses: 2}},            // per_pulse
		{"speeding", rules.Offence{Value: 45, Pulses: 2, Repeat: 3}}, // repeat_multiplier
		{"speeding", rules.Offence{Value: 0, Pulses: 1}},             // in no bracket
	} {
		res, err := book.Evaluate(c.key, c.o)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(res)
	}
	// Output:
	// missed-wpm: 3 missed, bracket 1 (above 0): 15m per 1 × 3 = 45m
	// late-time-control: 4m10s late, bracket 1 (above 0s up to 30m): 1m per 1m × 5 = 5m
	// late-time-control: 45m late, bracket 2 (above 30m): 30m flat, dnf
	// speeding: 45 km/h over, bracket 3 (above 40): 3m per pulse × 2 = 6m
	// speeding: 45 km/h over, bracket 3 (above 40): 3m per pulse × 2 = 6m; repeat 3 (speeding-repeat, bracket 2): × 3 = 18m
	// speeding: 0 km/h over: in no bracket, no penalty
}

// The most specific rule wins: a quad's category rule over the event's.
func ExampleRulebook_Select() {
	book, _ := rules.Parse("rules.yaml", []byte(rulebook))
	for _, w := range []rules.Where{{Category: "quad"}, {Category: "moto"}} {
		r, _ := book.Select(rules.TypeSpeeding, "", w)
		fmt.Println(w.Category, r.Key)
	}
	// Output:
	// quad speeding-quad
	// moto speeding
}

// A rulebook that breaks the model is refused with every problem located.
func ExampleParse_invalid() {
	_, err := rules.Parse("rules.yaml", []byte(`event: rally-albania-2026
rules:
  - key: speeding
    type: speeding
    contiguous: true
    brackets:
      - {above: 0, up_to: 20, flat: 1m}
      - {above: 15, up_to: 40, flat: 2m}
`))
	fmt.Println(err)
	var v *rules.ValidationError
	if errors.As(err, &v) {
		fmt.Println(v.Problem, v.Rule, v.Bracket, v.Line)
	}
	// Output:
	// 2 problems in the rulebook:
	//   rules.yaml:8: rule speeding, bracket 2: above: above 15 up to 40 overlaps bracket 1 (above 0 up to 20); brackets of a rule never share an offence
	//   rules.yaml:8: rule speeding, bracket 2: up_to: offences above 40 are unpriced; the rule is contiguous: leave out up_to so the last bracket is open-ended
	// overlap speeding 2 8
}

// Importing a file plans new versions, never edits: here the stored
// rulebook had 1m above 40 km/h.
func ExampleDiff() {
	desired, _ := rules.Parse("rules.yaml", []byte(`event: e
rules:
  - key: speeding
    type: speeding
    brackets: [{above: 0, up_to: 40, flat: 1m}, {above: 40, flat: 3m}]
  - key: missed-wpn
    type: missed_waypoint
    qualifier: WPN
    brackets: [{above: 0, per_unit_over: 1h, per: 1}]
`))
	stored, _ := rules.Parse("stored.yaml", []byte(`event: e
rules:
  - {key: speeding, version: 1, type: speeding, brackets: [{above: 0, up_to: 40, flat: 1m}, {above: 40, flat: 1m}]}
  - {key: missed-wpp, version: 4, type: missed_waypoint, qualifier: WPP, brackets: [{above: 0, flat: 2m}]}
`))
	plan, err := rules.Diff(stored.Rules, desired)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(plan)
	fmt.Println(len(plan.Formulas()), "rows to insert")
	// Output:
	// change speeding v1 → v2: brackets[2].flat 1m → 3m
	// add missed-wpn v1
	// retire missed-wpp v4 → v5: enabled true → false
	// 4 rows to insert
}

// A pulse when the infringement starts, then one every 10 s or 150 m.
func ExamplePulse_Count() {
	p := rules.Pulse{Seconds: 10, Metres: 150}
	fmt.Println(p.Count(25, 300), p.Count(6, 150), p.Count(3, 40))
	// Output: 3 2 1
}
