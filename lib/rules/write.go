package rules

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// YAML writes b in the rulebook file format (see the package
// documentation): rules and brackets in b's order, each bracket on one
// line, optional fields left out at their defaults, a repeat rule without
// the type, qualifier and scope it takes from its base. Parse reads what
// it writes back to the same rulebook, and writing that again gives the
// same bytes.
func (b *Rulebook) YAML() (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("rules: cannot write the rulebook of %s as YAML: %v", b.Event, r)
		}
	}()
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(b.node()); err != nil {
		return nil, fmt.Errorf("rules: cannot write the rulebook of %s as YAML: %w", b.Event, err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("rules: cannot write the rulebook of %s as YAML: %w", b.Event, err)
	}
	return buf.Bytes(), nil
}

// WriteYAML writes b.YAML() to w.
func (b *Rulebook) WriteYAML(w io.Writer) error {
	out, err := b.YAML()
	if err != nil {
		return err
	}
	_, err = w.Write(out)
	return err
}

func str(s string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	if strings.Contains(s, "\n") {
		n.Style = yaml.DoubleQuotedStyle
		if literalSafe(s) {
			n.Style = yaml.LiteralStyle
		}
	}
	return n
}

// literalSafe reports whether s reads back the same from a literal block
// (|-): the YAML library writes blocks it cannot read back when a line
// starts with a tab, and blocks lose leading blank lines, a first line's
// indentation, and trailing spaces. Other text is double-quoted.
func literalSafe(s string) bool {
	if strings.HasPrefix(s, "\n") || strings.HasSuffix(s, "\n") || strings.HasPrefix(s, " ") || strings.ContainsAny(s, "\t\r") {
		return false
	}
	for _, line := range strings.Split(s, "\n") {
		if strings.HasSuffix(line, " ") {
			return false
		}
	}
	return true
}

func num(x float64) *yaml.Node {
	tag := "!!float"
	if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
		tag = "!!int"
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: formatNumber(x)}
}

func boolean(v bool) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: fmt.Sprint(v)}
}

func duration(sec int64) *yaml.Node { return str(formatDuration(sec)) }

// bound writes an offence bound or unit size: a duration for whole seconds.
func bound(x float64, u Unit) *yaml.Node {
	if u == UnitSeconds && x == math.Trunc(x) && x >= 0 && x <= MaxOffence {
		return duration(int64(x))
	}
	return num(x)
}

type mapNode struct{ n *yaml.Node }

func newMap(flow bool) mapNode {
	n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	if flow {
		n.Style = yaml.FlowStyle
	}
	return mapNode{n}
}

func (m mapNode) add(key string, v *yaml.Node) {
	m.n.Content = append(m.n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, v)
}

func (b *Rulebook) node() *yaml.Node {
	top := newMap(false)
	top.add("event", str(b.Event))
	if b.Placeholder {
		top.add("placeholder", boolean(true))
	}
	if b.Note != "" {
		top.add("note", str(b.Note))
	}
	rules := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	for _, r := range b.Rules {
		rules.Content = append(rules.Content, b.ruleNode(r))
	}
	top.add("rules", rules)
	return &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{top.n}}
}

func (b *Rulebook) ruleNode(r Rule) *yaml.Node {
	m := newMap(false)
	m.add("key", str(r.Key))
	if r.Version != 0 {
		m.add("version", num(float64(r.Version)))
	}
	// What the reader takes when a field is left out: the defaults, or for
	// a repeat rule its base's type, qualifier and scope. A field is
	// written when it differs from that (the type always, for a base rule).
	inherited := Rule{Scope: Scope{Type: ScopeEvent}}
	if base, ok := b.Rule(r.Base); ok && r.IsRepeat() {
		inherited = base
	}
	if !r.IsRepeat() || r.Type != inherited.Type {
		m.add("type", str(string(r.Type)))
	}
	if r.Qualifier != inherited.Qualifier {
		m.add("qualifier", str(r.Qualifier))
	}
	if r.Scope != inherited.Scope {
		if r.Scope == (Scope{Type: ScopeEvent}) {
			m.add("scope", str(string(ScopeEvent)))
		} else {
			s := newMap(true)
			s.add(string(r.Scope.Type), str(r.Scope.Ref))
			m.add("scope", s.n)
		}
	}
	if r.Base != "" {
		m.add("base", str(r.Base))
	}
	if r.RepeatWithin != "" {
		m.add("repeat_within", str(string(r.RepeatWithin)))
	}
	if r.Contiguous {
		m.add("contiguous", boolean(true))
	}
	if r.Retroactive {
		m.add("retroactive", boolean(true))
	}
	if !r.Enabled {
		m.add("enabled", boolean(false))
	}
	if r.Pulse != nil {
		p := newMap(true)
		p.add("seconds", num(r.Pulse.Seconds))
		p.add("metres", num(r.Pulse.Metres))
		m.add("pulse", p.n)
	}
	if r.Note != "" {
		m.add("note", str(r.Note))
	}
	brackets := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	unit := r.Unit()
	for _, bk := range r.Brackets {
		brackets.Content = append(brackets.Content, bracketNode(bk, unit))
	}
	m.add("brackets", brackets)
	return m.n
}

func bracketNode(b Bracket, u Unit) *yaml.Node {
	m := newMap(true)
	m.add("above", bound(b.Min, u))
	if !b.Open() {
		m.add("up_to", bound(b.Max, u))
	}
	switch b.Operator {
	case OpRepeatMultiplier:
		m.add("multiplier", num(b.Multiplier))
	default:
		m.add(string(b.Operator), duration(b.Penalty))
	}
	if b.Per != 0 {
		m.add("per", bound(b.Per, u))
	}
	if b.Round != "" {
		m.add("round", str(string(b.Round)))
	}
	if b.Outcome != OutcomeNone {
		m.add("outcome", str(string(b.Outcome)))
	}
	return m.n
}
