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
	"fmt"
	"strings"

	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
	"git.dev.trmtracking.org/trm/directus/tools/internal/schemaapi"
)

// plan is every call, in order: the folders, the Phase 1 collections moved
// into theirs, each Phase 2 collection with its columns, the o2m aliases,
// then the relations (foreign keys).
func plan() []step {
	var steps []step
	for _, f := range folders {
		steps = append(steps, schemaapi.Post("/collections", schemaapi.FolderPayload(f), "folder "+f.Name))
	}
	for _, g := range phase1Groups {
		steps = append(steps, schemaapi.Patch("/collections/"+g.Collection,
			map[string]any{"meta": map[string]any{"group": g.Group, "sort": g.Sort}}, "collection "+g.Collection+" into folder "+g.Group))
	}
	cs := collections()
	steps = append(steps, schemaapi.CollectionSteps(cs)...)
	for i, f := range eventAliases() {
		// After the Phase 1 fields of events (the last is entries, sort 9).
		steps = append(steps, schemaapi.Post("/fields/events", schemaapi.FieldPayload("events", f, 10+i), "field events."+f.Name))
	}
	steps = append(steps, schemaapi.AliasSteps(cs)...)
	return append(steps, schemaapi.RelationSteps(cs)...)
}

var tool = schemaapi.Tool{Name: "phase2schema", Plan: plan, Check: checkInstance}

func main() { tool.Main() }

// checkInstance fails unless the Phase 1 collections are there and none of
// what this tool creates is: the tool builds on Phase 1, it does not
// reconcile (Directus's schema apply does that, from the snapshot).
func checkInstance(ctx context.Context, c *directusctl.Client) error {
	have, err := schemaapi.CollectionNames(ctx, c)
	if err != nil {
		return err
	}
	var missing, found []string
	for _, g := range phase1Groups {
		if !have[g.Collection] {
			missing = append(missing, g.Collection)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("the instance lacks the Phase 1 collections %s; start it from the Phase 1 snapshot (README.md)", strings.Join(missing, ", "))
	}
	for _, f := range folders {
		if have[f.Name] {
			found = append(found, f.Name)
		}
	}
	for _, x := range collections() {
		if have[x.Name] {
			found = append(found, x.Name)
		}
	}
	if len(found) > 0 {
		return fmt.Errorf("the instance has %s already; run this tool on a fresh scratch instance (README.md), or change the schema in the admin UI", strings.Join(found, ", "))
	}
	return nil
}
