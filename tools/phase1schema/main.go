// Command phase1schema creates the Phase 1 collections (the org catalog and
// event participation, docs/data-model-phase1.md) on a Directus 11
// instance through its REST API, as an administrator would in the admin
// UI. It is a development tool: run it once on a scratch instance, then
// pull the snapshot into snapshots/schema.yaml, which stays the source of
// truth (see README.md).
//
//	phase1schema -url http://127.0.0.1:8055 -token ADMIN_TOKEN
//	phase1schema -print        # the requests it would send, as JSON
//
// It refuses to run on an instance that has any of the collections or
// custom user fields already. Exit codes: 0 done, 1 failure, 2 usage.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"time"

	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
)

// step is one REST call.
type step struct {
	method, path string
	body         map[string]any
	what         string
}

// plan is every call, in order: each collection with its columns, the
// custom user fields, the o2m aliases, then the relations (foreign keys).
func plan() []step {
	var steps []step
	cs := collections()
	for i, c := range cs {
		steps = append(steps, step{http.MethodPost, "/collections", collectionPayload(c, i+1), "collection " + c.name})
	}
	for i, f := range userFields() {
		// After Directus's own fields of directus_users in the user form.
		steps = append(steps, step{http.MethodPost, "/fields/directus_users", fieldPayload("directus_users", f, 100+i), "field directus_users." + f.name})
	}
	for _, c := range cs {
		for i, f := range c.fields {
			if f.kind == "alias" {
				steps = append(steps, step{http.MethodPost, "/fields/" + c.name, fieldPayload(c.name, f, i+1), "field " + c.name + "." + f.name})
			}
		}
	}
	for _, c := range cs {
		for _, f := range c.fields {
			if f.relation != nil {
				steps = append(steps, step{http.MethodPost, "/relations", relationPayload(c.name, f),
					fmt.Sprintf("relation %s.%s → %s (on delete %s)", c.name, f.name, f.relation.related, f.relation.onDelete)})
			}
		}
	}
	return steps
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("phase1schema", flag.ContinueOnError)
	fs.SetOutput(stderr)
	base := fs.String("url", envOr("DIRECTUS_URL", "http://127.0.0.1:8055"), "Directus URL (DIRECTUS_URL)")
	token := fs.String("token", os.Getenv("DIRECTUS_TOKEN"), "an administrator's static or access token (DIRECTUS_TOKEN)")
	printOnly := fs.Bool("print", false, "print the requests as JSON and send nothing")
	timeout := fs.Duration("timeout", 5*time.Minute, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "phase1schema: unexpected arguments %q\n", fs.Args())
		return 2
	}
	steps := plan()
	if *printOnly {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		for _, s := range steps {
			if err := enc.Encode(map[string]any{"method": s.method, "path": s.path, "body": s.body}); err != nil {
				fmt.Fprintln(stderr, "phase1schema:", err)
				return 1
			}
		}
		return 0
	}
	if *token == "" {
		fmt.Fprintln(stderr, "phase1schema: no token: set -token or DIRECTUS_TOKEN to an administrator's token")
		return 2
	}
	client, err := directusctl.NewClient(*base, directusctl.WithToken(*token), directusctl.WithHTTPClient(&http.Client{Timeout: time.Minute}))
	if err != nil {
		fmt.Fprintln(stderr, "phase1schema:", err)
		return 2
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	if err := refuseExisting(ctx, client); err != nil {
		fmt.Fprintln(stderr, "phase1schema:", err)
		return 1
	}
	start := time.Now()
	for i, s := range steps {
		if err := client.Do(ctx, s.method, s.path, nil, s.body, nil); err != nil {
			fmt.Fprintf(stderr, "phase1schema: step %d/%d, %s: %v\n", i+1, len(steps), s.what, err)
			fmt.Fprintln(stderr, "phase1schema: the instance is now half-built; throw it away and start again from a fresh scratch instance")
			return 1
		}
		fmt.Fprintf(stdout, "%3d/%d %s\n", i+1, len(steps), s.what)
	}
	fmt.Fprintf(stdout, "phase1schema: done in %s; now pull the snapshot (README.md)\n", time.Since(start).Round(time.Millisecond))
	return 0
}

// refuseExisting fails when any collection or custom user field this tool
// creates is there already: the tool builds from scratch, it does not
// reconcile (Directus's schema apply does that, from the snapshot).
func refuseExisting(ctx context.Context, c *directusctl.Client) error {
	var colls []struct {
		Collection string `json:"collection"`
	}
	if err := c.Do(ctx, http.MethodGet, "/collections", nil, nil, &colls); err != nil {
		return fmt.Errorf("listing collections: %w", err)
	}
	have := map[string]bool{}
	for _, x := range colls {
		have[x.Collection] = true
	}
	var found []string
	for _, c := range collections() {
		if have[c.name] {
			found = append(found, c.name)
		}
	}
	var fields []struct {
		Field string `json:"field"`
	}
	if err := c.Do(ctx, http.MethodGet, "/fields/directus_users", nil, nil, &fields); err != nil {
		return fmt.Errorf("listing the fields of directus_users (is the token an administrator's?): %w", err)
	}
	for _, x := range fields {
		for _, f := range userFields() {
			if x.Field == f.name {
				found = append(found, "directus_users."+f.name)
			}
		}
	}
	if len(found) > 0 {
		return fmt.Errorf("the instance has %s already; run this tool on a fresh scratch instance (README.md), or change the schema in the admin UI", strings.Join(found, ", "))
	}
	return nil
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
