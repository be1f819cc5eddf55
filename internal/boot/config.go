package boot

import (
	"strings"

	"git.dev.trmtracking.org/trm/directus/internal/settings"
	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
)

// OwnedTables are created and owned by db-init: they never reach a
// committed snapshot nor Directus's schema apply.
var OwnedTables = []string{"positions", "recompute_outbox", "migrations_applied", StateTable}

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
	// Serve asks Run to hand over the Directus process that provisioned,
	// when one ran, instead of ending it (Outcome.Server): the entrypoint
	// has it serve.
	Serve bool
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
		Serve:   servesItself(s, env),
	}
}

// servesItself says whether the start command is Directus's own `start`,
// which the process that provisioned can run with its modules loaded
// (TRM_SERVE=auto, docs/boot-provisioner.md): `TRM_NODE TRM_DIRECTUS_CLI
// start`, or the image's pm2-runtime with one instance and nothing else
// of PM2's configured (PM2 would otherwise supervise, cluster or restart
// differently from the entrypoint).
func servesItself(s *settings.Config, environ []string) bool {
	if s.ServeExec {
		return false
	}
	cmd := strings.Join(s.StartCommand, " ")
	if cmd == s.Node+" "+s.DirectusCLI+" start" {
		return true
	}
	if cmd != settings.DefaultStartCommand {
		return false
	}
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "PM2_") && (k != "PM2_INSTANCES" || v != "1") {
			return false
		}
	}
	return true
}
