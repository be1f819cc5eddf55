package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"git.dev.trmtracking.org/trm/directus/internal/boot"
	"git.dev.trmtracking.org/trm/directus/lib/migrations"
)

// colour says whether to colour output: only on a terminal, and never when
// NO_COLOR is set (https://no-color.org).
func (a *app) colour() bool {
	_, noColor := a.getenv("NO_COLOR")
	return a.io.outIsTTY && !noColor
}

func paint(on bool, code, s string) string {
	if !on {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

// table writes aligned columns.
type table struct{ tw *tabwriter.Writer }

func newTable(w io.Writer, header ...string) *table {
	t := &table{tw: tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)}
	t.row(header...)
	return t
}

func (t *table) row(cells ...string) { fmt.Fprintln(t.tw, strings.Join(cells, "\t")) }

func (t *table) flush() error { return t.tw.Flush() }

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func stateColour(s migrations.State) string {
	switch s {
	case migrations.StateApplied, migrations.StateBaselined:
		return "32"
	case migrations.StatePending:
		return "33"
	}
	return "31"
}

func printStatus(w io.Writer, database string, rep *migrations.Report, colour bool) {
	fmt.Fprintf(w, "Database %s\n\n", database)
	// Every STATE cell, the header's too, carries escape codes of the same
	// length, so tabwriter's byte counting keeps the columns aligned.
	t := newTable(w, "PHASE", "FILE", paint(colour, "39", "STATE"), "APPLIED AT", "TOOK", "BY")
	counts := map[migrations.State]int{}
	for _, f := range rep.Files {
		counts[f.State]++
		at, took := "-", "-"
		if !f.AppliedAt.IsZero() {
			at = f.AppliedAt.UTC().Format("2006-01-02 15:04:05Z")
			took = round(f.Duration).String()
		}
		by := f.AppliedBy
		if by == "" {
			by = "-"
		}
		t.row(string(f.Phase), f.Path, paint(colour, stateColour(f.State), string(f.State)), at, took, by)
	}
	_ = t.flush()
	var parts []string
	for _, s := range []migrations.State{migrations.StateApplied, migrations.StateBaselined, migrations.StatePending, migrations.StateChanged, migrations.StateMissing, migrations.StateStarted, migrations.StateOutOfOrder} {
		if counts[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[s], s))
		}
	}
	if len(parts) == 0 {
		parts = []string{"no migration files"}
	}
	fmt.Fprintf(w, "\n%s\n", strings.Join(parts, ", "))
	if len(rep.Violations) > 0 {
		fmt.Fprintln(w)
		printViolations(w, rep.Violations, colour)
	}
}

func printViolations(w io.Writer, vs []migrations.Violation, colour bool) {
	fmt.Fprintf(w, "%s: %d guard violation(s); nothing will be applied until they are fixed:\n", paint(colour, "31;1", "refused"), len(vs))
	for _, v := range vs {
		fmt.Fprintf(w, "\n  %s %s\n    %s\n    fix: %s\n", paint(colour, "31", string(v.Kind)), v.Path, v.Detail, boot.ViolationFix(v))
	}
}

func migrationJSON(m migrations.Migration) map[string]any {
	return map[string]any{"phase": m.Phase, "version": m.Version, "name": m.Name, "path": m.Path, "no_transaction": m.NoTransaction}
}

func migrationsJSON(ms []migrations.Migration) []map[string]any {
	out := make([]map[string]any, 0, len(ms))
	for _, m := range ms {
		out = append(out, migrationJSON(m))
	}
	return out
}

func filesJSON(fs []migrations.FileStatus) []map[string]any {
	out := make([]map[string]any, 0, len(fs))
	for _, f := range fs {
		var at any
		if !f.AppliedAt.IsZero() {
			at = f.AppliedAt.UTC().Format(time.RFC3339Nano)
		}
		out = append(out, map[string]any{
			"phase": f.Phase, "version": f.Version, "name": f.Name, "path": f.Path, "state": f.State,
			"no_transaction": f.NoTransaction, "checksum": f.Checksum, "ledger_checksum": f.LedgerChecksum,
			"applied_at": at, "applied_by": f.AppliedBy, "duration_ms": ms(f.Duration),
		})
	}
	return out
}

func violationsJSON(vs []migrations.Violation) []map[string]any {
	out := make([]map[string]any, 0, len(vs))
	for _, v := range vs {
		out = append(out, map[string]any{"kind": v.Kind, "phase": v.Phase, "version": v.Version, "name": v.Name, "path": v.Path, "detail": v.Detail, "fix": boot.ViolationFix(v)})
	}
	return out
}

// jsonRaw embeds JSON already rendered by a library.
type jsonRaw string

func (r jsonRaw) MarshalJSON() ([]byte, error) { return []byte(r), nil }

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
