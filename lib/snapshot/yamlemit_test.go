package snapshot

import (
	"strings"
	"testing"
)

// TestYAMLScalarsMatchJSYAML checks scalar quoting, block styles and
// folding against js-yaml 4.1.0's dump() (the expected strings were produced
// by it): as a value four levels deep, and as a top-level key.
func TestYAMLScalarsMatchJSYAML(t *testing.T) {
	tests := []struct{ in, value, key string }{
		{"", "      note: ''\n", "'': 1\n"},
		{"true", "      note: 'true'\n", "'true': 1\n"},
		{"True", "      note: 'True'\n", "'True': 1\n"},
		{"yes", "      note: 'yes'\n", "'yes': 1\n"},
		{"No", "      note: 'No'\n", "'No': 1\n"},
		{"null", "      note: 'null'\n", "'null': 1\n"},
		{"~", "      note: '~'\n", "'~': 1\n"},
		{"123", "      note: '123'\n", "'123': 1\n"},
		{"-1", "      note: '-1'\n", "'-1': 1\n"},
		{"1.5", "      note: '1.5'\n", "'1.5': 1\n"},
		{".5", "      note: '.5'\n", "'.5': 1\n"},
		{"1e3", "      note: '1e3'\n", "'1e3': 1\n"},
		{"0x1F", "      note: '0x1F'\n", "'0x1F': 1\n"},
		{"0o17", "      note: '0o17'\n", "'0o17': 1\n"},
		{"1_000", "      note: '1_000'\n", "'1_000': 1\n"},
		{"12:30", "      note: '12:30'\n", "'12:30': 1\n"},
		{"<<", "      note: '<<'\n", "'<<': 1\n"},
		{"2021-10-20", "      note: '2021-10-20'\n", "'2021-10-20': 1\n"},
		{"2021-10-20T10:00:00Z", "      note: '2021-10-20T10:00:00Z'\n", "'2021-10-20T10:00:00Z': 1\n"},
		{".inf", "      note: '.inf'\n", "'.inf': 1\n"},
		{"NaN", "      note: NaN\n", "NaN: 1\n"},
		{"#FFA439", "      note: '#FFA439'\n", "'#FFA439': 1\n"},
		{"{{name}}", "      note: '{{name}}'\n", "'{{name}}': 1\n"},
		{"$t:published", "      note: $t:published\n", "$t:published: 1\n"},
		{"a: b", "      note: 'a: b'\n", "'a: b': 1\n"},
		{"a:b", "      note: a:b\n", "a:b: 1\n"},
		{"a #b", "      note: 'a #b'\n", "'a #b': 1\n"},
		{"a#b", "      note: a#b\n", "a#b: 1\n"},
		{"- x", "      note: '- x'\n", "'- x': 1\n"},
		{"-x", "      note: '-x'\n", "'-x': 1\n"},
		{"it's", "      note: it's\n", "it's: 1\n"},
		{"'quoted'", "      note: '''quoted'''\n", "'''quoted''': 1\n"},
		{"trailing ", "      note: 'trailing '\n", "'trailing ': 1\n"},
		{" leading", "      note: ' leading'\n", "' leading': 1\n"},
		{"tab\there", "      note: \"tab\\there\"\n", "\"tab\\there\": 1\n"},
		{"bell\x07", "      note: \"bell\\a\"\n", "\"bell\\a\": 1\n"},
		{"nbsp\u00a0", "      note: \"nbsp\\_\"\n", "\"nbsp\\_\": 1\n"},
		{"caf\u00e9", "      note: caf\u00e9\n", "caf\u00e9: 1\n"},
		{"\U0001f600 smile", "      note: \U0001f600 smile\n", "\U0001f600 smile: 1\n"},
		{"multi\nline", "      note: |-\n        multi\n        line\n", "\"multi\\nline\": 1\n"},
		{"ends with newline\n", "      note: |\n        ends with newline\n", "\"ends with newline\\n\": 1\n"},
		{"keep\n\n", "      note: |+\n        keep\n\n", "\"keep\\n\\n\": 1\n"},
		{"\n leading newline", "      note: |2-\n\n         leading newline\n", "\"\\n leading newline\": 1\n"},
		{"line one\n  more indented\nback", "      note: |-\n        line one\n          more indented\n        back\n", "\"line one\\n  more indented\\nback\": 1\n"},
		{"var(--theme--primary)", "      note: var(--theme--primary)\n", "var(--theme--primary): 1\n"},
		{"=", "      note: '='\n", "'=': 1\n"},
		{"@at", "      note: '@at'\n", "'@at': 1\n"},
		{"`tick", "      note: '`tick'\n", "'`tick': 1\n"},
		{"a,b", "      note: a,b\n", "a,b: 1\n"},
		{"[x]", "      note: '[x]'\n", "'[x]': 1\n"},
		{"x]", "      note: x]\n", "x]: 1\n"},
		{"?", "      note: '?'\n", "'?': 1\n"},
		{"? x", "      note: '? x'\n", "'? x': 1\n"},
		{"http://example.com/a?b=c#frag", "      note: http://example.com/a?b=c#frag\n", "http://example.com/a?b=c#frag: 1\n"},
		{"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore", "      note: >-\n        Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod\n        tempor incididunt ut labore\n", "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore: 1\n"},
		{"Averyveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryverylongword", "      note: >-\n        Averyveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryverylongword\n", "Averyveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryverylongword: 1\n"},
		{"short line\nLorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore\nend", "      note: >-\n        short line\n\n        Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod\n        tempor incididunt ut labore\n\n        end\n", "\"short line\\nLorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore\\nend\": 1\n"},
	}
	for _, tt := range tests {
		doc := NewMap(Member{"a", NewMap(Member{"b", NewMap(Member{"c", NewMap(Member{"note", tt.in})})})})
		e := &yamlEmitter{}
		if err := e.node(doc, 0, true); err != nil {
			t.Fatal(err)
		}
		got := string(e.buf) + "\n"
		lines := strings.SplitN(got, "\n", 4)
		if lines[3] != tt.value {
			t.Errorf("value %q:\ngot  %q\nwant %q", tt.in, lines[3], tt.value)
		}
		e = &yamlEmitter{}
		if err := e.node(NewMap(Member{tt.in, num("1")}), 0, true); err != nil {
			t.Fatal(err)
		}
		if got := string(e.buf) + "\n"; got != tt.key {
			t.Errorf("key %q:\ngot  %q\nwant %q", tt.in, got, tt.key)
		}
	}
}

func TestFormatFloatJS(t *testing.T) {
	for in, want := range map[float64]string{0: "0", 1: "1", 1.5: "1.5", 1e21: "1e+21", 1e-7: "1e-7", 123456789012: "123456789012", 0.000001: "0.000001", -2.5e-8: "-2.5e-8"} {
		if got := formatFloatJS(in); got != want {
			t.Errorf("formatFloatJS(%v) = %q, want %q", in, got, want)
		}
	}
}
