// Command phase3schema creates the Phase 3 collections (timing:
// penalty_formulas, entry_segment_starts, entry_crossings,
// entry_penalties, stage_results; docs/data-model-phase3.md) on a
// Directus 11 instance that has the Phase 2 schema, through its REST API,
// as an administrator would in the admin UI, in the navigation folder
// Timing; and adds to events, entries, stages and segments the rulebook's
// marker and the lists that show an entry's timing on one screen. It is a
// development tool: run it once on a scratch instance started from the
// Phase 2 snapshot, then pull the snapshot into snapshots/schema.yaml,
// which stays the source of truth (see README.md).
//
//	phase3schema -url http://127.0.0.1:8055 -token ADMIN_TOKEN
//	phase3schema -print        # the requests it would send, as JSON
//
// It refuses an instance without the Phase 2 collections, or with the
// folder or any Phase 3 collection or field already. Exit codes: 0 done,
// 1 failure, 2 usage.
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

// plan is every call, in order: the folder, each Phase 3 collection with
// its columns, the fields added to earlier collections (the rulebook's
// marker, the o2m lists), the o2m aliases of the new collections, then
// the relations (foreign keys).
func plan() []step {
	steps := []step{{http.MethodPost, "/collections", folderPayload(timing), "folder " + timing.name}}
	cs := collections()
	for _, c := range cs {
		steps = append(steps, step{http.MethodPost, "/collections", collectionPayload(c), "collection " + c.name})
	}
	for _, a := range addedFields() {
		for i, f := range a.fields {
			steps = append(steps, step{http.MethodPost, "/fields/" + a.collection, fieldPayload(a.collection, f, a.sort+i), "field " + a.collection + "." + f.name})
		}
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
	fs := flag.NewFlagSet("phase3schema", flag.ContinueOnError)
	fs.SetOutput(stderr)
	base := fs.String("url", envOr("DIRECTUS_URL", "http://127.0.0.1:8055"), "Directus URL (DIRECTUS_URL)")
	token := fs.String("token", os.Getenv("DIRECTUS_TOKEN"), "an administrator's static or access token (DIRECTUS_TOKEN)")
	printOnly := fs.Bool("print", false, "print the requests as JSON and send nothing")
	timeout := fs.Duration("timeout", 5*time.Minute, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "phase3schema: unexpected arguments %q\n", fs.Args())
		return 2
	}
	steps := plan()
	if *printOnly {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		for _, s := range steps {
			if err := enc.Encode(map[string]any{"method": s.method, "path": s.path, "body": s.body}); err != nil {
				fmt.Fprintln(stderr, "phase3schema:", err)
				return 1
			}
		}
		return 0
	}
	if *token == "" {
		fmt.Fprintln(stderr, "phase3schema: no token: set -token or DIRECTUS_TOKEN to an administrator's token")
		return 2
	}
	client, err := directusctl.NewClient(*base, directusctl.WithToken(*token), directusctl.WithHTTPClient(&http.Client{Timeout: time.Minute}))
	if err != nil {
		fmt.Fprintln(stderr, "phase3schema:", err)
		return 2
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	if err := checkInstance(ctx, client); err != nil {
		fmt.Fprintln(stderr, "phase3schema:", err)
		return 1
	}
	start := time.Now()
	for i, s := range steps {
		if err := client.Do(ctx, s.method, s.path, nil, s.body, nil); err != nil {
			fmt.Fprintf(stderr, "phase3schema: step %d/%d, %s: %v\n", i+1, len(steps), s.what, err)
			fmt.Fprintln(stderr, "phase3schema: the instance is now half-built; throw it away and start again from a fresh scratch instance")
			return 1
		}
		fmt.Fprintf(stdout, "%3d/%d %s\n", i+1, len(steps), s.what)
	}
	fmt.Fprintf(stdout, "phase3schema: done in %s; now pull the snapshot (README.md)\n", time.Since(start).Round(time.Millisecond))
	return 0
}

// checkInstance fails unless the Phase 2 collections are there and none of
// what this tool creates is: the tool builds on Phase 2, it does not
// reconcile (Directus's schema apply does that, from the snapshot).
func checkInstance(ctx context.Context, c *directusctl.Client) error {
	var colls []struct {
		Collection string `json:"collection"`
	}
	if err := c.Do(ctx, http.MethodGet, "/collections", nil, nil, &colls); err != nil {
		return fmt.Errorf("listing collections (is the token an administrator's?): %w", err)
	}
	have := map[string]bool{}
	for _, x := range colls {
		have[x.Collection] = true
	}
	var missing, found []string
	for _, name := range phase2Collections {
		if !have[name] {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("the instance lacks the Phase 2 collections %s; start it from the Phase 2 snapshot (README.md)", strings.Join(missing, ", "))
	}
	if have[timing.name] {
		found = append(found, timing.name)
	}
	for _, x := range collections() {
		if have[x.name] {
			found = append(found, x.name)
		}
	}
	var fields []struct {
		Collection string `json:"collection"`
		Field      string `json:"field"`
	}
	if err := c.Do(ctx, http.MethodGet, "/fields", nil, nil, &fields); err != nil {
		return fmt.Errorf("listing fields: %w", err)
	}
	haveField := map[string]bool{}
	for _, f := range fields {
		haveField[f.Collection+"."+f.Field] = true
	}
	for _, a := range addedFields() {
		for _, f := range a.fields {
			if haveField[a.collection+"."+f.name] {
				found = append(found, a.collection+"."+f.name)
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
