// Package testdirectus runs a real Directus 11 for tests, over a database
// that tests/internal/testdb provides.
//
// The Directus runtime (Node 22 and the pinned Directus install) comes
// from TRM_NODE and TRM_DIRECTUS_CLI, else from directus/runtime.env that
// `make directus` (scripts/install-directus.sh) writes. Without it tests
// fail, saying so: they never skip.
//
// Each Start costs a bootstrap (~4 s) and a server start (~3 s) on a
// loaded machine: share an Instance between subtests that need no
// isolation.
package testdirectus

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"git.dev.trmtracking.org/trm/directus/internal/settings"
	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testenv"
)

// The first admin that bootstrap creates. ADMIN_TOKEN becomes the admin's
// static token, so tests need no login.
const (
	AdminEmail    = "admin@example.com"
	AdminPassword = "trm-test-password"
	AdminToken    = "trm-test-admin-token"
	// Key and Secret are fixed so that tokens and hashes are reproducible
	// across runs; they protect nothing.
	Key    = "trm-test-key"
	Secret = "trm-test-secret-0123456789abcdef0123456789abcdef"
)

const howTo = "install the Directus runtime: make directus (scripts/install-directus.sh), or set TRM_NODE and TRM_DIRECTUS_CLI"

// Runtime returns the node binary and Directus's CLI script (run.js):
// from TRM_NODE and TRM_DIRECTUS_CLI when set, else from
// directus/runtime.env in the first folder at or above the working
// directory that has one, up to the repository root.
func Runtime() (node, script string, err error) {
	node, script = os.Getenv("TRM_NODE"), os.Getenv("TRM_DIRECTUS_CLI")
	if node == "" || script == "" {
		vars, path, err := readRuntimeEnv()
		if err != nil {
			return "", "", err
		}
		if node == "" {
			node = vars["TRM_NODE"]
		}
		if script == "" {
			script = vars["TRM_DIRECTUS_CLI"]
		}
		if node == "" || script == "" {
			return "", "", fmt.Errorf("directus runtime: %s lacks TRM_NODE or TRM_DIRECTUS_CLI: %s", path, howTo)
		}
	}
	if fi, err := os.Stat(node); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		return "", "", fmt.Errorf("directus runtime: node %s is not an executable file: %s", node, howTo)
	}
	if _, err := os.Stat(script); err != nil {
		return "", "", fmt.Errorf("directus runtime: CLI script %s: %v: %s", script, errors.Unwrap(err), howTo)
	}
	return node, script, nil
}

// readRuntimeEnv reads directus/runtime.env with trmctl's parser
// (internal/settings), from the first folder at or above the working
// directory that has one.
func readRuntimeEnv() (map[string]string, string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return nil, "", fmt.Errorf("directus runtime: %w", err)
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		path := filepath.Join(dir, filepath.FromSlash(settings.RuntimeEnvPath))
		vars, err := settings.ReadRuntimeEnv(path)
		if err == nil {
			return vars, path, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, "", fmt.Errorf("directus runtime: %w: %s", err, howTo)
		}
		if testenv.IsRepoRoot(dir) || filepath.Dir(dir) == dir {
			return nil, "", fmt.Errorf("directus runtime: no directus/runtime.env at or above %s and TRM_NODE/TRM_DIRECTUS_CLI unset: %s", wd, howTo)
		}
	}
}

// extensionsDir is the repository's extensions/, which the image ships:
// tests run Directus as it runs in production. Outside a checkout it is an
// empty folder.
func extensionsDir() string {
	if root, err := testenv.RepoRoot(); err == nil {
		if d := filepath.Join(root, "extensions"); isDir(d) {
			return d
		}
	}
	return sharedDir("extensions")
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// sharedDir is a per-user folder under the system temp folder: Env must
// name folders without owning a test to clean them up. Start gives each
// instance its own instead.
func sharedDir(name string) string {
	d := filepath.Join(os.TempDir(), fmt.Sprintf("trm-testdirectus-%d", os.Getuid()), name)
	_ = os.MkdirAll(d, 0o755)
	return d
}

// Env is the complete environment of a Directus process for a PostgreSQL
// URL (postgres://user[:password]@host[:port]/database; query parameters
// are ignored) and an HTTP port. Later entries win, so callers extend or
// override it by appending KEY=VALUE.
func Env(dbURL string, port int) []string {
	env := []string{"DB_CLIENT=pg"}
	if u, err := url.Parse(dbURL); err == nil && u.Host != "" {
		dbPort := u.Port()
		if dbPort == "" {
			dbPort = "5432"
		}
		user := u.User.Username()
		if user == "" {
			user = "postgres"
		}
		env = append(env, "DB_HOST="+u.Hostname(), "DB_PORT="+dbPort,
			"DB_DATABASE="+strings.TrimPrefix(u.Path, "/"), "DB_USER="+user)
		if pw, ok := u.User.Password(); ok {
			env = append(env, "DB_PASSWORD="+pw)
		}
	} else {
		// Directus reports what is wrong with it better than a guess here.
		env = append(env, "DB_CONNECTION_STRING="+dbURL)
	}
	publicURL := fmt.Sprintf("http://127.0.0.1:%d", port)
	env = append(env,
		"KEY="+Key, "SECRET="+Secret,
		"ADMIN_EMAIL="+AdminEmail, "ADMIN_PASSWORD="+AdminPassword, "ADMIN_TOKEN="+AdminToken,
		"HOST=127.0.0.1", "PORT="+strconv.Itoa(port), "PUBLIC_URL="+publicURL,
		"EXTENSIONS_PATH="+extensionsDir(),
		"STORAGE_LOCAL_ROOT="+sharedDir("uploads"),
		// A .env in the working directory must not leak into tests.
		"CONFIG_PATH="+filepath.Join(sharedDir("config"), "none.env"),
		"TELEMETRY=false", "LOG_LEVEL=info", "FORCE_COLOR=0", "NODE_ENV=production",
		// The pressure limiter answers 503 when the event loop lags, which a
		// shared 2-core test machine causes: tests assert behaviour, not load.
		"PRESSURE_LIMITER_ENABLED=false",
	)
	if _, script, err := Runtime(); err == nil {
		// The Directus folder, whose package.json PACKAGE_FILE_LOCATION
		// must name, as trmctl and the entrypoint find it.
		if dir := settings.DirectusRoot(script); dir != "" {
			env = append(env, "PACKAGE_FILE_LOCATION="+dir)
		}
	}
	for _, k := range []string{"PATH", "HOME"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// CLI returns a CLI runner for env. When the runtime is missing its
// commands fail; call Runtime first for the explanation.
func CLI(env []string) *directusctl.CLI {
	node, script, _ := Runtime()
	return &directusctl.CLI{Node: node, Script: script, Dir: os.TempDir(), Env: env}
}

// Option changes what Start does.
type Option func(*config)

type config struct {
	err           error
	env           []string
	skipBootstrap bool
	healthTimeout time.Duration
}

// WithEnv appends KEY=VALUE entries to the environment (they win over
// Env's), e.g. EXTENSIONS_PATH=<folder> to load extensions.
func WithEnv(kv ...string) Option { return func(c *config) { c.env = append(c.env, kv...) } }

// WithoutBootstrap starts the server on the database as it is.
func WithoutBootstrap() Option { return func(c *config) { c.skipBootstrap = true } }

// WithHealthTimeout bounds the wait for /server/health (default 60 s).
func WithHealthTimeout(d time.Duration) Option { return func(c *config) { c.healthTimeout = d } }

// Instance is a running Directus server.
type Instance struct {
	// URL is the server's PUBLIC_URL, e.g. http://127.0.0.1:41234.
	URL string
	// Token is the admin's static token.
	Token string
	Port  int
	// Env is the server's environment; CLI runs with the same one.
	Env []string
	CLI *directusctl.CLI
	// Dir is the server's working folder (uploads, log).
	Dir string
	// LogPath is the file with the server's output (pino JSON lines).
	LogPath string

	tb       testing.TB
	cmd      *exec.Cmd
	exited   chan struct{}
	waitErr  error
	stopOnce sync.Once
	stopErr  error
	// failed: launch reported the failure already; cleanup stays quiet.
	failed bool
}

// Start bootstraps the database, starts `directus start` on a free
// loopback port and waits until it is healthy. The server stops when the
// test ends.
func Start(t testing.TB, dbURL string, opts ...Option) *Instance {
	t.Helper()
	inst, err := start(t, dbURL, opts...)
	if err != nil {
		t.Fatalf("testdirectus: %v", err)
	}
	return inst
}

// portAttempts: a free port can be taken between our probe and
// Directus's listen.
const portAttempts = 3

func start(t testing.TB, dbURL string, opts ...Option) (*Instance, error) {
	cfg := config{healthTimeout: 60 * time.Second}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.err != nil {
		return nil, cfg.err
	}
	node, script, err := Runtime()
	if err != nil {
		return nil, err
	}
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "uploads"), 0o755); err != nil {
		return nil, err
	}
	bootstrapped := cfg.skipBootstrap
	for attempt := 1; ; attempt++ {
		port, err := testenv.FreePort()
		if err != nil {
			return nil, err
		}
		env := append(Env(dbURL, port), "STORAGE_LOCAL_ROOT="+filepath.Join(dir, "uploads"))
		env = append(env, cfg.env...)
		inst := &Instance{
			URL: fmt.Sprintf("http://127.0.0.1:%d", port), Token: AdminToken, Port: port, Env: env,
			CLI: &directusctl.CLI{Node: node, Script: script, Dir: dir, Env: env},
			Dir: dir, LogPath: filepath.Join(dir, fmt.Sprintf("directus-%d.log", attempt)), tb: t,
		}
		if !bootstrapped {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			_, err := inst.CLI.Bootstrap(ctx)
			cancel()
			if err != nil {
				return nil, fmt.Errorf("bootstrap: %w", err)
			}
			bootstrapped = true
		}
		err = inst.launch(cfg.healthTimeout)
		if err == nil {
			return inst, nil
		}
		if attempt == portAttempts || !strings.Contains(inst.Log(), "EADDRINUSE") {
			return nil, err
		}
	}
}

func (i *Instance) launch(healthTimeout time.Duration) error {
	logFile, err := os.Create(i.LogPath)
	if err != nil {
		return err
	}
	defer logFile.Close()
	cmd, err := i.CLI.Command(context.Background(), "start")
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	testenv.DieWithTest(cmd)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("directus start: %w", err)
	}
	i.cmd, i.exited = cmd, make(chan struct{})
	go func() {
		i.waitErr = cmd.Wait()
		close(i.exited)
	}()
	i.tb.Cleanup(func() {
		if err := i.Stop(); err != nil && !i.failed {
			i.tb.Errorf("testdirectus: %v", err)
		}
	})

	errExited := errors.New("the server exited")
	ctx, cancel := context.WithTimeoutCause(context.Background(), healthTimeout,
		fmt.Errorf("no healthy answer within %s", healthTimeout))
	defer cancel()
	stopWatch := make(chan struct{})
	defer close(stopWatch)
	go func() {
		select {
		case <-i.exited:
			cancel()
		case <-stopWatch:
		}
	}()
	client, err := directusctl.NewClient(i.URL, directusctl.WithToken(i.Token))
	if err != nil {
		return err
	}
	if err := client.WaitHealthy(ctx); err != nil {
		select {
		case <-i.exited:
			err = fmt.Errorf("%w (%v) before it was healthy", errExited, i.waitErr)
		default:
		}
		_ = i.Stop()
		i.failed = true
		return fmt.Errorf("directus start on %s: %w\n--- server output (%s) ---\n%s", i.URL, err, i.LogPath, tail(i.Log(), 6000))
	}
	return nil
}

// Client returns a REST client authenticated with the admin's static
// token.
func (i *Instance) Client() *directusctl.Client {
	c, err := directusctl.NewClient(i.URL, directusctl.WithToken(i.Token))
	if err != nil {
		i.tb.Fatalf("testdirectus: %v", err)
	}
	return c
}

// Log returns the server's output so far.
func (i *Instance) Log() string {
	b, _ := os.ReadFile(i.LogPath)
	return string(b)
}

// stopGrace is how long the server gets to shut down after SIGTERM.
const stopGrace = 30 * time.Second

// Stop stops the server (SIGTERM, then SIGKILL after 30 s). Directus exits
// with status 143, or by the re-raised signal, when it stopped cleanly;
// anything else is an error. Stopping twice does nothing.
func (i *Instance) Stop() error {
	i.stopOnce.Do(func() {
		select {
		case <-i.exited:
			i.stopErr = fmt.Errorf("directus on %s had exited already (%v)\n--- server output ---\n%s", i.URL, i.waitErr, tail(i.Log(), 4000))
			return
		default:
		}
		_ = i.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-i.exited:
		case <-time.After(stopGrace):
			_ = i.cmd.Process.Kill()
			<-i.exited
			i.stopErr = fmt.Errorf("directus on %s did not stop within %s of SIGTERM; killed", i.URL, stopGrace)
			return
		}
		if !cleanExit(i.waitErr) {
			i.stopErr = fmt.Errorf("directus on %s stopped badly: %v\n--- server output ---\n%s", i.URL, i.waitErr, tail(i.Log(), 4000))
		}
	})
	return i.stopErr
}

// cleanExit: @godaddy/terminus shuts the server down, then re-raises the
// signal, so a clean stop is 143 or death by SIGTERM rather than 0.
func cleanExit(err error) bool {
	if err == nil {
		return true
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return false
	}
	if ee.ExitCode() == 143 {
		return true
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGTERM
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
