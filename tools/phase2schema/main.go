// Command phase2schema creates the Phase 2 collections (the course:
// stages, segments, geofences, waypoints, speed zones;
// docs/data-model-phase2.md) on a Directus 11 instance that has the
// Phase 1 schema, through its REST API, as an administrator would in the
// admin UI; and groups every collection in the navigation folders
// organisation, event and course. It is a development tool: run it once on
// a scratch instance started from the Phase 1 snapshot, then pull the
// snapshot into snapshots/schema.yaml, which stays the source of truth
// (see README.md).
//
//	phase2schema -url http://127.0.0.1:8055 -token ADMIN_TOKEN
//	phase2schema -print        # the requests it would send, as JSON
//
// It refuses an instance without the Phase 1 collections, or with any of
// the folders or Phase 2 collections already. Exit codes: 0 done, 1
// failure, 2 usage.
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

// plan is every call, in order: the folders, the Phase 1 collections moved
// into theirs, each Phase 2 collection with its columns, the o2m aliases,
// then the relations (foreign keys).
func plan() []step {
	var steps []step
	for _, f := range folders {
		steps = append(steps, step{http.MethodPost, "/collections", folderPayload(f), "folder " + f.name})
	}
	for _, g := range phase1Groups {
		steps = append(steps, step{http.MethodPatch, "/collections/" + g.collection,
			map[string]any{"meta": map[string]any{"group": g.group, "sort": g.sort}}, "collection " + g.collection + " into folder " + g.group})
	}
	cs := collections()
	for _, c := range cs {
		steps = append(steps, step{http.MethodPost, "/collections", collectionPayload(c), "collection " + c.name})
	}
	for i, f := range eventAliases() {
		// After the Phase 1 fields of events (the last is entries, sort 9).
		steps = append(steps, step{http.MethodPost, "/fields/events", fieldPayload("events", f, 10+i), "field events." + f.name})
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
	fs := flag.NewFlagSet("phase2schema", flag.ContinueOnError)
	fs.SetOutput(stderr)
	base := fs.String("url", envOr("DIRECTUS_URL", "http://127.0.0.1:8055"), "Directus URL (DIRECTUS_URL)")
	token := fs.String("token", os.Getenv("DIRECTUS_TOKEN"), "an administrator's static or access token (DIRECTUS_TOKEN)")
	printOnly := fs.Bool("print", false, "print the requests as JSON and send nothing")
	timeout := fs.Duration("timeout", 5*time.Minute, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "phase2schema: unexpected arguments %q\n", fs.Args())
		return 2
	}
	steps := plan()
	if *printOnly {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		for _, s := range steps {
			if err := enc.Encode(map[string]any{"method": s.method, "path": s.path, "body": s.body}); err != nil {
				fmt.Fprintln(stderr, "phase2schema:", err)
				return 1
			}
		}
		return 0
	}
	if *token == "" {
		fmt.Fprintln(stderr, "phase2schema: no token: set -token or DIRECTUS_TOKEN to an administrator's token")
		return 2
	}
	client, err := directusctl.NewClient(*base, directusctl.WithToken(*token), directusctl.WithHTTPClient(&http.Client{Timeout: time.Minute}))
	if err != nil {
		fmt.Fprintln(stderr, "phase2schema:", err)
		return 2
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	if err := checkInstance(ctx, client); err != nil {
		fmt.Fprintln(stderr, "phase2schema:", err)
		return 1
	}
	start := time.Now()
	for i, s := range steps {
		if err := client.Do(ctx, s.method, s.path, nil, s.body, nil); err != nil {
			fmt.Fprintf(stderr, "phase2schema: step %d/%d, %s: %v\n", i+1, len(steps), s.what, err)
			fmt.Fprintln(stderr, "phase2schema: the instance is now half-built; throw it away and start again from a fresh scratch instance")
			return 1
		}
		fmt.Fprintf(stdout, "%3d/%d %s\n", i+1, len(steps), s.what)
	}
	fmt.Fprintf(stdout, "phase2schema: done in %s; now pull the snapshot (README.md)\n", time.Since(start).Round(time.Millisecond))
	return 0
}

// checkInstance fails unless the Phase 1 collections are there and none of
// what this tool creates is: the tool builds on Phase 1, it does not
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
	for _, g := range phase1Groups {
		if !have[g.collection] {
			missing = append(missing, g.collection)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("the instance lacks the Phase 1 collections %s; start it from the Phase 1 snapshot (README.md)", strings.Join(missing, ", "))
	}
	for _, f := range folders {
		if have[f.name] {
			found = append(found, f.name)
		}
	}
	for _, x := range collections() {
		if have[x.name] {
			found = append(found, x.name)
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
