package main

import (
	"errors"
	"fmt"
	"git.dev.trmtracking.org/trm/directus/internal/access"
	"strings"

	"github.com/spf13/cobra"

	"git.dev.trmtracking.org/trm/directus/internal/boot"
	"git.dev.trmtracking.org/trm/directus/internal/settings"
	"git.dev.trmtracking.org/trm/directus/lib/snapshot"
)

func newBootCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "boot <command>",
		Short: "Inspect what the entrypoint does at boot",
	}
	cmd.AddCommand(newBootPlanCmd(a))
	return cmd
}

// addDirectusFlags adds the settings of commands that run the Directus
// CLI against a database, as the entrypoint does.
func addDirectusFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	settingFlag(f, "TRM_DATABASE_URL")
	settingFlag(f, "TRM_SNAPSHOT")
	settingFlag(f, "TRM_SNAPSHOT_MAX_SIZE")
	settingFlag(f, "TRM_DB_INIT_DIR")
	settingFlag(f, "TRM_TIMESCALEDB")
}

// bootConfig is the entrypoint's configuration (boot.NewConfig) from
// trmctl's settings. The Directus CLI also gets its package file, so that
// it loads extensions quietly, and no telemetry nor colour unless the
// environment says otherwise.
func (a *app) bootConfig() (*boot.Config, error) {
	if err := a.set.RequireDatabase(); err != nil {
		return nil, usageErrorf("%v", err)
	}
	environ := append([]string(nil), a.environ...)
	for _, kv := range []string{"PACKAGE_FILE_LOCATION=" + a.set.DirectusDir, "TELEMETRY=false", "FORCE_COLOR=0"} {
		k, _, _ := strings.Cut(kv, "=")
		if _, ok := a.getenv(k); !ok {
			environ = append(environ, kv)
		}
	}
	return boot.NewConfig(a.set, environ), nil
}

func newBootPlanCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Show what the entrypoint would do now, changing nothing",
		Long: `Show what the entrypoint would do against the database now: whether a warm
reboot would take the fast path, the db-init files it would apply, whether
it would run Directus bootstrap, and the schema plan with every destructive
change it would refuse, then the access plan (access/ against the live
roles, policies and permissions) with every removal it would refuse
(TRM_ALLOW_ACCESS_REMOVAL). Changes nothing and takes no lock. On a database
with Directus installed the schema plan needs Directus's view of the live
schema: it starts the Directus process the entrypoint uses (a few
seconds); on a database without Directus the plan is to create everything,
and no Directus process is started.

The entrypoint's settings apply (TRM_SCHEMA_APPLY, TRM_ALLOW_DESTRUCTIVE, ...).
Exit 1 when the boot would stop (guard violation, refused change, or a
deletion in Directus's own diff that the plan does not show), 2 when
a setting, the committed snapshot or a db-init file is bad (the entrypoint
exits 2 on them too).

The plan is the boot's own decision (the same code decides both), so the
entrypoint then does exactly this against the same database.

JSON shape (--json): {"fast_path": bool, "reason": "...", "pending": [...],
"violations": [...], "bootstrap": bool, "bootstrap_reason": "...",
"schema": <snapshot diff JSON or null>, "refused": ["collection:foo", ...],
"unplanned": ["delete fields foo.bar", ...],
"access": {"changes": [change, ...], "summary": {...}, "notes": [...]} or null,
"access_refused": [change, ...]}
` + accessChangesJSONHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.bootConfig()
			if err != nil {
				return err
			}
			b, err := boot.New(cfg, discardLogger())
			if err != nil {
				// Found before the database is asked anything, as the
				// entrypoint finds it: exit 2.
				return &exitError{code: exitTrouble, err: withFix(err)}
			}
			ctx, cancel := a.withTimeout(cmd.Context())
			defer cancel()
			plan, err := b.Plan(ctx)
			if err != nil {
				return withFix(err)
			}
			if a.cfg.GetBool("json") {
				if err := writeBootPlanJSON(a, plan); err != nil {
					return err
				}
			} else {
				printBootPlan(a, plan)
			}
			if plan.WouldFail() {
				return errSilentFailure
			}
			return nil
		},
	}
	addDirectusFlags(cmd)
	cmd.Flags().Bool("json", false, "print JSON for machines")
	settingFlag(cmd.Flags(), "TRM_TIMEOUT")
	return cmd
}

func writeBootPlanJSON(a *app, p *boot.Plan) error {
	var schema any
	if p.Schema != nil {
		var buf strings.Builder
		if err := p.Schema.WriteJSON(&buf); err != nil {
			return err
		}
		schema = jsonRaw(buf.String())
	}
	refused := make([]string, 0, len(p.Refused))
	for _, c := range p.Refused {
		refused = append(refused, settings.AllowKey(c))
	}
	unplanned := make([]string, 0, len(p.Unplanned))
	for _, e := range p.Unplanned {
		unplanned = append(unplanned, e.String())
	}
	return writeJSON(a.io.out, map[string]any{
		"fast_path": p.FastPath, "reason": p.Reason, "pending": migrationsJSON(p.Pending),
		"violations": violationsJSON(p.Violations), "bootstrap": p.Bootstrap, "bootstrap_reason": p.BootstrapReason,
		"schema": schema, "refused": refused, "unplanned": unplanned,
		"access": accessPlanJSON(p.Access), "access_refused": changesJSON(p.AccessRefused),
	})
}

func accessPlanJSON(p *access.Plan) any {
	if p == nil {
		return nil
	}
	doc := planJSON(p, "live", "files")
	delete(doc, "from")
	delete(doc, "to")
	return doc
}

func printBootPlan(a *app, p *boot.Plan) {
	w := a.io.out
	if p.FastPath {
		fmt.Fprintln(w, "Fast path: nothing changed since the last boot; the entrypoint would start Directus at once.")
		return
	}
	fmt.Fprintf(w, "Full boot: %s\n\n", p.Reason)
	if len(p.Violations) > 0 {
		printViolations(w, p.Violations, a.colour())
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "db-init: %d file(s) to apply\n", len(p.Pending))
	for _, m := range p.Pending {
		fmt.Fprintf(w, "  %s\n", m.ID())
	}
	fmt.Fprintf(w, "bootstrap: %s (%s)\n", map[bool]string{true: "yes", false: "no"}[p.Bootstrap], p.BootstrapReason)
	switch {
	case p.Schema == nil:
		fmt.Fprintln(w, "schema: not planned (TRM_SCHEMA_APPLY=skip)")
	case p.Schema.Empty():
		fmt.Fprintln(w, "schema: the live schema equals the committed snapshot")
	default:
		fmt.Fprintln(w, "schema:")
		_ = p.Schema.WriteText(w, snapshot.TextOptions{Color: a.colour()})
	}
	if len(p.Refused) > 0 {
		fmt.Fprintf(w, "\n%s: the boot would stop on %d destructive change(s):\n", paint(a.colour(), "31;1", "refused"), len(p.Refused))
		keys := make([]string, len(p.Refused))
		for i, c := range p.Refused {
			keys[i] = settings.AllowKey(c)
			fmt.Fprintf(w, "  %s\n", boot.Describe(c))
		}
		fmt.Fprintf(w, "allow with TRM_ALLOW_DESTRUCTIVE=%s\n", strings.Join(keys, ","))
	}
	if len(p.Unplanned) > 0 {
		fmt.Fprintf(w, "\n%s: Directus's own diff would delete what the plan does not show as destructive; the boot would stop:\n", paint(a.colour(), "31;1", "unplanned"))
		for _, e := range p.Unplanned {
			fmt.Fprintf(w, "  %s\n", e)
		}
	}
	switch {
	case p.Access == nil:
		fmt.Fprintln(w, "access: not planned (TRM_SCHEMA_APPLY=skip)")
	case p.Access.Empty():
		fmt.Fprintln(w, "access: the live roles, policies and permissions equal the access files")
	default:
		fmt.Fprintln(w, "access:")
		writeChanges(w, p.Access.Changes, a.colour())
	}
	if len(p.AccessRefused) > 0 {
		re := &access.RefusedError{Changes: p.AccessRefused}
		fmt.Fprintf(w, "\n%s: the boot would stop on %d access removal(s) from people who hold them:\n", paint(a.colour(), "31;1", "refused"), len(p.AccessRefused))
		writeChanges(w, p.AccessRefused, a.colour())
		fmt.Fprintf(w, "allow with %s=%s\n", access.AllowVar, re.AllowValue())
	}
}

// withFix adds a boot step's remedy to its error message.
func withFix(err error) error {
	var se *boot.StepError
	if errors.As(err, &se) && se.Fix != "" {
		return fmt.Errorf("%w\nfix: %s", err, se.Fix)
	}
	return err
}
