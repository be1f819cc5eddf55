package snapshot

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"unicode/utf8"
)

// blockReader reads the YAML that Directus writes straight into the tree,
// in one pass over the bytes: js-yaml's dump output, that is block maps and
// lists indented with spaces, plain, single- and double-quoted scalars on
// one line, literal and folded block scalars, and [] and {} for empty
// collections. Its rules for those are libyaml's (the YAML library the
// general reader uses is a port of it), so both read the same text to the
// same tree, which the tests prove on every real snapshot at hand, on
// random documents the writer wrote and edited, and by fuzzing.
//
// On anything else it declines and the general reader, which knows all of
// YAML, reads the input instead: flow collections, anchors, aliases, tags,
// comments, explicit keys, directives and document markers, plain or
// quoted scalars over several lines, tabs or carriage returns, characters
// YAML forbids, a duplicate key (so that the error is the general
// reader's), a number JSON cannot carry. Declining costs one wasted pass;
// reading something differently would be a wrong snapshot.
type blockReader struct {
	data []byte
	t    *tree
	buf  []byte // scratch for quoted scalars with escapes
	// pos is where reading continues: the start of a line, or inside one
	// when a list item's content follows its dash.
	pos int
	// lineFrom and lineTo bound the part of a line lineEnd saw last.
	lineFrom, lineTo int
}

// readBlockYAML returns the document data holds, or false when it is not
// in the subset the reader knows.
func readBlockYAML(data []byte, base *shareIndex) (any, bool) {
	if !blockChars(data) {
		return nil, false
	}
	r := &blockReader{data: data, t: newTree(base), lineFrom: -1, lineTo: -1}
	ind, ok := r.nextLine()
	if !ok || ind != 0 || r.pos >= len(data) {
		return nil, false
	}
	m, ok := r.mapping(0, 0)
	if !ok || r.pos < len(data) {
		return nil, false
	}
	return m, true
}

// blockChars reports whether data holds only characters the reader
// handles: YAML's printable characters in valid UTF-8, with \n the only
// line break (no \r, NEL, LS or PS, which libyaml also reads as breaks),
// and no byte order mark (which libyaml skips at the start of a line).
func blockChars(data []byte) bool {
	for i := 0; i < len(data); {
		// Eight bytes at a time while they are printable ASCII, tabs or
		// line feeds: a snapshot is almost all of that.
		if i+8 <= len(data) && asciiWordOK(binary.LittleEndian.Uint64(data[i:])) {
			i += 8
			continue
		}
		c := data[i]
		if c < utf8.RuneSelf {
			if (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(data[i:])
		switch {
		case r == utf8.RuneError && size == 1,
			r < 0xA0, // C1 controls and NEL
			r == 0x2028, r == 0x2029,
			r == 0xFEFF, r == 0xFFFE, r == 0xFFFF:
			return false
		}
		i += size
	}
	return true
}

const (
	lows  = 0x0101010101010101
	highs = 0x8080808080808080
)

// asciiWordOK reports whether the eight bytes of x are all printable
// ASCII, \t or \n; false means "look closer", not "bad". Each test is
// exact per byte: no carry crosses a byte.
func asciiWordOK(x uint64) bool {
	if x&highs != 0 {
		return false
	}
	// The high bit of (b + 0x60) is set when b >= 0x20.
	printable := (x + 0x60*lows) & highs
	// The high bit of (b^c) + 0x7f is set when b != c.
	isNL := ^((x ^ '\n'*lows) + 0x7f*lows) & highs
	isTab := ^((x ^ '\t'*lows) + 0x7f*lows) & highs
	isDel := ^((x ^ 0x7f*lows) + 0x7f*lows) & highs
	return (printable|isNL|isTab)&^isDel == highs
}

// lineEnd returns the offset of the \n ending the line holding i, or the
// end of the input. The last line's bounds are kept: a line is looked at
// several times.
func (r *blockReader) lineEnd(i int) int {
	if i >= r.lineFrom && i <= r.lineTo {
		return r.lineTo
	}
	end := len(r.data)
	if j := bytes.IndexByte(r.data[i:], '\n'); j >= 0 {
		end = i + j
	}
	r.lineFrom, r.lineTo = i, end
	return end
}

// nextLine moves pos from the start of a line past blank lines to the
// first character of the next content line and returns its indentation.
// At the end of the input pos is len(data). It refuses tabs in the
// indentation, comment lines and document markers.
func (r *blockReader) nextLine() (int, bool) {
	d := r.data
	for r.pos < len(d) {
		i := r.pos
		for i < len(d) && d[i] == ' ' {
			i++
		}
		if i == len(d) {
			r.pos = i
			return 0, true
		}
		switch d[i] {
		case '\n':
			r.pos = i + 1
			continue
		case '\t', '#':
			return 0, false
		}
		if i == r.pos && isDocumentMarker(d[i:]) {
			return 0, false
		}
		ind := i - r.pos
		r.pos = i
		return ind, true
	}
	return 0, true
}

// isDocumentMarker reports whether a line starting with b is a document
// start (---) or end (...): three of the characters, then a space, a tab,
// a line break or the end of the input.
func isDocumentMarker(b []byte) bool {
	if len(b) < 3 || !(string(b[:3]) == "---" || string(b[:3]) == "...") {
		return false
	}
	return len(b) == 3 || b[3] == ' ' || b[3] == '\t' || b[3] == '\n'
}

// mapping reads a block map whose keys sit at column indent; pos is on the
// first key.
func (r *blockReader) mapping(indent, depth int) (*Map, bool) {
	if depth > maxDepth {
		return nil, false
	}
	mark := len(r.t.members)
	var seen map[string]struct{}
	var slabs slabMark
	item := r.t.base != nil && itemDepth(depth)
	if item {
		slabs = r.t.mark()
	}
	end := func() (*Map, bool) {
		m := r.t.endMap(mark)
		if item {
			m = r.t.share(m, slabs)
		}
		return m, true
	}
	for {
		key, ok := r.key()
		if !ok {
			return nil, false
		}
		if r.t.hasKey(mark, &seen, key) {
			return nil, false
		}
		v, ok := r.afterIndicator(indent, depth, false)
		if !ok {
			return nil, false
		}
		r.t.addMember(seen, key, v)
		ind, ok := r.nextLine()
		switch {
		case !ok || ind > indent:
			return nil, false
		case r.pos >= len(r.data) || ind < indent:
			return end()
		}
		if isEntryDash(r.data, r.pos) {
			// A list at a map's own indentation can only be the value of
			// the key before, which was read: the map has ended.
			return end()
		}
	}
}

// sequence reads a block list whose dashes sit at column indent; pos is on
// the first dash.
func (r *blockReader) sequence(indent, depth int) ([]any, bool) {
	if depth > maxDepth {
		return nil, false
	}
	mark := len(r.t.items)
	for {
		r.pos++ // the dash
		v, ok := r.afterIndicator(indent, depth, true)
		if !ok {
			return nil, false
		}
		r.t.items = append(r.t.items, v)
		ind, ok := r.nextLine()
		switch {
		case !ok || ind > indent:
			return nil, false
		case r.pos >= len(r.data) || ind < indent:
			return r.t.endList(mark), true
		}
		if !isEntryDash(r.data, r.pos) {
			return r.t.endList(mark), true
		}
	}
}

// isEntryDash reports whether a list entry's dash is at i.
func isEntryDash(d []byte, i int) bool {
	return d[i] == '-' && (i+1 == len(d) || d[i+1] == ' ' || d[i+1] == '\n')
}

// afterIndicator reads the value after a key's colon or an entry's dash,
// at pos, and leaves pos at the start of the next line. indent is the
// column of the map's keys or of the list's dashes.
func (r *blockReader) afterIndicator(indent, depth int, entry bool) (any, bool) {
	d := r.data
	end := r.lineEnd(r.pos)
	if r.pos == end {
		// The value is on the lines below, or it is null.
		if end < len(d) {
			end++
		}
		r.pos = end
		save := r.pos
		ind, ok := r.nextLine()
		switch {
		case !ok:
			return nil, false
		case r.pos < len(d) && ind > indent:
			if isEntryDash(d, r.pos) {
				return r.sequenceValue(ind, depth)
			}
			return r.mappingValue(ind, depth)
		case r.pos < len(d) && ind == indent && !entry && isEntryDash(d, r.pos):
			return r.sequenceValue(ind, depth)
		}
		r.pos = save
		return nil, true
	}
	if d[r.pos] != ' ' {
		return nil, false
	}
	for r.pos < end && d[r.pos] == ' ' {
		r.pos++
	}
	if r.pos == end || d[r.pos] == '\t' {
		return nil, false // trailing spaces, or a tab
	}
	if entry {
		// A list item's content starts on the dash's line: a map or a
		// list at its column, or a scalar.
		col := r.pos - r.lineStart(r.pos)
		if isEntryDash(d, r.pos) {
			return r.sequenceValue(col, depth)
		}
		if r.isKey() {
			return r.mappingValue(col, depth)
		}
	}
	return r.scalar(end, indent)
}

func (r *blockReader) lineStart(i int) int {
	return bytes.LastIndexByte(r.data[:i], '\n') + 1
}

func (r *blockReader) sequenceValue(indent, depth int) (any, bool) {
	list, ok := r.sequence(indent, depth+1)
	if !ok {
		return nil, false
	}
	r.backToLineStart()
	return list, true
}

func (r *blockReader) mappingValue(indent, depth int) (any, bool) {
	m, ok := r.mapping(indent, depth+1)
	if !ok {
		return nil, false
	}
	r.backToLineStart()
	return m, true
}

// backToLineStart moves pos, left on the first character of the line after
// a collection, back to the start of that line, where afterIndicator's
// callers expect it.
func (r *blockReader) backToLineStart() {
	if r.pos < len(r.data) {
		r.pos = r.lineStart(r.pos)
	}
}

// isKey reports whether the line at pos starts with a key and its colon.
func (r *blockReader) isKey() bool {
	save := r.pos
	_, ok := r.key()
	r.pos = save
	return ok
}

// key reads a key and its colon at pos, leaving pos after the colon.
func (r *blockReader) key() (string, bool) {
	d := r.data
	end := r.lineEnd(r.pos)
	start := r.pos
	var key string
	switch d[start] {
	case '\'', '"':
		b, next, ok := r.quoted(start, end)
		if !ok || next >= end || d[next] != ':' {
			return "", false
		}
		key, r.pos = r.t.key(b), next+1
	default:
		colon := -1
		for i := start; i < end; i++ {
			if d[i] == ':' && (i+1 == end || d[i+1] == ' ') {
				colon = i
				break
			}
		}
		if colon < 0 {
			return "", false
		}
		text := d[start:colon]
		if !plainText(text) {
			return "", false
		}
		// Keys are strings; libyaml resolves a plain null or boolean key
		// first, and the general reader writes it as text.
		switch string(text) {
		case "<<":
			return "", false // a merge key
		case "~", "null", "Null", "NULL":
			key = "null"
		case "true", "True", "TRUE":
			key = "true"
		case "false", "False", "FALSE":
			key = "false"
		default:
			key = r.t.key(text)
		}
		r.pos = colon + 1
	}
	// libyaml allows a key of at most 1024 characters on one line.
	if r.pos-start > 1024 {
		return "", false
	}
	return key, true
}

// plainText reports whether text reads as one plain scalar in block
// context, the same text back: no indicator first, no ": " or " #"
// inside, no tab, no space at either end.
func plainText(text []byte) bool {
	if len(text) == 0 {
		return false
	}
	switch c := text[0]; c {
	case ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`', '?', ':', ' ':
		return false
	case '-':
		if len(text) == 1 || text[1] == ' ' {
			return false
		}
	}
	if text[len(text)-1] == ' ' || text[len(text)-1] == ':' {
		return false
	}
	for i, c := range text {
		switch c {
		case '\t':
			return false
		case ':':
			if text[i+1] == ' ' {
				return false
			}
		case '#':
			if text[i-1] == ' ' {
				return false
			}
		}
	}
	return true
}

// scalar reads the scalar from pos to end, the end of its line (or the
// header of a block scalar there), and leaves pos at the start of the next
// line. parent is the indentation of the enclosing collection.
func (r *blockReader) scalar(end, parent int) (any, bool) {
	d := r.data
	start := r.pos
	next := min(end+1, len(d))
	switch d[start] {
	case '[', '{':
		if end-start != 2 || !(string(d[start:end]) == "[]" || string(d[start:end]) == "{}") {
			return nil, false // a flow collection: only [] and {} are read
		}
		r.pos = next
		if d[start] == '[' {
			return []any{}, true
		}
		return &Map{}, true
	case '\'', '"':
		b, after, ok := r.quoted(start, end)
		if !ok || after != end {
			return nil, false
		}
		r.pos = next
		return r.t.str(b), true
	case '|', '>':
		return r.blockScalar(start, end, parent)
	}
	text := d[start:end]
	if !plainText(text) {
		return nil, false
	}
	r.pos = next
	return r.plainValue(text)
}

// plainValue types a plain scalar as resolvePlain does.
func (r *blockReader) plainValue(b []byte) (any, bool) {
	switch b[0] {
	case 'n', 'N', 't', 'T', 'f', 'F', '~':
		switch string(b) {
		case "~", "null", "Null", "NULL":
			return nil, true
		case "true", "True", "TRUE":
			return true, true
		case "false", "False", "FALSE":
			return false, true
		}
	case '-', '+', '.', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		// Every JSON number is a YAML number that stays as written.
		if isJSONNumber(b) {
			return r.t.num(b), true
		}
		v, msg := resolvePlain(string(b))
		if msg != "" {
			return nil, false
		}
		if n, ok := v.(json.Number); ok {
			return r.t.num([]byte(n)), true
		}
	}
	return r.t.str(b), true
}

// quoted reads a single- or double-quoted scalar that starts at start and
// closes on the same line (before end). It returns the text, valid until
// the next call, and the offset after the closing quote.
func (r *blockReader) quoted(start, end int) ([]byte, int, bool) {
	d := r.data
	buf := r.buf[:0]
	if d[start] == '\'' {
		for i := start + 1; i < end; i++ {
			if d[i] != '\'' {
				buf = append(buf, d[i])
				continue
			}
			if i+1 < end && d[i+1] == '\'' {
				buf = append(buf, '\'')
				i++
				continue
			}
			r.buf = buf
			return buf, i + 1, true
		}
		return nil, 0, false
	}
	for i := start + 1; i < end; i++ {
		c := d[i]
		if c == '"' {
			r.buf = buf
			return buf, i + 1, true
		}
		if c != '\\' {
			buf = append(buf, c)
			continue
		}
		i++
		if i >= end {
			return nil, 0, false // an escaped line break: several lines
		}
		var code rune
		digits := 0
		switch d[i] {
		case '0':
			buf = append(buf, 0)
		case 'a':
			buf = append(buf, '\a')
		case 'b':
			buf = append(buf, '\b')
		case 't', '\t':
			buf = append(buf, '\t')
		case 'n':
			buf = append(buf, '\n')
		case 'v':
			buf = append(buf, '\v')
		case 'f':
			buf = append(buf, '\f')
		case 'r':
			buf = append(buf, '\r')
		case 'e':
			buf = append(buf, 0x1b)
		case ' ', '"', '\'', '\\':
			buf = append(buf, d[i])
		case 'N':
			buf = utf8.AppendRune(buf, 0x85)
		case '_':
			buf = utf8.AppendRune(buf, 0xA0)
		case 'L':
			buf = utf8.AppendRune(buf, 0x2028)
		case 'P':
			buf = utf8.AppendRune(buf, 0x2029)
		case 'x':
			digits = 2
		case 'u':
			digits = 4
		case 'U':
			digits = 8
		default:
			return nil, 0, false
		}
		if digits == 0 {
			continue
		}
		if i+digits >= end {
			return nil, 0, false
		}
		for _, h := range d[i+1 : i+1+digits] {
			v, ok := hexValue(h)
			if !ok {
				return nil, 0, false
			}
			code = code<<4 | rune(v)
		}
		if (code >= 0xD800 && code <= 0xDFFF) || code > 0x10FFFF {
			return nil, 0, false
		}
		buf = utf8.AppendRune(buf, code)
		i += digits
	}
	return nil, 0, false
}

func hexValue(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// blockScalar reads a literal (|) or folded (>) scalar whose header runs
// from start to end, following libyaml's yaml_parser_scan_block_scalar
// step by step. parent is the indentation of the enclosing collection.
func (r *blockReader) blockScalar(start, end, parent int) (any, bool) {
	d := r.data
	literal := d[start] == '|'
	chomp, increment := 0, 0
	for i := start + 1; i < end; i++ {
		switch c := d[i]; {
		case (c == '+' || c == '-') && chomp == 0:
			chomp = 1
			if c == '-' {
				chomp = -1
			}
		case c >= '1' && c <= '9' && increment == 0:
			increment = int(c - '0')
		default:
			return nil, false
		}
	}
	if end >= len(d) {
		return nil, false
	}
	pos := end + 1
	indent := 0
	if increment > 0 {
		indent = parent + increment
	}
	// col counts the spaces at the start of the line at pos, up to indent.
	col := 0
	breaks := 0
	// The leading empty lines, and the indentation when not given.
	maxIndent := 0
	for {
		col = 0
		for (indent == 0 || col < indent) && pos+col < len(d) && d[pos+col] == ' ' {
			col++
		}
		maxIndent = max(maxIndent, col)
		if pos+col < len(d) && d[pos+col] == '\t' && (indent == 0 || col < indent) {
			return nil, false
		}
		if pos+col < len(d) && d[pos+col] == '\n' {
			breaks++
			pos += col + 1
			continue
		}
		break
	}
	if indent == 0 {
		indent = max(maxIndent, parent+1, 1)
	}
	buf := r.buf[:0]
	leadingBreak, leadingBlank := false, false
	for col == indent && pos+col < len(d) {
		line := pos + col
		trailingBlank := d[line] == ' ' || d[line] == '\t'
		if !literal && leadingBreak && !leadingBlank && !trailingBlank {
			if breaks == 0 {
				buf = append(buf, ' ')
			}
		} else if leadingBreak {
			buf = append(buf, '\n')
		}
		leadingBreak = false
		for ; breaks > 0; breaks-- {
			buf = append(buf, '\n')
		}
		leadingBlank = trailingBlank
		lineEnd := r.lineEnd(line)
		buf = append(buf, d[line:lineEnd]...)
		if lineEnd == len(d) {
			// libyaml reads no line break at the end of the input, which
			// changes what clipping keeps; the general reader handles it.
			return nil, false
		}
		leadingBreak = true
		pos = lineEnd + 1
		for {
			col = 0
			for col < indent && pos+col < len(d) && d[pos+col] == ' ' {
				col++
			}
			if pos+col < len(d) && d[pos+col] == '\t' && col < indent {
				return nil, false
			}
			if pos+col < len(d) && d[pos+col] == '\n' {
				breaks++
				pos += col + 1
				continue
			}
			break
		}
	}
	if chomp != -1 && leadingBreak {
		buf = append(buf, '\n')
	}
	if chomp == 1 {
		for ; breaks > 0; breaks-- {
			buf = append(buf, '\n')
		}
	}
	r.buf = buf
	r.pos = pos
	return r.t.str(buf), true
}
