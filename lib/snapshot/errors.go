package snapshot

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseError reports input that is not a readable Directus schema snapshot.
// Use errors.As to get at it.
type ParseError struct {
	// Source names the input: a file name, or "-" / "<stdin>".
	Source string
	// Format is "yaml" or "json", or "" when it was not decided.
	Format string
	// Line and Column locate the problem, 1-based; 0 when unknown (the YAML
	// library reports a line but no column for syntax errors).
	Line, Column int
	// Path is where in the snapshot the problem is, e.g. "fields[3].field";
	// empty for syntax errors.
	Path string
	// Msg says what is wrong.
	Msg string
	// Hint says what to do about it; may be empty.
	Hint string
	// Err is the underlying error, if any.
	Err error
}

func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString(e.Source)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
		if e.Column > 0 {
			b.WriteString(":" + strconv.Itoa(e.Column))
		}
	}
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path + ": ")
	}
	b.WriteString(e.Msg)
	if e.Hint != "" {
		b.WriteString(" (" + e.Hint + ")")
	}
	return b.String()
}

func (e *ParseError) Unwrap() error { return e.Err }

// SizeError reports a snapshot larger than the size limit ([DefaultMaxSize]
// unless [WithMaxSize] set another). Use errors.As to get at it.
type SizeError struct {
	// Source names the input: a file name, or "<stdin>".
	Source string
	// Size is the input's size in bytes, or 0 when it is a stream that was
	// cut off past the limit.
	Size int64
	// Limit is the size limit in bytes.
	Limit int64
}

func (e *SizeError) Error() string {
	if e.Size > 0 {
		return fmt.Sprintf("%s: %s is over the snapshot size limit of %s", e.Source, formatBytes(e.Size), formatBytes(e.Limit))
	}
	return fmt.Sprintf("%s: more than the snapshot size limit of %s", e.Source, formatBytes(e.Limit))
}

// formatBytes writes n in bytes, with the binary multiple beside it when
// it has one: "70000000 bytes (66.8 MiB)".
func formatBytes(n int64) string {
	const unit = 1024
	s := strconv.FormatInt(n, 10) + " bytes"
	if n < unit {
		return s
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	v := strconv.FormatFloat(float64(n)/float64(div), 'f', 1, 64)
	v = strings.TrimSuffix(v, ".0")
	return s + " (" + v + " " + string("KMGTP"[exp]) + "iB)"
}

// VendorError reports two snapshots of different database vendors; see
// [CheckVendor].
type VendorError struct {
	// From and To are the vendors, in the order of Diff's arguments.
	From, To string
}

func (e *VendorError) Error() string {
	return fmt.Sprintf("the snapshots are of different database vendors: %s and %s", e.From, e.To)
}

// PatternError reports an exclusion pattern that path.Match cannot use.
type PatternError struct {
	Pattern string
	Err     error
}

func (e *PatternError) Error() string {
	return fmt.Sprintf("bad exclude pattern %q: %v (patterns use path.Match syntax: *, ?, [a-z])", e.Pattern, e.Err)
}

func (e *PatternError) Unwrap() error { return e.Err }

// semanticError is a problem found after the syntax was read; Parse turns it
// into a ParseError once it has located path in the input.
type semanticError struct {
	path []any // string keys and int indexes
	msg  string
	hint string
}

func (e *semanticError) Error() string { return formatPath(e.path) + ": " + e.msg }

func formatPath(path []any) string {
	var b strings.Builder
	for _, p := range path {
		switch x := p.(type) {
		case int:
			b.WriteString("[" + strconv.Itoa(x) + "]")
		case string:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(x)
		}
	}
	return b.String()
}
