package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"git.dev.trmtracking.org/trm/directus/internal/boot"
	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
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
	f.String("database-url", "", "PostgreSQL URL (TRM_DATABASE_URL, else Directus's DB_* variables)")
	f.String("snapshot", "snapshots/schema.yaml", "committed snapshot (TRM_SNAPSHOT)")
	f.String("dir", "db-init", "db-init directory (TRM_DB_INIT_DIR)")
	f.String("timescaledb", "required", "required or optional (TRM_TIMESCALEDB)")
}

// bootConfig builds the entrypoint's configuration from trmctl's flags,
// the environment and, for the Directus CLI, directus/runtime.env (written
// by `make directus`) when TRM_NODE and TRM_DIRECTUS_CLI are unset.
func (a *app) bootConfig() (*boot.Config, error) {
	runtime := readRuntimeEnv("directus/runtime.env")
	overrides := map[string]string{
		"TRM_DATABASE_URL": a.cfg.GetString("database-url"),
		"TRM_SNAPSHOT":     a.cfg.GetString("snapshot"),
		"TRM_DB_INIT_DIR":  a.cfg.GetString("dir"),
		"TRM_TIMESCALEDB":  a.cfg.GetString("timescaledb"),
	}
	lookup := func(k string) (string, bool) {
		if v := overrides[k]; v != "" {
			return v, true
		}
		if v, ok := a.getenv(k); ok {
			return v, true
		}
		v, ok := runtime[k]
		return v, ok
	}
	env := directusctl.Env{Lookup: lookup, ReadFile: os.ReadFile}
	cfg, err := boot.ConfigFromEnv(env, nil)
	if err != nil {
		return nil, usageErrorf("%v", err)
	}
	// The Directus CLI needs the database in its own variables, and its
	// package file to load extensions quietly.
	cfg.CLI.Env = append(os.Environ(), "DB_CLIENT=pg", "DB_CONNECTION_STRING="+cfg.DatabaseURL,
		"PACKAGE_FILE_LOCATION="+cfg.CLI.Dir, "TELEMETRY=false", "FORCE_COLOR=0")
	return cfg, nil
}

// readRuntimeEnv reads KEY=VALUE lines; a missing file is an empty map.
func readRuntimeEnv(path string) map[string]string {
	out := map[string]string{}
	f, err := os.Open(path)
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), "="); ok && !strings.HasPrefix(k, "#") {
			out[k] = v
		}
	}
	if abs, err := filepath.Abs(path); err == nil && out["TRM_DIRECTUS_DIR"] == "" {
		out["TRM_DIRECTUS_DIR"] = filepath.Dir(abs)
	}
	return out
}

func newBootPlanCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Show what the entrypoint would do now, changing nothing",
		Long: `Show what the entrypoint would do against the database now: whether a warm
reboot would take the fast path, the db-init files it would apply, whether
it would run Directus bootstrap, and the schema plan with every destructive
change it would refuse. Changes nothing and takes no lock; the schema plan
costs one Directus CLI snapshot (a few seconds).

The entrypoint's settings apply (TRM_SCHEMA_APPLY, TRM_ALLOW_DESTRUCTIVE, ...).
Exit 1 when the boot would stop (guard violation or refused change).

JSON shape (--json): {"fast_path": bool, "reason": "...", "pending": [...],
"violations": [...], "bootstrap": bool, "schema": <snapshot diff JSON or
null>, "refused": ["collection:foo", ...]}`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.bootConfig()
			if err != nil {
				return err
			}
			b, err := boot.New(cfg, discardLogger())
			if err != nil {
				return withFix(err)
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
	cmd.Flags().Duration("timeout", 0, "give up after this long (0: no limit)")
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
		refused = append(refused, boot.AllowKey(c))
	}
	return writeJSON(a.io.out, map[string]any{
		"fast_path": p.FastPath, "reason": p.Reason, "pending": migrationsJSON(p.Pending),
		"violations": violationsJSON(p.Violations), "bootstrap": p.Bootstrap, "schema": schema, "refused": refused,
	})
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
	fmt.Fprintf(w, "bootstrap: %s\n", map[bool]string{true: "yes", false: "no (same Directus release, tables installed)"}[p.Bootstrap])
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
			keys[i] = boot.AllowKey(c)
			fmt.Fprintf(w, "  %s\n", boot.Describe(c))
		}
		fmt.Fprintf(w, "allow with TRM_ALLOW_DESTRUCTIVE=%s\n", strings.Join(keys, ","))
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
