package rules

import (
	"errors"
	"strings"
	"testing"
)

// store is what trmctl rules import will write through: penalty_formulas
// rows, only ever inserted.
type store struct{ rows []Formula }

func (s *store) rules(t *testing.T) []Rule {
	t.Helper()
	rules, err := RulesFromFormulas(s.rows)
	if err != nil {
		t.Fatal(err)
	}
	return rules
}

func (s *store) importFile(t *testing.T, src string) *Plan {
	t.Helper()
	p, err := Diff(s.rules(t), mustParse(t, src))
	if err != nil {
		t.Fatalf("diff: %v", err)
	}
	s.rows = append(s.rows, p.Formulas()...)
	return p
}

func (s *store) export(t *testing.T, event string) string {
	t.Helper()
	b, err := RulebookFromFormulas(event, s.rows)
	if err != nil {
		t.Fatal(err)
	}
	out, err := b.YAML()
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func TestImportingTheSameFileTwicePlansNothing(t *testing.T) {
	var s store
	seed := mustReadSeed(t)
	first := s.importFile(t, seed)
	if len(first.Changes) != 17 {
		t.Fatalf("%d changes, want an add for each of the 17 rules:\n%s", len(first.Changes), first)
	}
	for _, c := range first.Changes {
		if c.Action != ActionAdd || c.ToVersion != 1 || c.New.Version != 1 || c.Current != nil {
			t.Fatalf("first import: %+v", c)
		}
	}
	if again := s.importFile(t, seed); !again.Empty() {
		t.Fatalf("second import plans:\n%s", again)
	}
	// What export writes (versions pinned) imports as nothing too.
	exported := s.export(t, "rally-albania-2026")
	if !strings.Contains(exported, "version: 1\n") {
		t.Fatalf("export does not pin versions:\n%s", exported)
	}
	if p := s.importFile(t, exported); !p.Empty() {
		t.Fatalf("re-importing the export plans:\n%s", p)
	}
}

func TestOrderIsNotAChange(t *testing.T) {
	var s store
	s.importFile(t, fimSpeeding)
	reordered := `event: dakar-2023
rules:
  - key: speeding-moto-repeat
    base: speeding-moto
    contiguous: true
    brackets:
      - {above: 2, multiplier: 3}
      - {above: 0, up_to: 1, multiplier: 1}
      - {above: 1, up_to: 2, multiplier: 2}
  - key: speeding-moto
    type: speeding
    scope: {category: moto}
    contiguous: true
    pulse: {seconds: 10, metres: 150}
    brackets:
      - {above: 40, per_pulse: 3m}
      - {above: 20, up_to: 40, per_pulse: 2m}
      - {above: 0, up_to: 20, per_pulse: 1m}
`
	if p := s.importFile(t, reordered); !p.Empty() {
		t.Fatalf("reordering plans:\n%s", p)
	}
}

func TestAChangedRuleGetsANewVersionSupersedingTheOld(t *testing.T) {
	var s store
	s.importFile(t, fimSpeeding)
	changed := strings.Replace(fimSpeeding, "{above: 40, per_pulse: 3m}", "{above: 40, per_pulse: 6m}", 1)
	p := s.importFile(t, changed)
	if len(p.Changes) != 1 {
		t.Fatalf("plan:\n%s", p)
	}
	c := p.Changes[0]
	if c.Action != ActionChange || c.Key != "speeding-moto" || c.FromVersion != 1 || c.ToVersion != 2 || c.Current.Version != 1 {
		t.Fatalf("change %+v", c)
	}
	if len(c.Fields) != 1 || c.Fields[0] != (FieldChange{Field: "brackets[3].per_pulse", Old: "3m", New: "6m"}) {
		t.Fatalf("fields %+v", c.Fields)
	}
	if got := p.String(); got != "change speeding-moto v1 → v2: brackets[3].per_pulse 3m → 6m" {
		t.Fatalf("plan text: %s", got)
	}
	rows := p.Formulas()
	if len(rows) != 3 || rows[0].Version != 2 || rows[0].Supersedes != 1 || rows[2].Penalty != 360 {
		t.Fatalf("rows %+v", rows)
	}
	// The old version is still stored, untouched: penalties priced by it
	// still explain themselves.
	var v1 int
	for _, r := range s.rows {
		if r.RuleKey == "speeding-moto" && r.Version == 1 {
			v1++
			if r.OffenceMax == nil && r.Penalty != 180 {
				t.Fatalf("version 1 changed: %+v", r)
			}
		}
	}
	if v1 != 3 {
		t.Fatalf("%d rows of version 1", v1)
	}
	if again := s.importFile(t, changed); !again.Empty() {
		t.Fatalf("second import of the change plans:\n%s", again)
	}
}

func TestARemovedRuleIsRetiredOnceAndCanComeBack(t *testing.T) {
	var s store
	s.importFile(t, fimSpeeding)
	withoutRepeat := fimSpeeding[:strings.Index(fimSpeeding, "  - key: speeding-moto-repeat")]
	p := s.importFile(t, withoutRepeat)
	if len(p.Changes) != 1 || p.Changes[0].Action != ActionRetire || p.Changes[0].New.Enabled || p.Changes[0].ToVersion != 2 {
		t.Fatalf("plan:\n%s", p)
	}
	if p.String() != "retire speeding-moto-repeat v1 → v2: enabled true → false" {
		t.Fatalf("plan text: %s", p)
	}
	if again := s.importFile(t, withoutRepeat); !again.Empty() {
		t.Fatalf("a retired rule is retired again:\n%s", again)
	}
	back := s.importFile(t, fimSpeeding)
	if len(back.Changes) != 1 || back.Changes[0].Action != ActionChange || back.Changes[0].ToVersion != 3 ||
		back.Changes[0].Fields[0].Field != "enabled" {
		t.Fatalf("bringing it back:\n%s", back)
	}
}

func TestAFileMadeFromAnOlderVersionConflicts(t *testing.T) {
	var s store
	s.importFile(t, fimSpeeding)
	exported := s.export(t, "dakar-2023")
	s.importFile(t, strings.Replace(fimSpeeding, "per_pulse: 3m", "per_pulse: 4m", 1))
	edited := strings.Replace(exported, "per_pulse: 3m", "per_pulse: 5m", 1)
	_, err := Diff(s.rules(t), mustParse(t, edited))
	var ce *ConflictError
	if !errors.As(err, &ce) || ce.Rule != "speeding-moto" || ce.FileVersion != 1 || ce.StoredVersion != 2 || ce.Line == 0 {
		t.Fatalf("want a conflict: %v", err)
	}
	if !strings.Contains(err.Error(), "export again") {
		t.Fatalf("message: %v", err)
	}
	_, err = Diff(nil, mustParse(t, edited))
	if !errors.As(err, &ce) || ce.StoredVersion != 0 {
		t.Fatalf("a pinned version of a rule the store lacks: %v", err)
	}
}

func TestDiffRefusesAnInvalidRulebook(t *testing.T) {
	b := mustParse(t, fimSpeeding)
	b.Rules[0].Brackets[1].Min = 10
	_, err := Diff(nil, b)
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Problem != ProblemOverlap {
		t.Fatalf("want the overlap: %v", err)
	}
}

func mustReadSeed(t *testing.T) string {
	t.Helper()
	b, err := ReadFile(seedFile)
	if err != nil {
		t.Fatal(err)
	}
	out, err := b.YAML()
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}
