package access

import (
	"fmt"
	"strings"
)

// Problem is one thing wrong with the access files: where it is and what
// to do about it.
type Problem struct {
	// File is the file's path as given to Read (empty for a set that did
	// not come from files).
	File         string
	Line, Column int
	Msg          string
}

func (p Problem) String() string {
	switch {
	case p.File == "":
		return p.Msg
	case p.Line == 0:
		return p.File + ": " + p.Msg
	}
	return fmt.Sprintf("%s:%d:%d: %s", p.File, p.Line, p.Column, p.Msg)
}

// ProblemsError is a set of files that cannot be used: every problem found,
// not only the first.
type ProblemsError struct {
	Problems []Problem
}

func (e *ProblemsError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d problem(s) in the access files:", len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  " + p.String())
	}
	return b.String()
}

// pos is where a part of the model was read.
type pos struct {
	File         string
	Line, Column int
}

// positions maps a part of the model to where it was read. Keys:
// "access" (the main file), "role/NAME", "policy/NAME",
// "policy/NAME/COLLECTION/ACTION" ("public" stands for the public
// policy's name), with "#field" suffixes for a member of it.
type positions map[string]pos

func (ps positions) problem(key, format string, a ...any) Problem {
	p, ok := ps[key]
	if !ok {
		// The nearest enclosing part that has a position.
		for k := key; !ok && k != ""; {
			i := strings.LastIndexAny(k, "/#")
			if i < 0 {
				k = ""
				break
			}
			k = k[:i]
			p, ok = ps[k]
		}
	}
	return Problem{File: p.File, Line: p.Line, Column: p.Column, Msg: fmt.Sprintf(format, a...)}
}

func permKey(policy string, p Permission) string {
	return "policy/" + policy + "/" + p.Collection + "/" + p.Action
}
