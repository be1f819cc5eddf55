package main

import (
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"git.dev.trmtracking.org/trm/directus/lib/rules"
)

func placeholderRulebook(t *testing.T) string {
	t.Helper()
	_, here, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(here), "..", "..", "seed", "rally-albania-2026", "rules.yaml")
}

func TestRulesCheckAcceptsThePlaceholder(t *testing.T) {
	r := runCLI(t, "", nil, false, "rules", "check", placeholderRulebook(t))
	if r.code != 0 || !strings.Contains(r.out, "the rulebook of rally-albania-2026 is valid (17 rules, 22 brackets, marked placeholder)") {
		t.Errorf("exit %d\n%s%s", r.code, r.out, r.err)
	}
}

func TestRulesCheckRefusesABadFileWithItsLine(t *testing.T) {
	for _, c := range []struct {
		name, content string
		words         []string
	}{
		{"not a rulebook", "event: [\n", []string{"<stdin>", "is not a rulebook", "nothing was changed"}},
		{"overlapping brackets", "event: e\nrules:\n  - key: s\n    type: late_time_control\n    brackets:\n      - {above: 0s, up_to: 20m, flat: 1m}\n      - {above: 10m, flat: 2m}\n",
			[]string{"<stdin>:7", "rule s, bracket 2", "overlap", "fix the file"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := runCLI(t, c.content, nil, false, "rules", "check", "-")
			if r.code != 1 {
				t.Errorf("exit %d, want 1\n%s", r.code, r.err)
			}
			for _, w := range c.words {
				if !strings.Contains(r.err, w) {
					t.Errorf("stderr does not say %q:\n%s", w, r.err)
				}
			}
		})
	}
}

// Usage errors are found before anything is sent (the URL answers
// nothing).
func TestRulesUsageErrors(t *testing.T) {
	env := map[string]string{"TRM_DIRECTUS_TOKEN": "a-token", "TRM_DIRECTUS_URL": "http://127.0.0.1:1"}
	for _, c := range []struct {
		name string
		env  map[string]string
		args []string
		says string
	}{
		{"no credentials", nil, []string{"rules", "import", placeholderRulebook(t)}, "no credentials"},
		{"another event than the file's", env, []string{"rules", "import", "--event", "rally-albania-2027", placeholderRulebook(t)}, "the file is the rulebook of rally-albania-2026"},
		{"another organisation's event of another slug", env, []string{"rules", "import", "--event", "msc-albania/other", placeholderRulebook(t)}, "the file is the rulebook of rally-albania-2026"},
		{"export without an event", env, []string{"rules", "export"}, "--event is required"},
		{"two files", env, []string{"rules", "import", "a.yaml", "b.yaml"}, "accepts 1 arg"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := runCLI(t, "", c.env, false, c.args...)
			if r.code != 2 || !strings.Contains(r.err, c.says) {
				t.Errorf("exit %d, want 2 saying %q:\n%s", r.code, c.says, r.err)
			}
			if strings.Contains(r.err, "a-token") {
				t.Error("the token was printed")
			}
		})
	}
}

// The rows a plan inserts: empty values are null, references become
// ids, and a number the table cannot hold is refused.
func TestFormulaPayload(t *testing.T) {
	refs := &references{toRef: map[rules.ScopeType]map[string]string{}, toID: map[rules.ScopeType]map[string]string{}}
	refs.add(rules.ScopeSpeedZone, "00000000-0000-4000-8000-00000000000a", "S1/L1/DZ1–FZ1")
	max := 40.0
	f := rules.Formula{RuleKey: "speeding-kavaje", Version: 2, Supersedes: 1, BelongsToType: rules.ScopeSpeedZone, BelongsTo: "S1/L1/DZ1–FZ1",
		Type: rules.TypeSpeeding, PulseSeconds: 10, OffenceMin: 20, OffenceMax: &max, Operator: rules.OpPerPulse, Penalty: 120, Enabled: true}
	p, err := formulaPayload(eventID, f, refs)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"event_id": eventID, "belongs_to_id": "00000000-0000-4000-8000-00000000000a", "qualifier": nil, "base": nil,
		"repeat_within": nil, "round": nil, "outcome": nil, "note": nil, "per": nil, "multiplier": nil, "pulse_metres": nil,
		"pulse_seconds": 10.0, "offence_max": 40.0, "version": 2, "supersedes": 1}
	for k, v := range want {
		if p[k] != v {
			t.Errorf("%s = %v, want %v", k, p[k], v)
		}
	}
	f.BelongsTo = "S1/L1/Nowhere"
	if _, err := formulaPayload(eventID, f, refs); err == nil || !strings.Contains(err.Error(), `speed_zone "S1/L1/Nowhere", which the event does not have (it has S1/L1/DZ1–FZ1)`) {
		t.Errorf("an unknown reference: %v", err)
	}
	f.BelongsTo, f.OffenceMin = "S1/L1/DZ1–FZ1", 20.0000001
	if _, err := formulaPayload(eventID, f, refs); err == nil || !strings.Contains(err.Error(), "above 20.0000001 has more than 6 decimals") {
		t.Errorf("seven decimals: %v", err)
	}
	f.OffenceMin = 20.125
	if _, err := formulaPayload(eventID, f, refs); err != nil {
		t.Errorf("three decimals: %v", err)
	}
}
