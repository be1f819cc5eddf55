package rules

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// Property tests over random rulebooks: whatever validates prices a greater
// offence (or a later repeat) never lower than a smaller one, leaves no
// gap where it declares none, and never prices below zero.

// genRulebook makes a random rulebook of one base rule and, sometimes, a
// repeat rule. It makes rules the validator refuses too (overlaps,
// decreasing penalties, …): the properties are about those it accepts.
func genRulebook(rng *rand.Rand) *Rulebook {
	types := []struct {
		t Type
		q string
	}{{TypeSpeeding, ""}, {TypeLateTimeControl, ""}, {TypeMissedWaypoint, "WPM"}, {TypeMinValidatedWaypointsShare, ""}}
	pick := types[rng.IntN(len(types))]
	base := Rule{Key: "base", Type: pick.t, Qualifier: pick.q, Scope: Scope{Type: ScopeEvent}, Enabled: true,
		Contiguous: rng.IntN(2) == 0, Brackets: genBrackets(rng, pick.t, false)}
	if pick.t == TypeSpeeding {
		base.Pulse = &Pulse{Seconds: 10, Metres: 150}
	}
	b := &Rulebook{Event: "prop", Rules: []Rule{base}}
	if rng.IntN(2) == 0 {
		b.Rules = append(b.Rules, Rule{Key: "base-repeat", Base: "base", Type: base.Type, Qualifier: base.Qualifier, Scope: base.Scope,
			Enabled: true, Contiguous: rng.IntN(2) == 0, Brackets: genBrackets(rng, "", true)})
	}
	return b
}

func genBrackets(rng *rand.Rand, t Type, repeat bool) []Bracket {
	n := 1 + rng.IntN(5)
	var out []Bracket
	lo := float64(rng.IntN(3))
	scale := 20.0
	switch t {
	case TypeLateTimeControl:
		scale = 600
	case TypeMissedWaypoint:
		scale = 3
	case TypeMinValidatedWaypointsShare:
		scale = 15
	}
	if repeat {
		scale = 2
	}
	for i := 0; i < n; i++ {
		b := Bracket{Min: lo, Max: math.Inf(1)}
		if i < n-1 || rng.IntN(4) == 0 {
			b.Max = lo + float64(1+rng.IntN(int(scale)))
		}
		switch {
		case repeat:
			b.Operator, b.Multiplier = OpRepeatMultiplier, float64(1+rng.IntN(4))+float64(rng.IntN(2))/2
		default:
			ops := []Operator{OpFlat, OpPerUnitOver}
			if t == TypeSpeeding {
				ops = append(ops, OpPerPulse)
			}
			b.Operator = ops[rng.IntN(len(ops))]
			b.Penalty = int64(rng.IntN(3600))
			if b.Operator == OpPerUnitOver {
				b.Per = float64(1 + rng.IntN(int(scale)))
				if rng.IntN(2) == 0 {
					b.Round = RoundDown
				}
			}
		}
		if rng.IntN(6) == 0 {
			b.Outcome = []Outcome{OutcomeDNF, OutcomeExcluded}[rng.IntN(2)]
		}
		out = append(out, b)
		if b.Open() {
			break
		}
		lo = b.Max
		if rng.IntN(5) == 0 {
			lo += float64(1 + rng.IntN(3)) // a gap
		}
		if rng.IntN(10) == 0 {
			lo -= 1 // an overlap
		}
	}
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// samples are offences around and inside every bracket, and beyond them.
func samples(rng *rand.Rand, bs []Bracket) []float64 {
	var xs []float64
	top := 0.0
	for _, b := range bs {
		xs = append(xs, b.Min, b.Min+1e-6, b.Min+0.5, b.Min+1, math.Nextafter(b.Min, math.Inf(1)))
		if !b.Open() {
			xs = append(xs, b.Max, math.Nextafter(b.Max, 0), b.Max+1e-6, b.Min+(b.Max-b.Min)*rng.Float64())
			top = math.Max(top, b.Max)
		}
		top = math.Max(top, b.Min)
	}
	for i := 0; i < 20; i++ {
		xs = append(xs, (top+50)*rng.Float64())
	}
	xs = append(xs, top+1000, 0)
	slices.Sort(xs)
	return slices.Compact(xs)
}

// severity is what a result costs: its outcome's rank and its seconds.
func severity(r Result) [2]int64 { return [2]int64{int64(r.Outcome.rank()), r.Seconds} }

// less reports whether a costs less than b in either respect: a milder
// outcome or fewer seconds.
func less(a, b [2]int64) bool { return a[0] < b[0] || a[1] < b[1] }

func TestPropertyPricesAreMonotoneGaplessWhereDeclaredAndNeverNegative(t *testing.T) {
	rng := rand.New(rand.NewPCG(2026, 6))
	accepted := 0
	const rounds = 3000
	for round := 0; round < rounds; round++ {
		b := genRulebook(rng)
		if b.Validate() != nil {
			continue
		}
		accepted++
		base := b.Rules[0]
		xs := samples(rng, base.Brackets)
		for _, pulses := range []int{1, 3, 40} {
			for _, repeat := range []int{1, 2, 5} {
				var prev *Result
				for _, x := range xs {
					res, err := b.Evaluate("base", Offence{Value: x, Pulses: pulses, Repeat: repeat})
					if err != nil {
						t.Fatalf("round %d: %v\n%s", round, err, dump(b))
					}
					if res.Seconds < 0 || res.BaseSeconds < 0 {
						t.Fatalf("round %d: negative price %s\n%s", round, res, dump(b))
					}
					if base.Contiguous && x > minOf(base.Brackets) && !res.Applied {
						t.Fatalf("round %d: contiguous rule leaves %v unpriced\n%s", round, x, dump(b))
					}
					if !res.Applied {
						continue
					}
					if prev != nil && less(severity(res), severity(*prev)) {
						t.Fatalf("round %d: %v costs less than %v:\n  %s\n  %s\n%s", round, x, prev.Offence.Value, res, prev, dump(b))
					}
					r := res
					prev = &r
				}
			}
		}
		if len(b.Rules) == 2 {
			for _, x := range xs {
				var prev *Result
				for n := 1; n <= 8; n++ {
					res, err := b.Evaluate("base", Offence{Value: x, Pulses: 2, Repeat: n})
					if err != nil {
						t.Fatal(err)
					}
					if !res.Applied || res.Repeat == nil {
						continue
					}
					if prev != nil && less(severity(res), severity(*prev)) {
						t.Fatalf("round %d: repeat %d costs less than repeat %d:\n  %s\n  %s\n%s", round, n, prev.Repeat.Ordinal, res, prev, dump(b))
					}
					r := res
					prev = &r
				}
			}
		}
	}
	// The generator must not make only rules the validator refuses.
	if accepted < rounds/10 {
		t.Fatalf("only %d of %d random rulebooks validate", accepted, rounds)
	}
	t.Logf("%d of %d random rulebooks validated and were checked", accepted, rounds)
}

// TestPropertyTheValidatorRefusesWhatWouldCostLess: a rulebook the sampled
// prices show to be non-monotone is one the validator refused. Together
// with the test above: on the sampled offences, validation and the
// arithmetic agree.
func TestPropertyTheValidatorRefusesWhatWouldCostLess(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 13))
	found := 0
	for round := 0; round < 3000; round++ {
		b := genRulebook(rng)
		b.Rules = b.Rules[:1]
		base := b.Rules[0]
		if !wellFormed(base) {
			continue
		}
		var prev *Result
		for _, x := range samples(rng, base.Brackets) {
			res, err := Evaluate(base, nil, Offence{Value: x, Pulses: 1})
			if err != nil || !res.Applied {
				continue
			}
			if prev != nil && less(severity(res), severity(*prev)) {
				found++
				if err := b.Validate(); err == nil {
					t.Fatalf("round %d: %v costs less than %v and the validator accepts it:\n  %s\n  %s\n%s",
						round, x, prev.Offence.Value, res, prev, dump(b))
				}
				break
			}
			r := res
			prev = &r
		}
	}
	if found == 0 {
		t.Fatal("the generator made no non-monotone rule; the test proves nothing")
	}
}

// wellFormed reports whether r's brackets neither overlap nor break a
// rule of their own, so that prices are defined.
func wellFormed(r Rule) bool {
	bs := sortedBrackets(r.Brackets)
	for i, b := range bs {
		if b.Min >= b.Max || (i > 0 && bs[i-1].Max > b.Min) {
			return false
		}
	}
	return true
}

func minOf(bs []Bracket) float64 {
	m := math.Inf(1)
	for _, b := range bs {
		m = math.Min(m, b.Min)
	}
	return m
}

func dump(b *Rulebook) string {
	out, err := b.YAML()
	if err != nil {
		return fmt.Sprint(err)
	}
	return string(out)
}
