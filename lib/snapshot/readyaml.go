package snapshot

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// parseYAML reads data with the general YAML reader.
func parseYAML(name string, data []byte) (*Snapshot, error) {
	v, root, err := readYAMLValue(name, data)
	if err != nil {
		return nil, err
	}
	s, err := build(v)
	if err != nil {
		return nil, locateYAML(name, root, err)
	}
	return s, nil
}

// readYAMLValue reads the single YAML document data holds through the YAML
// library's node tree, and returns its value and root node.
func readYAMLValue(name string, data []byte) (any, *yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if err == io.EOF {
			return nil, nil, &ParseError{Source: name, Format: "yaml", Msg: "empty input", Hint: "expected a Directus schema snapshot"}
		}
		return nil, nil, yamlSyntaxError(name, err)
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == io.EOF:
	case err != nil:
		return nil, nil, yamlSyntaxError(name, err)
	default:
		return nil, nil, &ParseError{Source: name, Format: "yaml", Line: next.Line, Column: next.Column,
			Msg: "more than one YAML document", Hint: "a snapshot is a single document; remove the extra '---'"}
	}
	root := &doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return nil, nil, &ParseError{Source: name, Format: "yaml", Msg: "empty document"}
		}
		root = root.Content[0]
	}
	c := &yamlConverter{name: name, budget: 2*len(data) + 1024}
	v, err := c.value(root, 0)
	if err != nil {
		return nil, nil, err
	}
	return v, root, nil
}

// yamlSyntaxError turns the YAML library's message ("yaml: line 3: did not
// find expected key") into a ParseError with the line as a field.
func yamlSyntaxError(name string, err error) *ParseError {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if n, after, ok := strings.Cut(rest, ":"); ok {
			if v, convErr := strconv.Atoi(n); convErr == nil {
				line = v
				msg = strings.TrimSpace(after)
			}
		}
	}
	hint := "the file must be YAML or JSON as written by 'directus schema snapshot'"
	if strings.HasPrefix(msg, "did not find expected") && line > 0 {
		// For these the library reports, 0-based, the line where the
		// enclosing list or map starts, not where the mistake is.
		line++
		hint = "the list or map that starts on this line is malformed; the mistake may be on a later line"
	}
	return &ParseError{Source: name, Format: "yaml", Line: line, Msg: "invalid YAML: " + msg, Err: err, Hint: hint}
}

type yamlConverter struct {
	name string
	// budget counts nodes still allowed, aliases included, so that a few
	// bytes of anchors cannot expand into gigabytes.
	budget int
}

func (c *yamlConverter) fail(n *yaml.Node, format string, a ...any) *ParseError {
	return &ParseError{Source: c.name, Format: "yaml", Line: n.Line, Column: n.Column, Msg: fmt.Sprintf(format, a...)}
}

func (c *yamlConverter) value(n *yaml.Node, depth int) (any, error) {
	c.budget--
	if c.budget < 0 {
		return nil, c.fail(n, "aliases expand to too many values")
	}
	if depth > maxDepth {
		return nil, c.fail(n, "nesting deeper than %d levels", maxDepth)
	}
	switch n.Kind {
	case yaml.AliasNode:
		if n.Alias == nil {
			return nil, c.fail(n, "unknown alias *%s", n.Value)
		}
		return c.value(n.Alias, depth+1)
	case yaml.ScalarNode:
		return c.scalar(n)
	case yaml.SequenceNode:
		list := make([]any, 0, len(n.Content))
		for _, item := range n.Content {
			v, err := c.value(item, depth+1)
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
		return list, nil
	case yaml.MappingNode:
		m := &Map{members: make([]Member, 0, len(n.Content)/2)}
		if err := c.mapping(m, n, depth, false); err != nil {
			return nil, err
		}
		return m, nil
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return c.value(n.Content[0], depth+1)
	}
	return nil, c.fail(n, "unsupported YAML node")
}

// mapping adds the pairs of n to m. merged is true for the maps of a merge
// key (<<), whose keys never replace ones already set.
func (c *yamlConverter) mapping(m *Map, n *yaml.Node, depth int, merged bool) error {
	if len(n.Content)%2 != 0 {
		return c.fail(n, "malformed mapping")
	}
	for i := 0; i < len(n.Content); i += 2 {
		kn, vn := n.Content[i], n.Content[i+1]
		for kn.Kind == yaml.AliasNode && kn.Alias != nil {
			kn = kn.Alias
		}
		if kn.Kind != yaml.ScalarNode {
			return c.fail(kn, "mapping keys must be plain values, not lists or maps")
		}
		if kn.ShortTag() == "!!merge" {
			if err := c.merge(m, vn, depth); err != nil {
				return err
			}
			continue
		}
		key := kn.Value
		switch kn.ShortTag() {
		case "!!null":
			key = "null"
		case "!!bool":
			key = strings.ToLower(kn.Value)
		}
		if m.Has(key) {
			if merged {
				continue
			}
			return c.fail(kn, "duplicate key %q", key)
		}
		v, err := c.value(vn, depth+1)
		if err != nil {
			return err
		}
		m.members = append(m.members, Member{Key: key, Value: v})
	}
	return nil
}

func (c *yamlConverter) merge(m *Map, vn *yaml.Node, depth int) error {
	for vn.Kind == yaml.AliasNode && vn.Alias != nil {
		vn = vn.Alias
	}
	var sources []*yaml.Node
	switch vn.Kind {
	case yaml.MappingNode:
		sources = []*yaml.Node{vn}
	case yaml.SequenceNode:
		sources = vn.Content
	default:
		return c.fail(vn, "a merge key (<<) needs a map or a list of maps")
	}
	for _, src := range sources {
		for src.Kind == yaml.AliasNode && src.Alias != nil {
			src = src.Alias
		}
		if src.Kind != yaml.MappingNode {
			return c.fail(src, "a merge key (<<) needs a map or a list of maps")
		}
		c.budget -= len(src.Content)
		if c.budget < 0 {
			return c.fail(src, "aliases expand to too many values")
		}
		if err := c.mapping(m, src, depth+1, true); err != nil {
			return err
		}
	}
	return nil
}

func (c *yamlConverter) scalar(n *yaml.Node) (any, error) {
	if n.Style == 0 {
		return c.plain(n)
	}
	// Quoted, block or explicitly tagged.
	switch n.ShortTag() {
	case "!!null":
		return nil, nil
	case "!!bool":
		switch strings.ToLower(n.Value) {
		case "true", "yes", "on", "y":
			return true, nil
		case "false", "no", "off", "n":
			return false, nil
		}
		return nil, c.fail(n, "invalid boolean %q", n.Value)
	case "!!int", "!!float":
		num, ok := yamlNumber(n.Value)
		if !ok {
			return nil, c.fail(n, "number %q cannot be represented in JSON", n.Value)
		}
		return num, nil
	}
	// Strings, and values of any other tag (timestamps, binary, custom tags)
	// as the text they were written with: Directus reads them as strings too.
	return n.Value, nil
}

// plain resolves a plain, untagged scalar as js-yaml (which Directus reads
// and writes snapshots with) does, not as the YAML library here would: the
// two disagree on forms such as 1_ or 017, and a snapshot must mean what it
// means to Directus.
func (c *yamlConverter) plain(n *yaml.Node) (any, error) {
	v, msg := resolvePlain(n.Value)
	if msg != "" {
		return nil, c.fail(n, "%s", msg)
	}
	return v, nil
}

// resolvePlain types the text of a plain scalar: null, a boolean, a number
// or a string. A number JSON cannot carry gives a message instead.
func resolvePlain(v string) (any, string) {
	switch v {
	case "", "~", "null", "Null", "NULL":
		return nil, ""
	case "true", "True", "TRUE":
		return true, ""
	case "false", "False", "FALSE":
		return false, ""
	}
	if isYAMLInt(v) {
		if num, ok := jsYAMLInt(v); ok {
			return num, ""
		}
		return nil, fmt.Sprintf("invalid integer %q", v)
	}
	if isYAMLFloat(v) {
		if num, ok := jsYAMLFloat(v); ok {
			return num, ""
		}
		return nil, fmt.Sprintf("number %q cannot be represented in JSON", v)
	}
	return v, ""
}

// jsYAMLInt converts what js-yaml reads as an integer: decimal (leading
// zeros allowed, not octal), 0b, 0o, 0x, underscores anywhere.
func jsYAMLInt(s string) (json.Number, bool) {
	if isJSONNumber(s) {
		return json.Number(s), true
	}
	t := strings.ReplaceAll(s, "_", "")
	neg := false
	if t != "" && (t[0] == '-' || t[0] == '+') {
		neg, t = t[0] == '-', t[1:]
	}
	base := 10
	if len(t) > 1 && t[0] == '0' {
		switch t[1] {
		case 'b':
			base, t = 2, t[2:]
		case 'o':
			base, t = 8, t[2:]
		case 'x':
			base, t = 16, t[2:]
		}
	}
	i, ok := new(big.Int).SetString(t, base)
	if !ok {
		return "", false
	}
	if neg {
		i.Neg(i)
	}
	return json.Number(i.String()), true
}

// jsYAMLFloat converts what js-yaml reads as a float to JSON number text,
// as JavaScript would print it; infinities and NaN have no JSON form.
func jsYAMLFloat(s string) (json.Number, bool) {
	if isJSONNumber(s) {
		return json.Number(s), true
	}
	t := strings.ToLower(strings.ReplaceAll(s, "_", ""))
	if strings.Contains(t, "inf") || strings.Contains(t, "nan") {
		return "", false
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil {
		return "", false
	}
	return json.Number(formatFloatJS(f)), true
}

// yamlNumber converts a YAML number to JSON number text. Directus writes
// numbers as JSON does; other YAML spellings (0x1F, 1_000, .5, +1) are
// converted, and infinities and NaN, which JSON cannot carry, refused.
func yamlNumber(text string) (json.Number, bool) {
	if isJSONNumber(text) {
		return json.Number(text), true
	}
	clean := strings.ReplaceAll(text, "_", "")
	if isJSONNumber(clean) {
		return json.Number(clean), true
	}
	if i, ok := new(big.Int).SetString(clean, 0); ok {
		return json.Number(i.String()), true
	}
	lower := strings.ToLower(clean)
	if strings.Contains(lower, "inf") || strings.Contains(lower, "nan") {
		return "", false
	}
	if r, ok := new(big.Rat).SetString(strings.TrimPrefix(clean, "+")); ok {
		f, _ := r.Float64()
		if r.IsInt() {
			return json.Number(r.Num().String()), true
		}
		return json.Number(strconv.FormatFloat(f, 'g', -1, 64)), true
	}
	return "", false
}

// isJSONNumber checks s against the JSON number grammar.
func isJSONNumber[T string | []byte](s T) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == start {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == start {
			return false
		}
	}
	return i == len(s)
}

// locateYAML turns a semanticError into a ParseError at the position of its
// path in the document.
func locateYAML(name string, root *yaml.Node, err error) error {
	var se *semanticError
	if !errors.As(err, &se) {
		return err
	}
	pe := &ParseError{Source: name, Format: "yaml", Path: formatPath(se.path), Msg: se.msg, Hint: se.hint}
	n := root
	pe.Line, pe.Column = n.Line, n.Column
	for _, seg := range se.path {
		for n.Kind == yaml.AliasNode && n.Alias != nil {
			n = n.Alias
		}
		var next *yaml.Node
		switch x := seg.(type) {
		case string:
			if n.Kind == yaml.MappingNode {
				for i := 0; i+1 < len(n.Content); i += 2 {
					if n.Content[i].Value == x {
						next = n.Content[i+1]
						// A null value has no position of its own worth
						// showing; point at the key.
						if next.Line == 0 {
							next = n.Content[i]
						}
						break
					}
				}
			}
		case int:
			if n.Kind == yaml.SequenceNode && x < len(n.Content) {
				next = n.Content[x]
			}
		}
		if next == nil {
			break
		}
		n = next
		pe.Line, pe.Column = n.Line, n.Column
	}
	return pe
}
