package rules

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// withoutLines returns a copy of b without the source lines, which are not
// content.
func withoutLines(b *Rulebook) *Rulebook {
	c := *b
	c.Rules = make([]Rule, len(b.Rules))
	for i, r := range b.Rules {
		r.Line = 0
		r.Brackets = append([]Bracket(nil), r.Brackets...)
		for j := range r.Brackets {
			r.Brackets[j].Line = 0
		}
		c.Rules[i] = r
	}
	return &c
}

// roundTrip writes b, reads it back, and checks that nothing changed and
// that writing again gives the same bytes.
func roundTrip(t testing.TB, b *Rulebook) []byte {
	t.Helper()
	out, err := b.YAML()
	if err != nil {
		t.Fatalf("write: %v", err)
	}
	back, err := parse("written.yaml", out)
	if err != nil {
		t.Fatalf("written rulebook does not read back: %v\n%s", err, out)
	}
	if !reflect.DeepEqual(withoutLines(b), withoutLines(back)) {
		t.Fatalf("round trip changed the rulebook:\n%#v\n%#v\n%s", withoutLines(b), withoutLines(back), out)
	}
	again, err := back.YAML()
	if err != nil || !bytes.Equal(again, out) {
		t.Fatalf("writing is not stable (%v):\n%s\n---\n%s", err, out, again)
	}
	return out
}

func TestRoundTripOfThePublicRulebooks(t *testing.T) {
	for _, src := range []string{fimSpeeding, dakar2005Speeding, fimWaypoints, stageRallyTimeControls, motorsportUKRoadSections} {
		roundTrip(t, mustParse(t, src))
	}
}

func TestWriteLeavesDefaultsOutAndKeepsWhatDiffers(t *testing.T) {
	b := mustParse(t, `event: e
placeholder: true
note: "two\nlines"
rules:
  - key: r
    version: 3
    type: missed_waypoint
    qualifier: WPM
    scope: {class: C-2}
    retroactive: true
    enabled: false
    note: 'Art. 80.11 : "15 min"'
    brackets:
      - {above: 0, up_to: 2, per_unit_over: 15m, per: 1, round: up}
      - {above: 2, per_unit_over: 30m, per: 1, outcome: none}
  - key: r-repeat
    base: r
    enabled: false
    repeat_within: stage
    brackets: [{above: 1, multiplier: 1.5}]
`)
	out := string(roundTrip(t, b))
	for _, want := range []string{
		"placeholder: true\n", "note: |-\n  two\n  lines\n", "version: 3\n", "scope: {class: C-2}\n", "retroactive: true\n",
		"enabled: false\n", "round: up}", "repeat_within: stage\n", "multiplier: 1.5}",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("written file lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "outcome: none") || strings.Count(out, "type:") != 1 || strings.Count(out, "scope:") != 1 {
		t.Errorf("defaults or inherited fields written:\n%s", out)
	}
}

func TestRepeatRuleWritesWhatItDoesNotInherit(t *testing.T) {
	// Built in code, a repeat rule that differs from its base keeps its own
	// fields through a write and read (validation refuses it, but an export
	// of a broken store must show the truth).
	base := Rule{Key: "a", Type: TypeMissedWaypoint, Qualifier: "WPM", Scope: Scope{Type: ScopeClass, Ref: "C-2"}, Enabled: true,
		Brackets: []Bracket{{Max: math.Inf(1), Operator: OpFlat, Penalty: 60}}}
	rep := Rule{Key: "a-repeat", Base: "a", Type: TypeMissedWaypoint, Scope: Scope{Type: ScopeEvent}, Enabled: true,
		Brackets: []Bracket{{Min: 1, Max: math.Inf(1), Operator: OpRepeatMultiplier, Multiplier: 2}}}
	b := &Rulebook{Event: "e", Rules: []Rule{base, rep}}
	out, err := b.YAML()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "qualifier: \"\"\n    scope: event\n") {
		t.Fatalf("differences from the base not written:\n%s", out)
	}
	_, err = Parse("x", out)
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Problem != ProblemRepeatWithoutBase {
		t.Fatalf("want the mismatch reported: %v", err)
	}
}

func TestParseErrorsNameTheLineAndThePath(t *testing.T) {
	for _, c := range []struct {
		name, src string
		line      int
		path, msg string
	}{
		{"not YAML", "event: e\nrules: [\n", 2, "", "not valid YAML"},
		{"empty", "  \n", 0, "", "empty input"},
		{"a list at the top", "- a\n", 1, "", "expected a rulebook"},
		{"two documents", "event: e\nrules: []\n---\nevent: f\n", 3, "", "more than one YAML document"},
		{"no rules", "event: e\n", 1, "", "no rules"},
		{"unknown top-level key", "event: e\nevents: x\nrules: []\n", 2, "events", `unknown key "events"`},
		{"key twice", "event: e\nevent: f\nrules: []\n", 2, "event", "given twice"},
		{"an alias", "event: &a e\nrules: []\n", 1, "", "anchors and aliases"},
		{"a merge key", "event: e\nrules:\n  - &r {key: a, type: speeding, brackets: [{flat: 1m}]}\n  - {<<: *r, key: b}\n", 3, "", "anchors and aliases"},
		{"a custom tag", "event: !slug e\nrules: []\n", 1, "", "custom tag"},
		{"rules not a list", "event: e\nrules: {a: 1}\n", 2, "rules", "expected a list of rules"},
		{"a rule without brackets", "event: e\nrules:\n  - {key: a, type: speeding}\n", 3, "rules[1]", "has no brackets"},
		{"a number with a fraction of seconds", "event: e\nrules:\n  - {key: a, type: speeding, brackets: [{above: 0, flat: 1.5}]}\n", 3,
			"rules[1].brackets[1].flat", "expected a duration"},
		{"a duration with a fraction in text", "event: e\nrules:\n  - {key: a, type: speeding, brackets: [{above: 0, flat: \"1.5h\"}]}\n", 3,
			"rules[1].brackets[1].flat", "1h30m rather than 1.5h"},
		{"a duration for km/h", "event: e\nrules:\n  - {key: a, type: speeding, brackets: [{above: 20m, flat: 1m}]}\n", 3,
			"rules[1].brackets[1].above", "expected a number"},
		{"two operators", "event: e\nrules:\n  - {key: a, type: speeding, brackets: [{above: 0, flat: 1m, per_pulse: 1m}]}\n", 3,
			"rules[1].brackets[1]", "flat and per_pulse together"},
		{"no operator", "event: e\nrules:\n  - {key: a, type: speeding, brackets: [{above: 0}]}\n", 3,
			"rules[1].brackets[1]", "no penalty"},
		{"infinity", "event: e\nrules:\n  - {key: a, type: speeding, brackets: [{above: 0, up_to: .inf, flat: 1m}]}\n", 3,
			"rules[1].brackets[1].up_to", "finite"},
		{"a scope of two things", "event: e\nrules:\n  - {key: a, type: speeding, scope: {class: C-2, category: car}, brackets: [{flat: 1m}]}\n", 3,
			"rules[1].scope", "belongs to one thing"},
		{"a scope named only", "event: e\nrules:\n  - {key: a, type: speeding, scope: class, brackets: [{flat: 1m}]}\n", 3,
			"rules[1].scope", "{class: …}"},
		{"a bool as text", "event: e\nplaceholder: yes\nrules: []\n", 2, "placeholder", "expected true or false"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("test.yaml", []byte(c.src))
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("want *ParseError, got %T: %v", err, err)
			}
			if pe.Source != "test.yaml" || pe.Line != c.line || pe.Path != c.path || !strings.Contains(pe.Msg, c.msg) {
				t.Fatalf("got %q (line %d, path %q)", pe.Error(), pe.Line, pe.Path)
			}
		})
	}
}

func TestParseRefusesAFileAboveTheSizeLimit(t *testing.T) {
	big := "event: e\nnote: " + strings.Repeat("x", MaxFileSize) + "\nrules: []\n"
	_, err := Read("big.yaml", strings.NewReader(big))
	var pe *ParseError
	if !errors.As(err, &pe) || !strings.Contains(pe.Msg, "above the limit") {
		t.Fatalf("want the size limit: %v", err)
	}
}

func TestReadFileNamesAMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing.yaml")
	_, err := ReadFile(path)
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Source != path || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
}

func TestParseAcceptsRulebooksAsPeopleWriteThem(t *testing.T) {
	b := mustParse(t, "\xef\xbb\xbfevent: e\r\nrules:\r\n  - key: late\r\n    type: late_time_control\r\n"+
		"    brackets:\r\n      - above: 0\r\n        per_unit_over: 60\r\n        per: 60\r\n")
	r := b.Rules[0]
	if r.Brackets[0].Penalty != 60 || r.Brackets[0].Per != 60 || !r.Enabled || r.Scope.Type != ScopeEvent {
		t.Fatalf("read %+v", r)
	}
}

// TestWriteKeepsAnyNoteThroughARoundTrip: notes are free text; the writer
// uses a literal block only where it reads back the same (the YAML library
// writes blocks starting with a tab that it then refuses), and quotes the
// rest.
func TestWriteKeepsAnyNoteThroughARoundTrip(t *testing.T) {
	for _, n := range []string{
		"  lead\ntrail  \n", "a\n\n\nb\n\n", "\ttab\nx", "x\n\ty", "- item\n- item", "key: value\n#c", "\n", "x\n ",
		"'q'\n\"d\"", "…ü\n€", "null", "true\nfalse", "# hash", "a\n  b\n    c", "|\n>", "a\u00a0\nb", "Art. 80.16: 1–20 km/h → 1'",
	} {
		b := &Rulebook{Event: "e", Note: n, Rules: []Rule{{Key: "r", Type: TypeSpeeding, Scope: Scope{Type: ScopeEvent}, Enabled: true, Note: n,
			Brackets: []Bracket{{Max: math.Inf(1), Operator: OpFlat, Penalty: 60}}}}}
		roundTrip(t, b)
	}
}
