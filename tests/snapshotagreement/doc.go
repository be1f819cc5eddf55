// Package agreement checks lib/snapshot's Diff against Directus's own
// POST /schema/diff on a real Directus 11.17.4 over PostgreSQL + PostGIS,
// and benchmarks the two. It lives in the tests module so that lib/snapshot's
// build never carries the test harness (pgx, testcontainers).
package agreement
