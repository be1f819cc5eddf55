// Package inner is a second package of the module.
package inner

// Version is a constant.
const Version = "v0"
