package rules

import (
	"slices"
	"strings"
	"testing"
)

// seedFile is Rally Albania 2026's placeholder rulebook, committed at the
// repository's root and loaded by make dev.
const seedFile = "../../seed/rally-albania-2026/rules.yaml"

func TestRallyAlbaniaPlaceholderRulebookLoadsAndValidates(t *testing.T) {
	b, err := ReadFile(seedFile)
	if err != nil {
		t.Fatalf("the committed rulebook does not load: %v", err)
	}
	if b.Event != "rally-albania-2026" {
		t.Errorf("event %q", b.Event)
	}
	if !b.Placeholder || !strings.Contains(b.Note, "PLACEHOLDER") || !strings.Contains(b.Note, "60 days before the event") {
		t.Errorf("the rulebook is not marked as a placeholder replaced by the supplementary regulations: %v %q", b.Placeholder, b.Note)
	}
	covered := map[Type][]string{}
	for _, r := range b.Rules {
		if !r.Enabled {
			t.Errorf("rule %s is disabled", r.Key)
		}
		if !r.IsRepeat() {
			covered[r.Type] = append(covered[r.Type], r.Qualifier)
		}
	}
	for _, ti := range Types() {
		if _, ok := covered[ti.Type]; !ok {
			t.Errorf("no rule for %s", ti.Type)
		}
		for _, q := range ti.Qualifiers {
			if !slices.Contains(covered[ti.Type], q) {
				t.Errorf("no rule for %s %s", ti.Type, q)
			}
		}
	}
	if _, ok := b.Repeat("speeding"); !ok {
		t.Error("speeding has no repeat rule")
	}
	roundTrip(t, b)
}

func TestRallyAlbaniaPlaceholderPrices(t *testing.T) {
	b, err := ReadFile(seedFile)
	if err != nil {
		t.Fatal(err)
	}
	checkPrices(t, b, []priceCase{
		{"speeding 28 over, 3 pulses, second time", "speeding", Offence{Value: 28, Pulses: 3, Repeat: 2}, 12 * minute, OutcomeNone, true},
		{"a WPN", "missed-wpn", Offence{Value: 1}, 60 * minute, OutcomeNone, true},
		{"two WPP", "missed-wpp", Offence{Value: 2}, 4 * minute, OutcomeNone, true},
		{"40 % of waypoints missed", "min-validated-waypoints", Offence{Value: 40}, 0, OutcomeDNF, true},
		{"5 min 10 s late", "late-time-control", Offence{Value: 310}, 6 * minute, OutcomeNone, true},
		{"31 min late: out of time, the maximum", "late-time-control", Offence{Value: 31 * minute}, 30 * minute, OutcomeDNF, true},
		{"2 min early", "early-time-control", Offence{Value: 120}, 2 * minute, OutcomeNone, true},
		{"missed the finish of a special", "missed-ass", Offence{Value: 1}, 0, OutcomeDNF, true},
	})
}
