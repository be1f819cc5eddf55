// Package schema tests the committed Phase 1 schema as it boots: the
// snapshot Directus wrote (snapshots/schema.yaml), the post-schema
// constraints (db-init/post) and the extension that makes their errors
// readable (extensions/trm, constraint-errors), on a fresh database,
// through Directus's REST API as users meet them.
//
// One provisioned database and one Directus server serve every test:
// each start costs seconds on the shared machines.
package schema
