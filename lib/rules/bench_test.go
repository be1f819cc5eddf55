package rules

import (
	"os"
	"testing"
)

// BenchmarkEvaluate: the arithmetic alone, a per_pulse bracket and a repeat
// multiplier (the processor holding the rules it selected).
func BenchmarkEvaluate(b *testing.B) {
	book := mustParse(b, fimSpeeding)
	base, _ := book.Rule("speeding-moto")
	repeat, _ := book.Rule("speeding-moto-repeat")
	o := Offence{Value: 45, Pulses: 3, Repeat: 2}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Evaluate(base, &repeat, o); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSelectAndEvaluate: what an evaluator does per offence on Rally
// Albania's placeholder rulebook: choose the rule for the place and the
// entry, then price it with its repeat rule.
func BenchmarkSelectAndEvaluate(b *testing.B) {
	book, err := ReadFile(seedFile)
	if err != nil {
		b.Fatal(err)
	}
	w := Where{SpeedZone: "z", Segment: "s", Stage: "2", Class: "C-2", Category: "car"}
	o := Offence{Value: 28, Pulses: 3, Repeat: 2}
	b.ReportAllocs()
	for b.Loop() {
		r, ok := book.Select(TypeSpeeding, "", w)
		if !ok {
			b.Fatal("no rule")
		}
		if _, err := book.Evaluate(r.Key, o); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseSeed: reading and validating Rally Albania's rulebook file.
func BenchmarkParseSeed(b *testing.B) {
	data, err := os.ReadFile(seedFile)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("rules.yaml", data); err != nil {
			b.Fatal(err)
		}
	}
}
