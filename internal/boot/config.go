package boot

import (
	"git.dev.trmtracking.org/trm/directus/internal/settings"
	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
)

// OwnedTables are created and owned by db-init: they never reach a
// committed snapshot nor Directus's schema apply.
var OwnedTables = []string{"positions", "migrations_applied", StateTable}

// Excluded are the table patterns left out of every snapshot and plan:
// OwnedTables and TRM_SNAPSHOT_EXCLUDE's.
func Excluded(extra []string) []string {
	return append(append([]string{}, OwnedTables...), extra...)
}

// Config is everything a boot needs: the settings, and the Directus CLI
// with the environment Directus runs in.
type Config struct {
	*settings.Config
	// Exclude lists table patterns owned by db-init (Excluded).
	Exclude []string
	CLI     *directusctl.CLI
	// Environ is the environment given to Directus, its CLI and the start
	// command: the process's, with the database the settings named
	// (Config.DirectusEnviron).
	Environ []string
}

// NewConfig puts the settings and the environment together. Both binaries
// build their boot configuration with it.
func NewConfig(s *settings.Config, environ []string) *Config {
	env := s.DirectusEnviron(environ)
	return &Config{
		Config:  s,
		Exclude: Excluded(s.SnapshotExclude),
		CLI:     &directusctl.CLI{Node: s.Node, Script: s.DirectusCLI, Dir: s.DirectusDir, Env: env},
		Environ: env,
	}
}
