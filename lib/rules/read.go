package rules

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// maxDepth bounds nesting: a rulebook is five levels deep (rulebook, rules,
// rule, brackets, bracket).
const maxDepth = 8

// ReadFile reads, parses and validates the rulebook file at path.
func ReadFile(path string) (*Rulebook, error) {
	f, err := os.Open(path)
	if err != nil {
		cause := err
		var pathErr *fs.PathError
		if errors.As(err, &pathErr) {
			cause = pathErr.Err
		}
		return nil, &ParseError{Source: path, Msg: "cannot read the file: " + cause.Error(), Err: err}
	}
	defer f.Close()
	return Read(path, f)
}

// Read reads at most MaxFileSize bytes of r and parses them; name is used
// in errors (e.g. "<stdin>").
func Read(name string, r io.Reader) (*Rulebook, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, &ParseError{Source: name, Msg: "cannot read the input: " + err.Error(), Err: err}
	}
	return Parse(name, data)
}

// Parse parses and validates a rulebook file (the format is in the package
// documentation); name is used in errors only.
//
// A file that is not a readable rulebook gives a *ParseError (the first
// problem, located by line and path); a readable one that breaks a rule of
// the model gives a *ValidationErrors (every problem, each located by
// line, rule and bracket). Parse never panics.
func Parse(name string, data []byte) (b *Rulebook, err error) {
	defer func() {
		// The YAML library is third-party code: whatever it does, the
		// caller gets an error rather than a crash.
		if r := recover(); r != nil {
			b, err = nil, &ParseError{Source: name, Msg: fmt.Sprintf("unreadable input (%v)", r)}
		}
	}()
	return parse(name, data)
}

func parse(name string, data []byte) (*Rulebook, error) {
	p := &parser{source: name}
	if len(data) > MaxFileSize {
		return nil, p.fail(nil, "", "%d bytes or more, above the limit of %d bytes for a rulebook", len(data), MaxFileSize)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, p.fail(nil, "", "empty input; a rulebook starts with event: <slug> and rules:")
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		return nil, syntaxError(name, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err != io.EOF {
		line := 0
		if err == nil {
			line = extra.Line
		}
		return nil, &ParseError{Source: name, Line: line, Msg: "more than one YAML document; a file holds one rulebook"}
	}
	if len(doc.Content) != 1 {
		return nil, p.fail(&doc, "", "empty document")
	}
	root := doc.Content[0]
	if err := p.plain(root, 0); err != nil {
		return nil, err
	}
	b, err := p.rulebook(root)
	if err != nil {
		return nil, err
	}
	if err := b.validate(name); err != nil {
		return nil, err
	}
	return b, nil
}

// syntaxError turns the YAML library's error into a ParseError with the
// line it names ("yaml: line 3: …").
func syntaxError(name string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if i := strings.IndexByte(rest, ':'); i > 0 {
			if n, convErr := strconv.Atoi(rest[:i]); convErr == nil {
				line, msg = n, strings.TrimSpace(rest[i+1:])
			}
		}
	}
	return &ParseError{Source: name, Line: line, Msg: "not valid YAML: " + msg, Err: err}
}

type parser struct {
	source string
}

func (p *parser) fail(n *yaml.Node, path string, format string, args ...any) *ParseError {
	e := &ParseError{Source: p.source, Path: path, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	return e
}

// plain refuses what a rulebook never needs and what makes YAML costly or
// ambiguous: anchors and aliases (and so merge keys), custom tags, deep
// nesting.
func (p *parser) plain(n *yaml.Node, depth int) error {
	if depth > maxDepth {
		return p.fail(n, "", "nested more than %d levels; a rulebook is not that deep", maxDepth)
	}
	if n.Kind == yaml.AliasNode || n.Anchor != "" {
		return p.fail(n, "", "anchors and aliases (&, *, <<) are not used in a rulebook; write each value out")
	}
	if n.Tag != "" && !strings.HasPrefix(n.Tag, "!!") {
		return p.fail(n, "", "custom tag %q; a rulebook uses plain values", n.Tag)
	}
	for _, c := range n.Content {
		if err := p.plain(c, depth+1); err != nil {
			return err
		}
	}
	return nil
}

type member struct {
	key   string
	keyN  *yaml.Node
	value *yaml.Node
}

// mapping returns n's members in order, refusing anything but a mapping of
// the allowed keys, each at most once.
func (p *parser) mapping(n *yaml.Node, path, what string, allowed []string) ([]member, error) {
	if n.Kind != yaml.MappingNode {
		return nil, p.fail(n, path, "expected %s (a mapping of %s), got %s", what, strings.Join(allowed, ", "), kindName(n))
	}
	var out []member
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.ShortTag() != "!!str" {
			return nil, p.fail(k, path, "keys of %s are names such as %s", what, allowed[0])
		}
		if !slices.Contains(allowed, k.Value) {
			return nil, p.fail(k, join(path, k.Value), "unknown key %q in %s; the keys are %s", k.Value, what, strings.Join(allowed, ", "))
		}
		if seen[k.Value] {
			return nil, p.fail(k, join(path, k.Value), "%s given twice", k.Value)
		}
		seen[k.Value] = true
		out = append(out, member{k.Value, k, v})
	}
	return out, nil
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			return "nothing (null)"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "something else"
}

func (p *parser) text(n *yaml.Node, path string) (string, error) {
	if n.Kind != yaml.ScalarNode {
		return "", p.fail(n, path, "expected text, got %s", kindName(n))
	}
	switch n.ShortTag() {
	case "!!str", "!!int", "!!float", "!!bool":
		return n.Value, nil
	}
	return "", p.fail(n, path, "expected text, got %s", kindName(n))
}

func (p *parser) boolean(n *yaml.Node, path string) (bool, error) {
	var v bool
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&v) != nil {
		return false, p.fail(n, path, "expected true or false, got %s", kindName(n))
	}
	return v, nil
}

func (p *parser) integer(n *yaml.Node, path string) (int, error) {
	var v int64
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&v) != nil || v < math.MinInt32 || v > math.MaxInt32 {
		return 0, p.fail(n, path, "expected a whole number, got %s", kindName(n))
	}
	return int(v), nil
}

func (p *parser) number(n *yaml.Node, path string) (float64, error) {
	var v float64
	if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!int" && n.ShortTag() != "!!float") || n.Decode(&v) != nil {
		return 0, p.fail(n, path, "expected a number, got %s", kindName(n))
	}
	if !finite(v) {
		return 0, p.fail(n, path, "expected a finite number, got %s", n.Value)
	}
	return v, nil
}

// seconds reads whole seconds: a duration (15m, 1h30m) or a whole number of
// seconds.
func (p *parser) seconds(n *yaml.Node, path string) (int64, error) {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!int" {
		var v int64
		if n.Decode(&v) == nil {
			if v < 0 {
				return 0, p.fail(n, path, "%d seconds is negative", v)
			}
			if v > MaxOffence {
				return 0, p.fail(n, path, "%d seconds is too large", v)
			}
			return v, nil
		}
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" {
		v, err := parseDuration(n.Value)
		if err != nil {
			return 0, p.fail(n, path, "%v", err)
		}
		return v, nil
	}
	return 0, p.fail(n, path, "expected a duration such as 15m, 1h30m or 90s (or whole seconds), got %s", kindName(n))
}

// bound reads an offence bound or unit size in unit u: a duration is also
// accepted for seconds, and for a unit not known yet (an unknown type,
// which validation reports).
func (p *parser) bound(n *yaml.Node, path string, u Unit) (float64, error) {
	isStr := n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str"
	if isStr && (u == UnitSeconds || u == "") {
		v, err := p.seconds(n, path)
		return float64(v), err
	}
	if isStr || n.Kind != yaml.ScalarNode {
		if u == UnitSeconds {
			return 0, p.fail(n, path, "expected a duration such as 30m, or whole seconds, got %s", kindName(n))
		}
		return 0, p.fail(n, path, "expected a number (%s), got %s", u, kindName(n))
	}
	return p.number(n, path)
}

func (p *parser) rulebook(root *yaml.Node) (*Rulebook, error) {
	members, err := p.mapping(root, "", "a rulebook", []string{"event", "placeholder", "note", "rules"})
	if err != nil {
		return nil, err
	}
	b := &Rulebook{}
	var rulesN *yaml.Node
	for _, m := range members {
		switch m.key {
		case "event":
			b.Event, err = p.text(m.value, "event")
		case "placeholder":
			b.Placeholder, err = p.boolean(m.value, "placeholder")
		case "note":
			b.Note, err = p.text(m.value, "note")
		case "rules":
			rulesN = m.value
		}
		if err != nil {
			return nil, err
		}
	}
	if rulesN == nil {
		return nil, p.fail(root, "", "no rules: list the event's rules under rules:")
	}
	if rulesN.Kind != yaml.SequenceNode {
		return nil, p.fail(rulesN, "rules", "expected a list of rules, got %s", kindName(rulesN))
	}
	if len(rulesN.Content) > MaxRules {
		return nil, p.fail(rulesN, "rules", "%d rules, more than the limit of %d", len(rulesN.Content), MaxRules)
	}
	reads := make([]ruleRead, len(rulesN.Content))
	for i, n := range rulesN.Content {
		if err := p.rule(n, fmt.Sprintf("rules[%d]", i+1), &reads[i]); err != nil {
			return nil, err
		}
	}
	p.inherit(reads)
	for i := range reads {
		if err := p.brackets(&reads[i]); err != nil {
			return nil, err
		}
		b.Rules = append(b.Rules, reads[i].rule)
	}
	return b, nil
}

// ruleRead is a rule being read: its brackets wait until its unit is known
// (a repeat rule's type comes from its base, which may come later).
type ruleRead struct {
	rule                          Rule
	path                          string
	brackets                      *yaml.Node
	typeSet, qualifierSet, scoped bool
}

func ruleKeys() []string {
	return []string{"key", "version", "type", "qualifier", "scope", "base", "repeat_within", "contiguous",
		"retroactive", "enabled", "pulse", "note", "brackets"}
}

func (p *parser) rule(n *yaml.Node, path string, rr *ruleRead) error {
	members, err := p.mapping(n, path, "a rule", ruleKeys())
	if err != nil {
		return err
	}
	r := &rr.rule
	r.Line, r.Enabled, rr.path = n.Line, true, path
	r.Scope = Scope{Type: ScopeEvent}
	for _, m := range members {
		fp := join(path, m.key)
		var text string
		switch m.key {
		case "key":
			r.Key, err = p.text(m.value, fp)
		case "version":
			r.Version, err = p.integer(m.value, fp)
		case "type":
			text, err = p.text(m.value, fp)
			r.Type, rr.typeSet = Type(text), true
		case "qualifier":
			r.Qualifier, err = p.text(m.value, fp)
			rr.qualifierSet = true
		case "scope":
			r.Scope, err = p.scope(m.value, fp)
			rr.scoped = true
		case "base":
			r.Base, err = p.text(m.value, fp)
		case "repeat_within":
			text, err = p.text(m.value, fp)
			r.RepeatWithin = ScopeType(text)
		case "contiguous":
			r.Contiguous, err = p.boolean(m.value, fp)
		case "retroactive":
			r.Retroactive, err = p.boolean(m.value, fp)
		case "enabled":
			r.Enabled, err = p.boolean(m.value, fp)
		case "pulse":
			r.Pulse, err = p.pulse(m.value, fp)
		case "note":
			r.Note, err = p.text(m.value, fp)
		case "brackets":
			rr.brackets = m.value
		}
		if err != nil {
			return err
		}
	}
	if rr.brackets == nil {
		return p.fail(n, path, "rule %s has no brackets: list them under brackets:", r.Key)
	}
	return nil
}

func (p *parser) scope(n *yaml.Node, path string) (Scope, error) {
	var names []string
	for _, t := range ScopeTypes() {
		names = append(names, string(t))
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" {
		if n.Value == string(ScopeEvent) {
			return Scope{Type: ScopeEvent}, nil
		}
		return Scope{}, p.fail(n, path, "expected event, or one of {stage: …}, {segment: …}, {speed_zone: …}, {class: …}, {category: …}; got %q", n.Value)
	}
	members, err := p.mapping(n, path, "a scope", names)
	if err != nil {
		return Scope{}, err
	}
	if len(members) != 1 {
		return Scope{}, p.fail(n, path, "a rule belongs to one thing: write event or a single {class: C-2}-like pair")
	}
	ref, err := p.text(members[0].value, join(path, members[0].key))
	return Scope{Type: ScopeType(members[0].key), Ref: ref}, err
}

func (p *parser) pulse(n *yaml.Node, path string) (*Pulse, error) {
	members, err := p.mapping(n, path, "a pulse interval", []string{"seconds", "metres"})
	if err != nil {
		return nil, err
	}
	pl := &Pulse{}
	for _, m := range members {
		var v float64
		if v, err = p.number(m.value, join(path, m.key)); err != nil {
			return nil, err
		}
		if m.key == "seconds" {
			pl.Seconds = v
		} else {
			pl.Metres = v
		}
	}
	return pl, nil
}

// inherit gives each repeat rule its base's type, qualifier and scope where
// it does not state them. What it does state stays, for validation to
// compare.
func (p *parser) inherit(reads []ruleRead) {
	for i := range reads {
		r := &reads[i].rule
		if r.Base == "" {
			continue
		}
		for _, o := range reads {
			if o.rule.Key != r.Base {
				continue
			}
			if !reads[i].typeSet {
				r.Type = o.rule.Type
			}
			if !reads[i].qualifierSet {
				r.Qualifier = o.rule.Qualifier
			}
			if !reads[i].scoped {
				r.Scope = o.rule.Scope
			}
			break
		}
	}
}

func bracketKeys() []string {
	return []string{"above", "up_to", "flat", "per_unit_over", "per_pulse", "multiplier", "per", "round", "outcome"}
}

func (p *parser) brackets(rr *ruleRead) error {
	n, path := rr.brackets, join(rr.path, "brackets")
	if n.Kind != yaml.SequenceNode {
		return p.fail(n, path, "expected a list of brackets, got %s", kindName(n))
	}
	if len(n.Content) > MaxBrackets {
		return p.fail(n, path, "%d brackets, more than the limit of %d", len(n.Content), MaxBrackets)
	}
	unit := rr.rule.Unit()
	for i, bn := range n.Content {
		b, err := p.bracket(bn, fmt.Sprintf("%s[%d]", path, i+1), unit)
		if err != nil {
			return err
		}
		rr.rule.Brackets = append(rr.rule.Brackets, b)
	}
	return nil
}

func (p *parser) bracket(n *yaml.Node, path string, unit Unit) (Bracket, error) {
	members, err := p.mapping(n, path, "a bracket", bracketKeys())
	if err != nil {
		return Bracket{}, err
	}
	b := Bracket{Max: math.Inf(1), Line: n.Line}
	var operators []string
	for _, m := range members {
		fp := join(path, m.key)
		var text string
		switch m.key {
		case "above":
			b.Min, err = p.bound(m.value, fp, unit)
		case "up_to":
			b.Max, err = p.bound(m.value, fp, unit)
		case "flat", "per_unit_over", "per_pulse":
			b.Operator, operators = Operator(m.key), append(operators, m.key)
			b.Penalty, err = p.seconds(m.value, fp)
		case "multiplier":
			b.Operator, operators = OpRepeatMultiplier, append(operators, m.key)
			b.Multiplier, err = p.number(m.value, fp)
		case "per":
			b.Per, err = p.bound(m.value, fp, unit)
		case "round":
			text, err = p.text(m.value, fp)
			b.Round = Round(text)
		case "outcome":
			text, err = p.text(m.value, fp)
			if text != "none" {
				b.Outcome = Outcome(text)
			}
		}
		if err != nil {
			return Bracket{}, err
		}
	}
	switch len(operators) {
	case 0:
		return Bracket{}, p.fail(n, path, "no penalty: give one of flat, per_unit_over, per_pulse (a duration) or multiplier (a repeat rule's factor)")
	case 1:
		return b, nil
	}
	return Bracket{}, p.fail(n, path, "%s together: a bracket has one operator; split it into brackets", strings.Join(operators, " and "))
}
