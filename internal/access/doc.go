// Package access keeps Directus's roles, policies and permissions as code:
// the files in access/ (access.yaml and policies/*.yaml), keyed by names,
// never by Directus's generated ids, so that any two instances converge.
// docs/access-model.md is the model; docs/access-matrix.md, rendered by
// Matrix, is what a person reviews.
//
// # Files
//
// Read and ReadDir read the files and report every problem with its file,
// line and column (*ProblemsError). Validate checks a set against the
// Catalog of the committed schema snapshot: collections, fields and
// relational paths exist; actions, operators and dynamic variables are
// Directus's; and the rules are in a form Directus 11.17.4 applies as
// written — it refuses $FOLLOW (a 500 in a permission), _some below the
// first relation (silently dropped, so the rule matches every row), a
// writable field the update's own filter reads (the item could be moved out
// of the filter's reach), validations or presets that differ between two
// policies of one role (Directus applies all of them to everyone holding
// both) and a collection nobody decided about. Files renders a set in the
// canonical layout pull writes.
//
// # Live
//
// Pull reads an instance over REST into a Live (with ids); Live.Set turns
// it into names. MakePlan compares files with a Live: the roles, policies,
// grants (a policy given to a role) and permissions to create, update or
// delete, a permission's rules leaf by leaf. A change is destructive when
// people lose a role or a policy they hold now; Apply refuses such a plan
// (*RefusedError) unless an Allowance (TRM_ALLOW_ACCESS_REMOVAL) names
// them. Reconcile is the guarded apply: load, plan, refuse, apply, load
// again and check that live equals the files (*NotConvergedError
// otherwise), through a Store: REST (a running instance, trmctl) or SQL
// (Directus's tables in one transaction, the boot's, before the server
// starts); the plan and apply logic is the same for both. LiveOf presents a set as if it were live,
// for an offline diff between two folders.
//
// The built-in administrator role and policy (bootstrap's) are checked,
// never created or deleted; the public policy (Directus's, given to no role
// and no user) holds the public permissions of the files: none.
package access
