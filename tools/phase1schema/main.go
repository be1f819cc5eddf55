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
	"fmt"
	"net/http"
	"strings"

	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
	"git.dev.trmtracking.org/trm/directus/tools/internal/schemaapi"
)

// plan is every call, in order: each collection with its columns, the
// custom user fields, the o2m aliases, then the relations (foreign keys).
func plan() []step {
	var steps []step
	cs := collections()
	for i := range cs {
		// In the navigation, in this order.
		cs[i].Sort = i + 1
	}
	steps = append(steps, schemaapi.CollectionSteps(cs)...)
	for i, f := range userFields() {
		// After Directus's own fields of directus_users in the user form.
		steps = append(steps, schemaapi.Post("/fields/directus_users", schemaapi.FieldPayload("directus_users", f, 100+i), "field directus_users."+f.Name))
	}
	steps = append(steps, schemaapi.AliasSteps(cs)...)
	return append(steps, schemaapi.RelationSteps(cs)...)
}

var tool = schemaapi.Tool{Name: "phase1schema", Plan: plan, Check: refuseExisting}

func main() { tool.Main() }

// refuseExisting fails when any collection or custom user field this tool
// creates is there already: the tool builds from scratch, it does not
// reconcile (Directus's schema apply does that, from the snapshot).
func refuseExisting(ctx context.Context, c *directusctl.Client) error {
	have, err := schemaapi.CollectionNames(ctx, c)
	if err != nil {
		return err
	}
	var found []string
	for _, c := range collections() {
		if have[c.Name] {
			found = append(found, c.Name)
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
			if x.Field == f.Name {
				found = append(found, "directus_users."+f.Name)
			}
		}
	}
	if len(found) > 0 {
		return fmt.Errorf("the instance has %s already; run this tool on a fresh scratch instance (README.md), or change the schema in the admin UI", strings.Join(found, ", "))
	}
	return nil
}
