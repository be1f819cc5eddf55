// Package directusctl drives a Directus 11 instance for the TRM business
// plane: its configuration variables (Directus's DB_* and *_FILE
// conventions), its CLI (bootstrap, schema snapshot and apply, start) and
// its REST API.
//
// It depends on the standard library only, so a service that talks to
// Directus does not pull a database driver.
package directusctl
