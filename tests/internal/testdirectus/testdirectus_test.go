package testdirectus

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"git.dev.trmtracking.org/trm/directus/internal/settings"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testdb"
)

var pg *testdb.Server

func TestMain(m *testing.M) { os.Exit(testdb.Main(m, &pg)) }

func TestRuntimePrefersTheEnvironment(t *testing.T) {
	dir := t.TempDir()
	node, script := filepath.Join(dir, "node"), filepath.Join(dir, "run.js")
	if err := os.WriteFile(node, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(script, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TRM_NODE", node)
	t.Setenv("TRM_DIRECTUS_CLI", script)
	gotNode, gotScript, err := Runtime()
	if err != nil || gotNode != node || gotScript != script {
		t.Fatalf("Runtime() = %q, %q, %v; want %q, %q", gotNode, gotScript, err, node, script)
	}

	t.Setenv("TRM_DIRECTUS_CLI", filepath.Join(dir, "missing.js"))
	if _, _, err := Runtime(); err == nil || !strings.Contains(err.Error(), "make directus") {
		t.Fatalf("a missing script: got %v, want an error saying to run make directus", err)
	}
}

// The repository's own runtime must be installed: tests that need
// Directus fail without it rather than skip.
func TestRuntimeFindsRuntimeEnvAboveTheWorkingDirectory(t *testing.T) {
	t.Setenv("TRM_NODE", "")
	t.Setenv("TRM_DIRECTUS_CLI", "")
	node, script, err := Runtime()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(script, filepath.Join("@directus", "api", "dist", "cli", "run.js")) {
		t.Errorf("script = %s, want .../@directus/api/dist/cli/run.js", script)
	}
	if dir := settings.DirectusRoot(script); dir == "" {
		t.Errorf("no package folder derived from %s", script)
	} else if _, err := os.Stat(filepath.Join(dir, "package.json")); err != nil {
		t.Errorf("PACKAGE_FILE_LOCATION %s: %v", dir, err)
	}
	if _, err := os.Stat(node); err != nil {
		t.Error(err)
	}
}

func TestRuntimeMissingSaysHowToInstall(t *testing.T) {
	t.Setenv("TRM_NODE", "")
	t.Setenv("TRM_DIRECTUS_CLI", "")
	root := t.TempDir()
	// The walk stops at the repository root: it must not find this
	// checkout's runtime.env from a foreign tree.
	if err := os.WriteFile(filepath.Join(root, "go.work"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(root, "a", "b")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(sub)
	_, _, err := Runtime()
	if err == nil || !strings.Contains(err.Error(), "make directus") || !strings.Contains(err.Error(), "runtime.env") {
		t.Fatalf("got %v, want an error naming runtime.env and make directus", err)
	}

	if err := os.MkdirAll(filepath.Join(root, "directus"), 0o755); err != nil {
		t.Fatal(err)
	}
	node := filepath.Join(root, "node")
	script := filepath.Join(root, "run.js")
	_ = os.WriteFile(node, nil, 0o755)
	_ = os.WriteFile(script, nil, 0o644)
	env := "# written by scripts/install-directus.sh\nTRM_NODE=\"" + node + "\"\nTRM_DIRECTUS_CLI=" + script + "\nTRM_DIRECTUS_VERSION=11.17.4\n"
	if err := os.WriteFile(filepath.Join(root, "directus", "runtime.env"), []byte(env), 0o644); err != nil {
		t.Fatal(err)
	}
	gotNode, gotScript, err := Runtime()
	if err != nil || gotNode != node || gotScript != script {
		t.Fatalf("Runtime() = %q, %q, %v; want the runtime.env two folders up", gotNode, gotScript, err)
	}
}

func TestEnvParsesTheDatabaseURL(t *testing.T) {
	env := Env("postgres://trm:p%40ss@db.example:6543/trm_x?sslmode=disable", 18055)
	for _, want := range []string{
		"DB_CLIENT=pg", "DB_HOST=db.example", "DB_PORT=6543", "DB_DATABASE=trm_x", "DB_USER=trm", "DB_PASSWORD=p@ss",
		"PORT=18055", "PUBLIC_URL=http://127.0.0.1:18055", "HOST=127.0.0.1", "ADMIN_TOKEN=" + AdminToken,
		"TELEMETRY=false", "FORCE_COLOR=0", "LOG_LEVEL=info",
	} {
		if !slices.Contains(env, want) {
			t.Errorf("Env lacks %s", want)
		}
	}
	for _, prefix := range []string{"PACKAGE_FILE_LOCATION=/", "EXTENSIONS_PATH=/", "KEY=", "SECRET=", "PATH="} {
		if !slices.ContainsFunc(env, func(e string) bool { return strings.HasPrefix(e, prefix) }) {
			t.Errorf("Env lacks %s...", prefix)
		}
	}

	env = Env("postgres://postgres@127.0.0.1/d", 1)
	if !slices.Contains(env, "DB_PORT=5432") || slices.ContainsFunc(env, func(e string) bool { return strings.HasPrefix(e, "DB_PASSWORD=") }) {
		t.Errorf("a URL without port and password: %v", env)
	}
}

func TestStartServesAndStopsCleanly(t *testing.T) {
	inst := Start(t, pg.New(t))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	h, err := inst.Client().Health(ctx)
	if err != nil || !h.Healthy() {
		t.Fatalf("health: %+v, %v", h, err)
	}
	// An admin sees the individual checks: proof the static token works.
	if !strings.Contains(string(h.Raw), `"checks"`) {
		t.Errorf("health as admin has no checks: %s", h.Raw)
	}
	if err := inst.Stop(); err != nil {
		t.Fatalf("a clean stop (exit 143) is not an error: %v", err)
	}
	if err := inst.Stop(); err != nil {
		t.Fatalf("stopping twice: %v", err)
	}
	if !strings.Contains(inst.Log(), `"level":30`) {
		t.Errorf("the server log has no JSON info lines:\n%s", inst.Log())
	}
}

func TestStartFailureShowsTheServerOutput(t *testing.T) {
	_, err := start(t, pg.New(t), WithoutBootstrap(), WithHealthTimeout(45*time.Second))
	if err == nil {
		t.Fatal("a server on a database without Directus tables started")
	}
	msg := err.Error()
	for _, want := range []string{"exited", "server output", "Directus tables"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the error lacks %q:\n%s", want, msg)
		}
	}
}
