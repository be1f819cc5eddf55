package testdirectus

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"git.dev.trmtracking.org/trm/directus/internal/boot"
	"git.dev.trmtracking.org/trm/directus/internal/settings"
	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testenv"
)

// Provision runs the entrypoint's boot pipeline (internal/boot) on dbURL
// with the repository's committed snapshot, db-init and access files, exactly as the
// image does at start-up, with TimescaleDB optional. extraEnv (KEY=VALUE)
// overrides settings, e.g. TRM_SNAPSHOT.
func Provision(t testing.TB, dbURL string, extraEnv ...string) {
	t.Helper()
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	node, script, err := Runtime()
	if err != nil {
		t.Fatal(err)
	}
	env := append(Env(dbURL, 0),
		"TRM_NODE="+node, "TRM_DIRECTUS_CLI="+script,
		"TRM_SNAPSHOT="+filepath.Join(root, "snapshots", "schema.yaml"),
		"TRM_DB_INIT_DIR="+filepath.Join(root, "db-init"),
		"TRM_ACCESS_DIR="+filepath.Join(root, "access"),
		"TRM_TIMESCALEDB=optional", "TRM_DB_WAIT_TIMEOUT=20s", "TRM_START_COMMAND=true")
	env = append(env, extraEnv...)
	vars := map[string]string{}
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			vars[k] = v
		}
	}
	s, err := settings.Load(settings.FromEnv(directusctl.Env{Lookup: func(k string) (string, bool) { v, ok := vars[k]; return v, ok }, ReadFile: os.ReadFile}, env), settings.Entrypoint)
	if err != nil {
		t.Fatalf("provision config: %v", err)
	}
	var log strings.Builder
	b, err := boot.New(boot.NewConfig(s, env), slog.New(slog.NewTextHandler(&log, nil)))
	if err != nil {
		t.Fatalf("provision: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if _, err := b.Run(ctx); err != nil {
		t.Fatalf("provision %s: %v\n%s", dbURL, err, log.String())
	}
}

// StartProvisioned provisions dbURL as the image does, then starts
// Directus on it.
func StartProvisioned(t testing.TB, dbURL string, opts ...Option) *Instance {
	t.Helper()
	Provision(t, dbURL)
	return Start(t, dbURL, append([]Option{WithoutBootstrap()}, opts...)...)
}
