package snapshot

import (
	"encoding/json"
	"fmt"
	"html"
	"io"
	"strings"
	"unicode/utf8"
)

// TextOptions tune [Result.WriteText].
type TextOptions struct {
	// Color adds ANSI colours. Set it only when the output is a terminal.
	Color bool
}

const (
	ansiReset   = "\x1b[0m"
	ansiRed     = "\x1b[31m"
	ansiBoldRed = "\x1b[1;31m"
	ansiGreen   = "\x1b[32m"
	ansiYellow  = "\x1b[33m"
	ansiMagenta = "\x1b[35m"
	ansiDim     = "\x1b[2m"
)

// WriteText writes the changes for a person: one line per change with a
// mark (! destructive, * warning), the operation, kind and key in aligned
// columns; then its reasons, then for an update each changed path with its
// old and new value; then a summary line.
func (r *Result) WriteText(w io.Writer, o TextOptions) error {
	var b strings.Builder
	paint := func(code, s string) string {
		if !o.Color || code == "" {
			return s
		}
		return code + s + ansiReset
	}
	if r.Empty() {
		b.WriteString("No differences.\n")
		_, err := io.WriteString(w, b.String())
		return err
	}
	for _, c := range r.Changes {
		mark, markColor := " ", ""
		switch c.Severity {
		case SeverityDestructive:
			mark, markColor = "!", ansiBoldRed
		case SeverityWarning:
			mark, markColor = "*", ansiMagenta
		}
		opColor := map[Op]string{OpCreate: ansiGreen, OpUpdate: ansiYellow, OpDelete: ansiRed}[c.Op]
		line := fmt.Sprintf("%s %s  %-11s  %s", paint(markColor, mark), paint(opColor, fmt.Sprintf("%-6s", c.Op)), c.Kind, c.Key)
		b.WriteString(strings.TrimRight(line, " ") + "\n")
		for _, reason := range c.Reasons {
			fmt.Fprintf(&b, "      %s\n", paint(markColor, mark+" "+reason))
		}
		pathWidth := 0
		for _, p := range c.Paths {
			pathWidth = max(pathWidth, utf8.RuneCountInString(p.Path))
		}
		for _, p := range c.Paths {
			fmt.Fprintf(&b, "      %-*s  %s %s %s\n", pathWidth, p.Path,
				paint(ansiRed, show(p.Old)), paint(ansiDim, "→"), paint(ansiGreen, show(p.New)))
		}
	}
	b.WriteString("\n" + summaryLine(r.Summary()) + "\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func summaryLine(s Summary) string {
	total := s.Create + s.Update + s.Delete
	noun := "changes"
	if total == 1 {
		noun = "change"
	}
	return fmt.Sprintf("%d %s: %d create, %d update, %d delete; %d destructive, %d %s",
		total, noun, s.Create, s.Update, s.Delete, s.Destructive, s.Warnings, plural(s.Warnings, "warning"))
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// WriteMarkdown writes the changes for a pull-request comment: a summary
// line, then a table with one row per change.
func (r *Result) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	s := r.Summary()
	if r.Empty() {
		b.WriteString("**Schema diff:** no differences.\n")
		_, err := io.WriteString(w, b.String())
		return err
	}
	total := s.Create + s.Update + s.Delete
	fmt.Fprintf(&b, "**Schema diff:** %d %s (%d create, %d update, %d delete)", total, plural(total, "change"), s.Create, s.Update, s.Delete)
	if s.Destructive > 0 {
		fmt.Fprintf(&b, " — **%d destructive**", s.Destructive)
	} else {
		b.WriteString(" — 0 destructive")
	}
	fmt.Fprintf(&b, ", %d %s\n\n", s.Warnings, plural(s.Warnings, "warning"))
	b.WriteString("| | Operation | Kind | Key | Details |\n")
	b.WriteString("|---|---|---|---|---|\n")
	for _, c := range r.Changes {
		mark := ""
		switch c.Severity {
		case SeverityDestructive:
			mark = "🛑"
		case SeverityWarning:
			mark = "⚠️"
		}
		var details []string
		for _, reason := range c.Reasons {
			if c.Severity == SeverityDestructive {
				details = append(details, "**"+mdText(reason)+"**")
			} else {
				details = append(details, mdText(reason))
			}
		}
		for _, p := range c.Paths {
			details = append(details, mdCode(p.Path)+": "+mdCode(show(p.Old))+" → "+mdCode(show(p.New)))
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", mark, c.Op, c.Kind, mdCode(c.Key.String()), strings.Join(details, "<br>"))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// mdText escapes text for a table cell.
func mdText(s string) string {
	s = html.EscapeString(s)
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", "<br>")
}

// mdCode writes s as inline code in a table cell.
func mdCode(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	s = strings.ReplaceAll(s, "|", `\|`)
	if strings.Contains(s, "`") {
		return "`` " + s + " ``"
	}
	return "`" + s + "`"
}

// jsonReport is the shape WriteJSON writes; see the package doc.
type jsonReport struct {
	Summary Summary      `json:"summary"`
	Changes []jsonChange `json:"changes"`
}

type jsonChange struct {
	Kind       Kind       `json:"kind"`
	Key        string     `json:"key"`
	Collection string     `json:"collection"`
	Field      string     `json:"field"`
	Op         Op         `json:"op"`
	Severity   Severity   `json:"severity"`
	Reasons    []string   `json:"reasons"`
	Paths      []jsonPath `json:"paths"`
}

type jsonPath struct {
	Path string          `json:"path"`
	Old  json.RawMessage `json:"old"`
	New  json.RawMessage `json:"new"`
}

// WriteJSON writes the changes as JSON in the stable shape documented in
// the package doc.
func (r *Result) WriteJSON(w io.Writer) error {
	rep := jsonReport{Summary: r.Summary(), Changes: []jsonChange{}}
	if r != nil {
		for _, c := range r.Changes {
			jc := jsonChange{Kind: c.Kind, Key: c.Key.String(), Collection: c.Key.Collection, Field: c.Key.Field,
				Op: c.Op, Severity: c.Severity, Reasons: append([]string{}, c.Reasons...), Paths: []jsonPath{}}
			for _, p := range c.Paths {
				// Keys sorted, so that the output does not depend on the
				// input's key order.
				o, err := appendJSON(nil, sortDeep(p.Old), "", "")
				if err != nil {
					return err
				}
				n, err := appendJSON(nil, sortDeep(p.New), "", "")
				if err != nil {
					return err
				}
				jc.Paths = append(jc.Paths, jsonPath{Path: p.Path, Old: o, New: n})
			}
			rep.Changes = append(rep.Changes, jc)
		}
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}
