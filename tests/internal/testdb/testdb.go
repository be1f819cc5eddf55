// Package testdb gives integration tests real PostgreSQL databases with
// PostGIS available, each test its own fresh database.
//
// The server comes from, in order:
//
//  1. TRM_TEST_DATABASE_URL: an existing server; the URL's role must be
//     allowed to CREATE DATABASE;
//  2. testcontainers-go with a PostGIS image, when a Docker engine answers;
//  3. a throwaway cluster made with the local PostgreSQL binaries
//     (pg_config --bindir, else /usr/lib/postgresql/*/bin), run as the
//     postgres user when the process is root, removed when tests end.
//
// TRM_TEST_DB_PROVIDER=url|docker|local forces one. When none works the
// tests fail with a message saying how to provide one: they never skip.
package testdb

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"git.dev.trmtracking.org/trm/directus/tests/internal/testenv"
	"github.com/jackc/pgx/v5"
	"github.com/testcontainers/testcontainers-go"
	tcpostgres "github.com/testcontainers/testcontainers-go/modules/postgres"
)

// PostGISImage is the image used when a Docker engine is available.
const PostGISImage = "postgis/postgis:15-3.4"

// Server is a PostgreSQL server that hands out fresh databases.
type Server struct {
	// AdminURL connects as a role that may create databases.
	AdminURL string
	// Kind says where the server came from: url, docker or local.
	Kind string
	stop func() error
	seq  atomic.Int64
}

const howTo = `no PostgreSQL server for integration tests. Provide one of:
  - TRM_TEST_DATABASE_URL=postgres://USER:PASSWORD@HOST:PORT/postgres (a role allowed to CREATE DATABASE; PostGIS installed on the server)
  - a running Docker engine (testcontainers pulls ` + PostGISImage + `)
  - local binaries: apt-get install postgresql-15 postgresql-15-postgis-3`

// Main starts a server, points *srv at it, runs the tests and stops it.
// Use it from TestMain: os.Exit(testdb.Main(m, &pg)).
func Main(m *testing.M, srv **Server) int {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	s, err := Start(ctx)
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "testdb: %v\n", err)
		return 1
	}
	*srv = s
	code := m.Run()
	if err := s.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "testdb: stop %s server: %v\n", s.Kind, err)
	}
	return code
}

// Start finds or starts a server, in the order of the package doc.
func Start(ctx context.Context) (*Server, error) {
	forced := os.Getenv("TRM_TEST_DB_PROVIDER")
	if u := os.Getenv("TRM_TEST_DATABASE_URL"); u != "" && (forced == "" || forced == "url") {
		return &Server{AdminURL: u, Kind: "url", stop: func() error { return nil }}, nil
	}
	var tried []string
	if forced == "" || forced == "docker" {
		s, err := startDocker(ctx)
		if err == nil {
			return s, nil
		}
		tried = append(tried, "docker: "+err.Error())
	}
	if forced == "" || forced == "local" {
		s, err := StartLocal(ctx)
		if err == nil {
			return s, nil
		}
		tried = append(tried, "local binaries: "+err.Error())
	}
	if forced != "" && forced != "url" && forced != "docker" && forced != "local" {
		return nil, fmt.Errorf("TRM_TEST_DB_PROVIDER=%q: want url, docker or local", forced)
	}
	return nil, fmt.Errorf("%s\ntried:\n  %s", howTo, strings.Join(tried, "\n  "))
}

// Stop stops a server this package started (a no-op for a URL).
func (s *Server) Stop() error { return s.stop() }

// dockerReachable answers quickly so machines with only the docker client
// do not wait for testcontainers' own retries.
func dockerReachable() error {
	if h := os.Getenv("DOCKER_HOST"); h != "" {
		return nil
	}
	for _, sock := range []string{"/var/run/docker.sock", filepath.Join(os.Getenv("HOME"), ".docker/run/docker.sock")} {
		if c, err := net.DialTimeout("unix", sock, time.Second); err == nil {
			c.Close()
			return nil
		}
	}
	return errors.New("no Docker engine (DOCKER_HOST unset, no answering docker.sock)")
}

func startDocker(ctx context.Context) (*Server, error) {
	if err := dockerReachable(); err != nil {
		return nil, err
	}
	c, err := tcpostgres.Run(ctx, PostGISImage,
		tcpostgres.WithDatabase("postgres"), tcpostgres.WithUsername("postgres"), tcpostgres.WithPassword("postgres"),
		tcpostgres.BasicWaitStrategies())
	if err != nil {
		return nil, err
	}
	u, err := c.ConnectionString(ctx, "sslmode=disable")
	if err != nil {
		_ = testcontainers.TerminateContainer(c)
		return nil, err
	}
	return &Server{AdminURL: u, Kind: "docker", stop: func() error { return testcontainers.TerminateContainer(c) }}, nil
}

// BinDir finds the PostgreSQL server binaries.
func BinDir() (string, error) {
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		dir := strings.TrimSpace(string(out))
		if _, err := os.Stat(filepath.Join(dir, "initdb")); err == nil {
			return dir, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return majorOf(dirs[i]) > majorOf(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", errors.New("no initdb found via pg_config --bindir or /usr/lib/postgresql/*/bin")
}

func majorOf(dir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return n
}

// StartLocal makes a throwaway cluster from the local binaries, listening
// on a free loopback port, with trust authentication for loopback only.
func StartLocal(ctx context.Context) (*Server, error) {
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	root, err := os.MkdirTemp("", "trm-testdb-")
	if err != nil {
		return nil, err
	}
	cleanup := func() { _ = os.RemoveAll(root) }
	// The server runs as postgres when we are root, so it must reach the
	// directory.
	if err := os.Chmod(root, 0o755); err != nil {
		cleanup()
		return nil, err
	}
	data := filepath.Join(root, "data")
	asUser, err := serverUser()
	if err != nil {
		cleanup()
		return nil, err
	}
	if err := os.Mkdir(data, 0o700); err != nil {
		cleanup()
		return nil, err
	}
	if asUser != nil {
		if err := chownAll(root, asUser); err != nil {
			cleanup()
			return nil, err
		}
	}
	run := func(ctx context.Context, name string, args ...string) error {
		cmd := exec.CommandContext(ctx, filepath.Join(bin, name), args...)
		if asUser != nil {
			cmd = exec.CommandContext(ctx, "runuser", append([]string{"-u", asUser.Username, "--", filepath.Join(bin, name)}, args...)...)
		}
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("%s: %v\n%s", name, err, out)
		}
		return nil
	}
	if err := run(ctx, "initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"); err != nil {
		cleanup()
		return nil, err
	}
	// Loopback is trusted, except for the roles of NewWithPassword, whose
	// passwords are checked: a wrong one must fail as in production.
	if err := os.WriteFile(filepath.Join(data, "pg_hba.conf"), []byte(hba), 0o600); err != nil {
		cleanup()
		return nil, err
	}
	port, err := testenv.FreePort()
	if err != nil {
		cleanup()
		return nil, err
	}
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c max_connections=200", port, root)
	if err := run(ctx, "pg_ctl", "-D", data, "-l", filepath.Join(root, "server.log"), "-w", "-t", "60", "-o", opts, "start"); err != nil {
		cleanup()
		return nil, err
	}
	stop := func() error {
		defer cleanup()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		return run(ctx, "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
	}
	return &Server{AdminURL: fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port), Kind: "local", stop: stop}, nil
}

// PasswordGroup is the role whose members log in with a password on
// every server (NewWithPassword).
const PasswordGroup = "trm_password_login"

const hba = `local all all trust
host all +` + PasswordGroup + ` 127.0.0.1/32 scram-sha-256
host all +` + PasswordGroup + ` ::1/128 scram-sha-256
host all all 127.0.0.1/32 trust
host all all ::1/128 trust
`

// serverUser is the user the server must run as: postgres when we are root
// (PostgreSQL refuses to run as root), else nil (ourselves).
func serverUser() (*user.User, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root and there is no postgres user to run the server as: %w", err)
	}
	return u, nil
}

func chownAll(dir string, u *user.User) error {
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, gid)
	})
}

var unsafeName = regexp.MustCompile(`[^a-z0-9_]+`)

// New creates a fresh database for the test and drops it when the test
// ends. It returns the database's URL.
func (s *Server) New(t testing.TB) string {
	t.Helper()
	return s.create(t, "")
}

// Copy creates a database for the test as a copy of the database at
// dbURL, which nothing may be connected to, and drops it when the test
// ends. It is how a benchmark repeats a step from the same state without
// paying again for the state.
func (s *Server) Copy(t testing.TB, dbURL string) string {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil || strings.TrimPrefix(u.Path, "/") == "" {
		t.Fatalf("testdb: copy: %q names no database", dbURL)
	}
	return s.create(t, strings.TrimPrefix(u.Path, "/"))
}

func (s *Server) create(t testing.TB, template string) string {
	t.Helper()
	name := strings.Trim(unsafeName.ReplaceAllString(strings.ToLower(t.Name()), "_"), "_")
	if len(name) > 40 {
		name = name[:40]
	}
	name = fmt.Sprintf("trm_%s_%d_%d", name, os.Getpid(), s.seq.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	create := "CREATE DATABASE " + pgx.Identifier{name}.Sanitize()
	if template != "" {
		create += " TEMPLATE " + pgx.Identifier{template}.Sanitize()
	}
	if err := s.exec(ctx, create); err != nil {
		t.Fatalf("testdb: create database %s on the %s server: %v", name, s.Kind, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := s.exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("testdb: drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(s.AdminURL)
	if err != nil {
		t.Fatalf("testdb: admin URL: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// NewWithPassword creates a fresh database owned by a new role that logs
// in with password, and returns the database's URL as that role, the
// password in it. The server checks it: a wrong password fails (the test
// fails, saying so, on a server of TRM_TEST_DATABASE_URL that does not).
func (s *Server) NewWithPassword(t testing.TB, password string) string {
	t.Helper()
	admin := s.New(t)
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("testdb: %v", err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	role := name + "_owner"
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	stmts := []string{
		`DO $$ BEGIN CREATE ROLE ` + PasswordGroup + ` NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$`,
		"CREATE ROLE " + pgx.Identifier{role}.Sanitize() + " LOGIN CREATEDB PASSWORD " + quote(password) + " IN ROLE " + PasswordGroup,
		"ALTER DATABASE " + pgx.Identifier{name}.Sanitize() + " OWNER TO " + pgx.Identifier{role}.Sanitize(),
	}
	for _, sql := range stmts {
		if err := s.exec(ctx, sql); err != nil {
			t.Fatalf("testdb: %v", err)
		}
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = s.exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
		_ = s.exec(ctx, "DROP ROLE IF EXISTS "+pgx.Identifier{role}.Sanitize())
	})
	u.User = url.UserPassword(role, password)
	wrong := *u
	wrong.User = url.UserPassword(role, password+"-wrong")
	if conn, err := pgx.Connect(ctx, wrong.String()); err == nil {
		conn.Close(ctx)
		t.Fatalf("testdb: the %s server lets %s in with a wrong password: give role %s (and its members) password authentication in pg_hba.conf", s.Kind, role, PasswordGroup)
	}
	return u.String()
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func (s *Server) exec(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, s.AdminURL)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}
