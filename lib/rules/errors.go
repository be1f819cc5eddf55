package rules

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// safe returns s as it is when it prints as itself on one line, quoted
// otherwise: names and values in messages come from files and rows, and a
// control character must not reach a terminal.
func safe(s string) string {
	if utf8.ValidString(s) && strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) < 0 {
		return s
	}
	return strconv.Quote(s)
}

// ParseError reports a rulebook file that is not readable as one: not
// YAML, too large, a key this format does not have, a value of the wrong
// kind. Use errors.As to get at it.
type ParseError struct {
	// Source names the input (a file name, "<stdin>").
	Source string
	// Line and Column locate the problem, 1-based; 0 when unknown.
	Line, Column int
	// Path is where in the file, e.g. "rules[2].brackets[1].up_to"; empty
	// for a problem with the whole input.
	Path string
	// Msg says what is wrong and, where it helps, what is expected.
	Msg string
	// Err is the underlying error, if any.
	Err error
}

func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString(safe(e.Source))
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
		if e.Column > 0 {
			b.WriteString(":" + strconv.Itoa(e.Column))
		}
	}
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(safe(e.Path) + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

func (e *ParseError) Unwrap() error { return e.Err }

// Problem classifies a validation error.
type Problem string

// The problems [Validate] reports.
const (
	// ProblemOverlap: two brackets of a rule share offences.
	ProblemOverlap Problem = "overlap"
	// ProblemGap: a contiguous rule's brackets leave offences unpriced.
	ProblemGap Problem = "gap"
	// ProblemNotMonotone: a greater offence (or a later repeat) would cost
	// fewer seconds or a milder outcome than a smaller one.
	ProblemNotMonotone Problem = "not_monotone"
	// ProblemEmptyBracket: offence_min is not below offence_max.
	ProblemEmptyBracket Problem = "empty_bracket"
	// ProblemNegative: a negative penalty, bound, unit or multiplier.
	ProblemNegative Problem = "negative"
	// ProblemOutOfRange: a number beyond the package's limits, not finite,
	// or not whole where the unit is whole.
	ProblemOutOfRange Problem = "out_of_range"
	// ProblemUnknownType: a type that is not an evaluator key.
	ProblemUnknownType Problem = "unknown_type"
	// ProblemUnknownOperator: an operator this package does not define.
	ProblemUnknownOperator Problem = "unknown_operator"
	// ProblemUnknownScope: a belongs_to_type that does not exist, or a
	// missing or unknown reference.
	ProblemUnknownScope Problem = "unknown_scope"
	// ProblemUnknownOutcome: an outcome that does not exist.
	ProblemUnknownOutcome Problem = "unknown_outcome"
	// ProblemQualifier: a missing, unknown or unexpected qualifier.
	ProblemQualifier Problem = "qualifier"
	// ProblemOperatorNotAllowed: an operator the rule's type or kind does
	// not allow (per_pulse outside speeding, repeat_multiplier in a base
	// rule), or a field that belongs to another operator.
	ProblemOperatorNotAllowed Problem = "operator_not_allowed"
	// ProblemRepeatWithoutBase: a repeat multiplier whose base rule is
	// missing, disabled, itself a repeat rule, or of another type or scope.
	ProblemRepeatWithoutBase Problem = "repeat_without_base"
	// ProblemDuplicate: a key used twice, two enabled rules for the same
	// type, qualifier and scope, or two enabled repeat rules for one base.
	ProblemDuplicate Problem = "duplicate"
	// ProblemInvalid: a malformed key, event, reference or text, or a
	// required field missing.
	ProblemInvalid Problem = "invalid"
)

// ValidationError is one problem of a rulebook, located as precisely as
// known: the file and line, the rule, the bracket, the field.
type ValidationError struct {
	// Source names the file; empty when the rulebook was not read from one.
	Source string
	// Line is 1-based, 0 when unknown.
	Line int
	// Rule is the rule's key; empty for a problem of the whole rulebook.
	Rule string
	// Bracket is the bracket's 1-based position in the rule as written; 0
	// for a problem of the whole rule.
	Bracket int
	// Field is the file's name of the field at fault (up_to, penalty,
	// type, …); may be empty.
	Field   string
	Problem Problem
	// Msg says what is wrong and what is expected.
	Msg string
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	if e.Source != "" {
		b.WriteString(safe(e.Source))
		if e.Line > 0 {
			b.WriteString(":" + strconv.Itoa(e.Line))
		}
		b.WriteString(": ")
	} else if e.Line > 0 {
		b.WriteString("line " + strconv.Itoa(e.Line) + ": ")
	}
	if e.Rule != "" {
		b.WriteString("rule " + safe(e.Rule))
		if e.Bracket > 0 {
			b.WriteString(", bracket " + strconv.Itoa(e.Bracket))
		}
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// ValidationErrors is every problem found in a rulebook, in the order of
// the file. errors.As with a *ValidationError finds the first.
type ValidationErrors struct {
	Errs []*ValidationError
}

func (e *ValidationErrors) Error() string {
	if len(e.Errs) == 1 {
		return e.Errs[0].Error()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d problems in the rulebook:", len(e.Errs))
	for _, v := range e.Errs {
		b.WriteString("\n  " + v.Error())
	}
	return b.String()
}

// Unwrap gives each problem to errors.Is and errors.As.
func (e *ValidationErrors) Unwrap() []error {
	errs := make([]error, len(e.Errs))
	for i, v := range e.Errs {
		errs[i] = v
	}
	return errs
}

// EvalError reports an offence that cannot be priced: a negative or
// non-finite input, a per_pulse bracket without pulses, a penalty beyond
// MaxResultSeconds, or a rule that is not usable (a repeat rule given as
// the base, a bracket that does not validate).
type EvalError struct {
	Rule    string
	Version int
	// Field is the input or rule field at fault (value, pulses, repeat,
	// penalty, …).
	Field string
	Msg   string
}

func (e *EvalError) Error() string {
	s := "rule " + safe(e.Rule)
	if e.Version > 0 {
		s += " v" + strconv.Itoa(e.Version)
	}
	if e.Field != "" {
		s += ": " + e.Field
	}
	return s + ": " + e.Msg
}

// ConflictError reports a rule a file pins to a version (version: N, as
// an export writes it) that is not the stored rule's current version:
// someone changed the rule since the file was exported.
type ConflictError struct {
	Rule string
	// FileVersion is the version the file names.
	FileVersion int
	// StoredVersion is the current stored version; 0 when no rule has the
	// key.
	StoredVersion int
	Line          int
}

func (e *ConflictError) Error() string {
	if e.StoredVersion == 0 {
		return fmt.Sprintf("rule %s: the file names version %d but no stored rule has this key", safe(e.Rule), e.FileVersion)
	}
	return fmt.Sprintf("rule %s: the file was made from version %d but version %d is stored; export again and redo the change",
		safe(e.Rule), e.FileVersion, e.StoredVersion)
}

// FormulaError reports penalty_formulas rows that do not make rules: rows
// of one rule version that disagree on a rule-level field, versions out of
// sequence, or a row that does not validate.
type FormulaError struct {
	// Row is the 0-based index of the row in the input; -1 for a stored
	// rule given to Diff.
	Row     int
	Rule    string
	Version int
	Field   string
	Msg     string
}

func (e *FormulaError) Error() string {
	if e.Row < 0 {
		return fmt.Sprintf("stored rule %s v%d: %s: %s", safe(e.Rule), e.Version, e.Field, e.Msg)
	}
	return fmt.Sprintf("formula row %d (rule %s v%d): %s: %s", e.Row, safe(e.Rule), e.Version, e.Field, e.Msg)
}
