// Command phase5schema creates the Phase 5 collection control_closing_times
// (docs/control-closing-times.md) on a Directus 11 instance that has the
// Phase 3 schema, through its REST API, as an administrator would in the
// admin UI, in the navigation folder Timing. It is a development tool:
// run it once on a scratch instance started from the previous snapshot,
// then pull the snapshot into snapshots/schema.yaml, which stays the
// source of truth (see README.md).
//
//	phase5schema -url http://127.0.0.1:8055 -token ADMIN_TOKEN
//	phase5schema -print        # the requests it would send, as JSON
//
// It refuses an instance without the Phase 3 collections, or with the
// collection already. Exit codes: 0 done, 1 failure, 2 usage.
package main

import (
	"context"
	"fmt"
	"strings"

	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
	"git.dev.trmtracking.org/trm/directus/tools/internal/schemaapi"
)

// plan is every call, in order: the collection with its columns, then its
// relations (foreign keys).
func plan() []schemaapi.Step {
	cs := collections()
	steps := schemaapi.CollectionSteps(cs)
	steps = append(steps, schemaapi.AliasSteps(cs)...)
	return append(steps, schemaapi.RelationSteps(cs)...)
}

var tool = schemaapi.Tool{Name: "phase5schema", Plan: plan, Check: checkInstance}

func main() { tool.Main() }

// checkInstance fails unless the collections this one refers to are there
// and it is not: the tool builds, it does not reconcile.
func checkInstance(ctx context.Context, c *directusctl.Client) error {
	have, err := schemaapi.CollectionNames(ctx, c)
	if err != nil {
		return err
	}
	var missing []string
	for _, name := range required {
		if !have[name] {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("the instance lacks %s; start it from the Phase 3 snapshot (README.md)", strings.Join(missing, ", "))
	}
	for _, x := range collections() {
		if have[x.Name] {
			return fmt.Errorf("the instance has %s already; run this tool on a fresh scratch instance (README.md), or change the schema in the admin UI", x.Name)
		}
	}
	return nil
}
