// Package hidden is internal: not the module's API.
package hidden

// Secret is not recorded.
func Secret() {}
