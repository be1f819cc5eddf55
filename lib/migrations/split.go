package migrations

import (
	"fmt"
	"strings"
)

// Statement is one SQL statement of a file and where it starts.
type Statement struct {
	SQL string
	// Offset is the byte offset of SQL in the file, so a server error
	// position can be reported as a line and column of the file.
	Offset int
}

// SplitStatements splits a no-transaction file into the statements it
// holds, as PostgreSQL with standard_conforming_strings on sees them. They
// must be sent one at a time: PostgreSQL runs a multi-statement query
// string as one implicit transaction, which CREATE INDEX CONCURRENTLY
// refuses. A ';' inside a comment (nested or not), a string of any kind,
// a quoted identifier, a dollar quote or the BEGIN ATOMIC ... END body of
// CREATE FUNCTION or CREATE PROCEDURE does not split. Statements holding
// only whitespace and comments are dropped. Text the server could not lex
// (an unterminated string, comment, quoted identifier, dollar quote or
// body) ends up in the last statement.
func SplitStatements(sql string) []Statement {
	var out []Statement
	for _, s := range scanStatements(sql, 0, true).stmts {
		out = append(out, s.Statement)
	}
	return out
}

// stmt is a statement with what the runner needs to know about it.
type stmt struct {
	Statement
	// first is the byte offset in the file of its first token.
	first int
	// tokens are its first few tokens, enough to classify it.
	lead []token
}

// scan is the result of lexing a file.
type scan struct {
	stmts []stmt
	// unterminated says what the text ends inside of, if anything: the
	// server would refuse the file (or swallow what a runner appends).
	unterminated *lexError
}

const leadTokens = 4

// scanStatements splits sql from byte offset from into statements. A
// statement ends at a ';' outside a routine body. The body of CREATE [OR
// REPLACE] FUNCTION or PROCEDURE opens at BEGIN ATOMIC and closes at its
// END; CASE ... END pairs inside it are counted, as psql does.
func scanStatements(sql string, from int, standardStrings bool) scan {
	l := &lexer{src: sql, pos: from, standardStrings: standardStrings}
	var (
		res     scan
		start   = from // where the current statement's text starts
		cur     stmt
		n       int // tokens in the current statement
		routine bool
		parens  int
		body    int // open BEGIN ATOMIC and CASE ... END inside a body
		prev    token
		bodyAt  int
	)
	reset := func(at int) {
		start, cur, n, routine, parens, body, prev = at, stmt{}, 0, false, 0, 0, token{}
	}
	finish := func(end int) {
		if n > 0 {
			cur.Statement = Statement{SQL: sql[start:end], Offset: start}
			res.stmts = append(res.stmts, cur)
		}
	}
	for {
		tok, ok, lerr := l.next()
		if lerr != nil {
			res.unterminated = lerr
			if n == 0 {
				cur.first = lerr.offset
			}
			n++ // the text is not blank: keep it
			break
		}
		if !ok {
			break
		}
		if tok.kind == tokSemicolon && body == 0 {
			finish(tok.end)
			reset(tok.end)
			continue
		}
		if n == 0 {
			cur.first = tok.start
		}
		if n < leadTokens {
			cur.lead = append(cur.lead, tok)
		}
		n++
		if n <= leadTokens && !routine {
			routine = isRoutineStart(l, cur.lead)
		}
		switch {
		case tok.kind == tokOpenParen:
			parens++
		case tok.kind == tokCloseParen:
			parens--
		case routine && parens == 0 && l.keyword(tok, "atomic") && l.keyword(prev, "begin"):
			if body == 0 {
				bodyAt = prev.start
			}
			body++
		case body > 0 && l.keyword(tok, "case"):
			body++
		case body > 0 && l.keyword(tok, "end"):
			body--
		}
		prev = tok
	}
	if res.unterminated == nil && body > 0 {
		res.unterminated = &lexError{what: "BEGIN ATOMIC body (no END)", offset: bodyAt}
	}
	finish(len(sql))
	return res
}

// isRoutineStart reports whether the leading tokens are CREATE [OR
// REPLACE] FUNCTION or PROCEDURE.
func isRoutineStart(l *lexer, lead []token) bool {
	words := make([]string, 0, len(lead))
	for _, t := range lead {
		if t.kind != tokIdent {
			break
		}
		words = append(words, l.src[t.start:t.end])
	}
	is := func(w ...string) bool {
		if len(words) < len(w) {
			return false
		}
		for i := range w {
			if !asciiEqualFold(words[i], w[i]) {
				return false
			}
		}
		return true
	}
	return is("create", "function") || is("create", "procedure") ||
		is("create", "or", "replace", "function") || is("create", "or", "replace", "procedure")
}

// txControlKind is what a transaction control statement does to the
// transaction it runs in.
type txControlKind uint8

const (
	notTxControl txControlKind = iota
	// txSavepoint statements (SAVEPOINT, RELEASE, ROLLBACK TO) act inside
	// the transaction and cannot leave it.
	txSavepoint
	// txBoundary statements begin, end or prepare a transaction.
	txBoundary
)

// transactionControl classifies a statement by its leading keywords, as
// the grammar's TransactionStmt does, and names it.
func transactionControl(src string, s stmt) (txControlKind, string) {
	l := &lexer{src: src}
	kw := func(i int, w string) bool { return i < len(s.lead) && l.keyword(s.lead[i], w) }
	switch {
	case kw(0, "begin"):
		return txBoundary, "BEGIN"
	case kw(0, "start") && kw(1, "transaction"):
		return txBoundary, "START TRANSACTION"
	case kw(0, "commit") && kw(1, "prepared"):
		return txBoundary, "COMMIT PREPARED"
	case kw(0, "commit"):
		return txBoundary, "COMMIT"
	case kw(0, "end"):
		return txBoundary, "END"
	case kw(0, "abort"):
		return txBoundary, "ABORT"
	case kw(0, "rollback") && kw(1, "prepared"):
		return txBoundary, "ROLLBACK PREPARED"
	case kw(0, "rollback") && (kw(1, "to") || (kw(1, "work") || kw(1, "transaction")) && kw(2, "to")):
		return txSavepoint, "ROLLBACK TO SAVEPOINT"
	case kw(0, "rollback"):
		return txBoundary, "ROLLBACK"
	case kw(0, "savepoint"):
		return txSavepoint, "SAVEPOINT"
	case kw(0, "release"):
		return txSavepoint, "RELEASE SAVEPOINT"
	case kw(0, "prepare") && kw(1, "transaction") && !kw(2, "as") && !(len(s.lead) > 2 && s.lead[2].kind == tokOpenParen):
		// PREPARE TRANSACTION 'gid'; PREPARE transaction AS ... is a
		// prepared statement that happens to be named transaction.
		return txBoundary, "PREPARE TRANSACTION"
	}
	return notTxControl, ""
}

// clientData names a statement that needs the client's data channel
// (COPY ... FROM STDIN, COPY ... TO STDOUT), or returns "". A migration
// has no data to send, and a runner that does not answer a COPY would
// wait for ever.
func clientData(src string, s stmt) string {
	l := &lexer{src: src, pos: s.first}
	if len(s.lead) == 0 || !l.keyword(s.lead[0], "copy") {
		return ""
	}
	end := s.Offset + len(s.SQL)
	l.src = src[:end]
	parens := 0
	var prev token
	for {
		tok, ok, lerr := l.next()
		if !ok || lerr != nil {
			return ""
		}
		switch tok.kind {
		case tokOpenParen:
			parens++
		case tokCloseParen:
			parens--
		}
		if parens == 0 && prev.kind != 0 {
			switch {
			case l.keyword(prev, "from") && l.keyword(tok, "stdin"):
				return "COPY ... FROM STDIN"
			case l.keyword(prev, "to") && l.keyword(tok, "stdout"):
				return "COPY ... TO STDOUT"
			}
		}
		prev = tok
	}
}

// lineOf returns the 1-based line of byte offset i in s.
func lineOf(s string, i int) int { return strings.Count(s[:min(i, len(s))], "\n") + 1 }

// statementProblems lists what in a file the runner refuses before
// running anything: transaction boundaries in a file that runs inside the
// runner's transaction, statements that need client data, and text the
// server cannot lex.
func statementProblems(path, sql string, noTx bool) []SourceProblem {
	sc := scanStatements(sql, 0, true)
	if noTx {
		sc = followStandardStrings(sql, sc)
	}
	var out []SourceProblem
	for _, s := range sc.stmts {
		line := lineOf(sql, s.first)
		if kind, name := transactionControl(sql, s); kind == txBoundary && !noTx {
			out = append(out, SourceProblem{Path: path, Line: line, Rule: RuleTransactionControl,
				Reason: fmt.Sprintf("line %d: transaction control (%s) in a file that runs inside the runner's transaction", line, name),
				Fix:    "remove it: each file already commits atomically with its ledger row; or put \"-- migrate: no-transaction\" on the first line"})
		}
		if what := clientData(sql, s); what != "" {
			out = append(out, SourceProblem{Path: path, Line: line, Rule: RuleClientData,
				Reason: fmt.Sprintf("line %d: %s needs data from the client, and a migration has none to send", line, what),
				Fix:    "load the data with INSERT statements, or COPY from a file on the database server (COPY ... FROM '/path'); write output with COPY ... TO '/path'"})
		}
	}
	if u := sc.unterminated; u != nil {
		line := lineOf(sql, u.offset)
		out = append(out, SourceProblem{Path: path, Line: line, Rule: RuleUnterminated,
			Reason: fmt.Sprintf("line %d: unterminated %s: the server cannot parse the file", line, u.what),
			Fix:    "close it"})
	}
	return out
}

// followStandardStrings splits a no-transaction file again after each
// statement that visibly sets standard_conforming_strings: its statements
// are sent one at a time, so the server lexes the rest in the new mode.
// (Statements of a transactional file are lexed together, before any of
// them runs.) At run time the runner follows what the server reports
// instead, which also covers changes no check can see.
func followStandardStrings(sql string, sc scan) scan {
	standard := true
	for i := 0; i < len(sc.stmts); i++ {
		if v, ok := setsStandardStrings(sql, sc.stmts[i]); ok && v != standard {
			standard = v
			rest := scanStatements(sql, sc.stmts[i].Offset+len(sc.stmts[i].SQL), standard)
			sc.stmts = append(sc.stmts[:i+1], rest.stmts...)
			sc.unterminated = rest.unterminated
		}
	}
	return sc
}

// setsStandardStrings recognises SET [SESSION] standard_conforming_strings
// TO|= value and RESET standard_conforming_strings, and returns the value
// set (DEFAULT and RESET count as on, the server's default).
func setsStandardStrings(src string, s stmt) (value, ok bool) {
	l := &lexer{src: src[:s.Offset+len(s.SQL)], pos: s.first, standardStrings: true}
	var toks []token
	for len(toks) < 6 {
		tok, more, lerr := l.next()
		if !more || lerr != nil || tok.kind == tokSemicolon {
			break
		}
		toks = append(toks, tok)
	}
	kw := func(i int, w string) bool { return i < len(toks) && l.keyword(toks[i], w) }
	if kw(0, "reset") && kw(1, "standard_conforming_strings") && len(toks) == 2 {
		return true, true
	}
	i := 1
	if kw(i, "session") {
		i++
	}
	if !kw(0, "set") || !kw(i, "standard_conforming_strings") || len(toks) != i+3 {
		return false, false
	}
	if eq := toks[i+1]; !kw(i+1, "to") && src[eq.start:eq.end] != "=" {
		return false, false
	}
	v := toks[i+2]
	word := src[v.start:v.end]
	if v.kind == tokString && strings.HasPrefix(word, "'") {
		word = strings.ReplaceAll(word[1:len(word)-1], "''", "'")
	}
	if kw(i+2, "default") {
		return true, true
	}
	return parseBool(word)
}

// parseBool reads a boolean setting as the server does: any prefix of
// true, false, yes or no, on, of(f), 1 or 0, in any case.
func parseBool(s string) (value, ok bool) {
	s = strings.ToLower(s)
	prefix := func(word string, least int) bool { return len(s) >= least && strings.HasPrefix(word, s) }
	switch {
	case prefix("true", 1), prefix("yes", 1), s == "on", s == "1":
		return true, true
	case prefix("false", 1), prefix("no", 1), prefix("off", 2), s == "0":
		return false, true
	}
	return false, false
}
