package schemaapi

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"time"

	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
)

// Step is one REST call; What names it in the progress and in an error.
type Step struct {
	Method, Path string
	Body         map[string]any
	What         string
}

// Tool is a schema tool: its name, the calls it makes in order, and the
// check that the instance is one it builds on (and has none of what it
// creates: the tool builds, it does not reconcile; Directus's schema
// apply does that, from the snapshot).
type Tool struct {
	Name  string
	Plan  func() []Step
	Check func(context.Context, *directusctl.Client) error
}

// Main runs the tool with the process's arguments and exits.
func (t Tool) Main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := t.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Run parses args (-url, -token, -print, -timeout), then prints the plan
// as JSON (-print) or checks the instance and sends each call, stopping at
// the first failure. It returns the exit code: 0 done, 1 failure, 2
// usage.
func (t Tool) Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(t.Name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	base := fs.String("url", envOr("DIRECTUS_URL", "http://127.0.0.1:8055"), "Directus URL (DIRECTUS_URL)")
	token := fs.String("token", os.Getenv("DIRECTUS_TOKEN"), "an administrator's static or access token (DIRECTUS_TOKEN)")
	printOnly := fs.Bool("print", false, "print the requests as JSON and send nothing")
	timeout := fs.Duration("timeout", 5*time.Minute, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: unexpected arguments %q\n", t.Name, fs.Args())
		return 2
	}
	steps := t.Plan()
	if *printOnly {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		for _, s := range steps {
			if err := enc.Encode(map[string]any{"method": s.Method, "path": s.Path, "body": s.Body}); err != nil {
				fmt.Fprintf(stderr, "%s: %v\n", t.Name, err)
				return 1
			}
		}
		return 0
	}
	if *token == "" {
		fmt.Fprintf(stderr, "%s: no token: set -token or DIRECTUS_TOKEN to an administrator's token\n", t.Name)
		return 2
	}
	client, err := directusctl.NewClient(*base, directusctl.WithToken(*token), directusctl.WithHTTPClient(&http.Client{Timeout: time.Minute}))
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", t.Name, err)
		return 2
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	if err := t.Check(ctx, client); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", t.Name, err)
		return 1
	}
	start := time.Now()
	for i, s := range steps {
		if err := client.Do(ctx, s.Method, s.Path, nil, s.Body, nil); err != nil {
			fmt.Fprintf(stderr, "%s: step %d/%d, %s: %v\n", t.Name, i+1, len(steps), s.What, err)
			fmt.Fprintf(stderr, "%s: the instance is now half-built; throw it away and start again from a fresh scratch instance\n", t.Name)
			return 1
		}
		fmt.Fprintf(stdout, "%3d/%d %s\n", i+1, len(steps), s.What)
	}
	fmt.Fprintf(stdout, "%s: done in %s; now pull the snapshot (README.md)\n", t.Name, time.Since(start).Round(time.Millisecond))
	return 0
}

// CollectionNames lists the instance's collections (folders included).
func CollectionNames(ctx context.Context, c *directusctl.Client) (map[string]bool, error) {
	var colls []struct {
		Collection string `json:"collection"`
	}
	if err := c.Do(ctx, http.MethodGet, "/collections", nil, nil, &colls); err != nil {
		return nil, fmt.Errorf("listing collections (is the token an administrator's?): %w", err)
	}
	have := map[string]bool{}
	for _, x := range colls {
		have[x.Collection] = true
	}
	return have, nil
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// Post is a POST of body to path.
func Post(path string, body map[string]any, what string) Step {
	return Step{Method: http.MethodPost, Path: path, Body: body, What: what}
}

// Patch is a PATCH of body to path.
func Patch(path string, body map[string]any, what string) Step {
	return Step{Method: http.MethodPatch, Path: path, Body: body, What: what}
}

// CollectionSteps create each collection with its columns.
func CollectionSteps(cs []Collection) []Step {
	var steps []Step
	for _, c := range cs {
		steps = append(steps, Post("/collections", CollectionPayload(c), "collection "+c.Name))
	}
	return steps
}

// AliasSteps create the o2m aliases of each collection, once every
// collection exists.
func AliasSteps(cs []Collection) []Step {
	var steps []Step
	for _, c := range cs {
		for i, f := range c.Fields {
			if f.Kind == "alias" {
				steps = append(steps, Post("/fields/"+c.Name, FieldPayload(c.Name, f, i+1), "field "+c.Name+"."+f.Name))
			}
		}
	}
	return steps
}

// RelationSteps create the relations (foreign keys) of the m2o fields.
func RelationSteps(cs []Collection) []Step {
	var steps []Step
	for _, c := range cs {
		for _, f := range c.Fields {
			if f.Relation != nil {
				steps = append(steps, Post("/relations", RelationPayload(c.Name, f),
					fmt.Sprintf("relation %s.%s → %s (on delete %s)", c.Name, f.Name, f.Relation.Related, f.Relation.OnDelete)))
			}
		}
	}
	return steps
}

// Printed runs the tool with -print and reads back what it wrote: the
// steps, in order (What is not printed, so it is empty). The tools' tests
// check their plans with it, sending nothing.
func (t Tool) Printed(ctx context.Context) ([]Step, error) {
	var out, errb bytes.Buffer
	if code := t.Run(ctx, []string{"-print"}, &out, &errb); code != 0 {
		return nil, fmt.Errorf("%s -print: exit %d: %s", t.Name, code, errb.String())
	}
	dec := json.NewDecoder(&out)
	var steps []Step
	for {
		var s struct {
			Method, Path string
			Body         map[string]any
		}
		if err := dec.Decode(&s); err == io.EOF {
			return steps, nil
		} else if err != nil {
			return nil, fmt.Errorf("reading the printed plan: %w", err)
		}
		steps = append(steps, Step{Method: s.Method, Path: s.Path, Body: s.Body})
	}
}
