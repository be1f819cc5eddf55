package snapshot

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// jsonReader reads JSON (RFC 8259, as encoding/json accepts it) straight
// into the tree, in one pass over the bytes. encoding/json's Decoder would
// keep key order only through its Token API, which allocates for every
// token and is several times slower; its rules are kept exactly (invalid
// UTF-8 and lone surrogates read as U+FFFD), which a fuzz test proves
// against encoding/json itself.
type jsonReader struct {
	name string
	data []byte
	pos  int
	t    *tree
	buf  []byte // scratch for strings with escapes
}

func parseJSON(name string, data []byte, base *shareIndex) (*Snapshot, error) {
	v, err := readJSONValue(name, data, base)
	if err != nil {
		return nil, err
	}
	s, err := build(v)
	if err != nil {
		var se *semanticError
		if errors.As(err, &se) {
			off := locateJSON(data, se.path)
			line, col := lineCol(data, off)
			return nil, &ParseError{Source: name, Format: "json", Line: line, Column: col,
				Path: formatPath(se.path), Msg: se.msg, Hint: se.hint}
		}
		return nil, err
	}
	return s, nil
}

// readJSONValue reads the single JSON value data holds.
func readJSONValue(name string, data []byte, base *shareIndex) (any, error) {
	r := &jsonReader{name: name, data: data, t: newTree(base)}
	r.skipSpace()
	v, err := r.value(0)
	if err != nil {
		return nil, err
	}
	r.skipSpace()
	if r.pos < len(data) {
		return nil, r.fail(r.pos, "invalid JSON: unexpected data after the snapshot")
	}
	return v, nil
}

func (r *jsonReader) fail(off int, msg string) *ParseError {
	line, col := lineCol(r.data, off)
	return &ParseError{Source: r.name, Format: "json", Line: line, Column: col, Msg: msg,
		Hint: "the file must be JSON or YAML as written by 'directus schema snapshot'"}
}

// unexpected reports the byte at pos, or the end of the input.
func (r *jsonReader) unexpected(context string) *ParseError {
	if r.pos >= len(r.data) {
		return r.fail(len(r.data), "invalid JSON: unexpected end of input")
	}
	return r.fail(r.pos, "invalid JSON: invalid character "+quoteByte(r.data[r.pos])+" "+context)
}

func quoteByte(c byte) string {
	switch c {
	case '\'':
		return `'\''`
	case '"':
		return `'"'`
	}
	q := strconv.Quote(string(rune(c)))
	if c >= utf8.RuneSelf {
		q = fmt.Sprintf(`"\x%02x"`, c)
	}
	return "'" + q[1:len(q)-1] + "'"
}

func (r *jsonReader) skipSpace() {
	for r.pos < len(r.data) {
		switch r.data[r.pos] {
		case ' ', '\t', '\n', '\r':
			r.pos++
		default:
			return
		}
	}
}

func (r *jsonReader) value(depth int) (any, error) {
	if depth > maxDepth {
		return nil, r.fail(r.pos, fmt.Sprintf("nesting deeper than %d levels", maxDepth))
	}
	if r.pos >= len(r.data) {
		return nil, r.unexpected("")
	}
	switch c := r.data[r.pos]; {
	case c == '{':
		return r.object(depth)
	case c == '[':
		return r.array(depth)
	case c == '"':
		b, err := r.string()
		if err != nil {
			return nil, err
		}
		return r.t.str(b), nil
	case c == '-' || (c >= '0' && c <= '9'):
		return r.number()
	case c == 't':
		return true, r.literal("true")
	case c == 'f':
		return false, r.literal("false")
	case c == 'n':
		return nil, r.literal("null")
	}
	return nil, r.unexpected("looking for beginning of value")
}

func (r *jsonReader) literal(word string) error {
	for i := 0; i < len(word); i++ {
		if r.pos >= len(r.data) {
			return r.unexpected("")
		}
		if r.data[r.pos] != word[i] {
			return r.unexpected("in literal " + word + " (expecting " + quoteByte(word[i]) + ")")
		}
		r.pos++
	}
	return nil
}

func (r *jsonReader) object(depth int) (any, error) {
	r.pos++ // {
	mark := len(r.t.members)
	var seen map[string]struct{}
	var slabs slabMark
	item := r.t.base != nil && itemDepth(depth)
	if item {
		slabs = r.t.mark()
	}
	r.skipSpace()
	if r.pos < len(r.data) && r.data[r.pos] == '}' {
		r.pos++
		return r.t.endMap(mark), nil
	}
	for {
		if r.pos >= len(r.data) || r.data[r.pos] != '"' {
			return nil, r.unexpected("looking for beginning of object key string")
		}
		keyOff := r.pos
		b, err := r.string()
		if err != nil {
			return nil, err
		}
		key := r.t.key(b)
		if r.t.hasKey(mark, &seen, key) {
			return nil, r.fail(keyOff, fmt.Sprintf("duplicate key %q", key))
		}
		r.skipSpace()
		if r.pos >= len(r.data) || r.data[r.pos] != ':' {
			return nil, r.unexpected("after object key")
		}
		r.pos++
		r.skipSpace()
		v, err := r.value(depth + 1)
		if err != nil {
			return nil, err
		}
		r.t.addMember(seen, key, v)
		r.skipSpace()
		if r.pos < len(r.data) {
			switch r.data[r.pos] {
			case ',':
				r.pos++
				r.skipSpace()
				continue
			case '}':
				r.pos++
				m := r.t.endMap(mark)
				if item {
					m = r.t.share(m, slabs)
				}
				return m, nil
			}
		}
		return nil, r.unexpected("after object key:value pair")
	}
}

func (r *jsonReader) array(depth int) (any, error) {
	r.pos++ // [
	mark := len(r.t.items)
	r.skipSpace()
	if r.pos < len(r.data) && r.data[r.pos] == ']' {
		r.pos++
		return r.t.endList(mark), nil
	}
	for {
		v, err := r.value(depth + 1)
		if err != nil {
			return nil, err
		}
		r.t.items = append(r.t.items, v)
		r.skipSpace()
		if r.pos < len(r.data) {
			switch r.data[r.pos] {
			case ',':
				r.pos++
				r.skipSpace()
				continue
			case ']':
				r.pos++
				return r.t.endList(mark), nil
			}
		}
		return nil, r.unexpected("after array element")
	}
}

// number checks the JSON number grammar and returns the number's text.
func (r *jsonReader) number() (any, error) {
	d := r.data
	start := r.pos
	i := start
	if d[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
			n++
		}
		return n
	}
	bad := func() (any, error) {
		r.pos = i
		return nil, r.unexpected("in numeric literal")
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case i < len(d) && d[i] >= '1' && d[i] <= '9':
		digits()
	default:
		return bad()
	}
	if i < len(d) && d[i] == '.' {
		i++
		if digits() == 0 {
			return bad()
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if digits() == 0 {
			return bad()
		}
	}
	r.pos = i
	return r.t.num(d[start:i]), nil
}

// string reads a string at pos and returns its decoded bytes, valid only
// until the next call.
func (r *jsonReader) string() ([]byte, error) {
	d := r.data
	start := r.pos + 1
	// The common case: no escape, only ASCII or valid UTF-8.
	i := start
	for i < len(d) {
		c := d[i]
		if c == '"' {
			r.pos = i + 1
			return d[start:i], nil
		}
		if c == '\\' || c < 0x20 {
			break
		}
		if c >= utf8.RuneSelf {
			rn, size := utf8.DecodeRune(d[i:])
			if rn == utf8.RuneError && size == 1 {
				break
			}
			i += size
			continue
		}
		i++
	}
	buf := append(r.buf[:0], d[start:i]...)
	for i < len(d) {
		c := d[i]
		switch {
		case c == '"':
			r.pos = i + 1
			r.buf = buf
			return buf, nil
		case c < 0x20:
			r.pos = i
			return nil, r.unexpected("in string literal")
		case c == '\\':
			i++
			if i >= len(d) {
				r.pos = i
				return nil, r.unexpected("")
			}
			switch e := d[i]; e {
			case '"', '\\', '/':
				buf = append(buf, e)
				i++
			case 'b':
				buf = append(buf, '\b')
				i++
			case 'f':
				buf = append(buf, '\f')
				i++
			case 'n':
				buf = append(buf, '\n')
				i++
			case 'r':
				buf = append(buf, '\r')
				i++
			case 't':
				buf = append(buf, '\t')
				i++
			case 'u':
				rn, ok := hex4(d, i+1)
				if !ok {
					r.pos = i + 1
					for r.pos < len(d) && r.pos < i+5 && isHex(d[r.pos]) {
						r.pos++
					}
					return nil, r.unexpected("in \\u hexadecimal character escape")
				}
				i += 5
				if utf16.IsSurrogate(rn) {
					// A pair reads as one character; anything else is
					// U+FFFD, and what follows is read on its own.
					if i+1 < len(d) && d[i] == '\\' && d[i+1] == 'u' {
						if rn2, ok := hex4(d, i+2); ok {
							if dec := utf16.DecodeRune(rn, rn2); dec != utf8.RuneError {
								buf = utf8.AppendRune(buf, dec)
								i += 6
								continue
							}
						}
					}
					rn = utf8.RuneError
				}
				buf = utf8.AppendRune(buf, rn)
			default:
				r.pos = i
				return nil, r.unexpected("in string escape code")
			}
		case c < utf8.RuneSelf:
			buf = append(buf, c)
			i++
		default:
			rn, size := utf8.DecodeRune(d[i:])
			if rn == utf8.RuneError && size == 1 {
				buf = utf8.AppendRune(buf, utf8.RuneError)
			} else {
				buf = append(buf, d[i:i+size]...)
			}
			i += size
		}
	}
	r.pos = len(d)
	r.buf = buf
	return nil, r.unexpected("")
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func hex4(d []byte, i int) (rune, bool) {
	if i+4 > len(d) {
		return 0, false
	}
	var v rune
	for _, c := range d[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		v = v<<4 | rune(c)
	}
	return v, true
}

// skipSpace returns the offset of the first byte at or after off that is not
// JSON whitespace or a separator, which is where the next value starts.
func skipSpace(data []byte, off int) int {
	for off < len(data) {
		switch data[off] {
		case ' ', '\t', '\r', '\n', ',', ':':
			off++
		default:
			return off
		}
	}
	return off
}

// lineCol converts a byte offset to a 1-based line and column (in runes).
func lineCol(data []byte, off int) (line, col int) {
	if off > len(data) {
		off = len(data)
	}
	if off < 0 {
		off = 0
	}
	line = 1 + bytes.Count(data[:off], []byte{'\n'})
	lineStart := bytes.LastIndexByte(data[:off], '\n') + 1
	col = 1 + utf8.RuneCount(data[lineStart:off])
	return line, col
}

// locateJSON returns the offset where the value at path starts, or of the
// deepest part of path that exists. It runs only to place an error.
func locateJSON(data []byte, path []any) int {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	best := skipSpace(data, 0)
	for _, seg := range path {
		tok, err := dec.Token()
		if err != nil {
			return best
		}
		d, ok := tok.(json.Delim)
		if !ok {
			return best
		}
		found := false
		switch x := seg.(type) {
		case string:
			if d != '{' {
				return best
			}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return best
				}
				if k, _ := kt.(string); k == x {
					best = skipSpace(data, int(dec.InputOffset()))
					found = true
					break
				}
				if skipJSONValue(dec) != nil {
					return best
				}
			}
		case int:
			if d != '[' {
				return best
			}
			for i := 0; dec.More(); i++ {
				if i == x {
					best = skipSpace(data, int(dec.InputOffset()))
					found = true
					break
				}
				if skipJSONValue(dec) != nil {
					return best
				}
			}
		}
		if !found {
			return best
		}
	}
	return best
}

func skipJSONValue(dec *json.Decoder) error {
	var raw json.RawMessage
	return dec.Decode(&raw)
}
