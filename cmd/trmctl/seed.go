package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"git.dev.trmtracking.org/trm/directus/internal/seed"
	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
)

// Seeds write reference data through Directus's REST API, so that every
// write passes Directus's validation, hooks and activity log exactly as a
// person's would. Each record is looked up by its natural key first and
// created only when it is missing: a seed can run any number of times.

const directusAuthHelp = `Directus is reached at --directus-url (TRM_DIRECTUS_URL, default
http://localhost:8055). Authenticate with a static or access token
(--token, or TRM_DIRECTUS_TOKEN), or with a user's e-mail and password
(--email and --password, or TRM_DIRECTUS_EMAIL and TRM_DIRECTUS_PASSWORD;
prefer the environment for the password: flags show in the process list).
Neither the token nor the password is ever printed.`

const seedJSONHelp = `JSON shape (--json):
  {"seed": "rally-albania-2026", "file": "...", "directus_url": "...",
   "dry_run": false, "created": n, "present": n, "missing": n,
   "duration_ms": n,
   "kinds": [{"kind", "created", "present", "missing"}],
   "records": [{"kind", "key", "id", "state"}]}
kind is the collection written (directus_users for people); key is the
record's natural key as text; state is "created", "present" or, in a dry
run, "missing" (a run would create it; its id is then ""). kinds and
records are in the order of writing.`

func newSeedCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "seed <command>",
		Short: "Load reference data from a seed file through Directus, idempotently",
		Long: `Seed files hold reference data for the Phase 1 collections (an
organiser, its people, vehicles, trackers, events, classes and entries) as
YAML; seed/rally-albania-2026/seed.yaml is one, and internal/seed's package
documentation describes the format. Enumerated values are those of
internal/catalog.`,
	}
	cmd.AddCommand(newSeedApplyCmd(a), newSeedCheckCmd(a))
	return cmd
}

func newSeedApplyCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "apply FILE",
		Short: "Create, through Directus, the records of a seed file that are missing",
		Long: `Validate FILE whole (every problem is listed with its line; nothing is
sent when there is one), check that Directus answers, authenticates and
lets this user read every collection the seed writes, then look each
record up by its natural key and create it only when it is missing: a
second run creates nothing ("0 created, N already present"). Records that
are present are left as they are, even where their other fields differ.
--dry-run looks every record up and writes nothing.

Natural keys: organisation by slug; person by e-mail; vehicle by plate;
device by IMEI; membership and registration by their pair; event by
(organisation, slug); class by (event, code); entry by (event, race
number); crew by (entry, person); tracker assignment by (entry, device).

` + directusAuthHelp + `

Progress (one line per record) goes to standard error; the summary table
per collection to standard output. Exit codes: 0 done, 1 an invalid file
or a failure (the records created before it stay; run again once fixed),
2 usage.

` + seedJSONHelp,
		Example: `  # Against make dev's instance, as its admin
  $ TRM_DIRECTUS_EMAIL=admin@example.com TRM_DIRECTUS_PASSWORD=... \
      trmctl seed apply seed/rally-albania-2026/seed.yaml

  # What a run would create, for a script
  $ TRM_DIRECTUS_TOKEN=... trmctl seed apply seed/rally-albania-2026/seed.yaml \
      --directus-url https://cms.example.org --dry-run --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runSeedApply(cmd, args[0])
		},
	}
	f := cmd.Flags()
	directusFlags(f)
	f.Bool("dry-run", false, "look every record up and write nothing")
	f.Bool("json", false, "print JSON for machines instead of text")
	settingFlag(f, "TRM_TIMEOUT", "5m")
	return cmd
}

func newSeedCheckCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "check FILE",
		Short: "Validate a seed file without Directus",
		Long: `Validate FILE as seed apply does before it sends anything: the format,
the enumerations (internal/catalog), the patterns Directus checks (slugs,
IMEIs, nationality), references to people, vehicles and devices declared
in the file, duplicate natural keys, and tracker windows that overlap.
Every problem is listed with its line. Exit codes: 0 valid, 1 invalid,
2 usage.`,
		Example: `  $ trmctl seed check seed/rally-albania-2026/seed.yaml`,
		Args:    cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			f, err := seed.ReadFile(args[0])
			if err != nil {
				return err
			}
			n := len(f.People) + len(f.Vehicles) + len(f.Devices)
			for _, o := range f.Organizations {
				n += 1 + len(o.Members) + len(o.Vehicles) + len(o.Devices)
				for _, ev := range o.Events {
					n += 1 + len(ev.Classes)
					for _, e := range ev.Entries {
						n += 1 + len(e.Crew) + len(e.Devices)
					}
				}
			}
			fmt.Fprintf(a.io.out, "%s: seed %s is valid (%d records)\n", args[0], f.Name, n)
			return nil
		},
	}
}

// directusCredentials says how to authenticate; exactly one of token and
// email is set.
type directusCredentials struct {
	token           string
	email, password string
}

// directusFlags adds the settings that name a running Directus and how
// to authenticate to it.
func directusFlags(f *pflag.FlagSet) {
	settingFlag(f, "TRM_DIRECTUS_URL", "http://localhost:8055")
	settingFlag(f, "TRM_DIRECTUS_TOKEN")
	settingFlag(f, "TRM_DIRECTUS_EMAIL")
	settingFlag(f, "TRM_DIRECTUS_PASSWORD")
}

// directusTarget resolves the instance and the credentials, refusing
// contradictions before anything is sent. Flags win over the
// environment.
func (a *app) directusTarget() (string, directusCredentials, error) {
	var cr directusCredentials
	base := a.set.DirectusURL
	if base == "" {
		return "", cr, usageErrorf("--directus-url is empty: name the Directus instance, e.g. http://localhost:8055")
	}
	token, email, password := a.set.DirectusToken, a.set.DirectusEmail, a.set.DirectusPassword
	tokenFlag, emailFlag := a.set.From("TRM_DIRECTUS_TOKEN") == "--token", a.set.From("TRM_DIRECTUS_EMAIL") == "--email"
	switch {
	case tokenFlag && emailFlag:
		return "", cr, usageErrorf("--token and --email both authenticate: choose one")
	case token == "" && email == "" && password != "":
		return "", cr, usageErrorf("--password needs --email (or TRM_DIRECTUS_EMAIL)")
	case tokenFlag:
		cr.token = token
	case emailFlag:
		cr.email, cr.password = email, password
	case token != "":
		cr.token = token
	case email != "":
		cr.email, cr.password = email, password
	default:
		return "", cr, usageErrorf("no credentials: pass --token (or set TRM_DIRECTUS_TOKEN), or --email with TRM_DIRECTUS_PASSWORD")
	}
	if cr.email != "" && cr.password == "" {
		return "", cr, usageErrorf("no password for %s: set TRM_DIRECTUS_PASSWORD (or pass --password)", cr.email)
	}
	var opts []directusctl.ClientOption
	if cr.token != "" {
		opts = append(opts, directusctl.WithToken(cr.token))
	}
	// Checks the URL (scheme, host, no credentials) and the token's shape
	// without sending anything.
	if _, err := directusctl.NewClient(base, opts...); err != nil {
		return "", cr, usageErrorf("%v", err)
	}
	return base, cr, nil
}

// connectDirectus checks that Directus answers, authenticates, and checks that
// the collections the seed writes exist, each failure with what to check.
func connectDirectus(ctx context.Context, base string, cr directusCredentials, collections []string) (*directusctl.Client, error) {
	anon, err := directusctl.NewClient(base)
	if err != nil {
		return nil, usageErrorf("%v", err)
	}
	where := "Directus at " + anon.BaseURL()
	// Unauthenticated: a bad token must not read as an unreachable server.
	if _, err := anon.Health(ctx); err != nil {
		return nil, fmt.Errorf("cannot reach %s: %w\ncheck that Directus runs there and --directus-url (TRM_DIRECTUS_URL) is right", where, err)
	}
	var c *directusctl.Client
	if cr.token != "" {
		if c, err = directusctl.NewClient(base, directusctl.WithToken(cr.token)); err != nil {
			return nil, usageErrorf("%v", err)
		}
		var me struct {
			ID string `json:"id"`
		}
		if err := c.Do(ctx, http.MethodGet, "/users/me", url.Values{"fields": {"id"}}, nil, &me); err != nil {
			if isAuthError(err) {
				return nil, fmt.Errorf("%s refused the token: %w\ncheck --token or TRM_DIRECTUS_TOKEN", where, err)
			}
			return nil, fmt.Errorf("%s: checking the token: %w", where, err)
		}
	} else {
		if c, err = directusctl.NewClient(base); err != nil {
			return nil, usageErrorf("%v", err)
		}
		if err := c.Login(ctx, cr.email, cr.password); err != nil {
			if isAuthError(err) {
				return nil, fmt.Errorf("%s refused the login of %s: %w\ncheck --email/--password or TRM_DIRECTUS_EMAIL/TRM_DIRECTUS_PASSWORD", where, cr.email, err)
			}
			return nil, fmt.Errorf("%s: login of %s: %w", where, cr.email, err)
		}
	}
	// Every collection must be readable before anything is written, so
	// that a missing schema or permission stops the seed before it starts.
	// (GET /collections would need read access to directus_collections.)
	// Checked in parallel: each is a round trip, and none depends on another.
	found := make([]error, len(collections))
	var wg sync.WaitGroup
	for i, name := range collections {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var none []json.RawMessage
			found[i] = c.Do(ctx, http.MethodGet, seed.CollectionPath(name), url.Values{"limit": {"0"}}, nil, &none)
		}()
	}
	wg.Wait()
	var missing []string
	for i, err := range found {
		var ae *directusctl.APIError
		switch {
		case err == nil:
		case errors.As(err, &ae) && ae.Status == http.StatusForbidden:
			missing = append(missing, collections[i])
		default:
			return nil, fmt.Errorf("%s: reading %s: %w", where, collections[i], err)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s: cannot read the collections %s: they are missing (apply the schema, snapshots/schema.yaml; the entrypoint applies it at boot) or this user may not read them", where, strings.Join(missing, ", "))
	}
	return c, nil
}

func isAuthError(err error) bool {
	var ae *directusctl.APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.Code {
	case directusctl.CodeInvalidCredentials, directusctl.CodeInvalidToken, directusctl.CodeTokenExpired:
		return true
	}
	return ae.Status == http.StatusUnauthorized
}

// seedReport is the command's result; its JSON is documented in
// seedJSONHelp.
type seedReport struct {
	File        string  `json:"file"`
	DirectusURL string  `json:"directus_url"`
	DurationMS  float64 `json:"duration_ms"`
	*seed.Report
}

// runSeedApply validates the file, connects, applies it and prints the
// report.
func (a *app) runSeedApply(cmd *cobra.Command, path string) error {
	base, cr, err := a.directusTarget()
	if err != nil {
		return err
	}
	file, err := seed.ReadFile(path)
	if err != nil {
		return err
	}
	ctx, cancel := a.withTimeout(cmd.Context())
	defer cancel()
	start := time.Now()
	c, err := connectDirectus(ctx, base, cr, seed.Collections())
	if err != nil {
		return err
	}
	jsonOut, dryRun := a.cfg.GetBool("json"), a.cfg.GetBool("dry-run")
	opt := seed.Options{DryRun: dryRun}
	if !jsonOut {
		opt.Progress = func(r seed.Record) { fmt.Fprintf(a.io.err, "seed: %-20s %-48s %s\n", r.Kind, r.Key, r.State) }
	}
	rep, err := seed.Apply(ctx, c, file, opt)
	if err != nil {
		if rep.Created > 0 {
			err = fmt.Errorf("%w\n%d record(s) were created before the failure; apply the file again once it is fixed: it creates only what is missing", err, rep.Created)
		}
		return err
	}
	out := seedReport{File: path, DirectusURL: c.BaseURL(), DurationMS: ms(time.Since(start)), Report: rep}
	if jsonOut {
		return writeJSON(a.io.out, out)
	}
	verb := "Seed"
	if dryRun {
		verb = "Dry run of seed"
	}
	fmt.Fprintf(a.io.out, "%s %s (%s) on %s\n\n", verb, rep.Seed, path, out.DirectusURL)
	header := []string{"KIND", "CREATED", "PRESENT"}
	if dryRun {
		header = []string{"KIND", "MISSING", "PRESENT"}
	}
	t := newTable(a.io.out, header...)
	for _, k := range rep.Kinds {
		first := k.Created
		if dryRun {
			first = k.Missing
		}
		t.row(k.Kind, fmt.Sprint(first), fmt.Sprint(k.Present))
	}
	if err := t.flush(); err != nil {
		return err
	}
	if dryRun {
		fmt.Fprintf(a.io.out, "\n%d to create, %d already present; nothing written (%s).\n", rep.Missing, rep.Present, round(time.Since(start)))
		return nil
	}
	fmt.Fprintf(a.io.out, "\n%d created, %d already present (%s).\n", rep.Created, rep.Present, round(time.Since(start)))
	return nil
}
