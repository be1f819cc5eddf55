package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
	"git.dev.trmtracking.org/trm/directus/lib/rules"
)

const rulesReferencesHelp = `In a file a rule belongs to (scope:) the event (the default), a category
(moto, quad, car, ssv, truck, foot), a class by its code ({class: C-2}),
a stage by its code ({stage: S1}), a segment as STAGE/SEGMENT
({segment: S1/SS1}) or a speed zone as STAGE/SEGMENT/ZONE
({speed_zone: S1/L1/DZ1–FZ1}); in Directus by the item's id.`

const rulesImportJSONHelp = `JSON shape (--json):
  {"event": {"id", "slug", "organization", "name"},
   "file": "...", "dry_run": bool, "applied": bool,
   "rulebook": {"changed": bool,
                "placeholder": {"old": bool, "new": bool},
                "note": {"old": "...", "new": "..."}},
   "summary": {"add": n, "change": n, "retire": n, "formulas": n},
   "changes": [{"action": "add" | "change" | "retire", "key": "...",
                "from_version": n, "to_version": n,
                "fields": [{"field", "old", "new"}]}],
   "duration_ms": n}
formulas is the number of penalty_formulas rows the import inserts (one per
bracket of each new version). from_version is 0 for an add; fields is
empty for an add and lists what differs otherwise, as the file writes
values (brackets[2].per_pulse 2m → 3m). Lists are never null.`

func newRulesCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rules <command>",
		Short: "Import and export an event's penalty rules (versioned, never edited)",
		Long: `An event's penalty rules are data: rows of penalty_formulas, one per
bracket of each version of each rule, read by the processor through
lib/rules. A rulebook file is YAML (lib/rules's package documentation and
docs/rules-model.md describe it); seed/rally-albania-2026/rules.yaml is
Rally Albania 2026's placeholder.

` + rulesReferencesHelp + `

` + directusAuthHelp,
	}
	f := cmd.PersistentFlags()
	directusFlags(f)
	settingFlag(f, "TRM_EVENT")
	settingFlag(f, "TRM_TIMEOUT", "5m")
	cmd.AddCommand(newRulesImportCmd(a), newRulesExportCmd(a), newRulesCheckCmd(a))
	return cmd
}

func newRulesImportCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "import [--event SLUG] FILE",
		Short: "Make an event's rules in Directus those of a rulebook file, as new versions",
		Long: `Read FILE ('-' for standard input) and validate it with lib/rules (every
problem with its line; nothing is sent when there is one), compare it with
the rules Directus stores for the event, show the plan, and insert it
through Directus's REST API.

Rules are never edited: a rule the store lacks is added as version 1; a
rule that differs in any field gets a new version that supersedes the
current one; an enabled stored rule the file lacks is retired, as a new
version with enabled false. The rows of earlier versions stay, so that the
penalties they priced stay explained. A rule the file pins to a version
(version: N, as export writes it) that is no longer the current one is
refused: the stored rule changed since the export; export again and redo
the change. The rulebook's placeholder marker and note are written on the
event (rules_placeholder, rules_note).

All or nothing: the new rows and the marker go to Directus in one request
(POST /trm-rules/apply, the rules endpoint of extensions/trm) that inserts
them in one database transaction; the first refusal rolls all of them back.
Idempotent: importing the same file again finds nothing to do.

` + rulesReferencesHelp + `

Exit codes: 0 applied, or nothing to do, or --dry-run; 1 an invalid file,
a reference the event lacks, a conflict or a refusal (nothing changed);
2 usage.

` + rulesImportJSONHelp,
		Example: `  # Preview, then load Rally Albania 2026's placeholder rulebook
  $ trmctl rules import --event rally-albania-2026 seed/rally-albania-2026/rules.yaml --dry-run
  $ trmctl rules import --event rally-albania-2026 seed/rally-albania-2026/rules.yaml

  # Edit the rules as a file: export, change, import
  $ trmctl rules export --event rally-albania-2026 -o rules.yaml
  $ trmctl rules import rules.yaml --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runRulesImport(cmd, args[0])
		},
	}
	cmd.Flags().Bool("dry-run", false, "show the plan and change nothing")
	cmd.Flags().Bool("json", false, "print JSON for machines instead of text")
	return cmd
}

func newRulesExportCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "export --event SLUG [--output FILE]",
		Short: "Write an event's current rules as a rulebook file",
		Long: `Write the current version of each of the event's rules (retired ones
with enabled: false), each pinned to its version, with the rulebook's
placeholder marker and note, in the format rules import reads. Importing
the file again changes nothing. The rulebook goes to standard output
unless --output names a file (replaced atomically); a summary goes to
standard error. Comments are not kept: the committed rulebooks keep theirs
because they are written by hand.

` + rulesReferencesHelp,
		Example: `  $ trmctl rules export --event rally-albania-2026 --output rules.yaml`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runRulesExport(cmd)
		},
	}
	cmd.Flags().StringP("output", "o", "-", "write to this `file` ('-' for standard output)")
	return cmd
}

func newRulesCheckCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "check FILE",
		Short: "Validate a rulebook file without Directus",
		Long: `Validate FILE as rules import does before it sends anything (lib/rules:
the format, the types, qualifiers, scopes and operators, overlapping
brackets, gaps in contiguous rules, monotony, repeat rules and their
bases). Every problem is listed with its line. References to classes,
stages, segments and zones are checked against the event by import only.
Exit codes: 0 valid, 1 invalid, 2 usage.`,
		Example: `  $ trmctl rules check seed/rally-albania-2026/rules.yaml`,
		Args:    cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			book, err := a.readRulebook(args[0])
			if err != nil {
				return err
			}
			n := 0
			for _, r := range book.Rules {
				n += len(r.Brackets)
			}
			marker := ""
			if book.Placeholder {
				marker = ", marked placeholder"
			}
			fmt.Fprintf(a.io.out, "%s: the rulebook of %s is valid (%d rules, %d brackets%s)\n", args[0], book.Event, len(book.Rules), n, marker)
			return nil
		},
	}
}

// readRulebook reads and validates a file ('-': standard input).
func (a *app) readRulebook(name string) (*rules.Rulebook, error) {
	var (
		book *rules.Rulebook
		err  error
	)
	if name == "-" {
		book, err = rules.Read("<stdin>", a.io.in)
	} else {
		book, err = rules.ReadFile(name)
	}
	var pe *rules.ParseError
	var ve *rules.ValidationErrors
	switch {
	case errors.As(err, &pe):
		return nil, fmt.Errorf("%s is not a rulebook: %w\nnothing was changed", name, err)
	case errors.As(err, &ve):
		return nil, fmt.Errorf("%w\nfix the file; nothing was changed", err)
	case err != nil:
		return nil, fmt.Errorf("read the rulebook: %w", err)
	}
	return book, nil
}

type rulesFlag struct {
	Old bool `json:"old"`
	New bool `json:"new"`
}

type rulesText struct {
	Old string `json:"old"`
	New string `json:"new"`
}

type rulesRulebookChange struct {
	Changed     bool      `json:"changed"`
	Placeholder rulesFlag `json:"placeholder"`
	Note        rulesText `json:"note"`
}

type rulesSummary struct {
	Add      int `json:"add"`
	Change   int `json:"change"`
	Retire   int `json:"retire"`
	Formulas int `json:"formulas"`
}

// rulesImportReport is the result; its JSON is rulesImportJSONHelp.
type rulesImportReport struct {
	Event      courseImportEvent   `json:"event"`
	File       string              `json:"file"`
	DryRun     bool                `json:"dry_run"`
	Applied    bool                `json:"applied"`
	Rulebook   rulesRulebookChange `json:"rulebook"`
	Summary    rulesSummary        `json:"summary"`
	Changes    []rules.Change      `json:"changes"`
	DurationMS float64             `json:"duration_ms"`
}

// rulesConnect resolves --event (defaulting to the file's event) and
// connects.
func (a *app) rulesConnect(ctx context.Context, fileEvent string) (*directusctl.Client, *courseEvent, error) {
	ref := a.set.Event
	if ref == "" && fileEvent == "" {
		return nil, nil, usageErrorf("--event is required: the event's slug, or ORGANISATION/SLUG")
	}
	if ref == "" {
		ref = fileEvent
	}
	if _, slug, scoped := strings.Cut(ref, "/"); fileEvent != "" && (scoped && slug != fileEvent || !scoped && ref != fileEvent) {
		return nil, nil, usageErrorf("--event %s, but the file is the rulebook of %s: import it into its own event, or change its event: line", ref, fileEvent)
	}
	base, cr, err := a.directusTarget()
	if err != nil {
		return nil, nil, err
	}
	c, err := connectDirectus(ctx, base, cr, rulesCollections)
	if err != nil {
		return nil, nil, err
	}
	ev, err := findEvent(ctx, c, ref)
	if err != nil {
		return nil, nil, err
	}
	return c, ev, nil
}

func (a *app) runRulesImport(cmd *cobra.Command, file string) error {
	start := time.Now()
	dryRun, jsonOut := a.cfg.GetBool("dry-run"), a.cfg.GetBool("json")
	if _, _, err := a.directusTarget(); err != nil {
		return err
	}
	book, err := a.readRulebook(file)
	if err != nil {
		return err
	}
	ctx, cancel := a.withTimeout(cmd.Context())
	defer cancel()
	c, ev, err := a.rulesConnect(ctx, book.Event)
	if err != nil {
		return err
	}
	stored, err := readRules(ctx, c, ev)
	if err != nil {
		return err
	}
	current, err := rules.RulesFromFormulas(stored.rows)
	if err != nil {
		return fmt.Errorf("the stored rules of %s cannot be read as rules (fix them in Directus): %w\nnothing was changed", ev.Slug, err)
	}
	plan, err := rules.Diff(current, book)
	var ce *rules.ConflictError
	switch {
	case errors.As(err, &ce):
		return fmt.Errorf("%s: %w\nnothing was changed", file, err)
	case err != nil:
		return fmt.Errorf("%w\nnothing was changed", err)
	}
	var payload []map[string]any
	for _, f := range plan.Formulas() {
		p, err := formulaPayload(ev.ID, f, stored.refs)
		if err != nil {
			return fmt.Errorf("%s: %w\nfix the file; nothing was changed", file, err)
		}
		payload = append(payload, p)
	}

	out := &rulesImportReport{
		Event:   courseImportEvent{ID: ev.ID, Slug: ev.Slug, Organization: ev.Organization.Slug, Name: ev.Name},
		File:    file,
		DryRun:  dryRun,
		Changes: plan.Changes,
		Rulebook: rulesRulebookChange{
			Placeholder: rulesFlag{Old: stored.placeholder, New: book.Placeholder},
			Note:        rulesText{Old: stored.note, New: book.Note},
		},
		Summary: rulesSummary{Formulas: len(payload)},
	}
	out.Rulebook.Changed = stored.placeholder != book.Placeholder || stored.note != book.Note
	for _, ch := range plan.Changes {
		switch ch.Action {
		case rules.ActionAdd:
			out.Summary.Add++
		case rules.ActionChange:
			out.Summary.Change++
		case rules.ActionRetire:
			out.Summary.Retire++
		}
	}
	var applyErr error
	if (len(payload) > 0 || out.Rulebook.Changed) && !dryRun {
		applyErr = applyRules(ctx, c, ev.ID, out, payload, plan)
		out.Applied = applyErr == nil
	}
	out.DurationMS = ms(time.Since(start))
	if jsonOut {
		if err := writeJSON(a.io.out, out); err != nil {
			return err
		}
	} else {
		a.printRulesImport(out, time.Since(start))
	}
	if applyErr != nil {
		return fmt.Errorf("the import was refused, and nothing was changed (it runs in one transaction): %w", applyErr)
	}
	return nil
}

// applyRules sends the new rows and the rulebook marker to the trm-rules
// endpoint, which inserts them in one transaction.
func applyRules(ctx context.Context, c *directusctl.Client, eventID string, r *rulesImportReport, payload []map[string]any, plan *rules.Plan) error {
	body := map[string]any{"event": eventID, "formulas": payload, "rulebook": nil}
	if payload == nil {
		body["formulas"] = []map[string]any{}
	}
	if r.Rulebook.Changed {
		var note any
		if r.Rulebook.Note.New != "" {
			note = r.Rulebook.Note.New
		}
		body["rulebook"] = map[string]any{"rules_placeholder": r.Rulebook.Placeholder.New, "rules_note": note}
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return err
	}
	var res struct {
		Created int `json:"created"`
	}
	err = c.DoBody(ctx, http.MethodPost, rulesApplyPath, nil, "application/vnd.trm.rules-plan+json", raw, &res)
	var ae *directusctl.APIError
	switch {
	case err == nil:
		if res.Created != len(payload) {
			return fmt.Errorf("the plan has %d rows, Directus created %d", len(payload), res.Created)
		}
		return nil
	case errors.As(err, &ae) && ae.Status == http.StatusNotFound && ae.Code == directusctl.CodeRouteNotFound:
		return fmt.Errorf("%w\nthe trm-rules extension is not loaded: deploy extensions/ (the image ships it; EXTENSIONS_PATH)", err)
	case errors.As(err, &ae):
		return describeRulesError(ae, plan)
	}
	return err
}

// describeRulesError names the rule version whose row Directus refused,
// when it says which.
func describeRulesError(ae *directusctl.APIError, plan *rules.Plan) error {
	rows := plan.Formulas()
	for _, d := range ae.Errors {
		var ext struct {
			Formula *int `json:"formula"`
		}
		if json.Unmarshal(d.Extensions, &ext) == nil && ext.Formula != nil && *ext.Formula >= 0 && *ext.Formula < len(rows) {
			f := rows[*ext.Formula]
			return fmt.Errorf("rule %s v%d: %w", f.RuleKey, f.Version, explainAPIError(ae))
		}
	}
	return explainAPIError(ae)
}

func (a *app) printRulesImport(r *rulesImportReport, took time.Duration) {
	w := a.io.out
	colour := a.colour()
	fmt.Fprintf(w, "Rules of %s (%s/%s) from %s\n", r.Event.Name, r.Event.Organization, r.Event.Slug, r.File)
	if len(r.Changes) == 0 && !r.Rulebook.Changed {
		fmt.Fprintf(w, "\nNo changes: the rules of %s already match %s (%s).\n", r.Event.Slug, r.File, round(took))
		return
	}
	fmt.Fprintln(w, "\nPlan:")
	t := newTable(w, "  ", "RULE", "VERSION", "CHANGES")
	for _, c := range r.Changes {
		sign, code, version := "+", "32", fmt.Sprintf("v%d", c.ToVersion)
		switch c.Action {
		case rules.ActionChange:
			sign, code = "~", "33"
		case rules.ActionRetire:
			sign, code = "-", "31"
		}
		if c.FromVersion > 0 {
			version = fmt.Sprintf("v%d → v%d", c.FromVersion, c.ToVersion)
		}
		what := string(c.Action)
		if c.Action == rules.ActionAdd {
			what = "add, " + plural(len(c.New.Brackets), "bracket")
		}
		var fields []string
		for _, f := range c.Fields {
			fields = append(fields, f.Field+" "+shown(f.Old)+" → "+shown(f.New))
		}
		if len(fields) > 0 {
			what = strings.Join(fields, ", ")
		}
		t.row("  "+paint(colour, code, sign), quoteName(c.Key), version, what)
	}
	_ = t.flush()
	if r.Rulebook.Changed {
		var parts []string
		if r.Rulebook.Placeholder.Old != r.Rulebook.Placeholder.New {
			parts = append(parts, fmt.Sprintf("placeholder %v → %v", r.Rulebook.Placeholder.Old, r.Rulebook.Placeholder.New))
		}
		if r.Rulebook.Note.Old != r.Rulebook.Note.New {
			parts = append(parts, "note changed")
		}
		fmt.Fprintf(w, "  %s rulebook of %s: %s\n", paint(colour, "33", "~"), r.Event.Slug, strings.Join(parts, ", "))
	}
	summary := fmt.Sprintf("%d added, %d changed, %d retired: %d new formula rows", r.Summary.Add, r.Summary.Change, r.Summary.Retire, r.Summary.Formulas)
	switch {
	case r.DryRun:
		fmt.Fprintf(w, "\nDry run: %s; nothing was changed (%s).\n", summary, round(took))
	case r.Applied:
		fmt.Fprintf(w, "\nApplied: %s, in one transaction (%s).\n", summary, round(took))
	}
}

func (a *app) runRulesExport(cmd *cobra.Command) error {
	output := a.cfg.GetString("output")
	ctx, cancel := a.withTimeout(cmd.Context())
	defer cancel()
	start := time.Now()
	c, ev, err := a.rulesConnect(ctx, "")
	if err != nil {
		return err
	}
	stored, err := readRules(ctx, c, ev)
	if err != nil {
		return err
	}
	if len(stored.rows) == 0 {
		return fmt.Errorf("event %s has no rules in Directus: import a rulebook first (trmctl rules import)", ev.Slug)
	}
	book, err := rules.RulebookFromFormulas(ev.Slug, stored.rows)
	if err != nil {
		return fmt.Errorf("the stored rules of %s cannot be read as rules (fix them in Directus): %w", ev.Slug, err)
	}
	book.Placeholder, book.Note = stored.placeholder, stored.note
	data, err := book.YAML()
	if err != nil {
		return err
	}
	if output == "-" || output == "" {
		if _, err := a.io.out.Write(data); err != nil {
			return err
		}
	} else if err := writeFileAtomic(output, data); err != nil {
		return err
	}
	n := 0
	for _, r := range book.Rules {
		n += len(r.Brackets)
	}
	warn := ""
	if err := book.Validate(); err != nil {
		warn = "; it does not validate, fix it before importing:\n" + err.Error()
	}
	fmt.Fprintf(a.io.err, "rules export: %s: %d rules, %d brackets (%s)%s\n", ev.Slug, len(book.Rules), n, round(time.Since(start)), warn)
	return nil
}

// shown is a value of the plan as people read it: quoted when it would not
// print as itself, "" when empty.
func shown(s string) string {
	if s == "" {
		return `""`
	}
	return quoteName(s)
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
