package secrets

import (
	"bytes"
	"context"
	"errors"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"git.dev.trmtracking.org/trm/directus/tests/internal/testdirectus"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testenv"
)

// secret is the known secret: with characters that URLs escape, so that
// every encoding of it is searched for too.
const secret = "Zq7/s3cr3t@p%ss:w0rd"

// forms are the ways the secret can be written: as is, and escaped as a
// URL's password, query value or path would have it.
func forms() []string {
	return []string{secret, url.QueryEscape(secret), url.PathEscape(secret), url.UserPassword("u", secret).String()[2:], "s3cr3t"}
}

type outcome struct {
	code   int
	output string
}

func runBinary(t *testing.T, bin string, env []string, args ...string) outcome {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}, env...)
	cmd.Dir = t.TempDir()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	testenv.DieWithTest(cmd)
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return outcome{0, out.String()}
	case errors.As(err, &ee):
		return outcome{ee.ExitCode(), out.String()}
	}
	t.Fatalf("run %s: %v", bin, err)
	return outcome{}
}

type battery struct {
	name string
	env  []string
	args []string
	// code is the exit code wanted; 0 means any failure.
	code int
}

func check(t *testing.T, c battery, o outcome) {
	t.Helper()
	if o.code == 0 || (c.code != 0 && o.code != c.code) {
		t.Errorf("exit %d, want %s\n%s", o.code, map[bool]string{true: "a failure", false: "exit " + strconv.Itoa(c.code)}[c.code == 0], o.output)
	}
	for _, f := range forms() {
		if strings.Contains(o.output, f) {
			t.Errorf("the secret (as %q) is in the output:\n%s", f, o.output)
		}
	}
	for _, bad := range []string{"<nil>", "\n    at "} {
		if strings.Contains(o.output, bad) {
			t.Errorf("the output holds %q:\n%s", bad, o.output)
		}
	}
}

func TestNoFailingCommandOfEitherBinaryPrintsASecret(t *testing.T) {
	node, script, err := testdirectus.Runtime()
	if err != nil {
		t.Fatal(err)
	}
	// A role whose password is the secret, and one whose password is not
	// (the secret is then a wrong password).
	right, err := url.Parse(pg.NewWithPassword(t, secret))
	if err != nil {
		t.Fatal(err)
	}
	other, err := url.Parse(pg.NewWithPassword(t, "another-password-42"))
	if err != nil {
		t.Fatal(err)
	}
	wrong := *other
	wrong.User = url.UserPassword(other.User.Username(), secret)
	host, port, db, user := right.Hostname(), right.Port(), strings.TrimPrefix(right.Path, "/"), right.User.Username()
	noDB := *right
	noDB.Path = "/no_such_database"

	dir := t.TempDir()
	pwFile := filepath.Join(dir, "db-password")
	write(t, pwFile, secret+"\n")
	malformed := filepath.Join(dir, "schema.yaml")
	write(t, malformed, "version: 1\ncollections: [\n  - "+secret+"\n")
	config := filepath.Join(dir, "trmctl.yaml")
	write(t, config, "database-url: postgres://u:"+secret+"@127.0.0.1:abc/d\ntimeout: [1, 2]\n")
	tokenFile := filepath.Join(dir, "token")
	write(t, tokenFile, secret)

	esc := url.UserPassword("u", secret).String()[2:] // the secret as a URL writes a password
	badURLs := map[string]string{
		"bad %-escape":         "postgres://u:" + esc + "%zz@127.0.0.1/d",
		"unclosed IPv6":        "postgres://u:" + esc + "@[::1/d",
		"non-numeric port":     "postgres://u:" + esc + "@127.0.0.1:abc/d",
		"port out of range":    "postgres://u:" + esc + "@127.0.0.1:99999/d",
		"unescaped secret":     "postgres://u:" + secret + "@127.0.0.1/d",
		"keyword/value":        "host=127.0.0.1 password='" + secret + "' port=abc",
		"other scheme":         "mysql://u:" + esc + "@127.0.0.1/d",
		"two hosts":            "postgres://u:" + esc + "@h1:5432,h2:5432/d",
		"bad sslmode":          "postgres://u:" + esc + "@127.0.0.1/d?sslmode=" + url.QueryEscape(secret),
		"newline":              "postgres://u:" + esc + "@127.0.0.1/d\n",
		"unreachable host":     "postgres://u:" + esc + "@127.0.0.1:1/d?connect_timeout=2",
		"unresolvable host":    "postgres://u:" + esc + "@no-such-host.invalid/d?connect_timeout=2",
		"wrong password":       wrong.String(),
		"no such database":     noDB.String(),
		"password in a query":  "postgres://" + user + "@" + host + ":1/" + db + "?connect_timeout=2&password=" + url.QueryEscape(secret),
		"password in fragment": "postgres://" + user + "@" + host + ":1/" + db + "#" + secret,
	}
	dbParts := func(kv ...string) []string {
		env := []string{"DB_CLIENT=pg", "DB_HOST=" + host, "DB_PORT=" + port, "DB_DATABASE=" + db, "DB_USER=" + user, "DB_PASSWORD=" + secret}
		return append(env, kv...)
	}
	badParts := map[string][]string{
		"DB_PORT not a number":             dbParts("DB_PORT=abc"),
		"DB_HOST with a port":              dbParts("DB_HOST=" + host + ":" + port),
		"DB_HOST unclosed IPv6":            dbParts("DB_HOST=[::1"),
		"DB_HOST with the secret":          dbParts("DB_HOST=u:" + secret + "@h"),
		"DB_PASSWORD_FILE and DB_PASSWORD": append(dbParts("DB_PASSWORD_FILE="+pwFile), "DB_PORT=1"),
		"DB_PASSWORD_FILE, unreachable":    {"DB_HOST=127.0.0.1", "DB_PORT=1", "DB_DATABASE=d", "DB_USER=u", "DB_PASSWORD_FILE=" + pwFile},
		"DB_PASSWORD_FILE, no database":    {"DB_HOST=" + host, "DB_PORT=" + port, "DB_DATABASE=no_such_database", "DB_USER=" + user, "DB_PASSWORD_FILE=" + pwFile},
		"DB_PASSWORD wrong":                {"DB_HOST=" + host, "DB_PORT=" + port, "DB_DATABASE=" + strings.TrimPrefix(other.Path, "/"), "DB_USER=" + other.User.Username(), "DB_PASSWORD=" + secret},
		"DB_CONNECTION_STRING bad port":    {"DB_CONNECTION_STRING=postgres://u:" + esc + "@127.0.0.1:abc/d"},
		"DB_CONNECTION_STRING wrong pw":    {"DB_CONNECTION_STRING=" + wrong.String()},
		"DB_CONNECTION_STRING keyword":     {"DB_CONNECTION_STRING=host=h password=" + secret},
	}

	directusSecrets := []string{"KEY=" + secret, "SECRET=" + secret, "ADMIN_PASSWORD=" + secret, "ADMIN_TOKEN=" + secret, "ADMIN_EMAIL=admin@example.com"}
	entryEnv := func(kv ...string) []string {
		env := append([]string{"TRM_NODE=" + node, "TRM_DIRECTUS_CLI=" + script,
			"TRM_SNAPSHOT=" + testenv.Path(t, "snapshots/schema.yaml"), "TRM_DB_INIT_DIR=" + testenv.Path(t, "db-init"), "TRM_ACCESS_DIR=" + testenv.Path(t, "access"),
			"TRM_TIMESCALEDB=optional", "TRM_START_COMMAND=true", "TRM_DB_WAIT_TIMEOUT=3s", "NODE_ENV=production",
			"TELEMETRY=false", "TMPDIR=" + t.TempDir()}, directusSecrets...)
		return append(env, kv...)
	}
	ctlEnv := func(kv ...string) []string {
		return append([]string{"TRM_NODE=" + node, "TRM_DIRECTUS_CLI=" + script, "TRM_DB_INIT_DIR=" + testenv.Path(t, "db-init"),
			"TRM_SNAPSHOT=" + testenv.Path(t, "snapshots/schema.yaml"), "TRM_ACCESS_DIR=" + testenv.Path(t, "access"), "TRM_TIMESCALEDB=optional", "TRM_DB_WAIT_TIMEOUT=3s"}, kv...)
	}

	var cases []battery
	for name, u := range badURLs {
		cases = append(cases,
			battery{name: "entrypoint TRM_DATABASE_URL " + name, env: entryEnv("TRM_DATABASE_URL=" + u)},
			battery{name: "entrypoint DB_CONNECTION_STRING " + name, env: entryEnv("DB_CONNECTION_STRING=" + u)},
			battery{name: "trmctl migrate status TRM_DATABASE_URL " + name, env: ctlEnv("TRM_DATABASE_URL=" + u), args: []string{"migrate", "status"}},
			battery{name: "trmctl migrate up --database-url " + name, env: ctlEnv(), args: []string{"migrate", "up", "--database-url", u}},
			battery{name: "trmctl boot plan --database-url " + name, env: ctlEnv(), args: []string{"boot", "plan", "--database-url", u}},
			battery{name: "trmctl snapshot check --database-url " + name, env: ctlEnv(), args: []string{"snapshot", "check", "--database-url", u}},
			battery{name: "trmctl access diff --database-url " + name, env: ctlEnv(), args: []string{"access", "diff", "--database-url", u}},
			battery{name: "trmctl snapshot pull DB_CONNECTION_STRING " + name, env: ctlEnv("DB_CONNECTION_STRING=" + u), args: []string{"snapshot", "pull", "-o", "-"}},
		)
	}
	for name, env := range badParts {
		cases = append(cases,
			battery{name: "entrypoint " + name, env: entryEnv(env...)},
			battery{name: "trmctl migrate up " + name, env: ctlEnv(env...), args: []string{"migrate", "up"}},
			battery{name: "trmctl boot plan " + name, env: ctlEnv(env...), args: []string{"boot", "plan", "--json"}},
			battery{name: "trmctl snapshot check " + name, env: ctlEnv(env...), args: []string{"snapshot", "check"}},
		)
	}
	good := "TRM_DATABASE_URL=" + right.String()
	seedFile, accessDir := testenv.Path(t, "seed/rally-albania-2026/seed.yaml"), testenv.Path(t, "access")
	cases = append(cases,
		// Bad files and bad flags, with the secret in the database URL.
		battery{name: "entrypoint malformed snapshot", env: entryEnv(good, "TRM_SNAPSHOT="+malformed)},
		battery{name: "entrypoint no db-init folder", env: entryEnv(good, "TRM_DB_INIT_DIR=/nonexistent")},
		battery{name: "entrypoint bad settings", env: entryEnv(good, "TRM_DB_WAIT_TIMEOUT=-5s", "TRM_SNAPSHOT_EXCLUDE=[", "TRM_SCHEMA_APPLY="+secret), code: 2},
		battery{name: "entrypoint SECRET_FILE missing", env: append(entryEnv(good), "SECRET_FILE=/nonexistent/"+secret), code: 2},
		battery{name: "entrypoint Directus refuses its admin", env: entryEnv(good, "ADMIN_EMAIL=not an e-mail "+secret)},
		battery{name: "trmctl stray argument", env: ctlEnv(), args: []string{"migrate", "up", "postgres://u:" + esc + "@h/d"}, code: 2},
		battery{name: "trmctl unknown flag", env: ctlEnv(good), args: []string{"migrate", "up", "--databse-url=postgres://u:" + esc + "@h/d"}, code: 2},
		battery{name: "trmctl bad timeout", env: ctlEnv(good, "TRM_TIMEOUT=abc"), args: []string{"migrate", "status"}, code: 2},
		battery{name: "trmctl bad config file", env: ctlEnv(), args: []string{"migrate", "status", "--config", config}, code: 2},
		battery{name: "trmctl missing config file", env: ctlEnv(good), args: []string{"migrate", "status", "--config", "/nonexistent/" + secret}, code: 2},
		battery{name: "trmctl malformed snapshot", env: ctlEnv(good), args: []string{"boot", "plan", "--snapshot", malformed}},
		battery{name: "trmctl snapshot check malformed", env: ctlEnv(good), args: []string{"snapshot", "check", "--snapshot", malformed}},
		battery{name: "trmctl no db-init folder", env: ctlEnv(good), args: []string{"migrate", "status", "--dir", "/nonexistent"}, code: 2},
		battery{name: "trmctl token without URL", env: ctlEnv(), args: []string{"snapshot", "pull", "--token", secret}, code: 2},
		battery{name: "trmctl token file missing", env: ctlEnv("TRM_DIRECTUS_TOKEN_FILE=/nonexistent/token", "TRM_DATABASE_URL="+right.String()), args: []string{"snapshot", "pull", "--directus-url", "http://127.0.0.1:1"}, code: 2},
		battery{name: "trmctl token to an unreachable Directus", env: ctlEnv("TRM_DIRECTUS_TOKEN=" + secret), args: []string{"snapshot", "check", "--directus-url", "http://127.0.0.1:1"}},
		battery{name: "trmctl token file to an unreachable Directus", env: ctlEnv("TRM_DIRECTUS_TOKEN_FILE=" + tokenFile), args: []string{"snapshot", "pull", "--directus-url", "http://127.0.0.1:1", "-o", "-"}},
		battery{name: "trmctl credentials in the Directus URL", env: ctlEnv("TRM_DIRECTUS_TOKEN=t0ken"), args: []string{"snapshot", "pull", "--directus-url", "http://admin:" + esc + "@127.0.0.1:1"}, code: 2},
		battery{name: "trmctl seed password to an unreachable Directus", env: ctlEnv("TRM_DIRECTUS_PASSWORD=" + secret), args: []string{"seed", "apply", seedFile, "--email", "a@example.com", "--directus-url", "http://127.0.0.1:1"}},
		battery{name: "trmctl seed --password flag", env: ctlEnv(), args: []string{"seed", "apply", seedFile, "--password", secret, "--directus-url", "http://127.0.0.1:1"}, code: 2},
		battery{name: "trmctl seed --token flag, bad URL", env: ctlEnv(), args: []string{"seed", "apply", seedFile, "--token", secret, "--directus-url", "ftp://" + secret}, code: 2},
		battery{name: "trmctl access password to an unreachable Directus", env: ctlEnv("TRM_DIRECTUS_PASSWORD=" + secret), args: []string{"access", "diff", "--access-dir", accessDir, "--email", "a@example.com", "--directus-url", "http://127.0.0.1:1"}},
		battery{name: "trmctl access --token flag, bad URL", env: ctlEnv(), args: []string{"access", "apply", "--access-dir", accessDir, "--token", secret, "--directus-url", "ftp://" + secret}, code: 2},
		battery{name: "trmctl access bad allowance", env: ctlEnv("TRM_DIRECTUS_TOKEN=" + secret), args: []string{"access", "apply", "--access-dir", accessDir, "--allow", "role" + secret}, code: 2},
		// Directus's Redis, with the secret as its password.
		battery{name: "entrypoint unreachable Redis", env: entryEnv(good, "REDIS=redis://:"+esc+"@127.0.0.1:1", "TRM_REDIS_WAIT_TIMEOUT=1s")},
		battery{name: "entrypoint malformed Redis URL", env: entryEnv(good, "REDIS=redis://:"+secret+"@127.0.0.1:1"), code: 2},
		battery{name: "entrypoint Redis URL with a bad port", env: entryEnv(good, "REDIS=redis://:"+esc+"@127.0.0.1:abc"), code: 2},
		battery{name: "entrypoint REDIS_PASSWORD, unreachable", env: entryEnv(good, "REDIS_HOST=127.0.0.1", "REDIS_PORT=1", "REDIS_PASSWORD="+secret, "TRM_REDIS_WAIT_TIMEOUT=1s")},
		battery{name: "entrypoint REDIS_PASSWORD, bad port", env: entryEnv(good, "REDIS_HOST=127.0.0.1", "REDIS_PORT=abc", "REDIS_PASSWORD="+secret), code: 2},
		// The recompute stream's Redis (TRM_STREAM_REDIS), with the secret as its password.
		battery{name: "entrypoint malformed stream Redis URL", env: entryEnv(good, "TRM_STREAM_REDIS=redis://:"+secret+"@127.0.0.1:1"), code: 2},
		battery{name: "entrypoint stream Redis URL with a bad port", env: entryEnv(good, "TRM_STREAM_REDIS=redis://:"+esc+"@127.0.0.1:abc"), code: 2},
		battery{name: "entrypoint stream Redis URL with a bad scheme", env: entryEnv(good, "TRM_STREAM_REDIS=http://:"+esc+"@127.0.0.1:1"), code: 2},
		battery{name: "entrypoint stream Redis file missing", env: append(entryEnv(good), "TRM_STREAM_REDIS_FILE=/nonexistent/"+secret), code: 2},
	)
	// A real Directus refusing the secret as a token and as a password.
	inst := testdirectus.StartProvisioned(t, pg.New(t))
	cases = append(cases,
		battery{name: "trmctl snapshot pull, Directus refuses the token", env: ctlEnv("TRM_DIRECTUS_TOKEN=" + secret), args: []string{"snapshot", "pull", "--directus-url", inst.URL, "-o", "-"}},
		battery{name: "trmctl seed, Directus refuses the token", env: ctlEnv(), args: []string{"seed", "apply", seedFile, "--token", secret, "--directus-url", inst.URL}},
		battery{name: "trmctl access, Directus refuses the token", env: ctlEnv(), args: []string{"access", "diff", "--access-dir", accessDir, "--token", secret, "--directus-url", inst.URL}},
		battery{name: "trmctl seed, Directus refuses the password", env: ctlEnv("TRM_DIRECTUS_EMAIL="+testdirectus.AdminEmail, "TRM_DIRECTUS_PASSWORD="+secret), args: []string{"seed", "apply", seedFile, "--directus-url", inst.URL}},
		battery{name: "trmctl access, Directus refuses the password", env: ctlEnv("TRM_DIRECTUS_EMAIL="+testdirectus.AdminEmail, "TRM_DIRECTUS_PASSWORD="+secret), args: []string{"access", "apply", "--access-dir", accessDir, "--directus-url", inst.URL}},
	)

	t.Logf("%d failing commands", len(cases))
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			bin := trmctl_
			if c.args == nil {
				bin = entrypoint
			}
			check(t, c, runBinary(t, bin, c.env, c.args...))
		})
	}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
