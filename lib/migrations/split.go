package migrations

import "strings"

// Statement is one SQL statement of a file and where it starts.
type Statement struct {
	SQL string
	// Offset is the byte offset of SQL in the file, so a server error
	// position can be reported as a line and column of the file.
	Offset int
}

// SplitStatements splits a no-transaction file into the statements it
// holds. They must be sent one at a time: PostgreSQL runs a multi-statement
// query string as one implicit transaction, which CREATE INDEX CONCURRENTLY
// refuses. The lexer knows quoted strings, E” escapes, quoted identifiers,
// dollar quoting and nested comments, so a ';' inside any of them does not
// split. Statements holding only whitespace and comments are dropped.
func SplitStatements(sql string) []Statement {
	var (
		out   []Statement
		start int
	)
	emit := func(end int) {
		if s := sql[start:end]; !blank(s) {
			out = append(out, Statement{SQL: s, Offset: start})
		}
	}
	for i := 0; i < len(sql); {
		switch c := sql[i]; {
		case c == ';':
			emit(i + 1)
			i++
			start = i
		case c == '\'':
			escapes := i > 0 && (sql[i-1] == 'E' || sql[i-1] == 'e') && (i < 2 || !isIdentByte(sql[i-2]))
			i = skipQuoted(sql, i, '\'', escapes)
		case c == '"':
			i = skipQuoted(sql, i, '"', false)
		case c == '-' && strings.HasPrefix(sql[i:], "--"):
			if nl := strings.IndexByte(sql[i:], '\n'); nl >= 0 {
				i += nl + 1
			} else {
				i = len(sql)
			}
		case c == '/' && strings.HasPrefix(sql[i:], "/*"):
			i = skipBlockComment(sql, i)
		case c == '$' && (i == 0 || !isIdentByte(sql[i-1])):
			i = skipDollarQuoted(sql, i)
		default:
			i++
		}
	}
	emit(len(sql))
	return out
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

// skipQuoted returns the index after the quote that closes the one at i.
// A doubled quote is an escaped quote; with escapes, so is a backslash.
func skipQuoted(sql string, i int, q byte, escapes bool) int {
	for j := i + 1; j < len(sql); j++ {
		switch sql[j] {
		case '\\':
			if escapes {
				j++
			}
		case q:
			if j+1 < len(sql) && sql[j+1] == q {
				j++
				continue
			}
			return j + 1
		}
	}
	return len(sql)
}

// skipBlockComment handles nesting, which PostgreSQL allows.
func skipBlockComment(sql string, i int) int {
	depth := 0
	for j := i; j < len(sql)-1; j++ {
		switch {
		case sql[j] == '/' && sql[j+1] == '*':
			depth++
			j++
		case sql[j] == '*' && sql[j+1] == '/':
			depth--
			j++
			if depth == 0 {
				return j + 1
			}
		}
	}
	return len(sql)
}

// skipDollarQuoted skips $tag$...$tag$. A '$' that does not open a valid
// tag (a positional parameter such as $1) is an ordinary character.
func skipDollarQuoted(sql string, i int) int {
	j := i + 1
	for j < len(sql) && sql[j] != '$' {
		c := sql[j]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80 || (j > i+1 && c >= '0' && c <= '9')) {
			return i + 1
		}
		j++
	}
	if j >= len(sql) {
		return i + 1
	}
	tag := sql[i : j+1]
	if end := strings.Index(sql[j+1:], tag); end >= 0 {
		return j + 1 + end + len(tag)
	}
	return len(sql)
}

// blank reports whether s holds only whitespace and comments.
func blank(s string) bool {
	for i := 0; i < len(s); {
		switch {
		case s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' || s[i] == ';':
			i++
		case strings.HasPrefix(s[i:], "--"):
			nl := strings.IndexByte(s[i:], '\n')
			if nl < 0 {
				return true
			}
			i += nl + 1
		case strings.HasPrefix(s[i:], "/*"):
			i = skipBlockComment(s, i)
		default:
			return false
		}
	}
	return true
}
