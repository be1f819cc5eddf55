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
	"fmt"
	"net/http"
	"strings"

	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
	"git.dev.trmtracking.org/trm/directus/tools/internal/schemaapi"
)

// plan is every call, in order: the folder, each Phase 3 collection with
// its columns, the fields added to earlier collections (the rulebook's
// marker, the o2m lists), the o2m aliases of the new collections, then
// the relations (foreign keys).
func plan() []step {
	steps := []step{schemaapi.Post("/collections", schemaapi.FolderPayload(timing), "folder "+timing.Name)}
	cs := collections()
	steps = append(steps, schemaapi.CollectionSteps(cs)...)
	for _, a := range addedFields() {
		for i, f := range a.Fields {
			steps = append(steps, schemaapi.Post("/fields/"+a.Collection, schemaapi.FieldPayload(a.Collection, f, a.Sort+i), "field "+a.Collection+"."+f.Name))
		}
	}
	steps = append(steps, schemaapi.AliasSteps(cs)...)
	return append(steps, schemaapi.RelationSteps(cs)...)
}

var tool = schemaapi.Tool{Name: "phase3schema", Plan: plan, Check: checkInstance}

func main() { tool.Main() }

// checkInstance fails unless the Phase 2 collections are there and none of
// what this tool creates is: the tool builds on Phase 2, it does not
// reconcile (Directus's schema apply does that, from the snapshot).
func checkInstance(ctx context.Context, c *directusctl.Client) error {
	have, err := schemaapi.CollectionNames(ctx, c)
	if err != nil {
		return err
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
	if have[timing.Name] {
		found = append(found, timing.Name)
	}
	for _, x := range collections() {
		if have[x.Name] {
			found = append(found, x.Name)
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
		for _, f := range a.Fields {
			if haveField[a.Collection+"."+f.Name] {
				found = append(found, a.Collection+"."+f.Name)
			}
		}
	}
	if len(found) > 0 {
		return fmt.Errorf("the instance has %s already; run this tool on a fresh scratch instance (README.md), or change the schema in the admin UI", strings.Join(found, ", "))
	}
	return nil
}
