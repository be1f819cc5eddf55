package rules

import (
	"errors"
	"math"
	"strings"
	"testing"
)

// wantProblem parses src and checks that validation reports p for rule at
// bracket (0: the rule) on line, with field.
func wantProblem(t *testing.T, src string, p Problem, rule string, bracket, line int, field string) *ValidationError {
	t.Helper()
	_, err := Parse("test.yaml", []byte(src))
	if err == nil {
		t.Fatalf("accepted; want %s", p)
	}
	var all *ValidationErrors
	if !errors.As(err, &all) {
		t.Fatalf("error %T, want *ValidationErrors: %v", err, err)
	}
	for _, v := range all.Errs {
		if v.Problem == p && v.Rule == rule && v.Bracket == bracket {
			if v.Line != line || v.Field != field || v.Source != "test.yaml" {
				t.Fatalf("got line %d field %q source %q, want line %d field %q: %v", v.Line, v.Field, v.Source, line, field, v)
			}
			if !strings.HasPrefix(v.Error(), "test.yaml:") {
				t.Fatalf("message does not name the file and line: %v", v)
			}
			return v
		}
	}
	t.Fatalf("no %s for rule %q bracket %d in:\n%v", p, rule, bracket, err)
	return nil
}

func TestValidationRefusesOverlappingBrackets(t *testing.T) {
	v := wantProblem(t, `event: e
rules:
  - key: speeding
    type: speeding
    brackets:
      - {above: 0, up_to: 20, flat: 1m}
      - {above: 10, up_to: 30, flat: 2m}
`, ProblemOverlap, "speeding", 2, 7, "above")
	if !strings.Contains(v.Msg, "bracket 1 (above 0 up to 20)") {
		t.Errorf("message does not name the other bracket: %s", v.Msg)
	}
}

func TestValidationRefusesAGapInAContiguousRule(t *testing.T) {
	wantProblem(t, `event: e
rules:
  - key: speeding
    type: speeding
    contiguous: true
    brackets:
      - {above: 0, up_to: 20, flat: 1m}
      - {above: 25, flat: 2m}
`, ProblemGap, "speeding", 2, 8, "above")
}

func TestValidationRefusesABoundedLastBracketInAContiguousRule(t *testing.T) {
	wantProblem(t, `event: e
rules:
  - key: late
    type: late_time_control
    contiguous: true
    brackets:
      - {above: 0s, up_to: 30m, per_unit_over: 1m, per: 1m}
`, ProblemGap, "late", 1, 7, "up_to")
}

func TestValidationAllowsAGapWhereTheRulebookDeclaresNone(t *testing.T) {
	b := mustParse(t, `event: e
rules:
  - key: speeding
    type: speeding
    brackets:
      - {above: 5, up_to: 20, flat: 1m}
      - {above: 25, flat: 2m}
`)
	res, err := b.Evaluate("speeding", Offence{Value: 22})
	if err != nil || res.Applied || res.Seconds != 0 {
		t.Fatalf("an offence in the gap: %+v, %v", res, err)
	}
}

func TestValidationRefusesUnknownTypesOperatorsScopesAndOutcomes(t *testing.T) {
	wantProblem(t, `event: e
rules:
  - key: r
    type: speedin
    brackets: [{above: 0, flat: 1m}]
`, ProblemUnknownType, "r", 0, 3, "type")
	wantProblem(t, `event: e
rules:
  - key: r
    type: speeding
    scope: {class: ""}
    brackets: [{above: 0, flat: 1m}]
`, ProblemUnknownScope, "r", 0, 3, "scope")
	wantProblem(t, `event: e
rules:
  - key: r
    type: speeding
    scope: {category: bicycle}
    brackets: [{above: 0, flat: 1m}]
`, ProblemUnknownScope, "r", 0, 3, "scope")
	wantProblem(t, `event: e
rules:
  - key: r
    type: speeding
    brackets: [{above: 0, flat: 1m, outcome: disqualified}]
`, ProblemUnknownOutcome, "r", 1, 5, "outcome")

	// An operator the file format does not have is not a key of a bracket;
	// one made in code is a validation problem.
	_, err := Parse("test.yaml", []byte("event: e\nrules:\n  - key: r\n    type: speeding\n    brackets: [{above: 0, times: 2}]\n"))
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Line != 5 || !strings.Contains(pe.Msg, `unknown key "times"`) {
		t.Fatalf("unknown bracket key: %v", err)
	}
	b := &Rulebook{Event: "e", Rules: []Rule{{Key: "r", Type: TypeSpeeding, Scope: Scope{Type: ScopeEvent}, Enabled: true,
		Brackets: []Bracket{{Min: 0, Max: math.Inf(1), Operator: "times", Penalty: 60}}}}}
	var ve *ValidationError
	if err := b.Validate(); !errors.As(err, &ve) || ve.Problem != ProblemUnknownOperator || ve.Bracket != 1 {
		t.Fatalf("unknown operator: %v", err)
	}
}

func TestValidationRefusesARepeatMultiplierWithoutABase(t *testing.T) {
	wantProblem(t, `event: e
rules:
  - key: r
    type: speeding
    brackets: [{above: 0, multiplier: 2}]
`, ProblemRepeatWithoutBase, "r", 1, 5, "multiplier")
	wantProblem(t, `event: e
rules:
  - key: r-repeat
    base: r
    type: speeding
    brackets: [{above: 1, multiplier: 2}]
`, ProblemRepeatWithoutBase, "r-repeat", 0, 3, "base")
	wantProblem(t, `event: e
rules:
  - {key: r, type: speeding, enabled: false, brackets: [{above: 0, flat: 1m}]}
  - {key: r-repeat, base: r, brackets: [{above: 1, multiplier: 2}]}
`, ProblemRepeatWithoutBase, "r-repeat", 0, 4, "base")
	wantProblem(t, `event: e
rules:
  - {key: r, type: speeding, brackets: [{above: 0, flat: 1m}]}
  - {key: r-repeat, base: r, scope: {category: moto}, brackets: [{above: 1, multiplier: 2}]}
`, ProblemRepeatWithoutBase, "r-repeat", 0, 4, "base")
	wantProblem(t, `event: e
rules:
  - {key: r, type: speeding, brackets: [{above: 0, flat: 1m}]}
  - {key: r-repeat, base: r, brackets: [{above: 1, flat: 1m}]}
`, ProblemOperatorNotAllowed, "r-repeat", 1, 4, "flat")
}

func TestValidationRefusesNegativeSeconds(t *testing.T) {
	_, err := Parse("test.yaml", []byte("event: e\nrules:\n  - key: r\n    type: speeding\n    brackets:\n      - {above: 0, flat: -60}\n"))
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Line != 6 || !strings.Contains(pe.Msg, "negative") {
		t.Fatalf("negative seconds in a file: %v", err)
	}
	b := &Rulebook{Event: "e", Rules: []Rule{{Key: "r", Type: TypeSpeeding, Scope: Scope{Type: ScopeEvent}, Enabled: true,
		Brackets: []Bracket{{Min: 0, Max: math.Inf(1), Operator: OpFlat, Penalty: -60}}}}}
	var ve *ValidationError
	if err := b.Validate(); !errors.As(err, &ve) || ve.Problem != ProblemNegative || ve.Field != "flat" {
		t.Fatalf("negative seconds in code: %v", err)
	}
	wantProblem(t, `event: e
rules:
  - key: r
    type: speeding
    brackets: [{above: -5, flat: 1m}]
`, ProblemNegative, "r", 1, 5, "above")
}

func TestValidationRefusesOffenceMinNotBelowOffenceMax(t *testing.T) {
	wantProblem(t, `event: e
rules:
  - key: r
    type: speeding
    brackets:
      - {above: 40, up_to: 20, flat: 1m}
`, ProblemEmptyBracket, "r", 1, 6, "up_to")
	wantProblem(t, `event: e
rules:
  - key: r
    type: speeding
    brackets:
      - {above: 20, up_to: 20, flat: 1m}
`, ProblemEmptyBracket, "r", 1, 6, "up_to")
}

func TestValidationRefusesAGreaterOffenceCostingLess(t *testing.T) {
	wantProblem(t, `event: e
rules:
  - key: r
    type: speeding
    brackets:
      - {above: 0, up_to: 20, flat: 2m}
      - {above: 20, flat: 1m}
`, ProblemNotMonotone, "r", 2, 7, "flat")
	// 30 s per km/h reaches 10 min at 20 km/h over: a flat 5 min above it
	// is cheaper, a flat 10 min is not.
	wantProblem(t, `event: e
rules:
  - key: r
    type: speeding
    brackets:
      - {above: 0, up_to: 20, per_unit_over: 30s, per: 1}
      - {above: 20, flat: 5m}
`, ProblemNotMonotone, "r", 2, 7, "flat")
	mustParse(t, `event: e
rules:
  - key: r
    type: speeding
    brackets:
      - {above: 0, up_to: 20, per_unit_over: 30s, per: 1}
      - {above: 20, flat: 10m}
`)
	// Per pulse then flat: enough pulses make the smaller offence dearer,
	// even when the greater one has a graver outcome: the outcome comes on
	// top of the seconds.
	wantProblem(t, `event: e
rules:
  - key: r
    type: speeding
    pulse: {seconds: 10}
    brackets:
      - {above: 0, up_to: 40, per_pulse: 1m}
      - {above: 40, flat: 1h}
`, ProblemNotMonotone, "r", 2, 8, "flat")
	wantProblem(t, `event: e
rules:
  - key: r
    type: speeding
    pulse: {seconds: 10}
    brackets:
      - {above: 0, up_to: 40, per_pulse: 1m}
      - {above: 40, flat: 0s, outcome: excluded}
`, ProblemNotMonotone, "r", 2, 8, "flat")
	mustParse(t, `event: e
rules:
  - key: r
    type: speeding
    pulse: {seconds: 10}
    brackets:
      - {above: 0, up_to: 40, per_pulse: 1m}
      - {above: 40, per_pulse: 1m, outcome: excluded}
`)
	// Out of time with no seconds would make 31 minutes late cheaper than
	// 30: the bracket keeps the maximum.
	wantProblem(t, `event: e
rules:
  - key: r
    type: late_time_control
    brackets:
      - {above: 0s, up_to: 30m, per_unit_over: 1m, per: 1m}
      - {above: 30m, flat: 0s, outcome: dnf}
`, ProblemNotMonotone, "r", 2, 7, "flat")
	wantProblem(t, `event: e
rules:
  - key: r
    type: late_time_control
    brackets:
      - {above: 0s, up_to: 30m, flat: 0s, outcome: dnf}
      - {above: 30m, flat: 1h}
`, ProblemNotMonotone, "r", 2, 7, "outcome")
	wantProblem(t, `event: e
rules:
  - {key: r, type: speeding, brackets: [{above: 0, flat: 1m}]}
  - key: r-repeat
    base: r
    brackets:
      - {above: 1, up_to: 2, multiplier: 3}
      - {above: 2, multiplier: 2}
`, ProblemNotMonotone, "r-repeat", 2, 8, "multiplier")
	wantProblem(t, `event: e
rules:
  - {key: r, type: speeding, brackets: [{above: 0, flat: 1m}]}
  - {key: r-repeat, base: r, brackets: [{above: 1, multiplier: 0.5}]}
`, ProblemNotMonotone, "r-repeat", 1, 4, "multiplier")
}

func TestValidationChecksQualifiers(t *testing.T) {
	wantProblem(t, `event: e
rules:
  - {key: r, type: missed_waypoint, brackets: [{above: 0, flat: 15m}]}
`, ProblemQualifier, "r", 0, 3, "qualifier")
	v := wantProblem(t, `event: e
rules:
  - {key: r, type: missed_waypoint, qualifier: wpm, brackets: [{above: 0, flat: 15m}]}
`, ProblemQualifier, "r", 0, 3, "qualifier")
	if !strings.Contains(v.Msg, "upper case") {
		t.Errorf("no hint for a lower-case waypoint type: %s", v.Msg)
	}
	wantProblem(t, `event: e
rules:
  - {key: r, type: speeding, qualifier: WPM, brackets: [{above: 0, flat: 15m}]}
`, ProblemQualifier, "r", 0, 3, "qualifier")
}

func TestValidationChecksOperatorsAgainstTheType(t *testing.T) {
	wantProblem(t, `event: e
rules:
  - {key: r, type: missed_waypoint, qualifier: WPM, brackets: [{above: 0, per_pulse: 15m}]}
`, ProblemOperatorNotAllowed, "r", 1, 3, "per_pulse")
	wantProblem(t, `event: e
rules:
  - {key: r, type: speeding, brackets: [{above: 0, per_pulse: 1m}]}
`, ProblemInvalid, "r", 0, 3, "pulse")
	wantProblem(t, `event: e
rules:
  - {key: r, type: speeding, brackets: [{above: 0, per_unit_over: 1m}]}
`, ProblemInvalid, "r", 1, 3, "per")
	wantProblem(t, `event: e
rules:
  - {key: r, type: speeding, brackets: [{above: 0, flat: 1m, per: 1}]}
`, ProblemOperatorNotAllowed, "r", 1, 3, "per")
	wantProblem(t, `event: e
rules:
  - {key: r, type: speeding, brackets: [{above: 0, per_unit_over: 1m, per: 1, round: nearest}]}
`, ProblemInvalid, "r", 1, 3, "round")
}

func TestValidationChecksUnits(t *testing.T) {
	wantProblem(t, `event: e
rules:
  - {key: r, type: missed_waypoint, qualifier: WPM, brackets: [{above: 0.5, flat: 15m}]}
`, ProblemOutOfRange, "r", 1, 3, "above")
	wantProblem(t, `event: e
rules:
  - {key: r, type: min_validated_waypoints_share, brackets: [{above: 30, up_to: 130, flat: 0s, outcome: dnf}]}
`, ProblemOutOfRange, "r", 1, 3, "up_to")
	wantProblem(t, `event: e
rules:
  - {key: r, type: speeding, brackets: [{above: 0, flat: 2000h}]}
`, ProblemOutOfRange, "r", 1, 3, "flat")
}

func TestValidationRefusesDuplicatesAndAmbiguity(t *testing.T) {
	wantProblem(t, `event: e
rules:
  - {key: r, type: speeding, brackets: [{above: 0, flat: 1m}]}
  - {key: r, type: speeding, scope: {category: car}, brackets: [{above: 0, flat: 1m}]}
`, ProblemDuplicate, "r", 0, 4, "key")
	v := wantProblem(t, `event: e
rules:
  - {key: a, type: speeding, scope: {class: C-2}, brackets: [{above: 0, flat: 1m}]}
  - {key: b, type: speeding, scope: {class: C-2}, brackets: [{above: 0, flat: 2m}]}
`, ProblemDuplicate, "b", 0, 4, "scope")
	if !strings.Contains(v.Msg, "rule a already prices") {
		t.Errorf("message does not name the other rule: %s", v.Msg)
	}
	// A disabled rule does not compete.
	mustParse(t, `event: e
rules:
  - {key: a, type: speeding, scope: {class: C-2}, enabled: false, brackets: [{above: 0, flat: 1m}]}
  - {key: b, type: speeding, scope: {class: C-2}, brackets: [{above: 0, flat: 2m}]}
`)
	wantProblem(t, `event: e
rules:
  - {key: a, type: speeding, brackets: [{above: 0, flat: 1m}]}
  - {key: a-x2, base: a, brackets: [{above: 1, multiplier: 2}]}
  - {key: a-x3, base: a, brackets: [{above: 1, multiplier: 3}]}
`, ProblemDuplicate, "a-x3", 0, 5, "base")
}

func TestValidationChecksKeysAndText(t *testing.T) {
	wantProblem(t, `event: e
rules:
  - {key: Speeding Moto, type: speeding, brackets: [{above: 0, flat: 1m}]}
`, ProblemInvalid, "Speeding Moto", 0, 3, "key")
	wantProblem(t, "event: e\nrules:\n  - {key: r, type: speeding, note: \"bell\\a\", brackets: [{above: 0, flat: 1m}]}\n",
		ProblemInvalid, "r", 0, 3, "note")
	b := &Rulebook{Event: "Rally Albania", Rules: []Rule{{Key: "r", Type: TypeSpeeding, Scope: Scope{Type: ScopeEvent}, Enabled: true,
		Brackets: []Bracket{{Max: math.Inf(1), Operator: OpFlat, Penalty: 60}}}}}
	var ve *ValidationError
	if err := b.Validate(); !errors.As(err, &ve) || ve.Field != "event" || ve.Problem != ProblemInvalid {
		t.Fatalf("event: %v", err)
	}
}

func TestValidationReportsEveryProblemInFileOrder(t *testing.T) {
	_, err := Parse("test.yaml", []byte(`event: e
rules:
  - {key: a, type: speedin, brackets: [{above: 0, flat: 1m}]}
  - key: b
    type: speeding
    brackets:
      - {above: 0, up_to: 20, flat: 1m}
      - {above: 10, flat: 2m}
`))
	var all *ValidationErrors
	if !errors.As(err, &all) || len(all.Errs) != 2 {
		t.Fatalf("want 2 problems: %v", err)
	}
	if all.Errs[0].Line != 3 || all.Errs[1].Line != 8 {
		t.Fatalf("not in file order: %v", err)
	}
	if !strings.HasPrefix(err.Error(), "2 problems in the rulebook:") {
		t.Fatalf("summary: %v", err)
	}
	var first *ValidationError
	if !errors.As(err, &first) || first.Problem != ProblemUnknownType {
		t.Fatalf("errors.As does not give the first problem: %v", first)
	}
}

// TestMessagesNeverPrintControlCharacters: keys, references and values come
// from files and rows; a message quotes them rather than send a terminal
// escape sequence.
func TestMessagesNeverPrintControlCharacters(t *testing.T) {
	esc := "\x1b]0;owned\x07"
	b := &Rulebook{Event: "e" + esc, Rules: []Rule{
		{Key: "k" + esc, Type: Type("t" + esc), Scope: Scope{Type: ScopeClass, Ref: "C" + esc}, Enabled: true,
			Brackets: []Bracket{{Max: math.Inf(1), Operator: OpFlat, Penalty: 60}}},
		{Key: "k" + esc, Type: Type("t" + esc), Scope: Scope{Type: ScopeClass, Ref: "C" + esc}, Enabled: true, Base: "b" + esc,
			Brackets: []Bracket{{Max: math.Inf(1), Operator: OpFlat, Penalty: 60}}},
	}}
	msgs := []string{b.Validate().Error()}
	_, err := Parse("file"+esc, []byte("event: e\nrules:\n  - {key: a, \"x\\e]0;\\a\": 1}\n"))
	msgs = append(msgs, err.Error())
	_, err = RulesFromFormulas([]Formula{{Event: "e", RuleKey: "k" + esc, Version: 0}})
	msgs = append(msgs, err.Error())
	_, err = Evaluate(b.Rules[0], nil, Offence{Value: -1})
	msgs = append(msgs, err.Error())
	for _, m := range msgs {
		if strings.ContainsAny(m, "\x1b\x07") {
			t.Errorf("raw control character in %q", m)
		}
	}
}
