package migrations

import "strings"

// The lexer follows PostgreSQL's own (src/backend/parser/scan.l) as far as
// statement boundaries and leading keywords depend on it: comments,
// nested or not, are whitespace; '...' strings escape with backslashes
// when standard_conforming_strings is off; E'' strings always do; B'' and
// X'' strings know no doubled quote; a string continues across a newline
// into the next quote (in the same mode); $tag$ quotes end only at the
// same tag; identifiers may hold '$'; U&'' and U&"" are strings and
// identifiers. What it cannot see the server rejects as a syntax error
// before running anything, which is why a difference only matters for
// text the server accepts; the integration tests compare the two.

type tokenKind uint8

const (
	tokIdent       tokenKind = iota + 1 // unquoted identifier or keyword
	tokQuotedIdent                      // "..." or U&"..."
	tokString                           // '...', E'...', U&'...', $tag$...$tag$
	tokBitString                        // B'...' or X'...'
	tokNumber
	tokParam // $1
	tokSemicolon
	tokOpenParen
	tokCloseParen
	tokOther // operators and punctuation
)

type token struct {
	kind       tokenKind
	start, end int // byte offsets in the lexed text
}

// lexError is text the server refuses to lex: an unterminated comment,
// string, quoted identifier or dollar quote.
type lexError struct {
	what   string // e.g. "/* comment"
	offset int
}

type lexer struct {
	src string
	pos int
	// standardStrings is standard_conforming_strings: with it off, '...'
	// is lexed as E'...'.
	standardStrings bool
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

func isIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c >= 0x80
}

func isIdentCont(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' || c == '$' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isOpChar(c byte) bool { return strings.IndexByte("~!@#^&|`?+-*/%<>=", c) >= 0 }

// skipSpace skips whitespace and comments. It returns a lexError for an
// unterminated /* comment.
func (l *lexer) skipSpace() *lexError {
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch {
		case isSpace(c):
			l.pos++
		case c == '-' && l.peek(1) == '-':
			l.pos = lineEnd(l.src, l.pos)
		case c == '/' && l.peek(1) == '*':
			end, ok := blockCommentEnd(l.src, l.pos)
			if !ok {
				return &lexError{what: "/* comment", offset: l.pos}
			}
			l.pos = end
		default:
			return nil
		}
	}
	return nil
}

func (l *lexer) peek(n int) byte {
	if l.pos+n < len(l.src) {
		return l.src[l.pos+n]
	}
	return 0
}

// lineEnd returns the index of the newline ending the -- comment at i, or
// len(s): a comment ends at \n or \r, as in the server.
func lineEnd(s string, i int) int {
	if j := strings.IndexAny(s[i:], "\n\r"); j >= 0 {
		return i + j
	}
	return len(s)
}

// blockCommentEnd returns the index after the */ that closes the comment
// opened at i, counting nested /* */ pairs.
func blockCommentEnd(s string, i int) (int, bool) {
	depth := 0
	for j := i; j+1 < len(s); {
		switch {
		case s[j] == '/' && s[j+1] == '*':
			depth++
			j += 2
		case s[j] == '*' && s[j+1] == '/':
			depth--
			j += 2
			if depth == 0 {
				return j, true
			}
		default:
			j++
		}
	}
	return len(s), false
}

type quoteMode uint8

const (
	modeStandard quoteMode = iota // '...' with standard_conforming_strings on, U&'...'
	modeEscape                    // E'...', or '...' with it off
	modeBits                      // B'...', X'...': no doubled quote
)

// next returns the next token, ok false at the end of the text, or the
// construct the server would refuse as unterminated.
func (l *lexer) next() (tok token, ok bool, lerr *lexError) {
	if lerr := l.skipSpace(); lerr != nil {
		return token{}, false, lerr
	}
	if l.pos >= len(l.src) {
		return token{}, false, nil
	}
	start := l.pos
	c := l.src[start]
	emit := func(kind tokenKind, end int) (token, bool, *lexError) {
		l.pos = end
		return token{kind: kind, start: start, end: end}, true, nil
	}
	str := func(kind tokenKind, quote int, mode quoteMode) (token, bool, *lexError) {
		end, ok := stringEnd(l.src, quote, mode)
		if !ok {
			l.pos = len(l.src)
			return token{}, false, &lexError{what: "quoted string", offset: start}
		}
		return emit(kind, end)
	}
	switch {
	case (c == 'e' || c == 'E') && l.peek(1) == '\'':
		return str(tokString, start+1, modeEscape)
	case (c == 'b' || c == 'B' || c == 'x' || c == 'X') && l.peek(1) == '\'':
		return str(tokBitString, start+1, modeBits)
	case (c == 'u' || c == 'U') && l.peek(1) == '&' && l.peek(2) == '\'':
		return str(tokString, start+2, modeStandard)
	case (c == 'u' || c == 'U') && l.peek(1) == '&' && l.peek(2) == '"':
		end, ok := quotedIdentEnd(l.src, start+2)
		if !ok {
			l.pos = len(l.src)
			return token{}, false, &lexError{what: "quoted identifier", offset: start}
		}
		return emit(tokQuotedIdent, end)
	case (c == 'n' || c == 'N') && l.peek(1) == '\'':
		// N'...' is the keyword NCHAR followed by an ordinary string.
		return emit(tokIdent, start+1)
	case isIdentStart(c):
		j := start + 1
		for j < len(l.src) && isIdentCont(l.src[j]) {
			j++
		}
		return emit(tokIdent, j)
	case c == '\'':
		mode := modeStandard
		if !l.standardStrings {
			mode = modeEscape
		}
		return str(tokString, start, mode)
	case c == '"':
		end, ok := quotedIdentEnd(l.src, start)
		if !ok {
			l.pos = len(l.src)
			return token{}, false, &lexError{what: "quoted identifier", offset: start}
		}
		return emit(tokQuotedIdent, end)
	case c == '$':
		if isDigit(l.peek(1)) {
			j := start + 1
			for j < len(l.src) && isDigit(l.src[j]) {
				j++
			}
			return emit(tokParam, j)
		}
		tagEnd := start + 1
		if tagEnd < len(l.src) && isIdentStart(l.src[tagEnd]) {
			for tagEnd < len(l.src) && isIdentCont(l.src[tagEnd]) && l.src[tagEnd] != '$' {
				tagEnd++
			}
		}
		if tagEnd < len(l.src) && l.src[tagEnd] == '$' {
			tag := l.src[start : tagEnd+1]
			k := strings.Index(l.src[tagEnd+1:], tag)
			if k < 0 {
				l.pos = len(l.src)
				return token{}, false, &lexError{what: "dollar-quoted string", offset: start}
			}
			return emit(tokString, tagEnd+1+k+len(tag))
		}
		return emit(tokOther, start+1)
	case isDigit(c) || c == '.' && isDigit(l.peek(1)):
		return emit(tokNumber, numberEnd(l.src, start))
	case c == ';':
		return emit(tokSemicolon, start+1)
	case c == '(':
		return emit(tokOpenParen, start+1)
	case c == ')':
		return emit(tokCloseParen, start+1)
	case isOpChar(c):
		// An operator stops where a comment starts.
		j := start + 1
		for j < len(l.src) && isOpChar(l.src[j]) && !strings.HasPrefix(l.src[j:], "--") && !strings.HasPrefix(l.src[j:], "/*") {
			j++
		}
		return emit(tokOther, j)
	default:
		return emit(tokOther, start+1)
	}
}

// numberEnd returns the end of the number at i: digits, a fraction, an
// exponent only when digits follow it (otherwise the e starts the next
// token, as in the server).
func numberEnd(s string, i int) int {
	j := i
	for j < len(s) && isDigit(s[j]) {
		j++
	}
	if j < len(s) && s[j] == '.' && !(j+1 < len(s) && s[j+1] == '.') {
		j++
		for j < len(s) && isDigit(s[j]) {
			j++
		}
	}
	if j < len(s) && (s[j] == 'e' || s[j] == 'E') {
		k := j + 1
		if k < len(s) && (s[k] == '+' || s[k] == '-') {
			k++
		}
		if k < len(s) && isDigit(s[k]) {
			for k < len(s) && isDigit(s[k]) {
				k++
			}
			j = k
		}
	}
	return j
}

// stringEnd returns the index after the literal whose opening quote is at
// q, following continuations (a closing quote, whitespace holding a
// newline, and another quote) in the same mode.
func stringEnd(s string, q int, mode quoteMode) (int, bool) {
	j := q + 1
	for {
		for j < len(s) && s[j] != '\'' {
			if s[j] == '\\' && mode == modeEscape {
				j++
			}
			j++
		}
		if j >= len(s) {
			return len(s), false
		}
		if mode != modeBits && j+1 < len(s) && s[j+1] == '\'' {
			j += 2
			continue
		}
		next, ok := continuation(s, j+1)
		if !ok {
			return j + 1, true
		}
		j = next + 1
	}
}

// continuation reports whether the text at i continues a string literal:
// whitespace or -- comments, a newline, more whitespace (a -- comment only
// when a newline follows it), then a quote, whose index it returns.
func continuation(s string, i int) (int, bool) {
	j := i
	for j < len(s) {
		if c := s[j]; c == ' ' || c == '\t' || c == '\f' || c == '\v' {
			j++
		} else if c == '-' && j+1 < len(s) && s[j+1] == '-' {
			j = lineEnd(s, j)
		} else {
			break
		}
	}
	if j >= len(s) || s[j] != '\n' && s[j] != '\r' {
		return 0, false
	}
	j++
	for j < len(s) {
		if isSpace(s[j]) {
			j++
		} else if s[j] == '-' && j+1 < len(s) && s[j+1] == '-' {
			if j = lineEnd(s, j); j >= len(s) {
				return 0, false
			}
			j++
		} else {
			break
		}
	}
	if j < len(s) && s[j] == '\'' {
		return j, true
	}
	return 0, false
}

// quotedIdentEnd returns the index after the "..." identifier whose
// opening quote is at q; "" is an escaped quote.
func quotedIdentEnd(s string, q int) (int, bool) {
	for j := q + 1; j < len(s); j++ {
		if s[j] == '"' {
			if j+1 < len(s) && s[j+1] == '"' {
				j++
				continue
			}
			return j + 1, true
		}
	}
	return len(s), false
}

// keyword reports whether tok is the unquoted keyword kw (lower case).
// The server folds only ASCII letters, so neither may this.
func (l *lexer) keyword(tok token, kw string) bool {
	return tok.kind == tokIdent && asciiEqualFold(l.src[tok.start:tok.end], kw)
}

func asciiEqualFold(s, lower string) bool {
	if len(s) != len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}
