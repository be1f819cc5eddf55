package snapshot

import (
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// This file writes YAML the way js-yaml's dump() does with its defaults
// (indent 2, lineWidth 80, single quotes, no flow style), because that is
// how Directus writes snapshots: reproducing it byte for byte keeps a
// snapshot written here identical to one Directus writes, so commits show
// only real changes. The YAML library's own encoder differs in quoting,
// folding and indentation of lists, so it is not used for writing.
//
// js-yaml measures widths and positions in UTF-16 code units (JavaScript
// strings); the scalar code below does the same.

const (
	yamlIndent    = 2
	yamlLineWidth = 80
)

type yamlEmitter struct {
	buf []byte
}

// node appends the YAML for v at nesting level; compact means the first
// line continues the current one (after "- " or at the document start).
func (e *yamlEmitter) node(v any, level int, compact bool) error {
	switch x := v.(type) {
	case nil:
		e.buf = append(e.buf, "null"...)
	case bool:
		if x {
			e.buf = append(e.buf, "true"...)
		} else {
			e.buf = append(e.buf, "false"...)
		}
	case string:
		e.buf = appendYAMLScalar(e.buf, x, level, false)
	case *Map:
		if x.Len() == 0 {
			e.buf = append(e.buf, "{}"...)
			return nil
		}
		return e.mapping(x, level, compact)
	case []any:
		if len(x) == 0 {
			e.buf = append(e.buf, "[]"...)
			return nil
		}
		return e.sequence(len(x), func(i int) any { return x[i] }, level, compact)
	case itemList:
		if x.n == 0 {
			e.buf = append(e.buf, "[]"...)
			return nil
		}
		return e.sequence(x.n, func(i int) any { return x.at(i) }, level, compact)
	default:
		n, ok := asNumber(v)
		if !ok {
			return fmt.Errorf("snapshot: cannot write a value of type %T", v)
		}
		if !isJSONNumber(string(n)) {
			return fmt.Errorf("snapshot: %q is not a number", string(n))
		}
		e.buf = append(e.buf, n...)
	}
	return nil
}

func (e *yamlEmitter) newline(level int) {
	e.buf = append(e.buf, '\n')
	for i := 0; i < level*yamlIndent; i++ {
		e.buf = append(e.buf, ' ')
	}
}

func (e *yamlEmitter) mapping(m *Map, level int, compact bool) error {
	for i, mb := range m.members {
		if !compact || i > 0 {
			e.newline(level)
		}
		key := appendYAMLScalar(nil, mb.Key, level+1, true)
		// js-yaml writes keys longer than 1024 as explicit "? key" pairs.
		explicit := len(key) > 1024
		if explicit {
			e.buf = append(e.buf, "? "...)
		}
		e.buf = append(e.buf, key...)
		if explicit {
			e.newline(level)
		}
		if startsOnNewLine(mb.Value) && !explicit {
			e.buf = append(e.buf, ':')
		} else {
			e.buf = append(e.buf, ": "...)
		}
		if err := e.node(mb.Value, level+1, explicit); err != nil {
			return err
		}
	}
	return nil
}

// sequence writes the n items at gives.
func (e *yamlEmitter) sequence(n int, at func(int) any, level int, compact bool) error {
	for i := range n {
		v := at(i)
		if !compact || i > 0 {
			e.newline(level)
		}
		// Items are written compactly (a map's first key on the dash's
		// line), so an item never starts with a line break.
		e.buf = append(e.buf, "- "...)
		if err := e.node(v, level+1, true); err != nil {
			return err
		}
	}
	return nil
}

// startsOnNewLine reports whether the value's YAML begins with a line
// break: a non-empty map or list written below its key.
func startsOnNewLine(v any) bool {
	switch x := v.(type) {
	case *Map:
		return x.Len() > 0
	case []any:
		return len(x) > 0
	case itemList:
		return x.n > 0
	}
	return false
}

// ---- scalars ----

type scalarStyle int

const (
	stylePlain scalarStyle = iota
	styleSingle
	styleLiteral
	styleFolded
	styleDouble
)

func appendYAMLScalar(b []byte, s string, level int, isKey bool) []byte {
	if s == "" {
		return append(b, "''"...)
	}
	if isYAML11Bool(s) || isBase60(s) {
		return append(append(append(b, '\''), s...), '\'')
	}
	indent := yamlIndent * max(1, level)
	lineWidth := max(min(yamlLineWidth, 40), yamlLineWidth-indent)
	u := utf16.Encode([]rune(s))
	switch chooseScalarStyle(u, s, isKey, lineWidth) {
	case stylePlain:
		return append(b, s...)
	case styleSingle:
		b = append(b, '\'')
		b = append(b, strings.ReplaceAll(s, "'", "''")...)
		return append(b, '\'')
	case styleLiteral:
		b = append(b, '|')
		b = append(b, blockHeader(u)...)
		return append(b, dropEndingNewline(indentString(s, indent))...)
	case styleFolded:
		b = append(b, '>')
		b = append(b, blockHeader(u)...)
		folded := string(utf16.Decode(foldString(u, lineWidth)))
		return append(b, dropEndingNewline(indentString(folded, indent))...)
	default:
		b = append(b, '"')
		b = appendEscaped(b, s)
		return append(b, '"')
	}
}

// codePoints walks u as JavaScript's codePointAt does, calling f with each
// code point and its index in code units.
func codePoints(u []uint16, f func(i int, c rune) bool) {
	for i := 0; i < len(u); {
		c := rune(u[i])
		n := 1
		if utf16.IsSurrogate(c) && i+1 < len(u) {
			if r := utf16.DecodeRune(c, rune(u[i+1])); r != utf8.RuneError {
				c, n = r, 2
			}
		}
		if !f(i, c) {
			return
		}
		i += n
	}
}

func chooseScalarStyle(u []uint16, s string, singleLineOnly bool, lineWidth int) scalarStyle {
	first := firstCodePoint(u)
	last := lastCodePoint(u)
	plain := isPlainSafeFirst(first) && isPlainSafeLast(last)
	hasLineBreak := false
	hasFoldableLine := false
	prevLineBreak := -1
	prev := rune(-1)
	double := false
	end := len(u)
	codePoints(u, func(i int, c rune) bool {
		if !singleLineOnly && c == '\n' {
			hasLineBreak = true
			hasFoldableLine = hasFoldableLine || (i-prevLineBreak-1 > lineWidth && u[prevLineBreak+1] != ' ')
			prevLineBreak = i
		} else if !isPrintable(c) {
			double = true
			return false
		}
		plain = plain && isPlainSafe(c, prev)
		prev = c
		return true
	})
	if double {
		return styleDouble
	}
	if !singleLineOnly {
		hasFoldableLine = hasFoldableLine || (end-prevLineBreak-1 > lineWidth && u[prevLineBreak+1] != ' ')
	}
	if !hasLineBreak && !hasFoldableLine {
		if plain && !isAmbiguous(s) {
			return stylePlain
		}
		return styleSingle
	}
	if hasFoldableLine {
		return styleFolded
	}
	return styleLiteral
}

func firstCodePoint(u []uint16) rune {
	var r rune = -1
	codePoints(u, func(_ int, c rune) bool { r = c; return false })
	return r
}

// lastCodePoint mimics js-yaml, which reads the code point at the last code
// unit: for a surrogate pair that is the low surrogate alone.
func lastCodePoint(u []uint16) rune {
	if len(u) == 0 {
		return -1
	}
	return rune(u[len(u)-1])
}

func isWhitespace(c rune) bool { return c == ' ' || c == '\t' }

func isPrintable(c rune) bool {
	return (0x20 <= c && c <= 0x7E) ||
		(0xA1 <= c && c <= 0xD7FF && c != 0x2028 && c != 0x2029) ||
		(0xE000 <= c && c <= 0xFFFD && c != 0xFEFF) ||
		(0x10000 <= c && c <= 0x10FFFF)
}

func isNsCharOrWhitespace(c rune) bool {
	return isPrintable(c) && c != 0xFEFF && c != '\r' && c != '\n'
}

// isPlainSafe follows YAML's ns-plain-char for a scalar in block context,
// where flow indicators ([]{},) are allowed inside plain scalars.
func isPlainSafe(c, prev rune) bool {
	cNsOrWS := isNsCharOrWhitespace(c)
	cNs := cNsOrWS && !isWhitespace(c)
	return (cNsOrWS && c != '#' && !(prev == ':' && !cNs)) ||
		(isNsCharOrWhitespace(prev) && !isWhitespace(prev) && c == '#') ||
		(prev == ':' && cNs)
}

func isPlainSafeFirst(c rune) bool {
	if !isPrintable(c) || c == 0xFEFF || isWhitespace(c) {
		return false
	}
	switch c {
	case '-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '=', '>', '\'', '"', '%', '@', '`':
		return false
	}
	return true
}

func isPlainSafeLast(c rune) bool { return !isWhitespace(c) && c != ':' }

// isYAML11Bool lists the YAML 1.1 booleans js-yaml quotes for readers that
// still know them.
func isYAML11Bool(s string) bool {
	switch s {
	case "y", "Y", "yes", "Yes", "YES", "on", "On", "ON",
		"n", "N", "no", "No", "NO", "off", "Off", "OFF":
		return true
	}
	return false
}

// isBase60 matches YAML 1.1 sexagesimal numbers (^[-+]?[0-9_]+(:[0-9_]+)+(\.[0-9_]*)?$).
func isBase60(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	digits := func() int {
		start := i
		for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '_') {
			i++
		}
		return i - start
	}
	if digits() == 0 {
		return false
	}
	groups := 0
	for i < len(s) && s[i] == ':' {
		i++
		if digits() == 0 {
			return false
		}
		groups++
	}
	if groups == 0 {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		digits()
	}
	return i == len(s)
}

// isAmbiguous reports whether a plain s would be read back as something
// other than a string by js-yaml's default schema (null, bool, int, float,
// timestamp, merge key).
func isAmbiguous(s string) bool {
	switch s {
	case "~", "null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE", "<<":
		return true
	}
	return isYAMLInt(s) || isYAMLFloat(s) || isYAMLTimestamp(s)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isYAMLInt(s string) bool {
	if s == "" {
		return false
	}
	i := 0
	if s[0] == '-' || s[0] == '+' {
		i++
	}
	if i < len(s) && s[i] == '0' {
		if i+1 == len(s) {
			return true
		}
		i++
		var ok func(byte) bool
		switch s[i] {
		case 'b':
			ok = func(c byte) bool { return c == '0' || c == '1' }
		case 'x':
			ok = func(c byte) bool { return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }
		case 'o':
			ok = func(c byte) bool { return c >= '0' && c <= '7' }
		}
		if ok != nil {
			i++
			has := false
			for ; i < len(s); i++ {
				if s[i] == '_' {
					continue
				}
				if !ok(s[i]) {
					return false
				}
				has = true
			}
			return has && s[len(s)-1] != '_'
		}
	}
	if i < len(s) && s[i] == '_' {
		return false
	}
	has := false
	for ; i < len(s); i++ {
		if s[i] == '_' {
			continue
		}
		if !isDigit(s[i]) {
			return false
		}
		has = true
	}
	return has && s[len(s)-1] != '_'
}

// isYAMLFloat matches js-yaml's float pattern:
// [-+]?[0-9][0-9_]*(\.[0-9_]*)?([eE][-+]?[0-9]+)? | \.[0-9_]+([eE][-+]?[0-9]+)? |
// [-+]?\.(inf|Inf|INF) | \.(nan|NaN|NAN), not ending in '_'.
func isYAMLFloat(s string) bool {
	if s == "" || s[len(s)-1] == '_' {
		return false
	}
	switch s {
	case ".nan", ".NaN", ".NAN":
		return true
	}
	body := s
	signed := false
	if body[0] == '-' || body[0] == '+' {
		body, signed = body[1:], true
	}
	switch body {
	case ".inf", ".Inf", ".INF":
		return true
	}
	i := 0
	exponent := func() bool {
		if i == len(body) {
			return true
		}
		if body[i] != 'e' && body[i] != 'E' {
			return false
		}
		i++
		if i < len(body) && (body[i] == '-' || body[i] == '+') {
			i++
		}
		start := i
		for i < len(body) && isDigit(body[i]) {
			i++
		}
		return i > start && i == len(body)
	}
	digitsOrUnderscore := func() int {
		start := i
		for i < len(body) && (isDigit(body[i]) || body[i] == '_') {
			i++
		}
		return i - start
	}
	if i < len(body) && body[i] == '.' {
		if signed {
			return false
		}
		i++
		if digitsOrUnderscore() == 0 {
			return false
		}
		return exponent()
	}
	if i >= len(body) || !isDigit(body[i]) {
		return false
	}
	digitsOrUnderscore()
	if i < len(body) && body[i] == '.' {
		i++
		digitsOrUnderscore()
	}
	return exponent()
}

// isYAMLTimestamp matches js-yaml's date (YYYY-MM-DD) and timestamp
// patterns.
func isYAMLTimestamp(s string) bool {
	i := 0
	n := func(min, max int) bool {
		start := i
		for i < len(s) && isDigit(s[i]) && i-start < max {
			i++
		}
		return i-start >= min
	}
	lit := func(c byte) bool {
		if i < len(s) && s[i] == c {
			i++
			return true
		}
		return false
	}
	if !n(4, 4) || !lit('-') {
		return false
	}
	if len(s) == 10 && n(2, 2) && lit('-') && n(2, 2) && i == len(s) {
		return true
	}
	i = 5
	if !n(1, 2) || !lit('-') || !n(1, 2) {
		return false
	}
	switch {
	case lit('T'), lit('t'):
	default:
		start := i
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i == start {
			return false
		}
	}
	if !n(1, 2) || !lit(':') || !n(2, 2) || !lit(':') || !n(2, 2) {
		return false
	}
	if lit('.') {
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	if i == len(s) {
		return true
	}
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	if lit('Z') {
		return i == len(s)
	}
	if !lit('-') && !lit('+') {
		return false
	}
	if !n(1, 2) {
		return false
	}
	if lit(':') && !n(2, 2) {
		return false
	}
	return i == len(s)
}

// blockHeader returns the indentation indicator (when the text starts with
// a space), the chomping indicator and the line break.
func blockHeader(u []uint16) string {
	var h string
	// needIndentIndicator: ^\n* then a space.
	j := 0
	for j < len(u) && u[j] == '\n' {
		j++
	}
	if j < len(u) && u[j] == ' ' {
		h = "2"
	}
	n := len(u)
	clip := u[n-1] == '\n'
	keep := clip && (n == 1 || u[n-2] == '\n')
	switch {
	case keep:
		h += "+"
	case clip:
	default:
		h += "-"
	}
	return h + "\n"
}

func dropEndingNewline(s string) string {
	return strings.TrimSuffix(s, "\n")
}

// indentString indents every line of s; lines that are only "\n" stay
// empty.
func indentString(s string, spaces int) string {
	ind := strings.Repeat(" ", spaces)
	var b strings.Builder
	for len(s) > 0 {
		var line string
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			line, s = s[:i+1], s[i+1:]
		} else {
			line, s = s, ""
		}
		if line != "\n" {
			b.WriteString(ind)
		}
		b.WriteString(line)
	}
	return b.String()
}

// foldString folds the lines of s for the '>' style: in folded style k
// line breaks read as k-1, except around more-indented lines.
func foldString(s []uint16, width int) []uint16 {
	next := indexOf(s, 0, '\n')
	if next < 0 {
		next = len(s)
	}
	result := foldLine(s[:next], width)
	prevMoreIndented := len(s) > 0 && (s[0] == '\n' || s[0] == ' ')
	i := next
	for i < len(s) {
		// a run of line breaks, then a line (maybe empty)
		start := i
		for i < len(s) && s[i] == '\n' {
			i++
		}
		prefix := s[start:i]
		lineEnd := indexOf(s, i, '\n')
		if lineEnd < 0 {
			lineEnd = len(s)
		}
		line := s[i:lineEnd]
		i = lineEnd
		moreIndented := len(line) > 0 && line[0] == ' '
		result = append(result, prefix...)
		if !prevMoreIndented && !moreIndented && len(line) > 0 {
			result = append(result, '\n')
		}
		result = append(result, foldLine(line, width)...)
		prevMoreIndented = moreIndented
	}
	return result
}

func indexOf(s []uint16, from int, c uint16) int {
	for i := from; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

// foldLine breaks a line greedily at spaces: the longest piece within width,
// else the shortest over it. A more-indented line cannot be folded.
func foldLine(line []uint16, width int) []uint16 {
	if len(line) == 0 || line[0] == ' ' {
		return append([]uint16(nil), line...)
	}
	var result []uint16
	start, curr := 0, 0
	for i := 0; i+1 < len(line); i++ {
		// A break point is a space followed by a non-space.
		if line[i] != ' ' || line[i+1] == ' ' {
			continue
		}
		next := i
		if next-start > width {
			end := next
			if curr > start {
				end = curr
			}
			result = append(result, '\n')
			result = append(result, line[start:end]...)
			start = end + 1
		}
		curr = next
		i++ // the match consumed the non-space too
	}
	result = append(result, '\n')
	if len(line)-start > width && curr > start {
		result = append(result, line[start:curr]...)
		result = append(result, '\n')
		result = append(result, line[curr+1:]...)
	} else {
		result = append(result, line[start:]...)
	}
	return result[1:]
}

func appendEscaped(b []byte, s string) []byte {
	for _, c := range s {
		switch c {
		case 0x00:
			b = append(b, `\0`...)
		case 0x07:
			b = append(b, `\a`...)
		case 0x08:
			b = append(b, `\b`...)
		case 0x09:
			b = append(b, `\t`...)
		case 0x0A:
			b = append(b, `\n`...)
		case 0x0B:
			b = append(b, `\v`...)
		case 0x0C:
			b = append(b, `\f`...)
		case 0x0D:
			b = append(b, `\r`...)
		case 0x1B:
			b = append(b, `\e`...)
		case 0x22:
			b = append(b, `\"`...)
		case 0x5C:
			b = append(b, `\\`...)
		case 0x85:
			b = append(b, `\N`...)
		case 0xA0:
			b = append(b, `\_`...)
		case 0x2028:
			b = append(b, `\L`...)
		case 0x2029:
			b = append(b, `\P`...)
		default:
			if isPrintable(c) {
				b = utf8.AppendRune(b, c)
			} else {
				switch {
				case c <= 0xFF:
					b = fmt.Appendf(b, `\x%02X`, c)
				case c <= 0xFFFF:
					b = fmt.Appendf(b, `\u%04X`, c)
				default:
					b = fmt.Appendf(b, `\U%08X`, c)
				}
			}
		}
	}
	return b
}

// ---- JSON ----

// appendJSON writes v as JSON the way JavaScript's JSON.stringify does
// (which is how Directus writes JSON snapshots): no HTML escaping, keys in
// order; with a non-empty indent, one member per line.
func appendJSON(b []byte, v any, indent, prefix string) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case bool:
		if x {
			return append(b, "true"...), nil
		}
		return append(b, "false"...), nil
	case string:
		return appendJSONString(b, x), nil
	case *Map:
		if x.Len() == 0 {
			return append(b, "{}"...), nil
		}
		b = append(b, '{')
		inner := prefix + indent
		for i, mb := range x.members {
			if i > 0 {
				b = append(b, ',')
			}
			if indent != "" {
				b = append(b, '\n')
				b = append(b, inner...)
			}
			b = appendJSONString(b, mb.Key)
			b = append(b, ':')
			if indent != "" {
				b = append(b, ' ')
			}
			var err error
			if b, err = appendJSON(b, mb.Value, indent, inner); err != nil {
				return nil, err
			}
		}
		if indent != "" {
			b = append(b, '\n')
			b = append(b, prefix...)
		}
		return append(b, '}'), nil
	case []any:
		return appendJSONList(b, len(x), func(i int) any { return x[i] }, indent, prefix)
	case itemList:
		return appendJSONList(b, x.n, func(i int) any { return x.at(i) }, indent, prefix)
	}
	n, ok := asNumber(v)
	if !ok {
		return nil, fmt.Errorf("snapshot: cannot write a value of type %T as JSON", v)
	}
	if !isJSONNumber(string(n)) {
		return nil, fmt.Errorf("snapshot: %q is not a JSON number", string(n))
	}
	return append(b, n...), nil
}

// appendJSONList appends the n items at gives as a JSON array.
func appendJSONList(b []byte, n int, at func(int) any, indent, prefix string) ([]byte, error) {
	if n == 0 {
		return append(b, "[]"...), nil
	}
	b = append(b, '[')
	inner := prefix + indent
	for i := range n {
		if i > 0 {
			b = append(b, ',')
		}
		if indent != "" {
			b = append(b, '\n')
			b = append(b, inner...)
		}
		var err error
		if b, err = appendJSON(b, at(i), indent, inner); err != nil {
			return nil, err
		}
	}
	if indent != "" {
		b = append(b, '\n')
		b = append(b, prefix...)
	}
	return append(b, ']'), nil
}

func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for _, c := range s {
		switch {
		case c == '"':
			b = append(b, `\"`...)
		case c == '\\':
			b = append(b, `\\`...)
		case c == '\n':
			b = append(b, `\n`...)
		case c == '\r':
			b = append(b, `\r`...)
		case c == '\t':
			b = append(b, `\t`...)
		case c == '\b':
			b = append(b, `\b`...)
		case c == '\f':
			b = append(b, `\f`...)
		case c < 0x20:
			b = fmt.Appendf(b, `\u%04x`, c)
		default:
			b = utf8.AppendRune(b, c)
		}
	}
	return append(b, '"')
}
