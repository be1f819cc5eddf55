// Package scaling proves that several Directus instances over one
// PostgreSQL and one Redis, configured as compose runs its replicas
// (deploy/scaling.env), behave as one service, and measures what a second
// instance buys on this machine (BenchmarkGetEntries).
package scaling
