package rules

import (
	"errors"
	"os"
	"testing"
)

func addSeeds(f *testing.F) {
	for _, s := range []string{fimSpeeding, dakar2005Speeding, fimWaypoints, stageRallyTimeControls, motorsportUKRoadSections,
		"event: e\nrules: []\n",
		"event: e\nrules:\n  - {key: a, type: speeding, brackets: [{above: 0, flat: 1m}]}\n  - {key: b, base: a, brackets: [{above: 1, multiplier: 2}]}\n",
		"event: e\nnote: \"x\\u2028y\"\nrules:\n  - {key: a, type: late_time_control, brackets: [{above: 0s, up_to: 1h30s, per_unit_over: 90, per: 1m, round: down}]}\n",
		"event: &a e\nrules: *a\n",
		"event: e\nnote: \"\\ttab\\nx\"\nrules: []\n",
	} {
		f.Add([]byte(s))
	}
	if data, err := os.ReadFile(seedFile); err == nil {
		f.Add(data)
	}
}

// FuzzParse: the reader never panics and returns only *ParseError or
// *ValidationErrors; what it accepts writes out as YAML that reads back to
// the same rulebook, writing again gives the same bytes, and diffing it
// against its own formulas plans nothing.
func FuzzParse(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := parse("fuzz", data) // not Parse: a panic must fail the fuzzer, not be recovered
		if err != nil {
			var pe *ParseError
			var ve *ValidationErrors
			if !errors.As(err, &pe) && !errors.As(err, &ve) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		roundTrip(t, b)
		for i := range b.Rules {
			b.Rules[i].Version = 0
		}
		stored := b.Formulas()
		for i := range stored {
			stored[i].Version = 1
		}
		rules, err := RulesFromFormulas(stored)
		if err != nil {
			t.Fatalf("formulas do not group back: %v", err)
		}
		p, err := Diff(rules, b)
		if err != nil {
			t.Fatalf("diff with its own formulas: %v", err)
		}
		if !p.Empty() {
			t.Fatalf("diff with its own formulas plans:\n%s", p)
		}
	})
}

// FuzzEvaluate: pricing any offence under any rule that validates never
// panics, never errs for an offence in range, never prices below zero, and
// never prices a greater offence lower.
func FuzzEvaluate(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := parse("fuzz", data)
		if err != nil {
			return
		}
		values := []float64{0, 0.5, 1, 2, 19.9, 20, 20.1, 59, 60, 61, 1799, 1800, 1801, 1e4, 1e6}
		for _, r := range b.Rules {
			if r.IsRepeat() || !r.Enabled {
				continue
			}
			for _, repeat := range []int{0, 1, 2, 7} {
				var prev *Result
				for _, v := range values {
					res, err := b.Evaluate(r.Key, Offence{Value: v, Pulses: 2, Repeat: repeat})
					if err != nil {
						var ee *EvalError
						if !errors.As(err, &ee) || ee.Field != "value" && ee.Field != "repeat" {
							t.Fatalf("%s at %v: %v", r.Key, v, err)
						}
						break // beyond MaxResultSeconds: so are greater offences
					}
					if res.Seconds < 0 {
						t.Fatalf("negative: %s", res)
					}
					_ = res.String()
					if !res.Applied {
						continue
					}
					if prev != nil && less(severity(res), severity(*prev)) {
						t.Fatalf("%v costs less than %v:\n%s\n%s", v, prev.Offence.Value, res, prev)
					}
					c := res
					prev = &c
				}
			}
		}
	})
}
