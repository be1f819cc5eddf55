// Package extensions tests the extension bundle's workflows (extensions/trm)
// end to end: a real Directus 11.17.4 loading the built bundle, over a
// database the image's boot provisioned, and a real redis-server for the
// recompute requests. Part of the tests module (git.dev.trmtracking.org/trm/directus/tests).
package extensions
