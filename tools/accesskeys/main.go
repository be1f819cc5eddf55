// Command accesskeys adds the access keys (docs/access-model.md, "Access
// keys") to a Directus 11 instance that has the Phase 5 schema, through
// its REST API, as an administrator would in the admin UI: the
// organisation's lists of who holds which role there, the entry's list of
// its crew who are participants, and the alias directus_users.crew_seats
// the people's read rules walk. The database keeps the lists
// (db-init/post/008_access_keys.sql); the access files read them. It is a
// development tool: run it once on a scratch instance started from the
// previous snapshot, then pull the snapshot into snapshots/schema.yaml,
// which stays the source of truth (see README.md).
//
//	accesskeys -url http://127.0.0.1:8055 -token ADMIN_TOKEN
//	accesskeys -print        # the requests it would send, as JSON
//
// It refuses an instance without the collections it extends, or with an
// access key already. Exit codes: 0 done, 1 failure, 2 usage.
package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
	"git.dev.trmtracking.org/trm/directus/tools/internal/schemaapi"
)

var tool = schemaapi.Tool{Name: "accesskeys", Plan: plan, Check: checkInstance}

func main() { tool.Main() }

// plan is every call, in order: the columns, then the alias and its
// relation's o2m side.
func plan() []schemaapi.Step {
	var steps []schemaapi.Step
	for _, k := range keys() {
		for i, f := range k.fields {
			steps = append(steps, schemaapi.Post("/fields/"+k.collection, schemaapi.FieldPayload(k.collection, f, k.sort+i),
				"field "+k.collection+"."+f.Name))
		}
	}
	steps = append(steps, schemaapi.Post("/fields/directus_users", schemaapi.FieldPayload("directus_users", crewSeats(), 104),
		"field directus_users.crew_seats"))
	// Directus 11.17.4 rebuilds the foreign key from a PATCH of a relation
	// and fails on a partial one: the whole relation is sent, as
	// snapshots/schema.yaml holds it, with the o2m side named.
	return append(steps, schemaapi.Patch("/relations/entry_crew/user_id", map[string]any{
		"collection": "entry_crew", "field": "user_id", "related_collection": "directus_users",
		"schema": map[string]any{"on_delete": "RESTRICT"},
		"meta": map[string]any{
			"many_collection": "entry_crew", "many_field": "user_id", "one_collection": "directus_users",
			"one_field": "crew_seats", "one_deselect_action": "nullify",
		},
	}, "relation entry_crew.user_id ↔ directus_users.crew_seats"))
}

// checkInstance fails unless the collections this tool extends are there
// and none of the fields it adds is: the tool builds, it does not
// reconcile.
func checkInstance(ctx context.Context, c *directusctl.Client) error {
	have, err := schemaapi.CollectionNames(ctx, c)
	if err != nil {
		return err
	}
	var missing []string
	for _, name := range []string{"organizations", "organization_users", "events", "entries", "entry_crew"} {
		if !have[name] {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("the instance lacks %s; start it from the Phase 5 snapshot (README.md)", strings.Join(missing, ", "))
	}
	want := map[string][]string{"directus_users": {"crew_seats"}}
	for _, k := range keys() {
		for _, f := range k.fields {
			want[k.collection] = append(want[k.collection], f.Name)
		}
	}
	for coll, names := range want {
		var fields []struct {
			Field string `json:"field"`
		}
		if err := c.Do(ctx, http.MethodGet, "/fields/"+coll, nil, nil, &fields); err != nil {
			return fmt.Errorf("listing the fields of %s: %w", coll, err)
		}
		for _, f := range fields {
			for _, n := range names {
				if f.Field == n {
					return fmt.Errorf("the instance has %s.%s already; run this tool on a fresh scratch instance (README.md)", coll, n)
				}
			}
		}
	}
	return nil
}
