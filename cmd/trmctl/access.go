package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/jackc/pgx/v5"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"git.dev.trmtracking.org/trm/directus/internal/access"
	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
	"git.dev.trmtracking.org/trm/directus/lib/snapshot"
)

// Access as code: roles, policies and permissions in access/, compared
// with and applied to a running Directus through its REST API.

const accessChangesJSONHelp = `JSON shape of a change:
  {"op": "create"|"update"|"delete", "kind": "role"|"policy"|"grant"|"permission",
   "role": "...", "policy": "...", "permission": "collection action",
   "change": "update permission race-director: entries read",
   "destructive": bool, "holders": n, "allow": ["policy:NAME", ...],
   "details": [{"path": "filter.event_id.organization_id.members.role._eq", "from": "...", "to": "..."}]}
A grant is a policy given to a role; "public" names the public policy.
Values in details are JSON text ("" when absent).`

func newAccessCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "access <command>",
		Short: "Roles, policies and permissions as code (access/)",
		Long: `Work with the access model: the Directus roles, policies and permissions
that live in access/ (access.yaml and policies/*.yaml), keyed by names, never
by Directus's ids. docs/access-model.md explains the model.

` + directusAuthHelp + ` Access commands need an administrator.`,
	}
	f := cmd.PersistentFlags()
	settingFlag(f, "TRM_ACCESS_DIR")
	settingFlag(f, "TRM_SNAPSHOT")
	directusFlags(f)
	settingFlag(f, "TRM_TIMEOUT", "2m")
	cmd.AddCommand(newAccessPullCmd(a), newAccessDiffCmd(a), newAccessApplyCmd(a), newAccessMatrixCmd(a), newAccessFmtCmd(a))
	return cmd
}

// loadAccess reads and validates the access files against the committed
// snapshot. Bad files are a usage error (2): nothing was compared.
func (a *app) loadAccess() (*access.Set, *access.Catalog, error) {
	dir := a.set.AccessDir
	snapPath := a.set.Snapshot
	if dir == "" || snapPath == "" {
		return nil, nil, usageErrorf("--access-dir and --snapshot must name a folder and a file")
	}
	snap, err := snapshot.ReadFile(snapPath, a.snapshotOptions()...)
	if err != nil {
		return nil, nil, usageErrorf("the committed schema snapshot: %v", err)
	}
	cat := access.NewCatalog(snap)
	s, err := access.Load(dir, cat)
	if err != nil {
		var pe *access.ProblemsError
		if errors.As(err, &pe) {
			return nil, nil, usageErrorf("%v\nfix the files (docs/access-model.md describes them); nothing was compared or applied", err)
		}
		return nil, nil, usageErrorf("%v", err)
	}
	return s, cat, nil
}

// accessClient connects to the instance as an administrator.
func (a *app) accessClient(ctx context.Context) (*directusctl.Client, error) {
	base, cr, err := a.directusTarget()
	if err != nil {
		return nil, err
	}
	return connectDirectus(ctx, base, cr, nil)
}

// explainAccessError adds what to check to a failed read or write of the
// access model.
func explainAccessError(err error) error {
	var ae *directusctl.APIError
	if errors.As(err, &ae) && (ae.Status == 403 || ae.Code == directusctl.CodeForbidden) {
		return fmt.Errorf("%w (roles, policies and permissions need an administrator's token)", err)
	}
	return err
}

// --- pull -------------------------------------------------------------

func newAccessPullCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "pull [flags]",
		Short: "Write the live access model as the access files",
		Long: `Read the roles, policies and permissions of a running instance and write
them as the access files in --output (default: --access-dir), one file
per policy, in the canonical layout; policy files of policies the instance
lacks are removed. Commit the result after reviewing 'git diff access/'.

The administrator role and policy (from the current access.yaml, else
"Administrator") are built in and not written as files; admin_only is
kept from the current access.yaml (an instance cannot tell a collection
only administrators reach from one nobody decided), less the collections a
policy now grants; the public
policy's permissions go under public. Policies given directly to users are
not part of the model: they are listed as notes.

JSON shape (--json):
  {"directus_url": "...", "output": "...", "roles": n, "policies": n,
   "permissions": n, "files": ["access.yaml", "policies/x.yaml", ...],
   "notes": ["..."]}`,
		Example: `  $ TRM_DIRECTUS_TOKEN=... trmctl access pull --directus-url http://localhost:8055
  $ git diff access/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runAccessPull(cmd.Context()) },
	}
	cmd.Flags().String("output", "", "write into this `folder` (default: --access-dir)")
	cmd.Flags().Bool("json", false, "print JSON for machines instead of text")
	return cmd
}

func (a *app) runAccessPull(ctx context.Context) error {
	out := a.cfg.GetString("output")
	if out == "" {
		out = a.set.AccessDir
	}
	if out == "" {
		return usageErrorf("--output is empty: name the folder to write")
	}
	admin := access.Builtin{Role: "Administrator", Policy: "Administrator"}
	var adminOnly []string
	if cur, err := access.ReadDir(a.set.AccessDir); err == nil {
		if cur.Administrator.Role != "" {
			admin = cur.Administrator
		}
		// An instance cannot tell "only administrators" from "not decided":
		// that decision lives in the files, and a pull keeps it.
		adminOnly = cur.AdminOnly
	}
	ctx, cancel := a.withTimeout(ctx)
	defer cancel()
	c, err := a.accessClient(ctx)
	if err != nil {
		return err
	}
	live, err := access.Pull(ctx, c)
	if err != nil {
		return explainAccessError(err)
	}
	s, notes, err := live.Set(admin)
	if err != nil {
		return err
	}
	granted := map[string]bool{}
	for _, p := range s.Policies {
		for _, perm := range p.Permissions {
			granted[perm.Collection] = true
		}
	}
	for _, perm := range s.Public {
		granted[perm.Collection] = true
	}
	for _, c := range adminOnly {
		if !granted[c] {
			s.AdminOnly = append(s.AdminOnly, c)
		}
	}
	if err := access.WriteDir(out, s); err != nil {
		return fmt.Errorf("write the access files: %w", err)
	}
	files, _ := access.Files(s)
	names := sortedNames(files)
	perms := len(s.Public)
	for _, p := range s.Policies {
		perms += len(p.Permissions)
	}
	if a.cfg.GetBool("json") {
		return writeJSON(a.io.out, map[string]any{
			"directus_url": c.BaseURL(), "output": out, "roles": len(s.Roles), "policies": len(s.Policies),
			"permissions": perms, "files": names, "notes": nonNil(notes),
		})
	}
	fmt.Fprintf(a.io.out, "Wrote %s: %d role(s), %d policies, %d permission(s), from Directus at %s.\n", out, len(s.Roles), len(s.Policies), perms, c.BaseURL())
	for _, n := range notes {
		fmt.Fprintf(a.io.out, "note: %s\n", n)
	}
	return nil
}

func sortedNames(m map[string][]byte) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// --- diff -------------------------------------------------------------

func newAccessDiffCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "diff [flags]",
		Short: "Show what applying the access files would change",
		Long: `Compare the access files (--access-dir, checked against the committed
schema snapshot first) with the access model of a running instance, or,
offline, with another folder of access files (--from DIR: what changes
from that folder to --access-dir), or with Directus's tables in a database
(--database-url or TRM_DATABASE_URL: what the entrypoint reads at boot, no
server needed). Each change is listed with what it
changes: a permission's filter, validation and presets leaf by leaf (a
changed role name in a filter reads as one line), its fields as added and
removed names.

A change is destructive when people lose a role or a policy they hold now:
deleting a role that has users, deleting a policy someone holds, or taking
a policy off a role that has users. Apply refuses those unless
TRM_ALLOW_ACCESS_REMOVAL names them. Offline, nobody holds anything.

JSON shape (--json):
  {"from": "...", "to": "...", "changes": [change, ...],
   "summary": {"create": n, "update": n, "delete": n, "destructive": n},
   "notes": ["..."]}
` + accessChangesJSONHelp + `

Exit status:
  0  no difference
  1  differences
  2  could not compare: bad files, bad flag, instance unavailable`,
		Example: `  # What would the next boot change on this instance?
  $ TRM_DIRECTUS_TOKEN=... trmctl access diff --directus-url https://cms.example.org

  # Review a branch's access change without any Directus
  $ git worktree add /tmp/main main
  $ trmctl access diff --from /tmp/main/access`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runAccessDiff(cmd.Context()) },
	}
	cmd.Flags().String("from", "", "compare with this `folder` of access files instead of an instance")
	cmd.Flags().Bool("json", false, "print JSON for machines instead of text")
	settingFlag(cmd.Flags(), "TRM_DATABASE_URL")
	return cmd
}

// pullDatabase reads the live access model from Directus's tables, in a
// read-only transaction: what the entrypoint reads at boot, with no
// Directus server running (the CI drift gate).
func (a *app) pullDatabase(ctx context.Context) (*access.Live, error) {
	url, err := a.databaseURL()
	if err != nil {
		return nil, err
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return nil, a.trouble(fmt.Errorf("connect to %s: %w", a.set.Database.Redacted(), err))
	}
	defer conn.Close(context.WithoutCancel(ctx))
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, a.trouble(fmt.Errorf("%s: %w", a.set.Database.Redacted(), err))
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	live, err := access.SQL(tx).Load(ctx)
	if err != nil {
		return nil, a.trouble(fmt.Errorf("%s: %w (is Directus installed in this database?)", a.set.Database.Redacted(), err))
	}
	return live, nil
}

func (a *app) runAccessDiff(ctx context.Context) error {
	files, _, err := a.loadAccess()
	if err != nil {
		return err
	}
	var live *access.Live
	var from string
	if dir := a.cfg.GetString("from"); dir != "" {
		old, err := access.ReadDir(dir)
		if err != nil {
			return usageErrorf("--from: %v", err)
		}
		old.Administrator = files.Administrator
		live, from = access.LiveOf(old), dir
	} else if db := a.set.Database.From; db == "--database-url" || db == "TRM_DATABASE_URL" {
		ctx, cancel := a.withTimeout(ctx)
		defer cancel()
		if live, err = a.pullDatabase(ctx); err != nil {
			return err
		}
		from = "database " + a.set.Database.Redacted()
	} else {
		ctx, cancel := a.withTimeout(ctx)
		defer cancel()
		c, err := a.accessClient(ctx)
		if err != nil {
			return a.trouble(err)
		}
		if live, err = access.Pull(ctx, c); err != nil {
			return a.trouble(explainAccessError(err))
		}
		from = "Directus at " + c.BaseURL()
	}
	plan, err := access.MakePlan(files, live)
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	to := a.set.AccessDir
	if a.cfg.GetBool("json") {
		if err := writeJSON(a.io.out, planJSON(plan, from, to)); err != nil {
			return err
		}
	} else {
		a.printAccessPlan(a.io.out, plan, from, to)
	}
	if plan.Empty() {
		return nil
	}
	return errSilentFailure
}

func planJSON(p *access.Plan, from, to string) map[string]any {
	c, u, d, x := p.Counts()
	return map[string]any{
		"from": from, "to": to, "changes": changesJSON(p.Changes),
		"summary": map[string]int{"create": c, "update": u, "delete": d, "destructive": x},
		"notes":   nonNil(p.Notes),
	}
}

func changesJSON(cs []access.Change) []map[string]any {
	out := make([]map[string]any, 0, len(cs))
	for _, c := range cs {
		details := make([]map[string]string, 0, len(c.Details))
		for _, d := range c.Details {
			details = append(details, map[string]string{"path": d.Path, "from": d.From, "to": d.To})
		}
		allow := []string{}
		if c.Destructive {
			allow = c.Allowances()
		}
		out = append(out, map[string]any{
			"op": c.Op, "kind": c.Kind, "role": c.Role, "policy": c.Policy, "permission": c.Permission,
			"change": c.String(), "destructive": c.Destructive, "holders": c.Holders, "allow": allow, "details": details,
		})
	}
	return out
}

func opColour(op access.Op) string {
	switch op {
	case access.OpCreate:
		return "32"
	case access.OpUpdate:
		return "33"
	}
	return "31"
}

func (a *app) printAccessPlan(w io.Writer, p *access.Plan, from, to string) {
	colour := a.colour()
	if p.Empty() {
		fmt.Fprintf(w, "No difference: %s matches %s.\n", from, to)
	} else {
		fmt.Fprintf(w, "Changes from %s to %s:\n\n", from, to)
		writeChanges(w, p.Changes, colour)
		c, u, d, x := p.Counts()
		fmt.Fprintf(w, "\n%d change(s): %d create, %d update, %d delete; %d destructive\n", len(p.Changes), c, u, d, x)
	}
	for _, n := range p.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
}

func writeChanges(w io.Writer, cs []access.Change, colour bool) {
	for _, c := range cs {
		mark := " "
		if c.Destructive {
			mark = paint(colour, "31;1", "!")
		}
		fmt.Fprintf(w, "%s %s\n", mark, paint(colour, opColour(c.Op), c.String()))
		for _, d := range c.Details {
			switch {
			case d.From == "":
				fmt.Fprintf(w, "      %s  %s\n", d.Path, d.To)
			case d.To == "":
				fmt.Fprintf(w, "      %s  (was %s)\n", d.Path, d.From)
			default:
				fmt.Fprintf(w, "      %s  %s → %s\n", d.Path, d.From, d.To)
			}
		}
		if c.Destructive {
			fmt.Fprintf(w, "      %d user(s) hold it; allow with %s=%s\n", c.Holders, access.AllowVar, strings.Join(c.Allowances(), " or "))
		}
	}
}

// --- apply ------------------------------------------------------------

func newAccessApplyCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "apply [flags]",
		Short: "Make the instance's access model equal to the access files",
		Long: `Apply the access files (--access-dir, checked against the committed schema
snapshot first) to a running instance through its REST API, as the
entrypoint does at boot: plan (as 'trmctl access diff' shows it), refuse
the plan when a change takes a role or a policy from people who hold it
and TRM_ALLOW_ACCESS_REMOVAL (or --allow) does not name it, apply, then
read the instance again and check that it equals the files. A second
apply changes nothing. The REST API has no transaction across requests: a
failure leaves the changes before it made, and applying again continues.

--allow takes all, or role:NAME and policy:NAME entries separated by
commas. --dry-run plans and checks the allowance, and changes nothing.

JSON shape (--json):
  {"directus_url": "...", "dry_run": bool, "applied": n,
   "changes": [change, ...], "refused": [change, ...],
   "summary": {...}, "notes": ["..."], "duration_ms": n}
` + accessChangesJSONHelp + `

Exit status:
  0  applied (or nothing to apply, or a dry run)
  1  refused, failed, or the instance still differs after the apply
  2  bad files, bad flag or allowance`,
		Example: `  $ TRM_DIRECTUS_TOKEN=... trmctl access apply --directus-url http://localhost:8055
  $ TRM_ALLOW_ACCESS_REMOVAL=policy:old-viewer trmctl access apply`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runAccessApply(cmd.Context()) },
	}
	settingFlag(cmd.Flags(), "TRM_ALLOW_ACCESS_REMOVAL")
	cmd.Flags().Bool("dry-run", false, "plan and check, change nothing")
	cmd.Flags().Bool("json", false, "print JSON for machines instead of text")
	return cmd
}

func (a *app) runAccessApply(ctx context.Context) error {
	allow := a.set.AllowAccessRemoval
	files, _, err := a.loadAccess()
	if err != nil {
		return err
	}
	ctx, cancel := a.withTimeout(ctx)
	defer cancel()
	c, err := a.accessClient(ctx)
	if err != nil {
		return err
	}
	dry := a.cfg.GetBool("dry-run")
	start := time.Now()
	res, err := access.Reconcile(ctx, access.REST(c), files, access.ReconcileOptions{Allow: allow, DryRun: dry})
	took := time.Since(start)
	var refused *access.RefusedError
	errors.As(err, &refused)
	if a.cfg.GetBool("json") && res != nil {
		doc := planJSON(res.Plan, "Directus at "+c.BaseURL(), a.set.AccessDir)
		doc["directus_url"], doc["dry_run"], doc["applied"], doc["duration_ms"] = c.BaseURL(), dry, res.Applied, ms(took)
		doc["refused"] = []map[string]any{}
		if refused != nil {
			doc["refused"] = changesJSON(refused.Changes)
		}
		if werr := writeJSON(a.io.out, doc); werr != nil {
			return werr
		}
		if err != nil {
			fmt.Fprintf(a.io.err, "trmctl: %v\n", explainAccessError(err))
			return errSilentFailure
		}
		return nil
	}
	if err != nil {
		if refused != nil {
			var b bytes.Buffer
			fmt.Fprintf(&b, "%s: %d destructive access change(s); nothing was applied:\n\n", paint(a.colour(), "31;1", "refused"), len(refused.Changes))
			writeChanges(&b, refused.Changes, a.colour())
			fmt.Fprintf(&b, "\nIf these removals are intended, run again with %s=%s\n", access.AllowVar, refused.AllowValue())
			_, _ = a.io.out.Write(b.Bytes())
			return errSilentFailure
		}
		return explainAccessError(err)
	}
	switch {
	case res.Plan.Empty():
		fmt.Fprintf(a.io.out, "No difference: Directus at %s matches %s; nothing applied (%s).\n", c.BaseURL(), a.set.AccessDir, round(took))
	case dry:
		a.printAccessPlan(a.io.out, res.Plan, "Directus at "+c.BaseURL(), a.set.AccessDir)
		fmt.Fprintln(a.io.out, "Dry run: nothing applied.")
	default:
		a.printAccessPlan(a.io.out, res.Plan, "Directus at "+c.BaseURL(), a.set.AccessDir)
		fmt.Fprintf(a.io.out, "Applied %d change(s) in %s; the instance now matches the files.\n", res.Applied, round(took))
	}
	return nil
}

// --- matrix -----------------------------------------------------------

func newAccessMatrixCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "matrix [flags]",
		Short: "Write docs/access-matrix.md from the access files, or check it",
		Long: `Render the access matrix (role × collection × action, each rule summarised:
own org, own entry, self, …) from the access files, checked against the
committed schema snapshot first, into --output (default
docs/access-matrix.md). With --check, write nothing and fail when the
committed matrix differs from what the files say (make lint runs this).

Exit status:
  0  written, or up to date
  1  --check: the committed matrix is out of date
  2  bad files or flag`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runAccessMatrix() },
	}
	cmd.Flags().StringP("output", "o", "docs/access-matrix.md", "the matrix `file` ('-': standard output)")
	cmd.Flags().Bool("check", false, "fail when the file differs from what the access files say")
	return cmd
}

func (a *app) runAccessMatrix() error {
	files, cat, err := a.loadAccess()
	if err != nil {
		return err
	}
	doc := access.Matrix(files, cat)
	out := a.cfg.GetString("output")
	switch {
	case out == "":
		return usageErrorf("--output is empty: name a file, or '-' for standard output")
	case a.cfg.GetBool("check"):
		cur, err := os.ReadFile(out)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		if !bytes.Equal(cur, doc) {
			fmt.Fprintf(a.io.err, "trmctl: %s is out of date: it differs from what %s says.\nRegenerate it and commit it: trmctl access matrix (or go run ./cmd/trmctl access matrix)\n", out, a.set.AccessDir)
			return errSilentFailure
		}
		fmt.Fprintf(a.io.out, "%s is up to date.\n", out)
		return nil
	case out == "-":
		_, err := a.io.out.Write(doc)
		return err
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	if err := writeFileAtomic(out, doc); err != nil {
		return err
	}
	fmt.Fprintf(a.io.err, "Wrote %s.\n", out)
	return nil
}

// --- fmt --------------------------------------------------------------

func newAccessFmtCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "fmt [flags]",
		Short: "Rewrite the access files in the canonical layout",
		Long: `Check the access files against the committed schema snapshot, then rewrite
them in the layout 'trmctl access pull' writes (keys in a fixed order,
collections and policies sorted, rules on one line), so that a pull after
an apply gives the same bytes. With --check, write nothing and fail when a
file is not in that layout (a test checks the committed files).

Exit status:
  0  rewritten, or already canonical
  1  --check: a file is not canonical
  2  bad files or flag`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runAccessFmt() },
	}
	cmd.Flags().Bool("check", false, "fail when a file is not in the canonical layout")
	return cmd
}

func (a *app) runAccessFmt() error {
	s, _, err := a.loadAccess()
	if err != nil {
		return err
	}
	dir := a.set.AccessDir
	files, err := access.Files(s)
	if err != nil {
		return err
	}
	var stale []string
	for _, name := range sortedNames(files) {
		cur, _ := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		if !bytes.Equal(cur, files[name]) {
			stale = append(stale, name)
		}
	}
	if a.cfg.GetBool("check") {
		if len(stale) > 0 {
			fmt.Fprintf(a.io.err, "trmctl: not in the canonical layout: %s\nRewrite them: trmctl access fmt\n", strings.Join(stale, ", "))
			return errSilentFailure
		}
		return nil
	}
	if len(stale) == 0 {
		return nil
	}
	if err := access.WriteDir(dir, s); err != nil {
		return err
	}
	fmt.Fprintf(a.io.err, "Rewrote %s.\n", strings.Join(stale, ", "))
	return nil
}
