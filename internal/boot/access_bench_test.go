package boot

import (
	"path/filepath"
	"testing"

	"git.dev.trmtracking.org/trm/directus/internal/settings"
	"git.dev.trmtracking.org/trm/directus/lib/snapshot"
)

// BenchmarkLoadAccess is what the access files add to every boot, warm
// ones included, before the fast path's query: read, validate against the
// committed snapshot, render canonically and hash the repository's files.
func BenchmarkLoadAccess(b *testing.B) {
	s, err := snapshot.ReadFile(filepath.Join("..", "..", "snapshots", "schema.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	cfg := &Config{}
	cfg.Config = new(settings.Config)
	cfg.AccessDir = filepath.Join("..", "..", "access")
	bt := &Booter{cfg: cfg}
	for b.Loop() {
		if err := bt.loadAccess(s); err != nil {
			b.Fatal(err)
		}
	}
}
