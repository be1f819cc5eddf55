package settings

import (
	"errors"
	"io/fs"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
	"git.dev.trmtracking.org/trm/directus/lib/snapshot"
)

func env(vars map[string]string, files map[string]string) directusctl.Env {
	return directusctl.Env{
		Lookup: func(k string) (string, bool) { v, ok := vars[k]; return v, ok },
		ReadFile: func(p string) ([]byte, error) {
			if c, ok := files[p]; ok {
				return []byte(c), nil
			}
			return nil, &fs.PathError{Op: "open", Path: p, Err: fs.ErrNotExist}
		},
	}
}

// environ lists vars as KEY=VALUE entries.
func environ(vars map[string]string) []string {
	var out []string
	for k, v := range vars {
		out = append(out, k+"="+v)
	}
	return out
}

// base is an entrypoint environment that passes every check.
func base(extra ...string) map[string]string {
	vars := map[string]string{"DB_HOST": "db", "DB_DATABASE": "directus", "DB_USER": "trm", "DB_PASSWORD": "pw", "SECRET": strings.Repeat("k", 32), "TRM_START_COMMAND": "true"}
	for i := 0; i+1 < len(extra); i += 2 {
		vars[extra[i]] = extra[i+1]
	}
	return vars
}

func load(t *testing.T, b Binary, vars map[string]string) (*Config, Errors) {
	t.Helper()
	c, err := Load(FromEnv(env(vars, nil), environ(vars)), b)
	if err == nil {
		return c, nil
	}
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("Load: %T %v, want Errors", err, err)
	}
	return nil, errs
}

func TestEntrypointDefaultsAreTheImage(t *testing.T) {
	vars := base()
	delete(vars, "TRM_START_COMMAND")
	t.Setenv("PATH", t.TempDir())
	if err := os.WriteFile(os.Getenv("PATH")+"/pm2-runtime", []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	c, errs := load(t, Entrypoint, vars)
	if errs != nil {
		t.Fatal(errs)
	}
	if c.Database.URL != "postgres://trm:pw@db:5432/directus" || c.Database.From != "DB_*" || c.SchemaApply != ApplyAuto || c.TimescaleDB != "required" ||
		c.DBWaitTimeout != time.Minute || c.BootLockTimeout != 10*time.Minute || c.Snapshot != "/directus/snapshots/schema.yaml" || c.DBInitDir != "/directus/db-init" ||
		!reflect.DeepEqual(c.StartCommand, []string{"pm2-runtime", "start", "ecosystem.config.cjs"}) ||
		c.DirectusDir != "/directus" || c.Node != "node" || c.AllowDestructive.All || len(c.AllowDestructive.Keys) != 0 || len(c.SnapshotExclude) != 0 ||
		c.SnapshotMaxSize != snapshot.DefaultMaxSize {
		t.Fatalf("defaults: %+v", c)
	}
}

func TestTrmctlDefaultsAreACheckout(t *testing.T) {
	c, errs := load(t, Trmctl, map[string]string{})
	if errs != nil {
		t.Fatal(errs)
	}
	if c.Snapshot != "snapshots/schema.yaml" || c.DBInitDir != "db-init" || c.Timeout != 0 || c.Database.URL != "" || c.AccessDir != "access" ||
		c.SnapshotMaxSize != snapshot.DefaultMaxSize || c.IgnoreVendor {
		t.Fatalf("defaults: %+v", c)
	}
	if err := c.RequireDatabase(); err == nil || !strings.Contains(err.Error(), "--database-url") {
		t.Errorf("RequireDatabase: %v", err)
	}
}

func TestEveryBadSettingIsRefusedNamingItAndAllAreReportedAtOnce(t *testing.T) {
	cases := []struct {
		b       Binary
		vars    []string
		setting string
		words   string
	}{
		{Entrypoint, []string{"TRM_SCHEMA_APPLY", "yolo"}, "TRM_SCHEMA_APPLY", "want auto, dry-run"},
		{Entrypoint, []string{"TRM_TIMESCALEDB", "maybe"}, "TRM_TIMESCALEDB", "required or optional"},
		{Entrypoint, []string{"TRM_DB_WAIT_TIMEOUT", "soon"}, "TRM_DB_WAIT_TIMEOUT", "not a duration"},
		{Entrypoint, []string{"TRM_DB_WAIT_TIMEOUT", "-5s"}, "TRM_DB_WAIT_TIMEOUT", "negative"},
		{Entrypoint, []string{"TRM_DB_WAIT_TIMEOUT", "0"}, "TRM_DB_WAIT_TIMEOUT", "zero"},
		{Entrypoint, []string{"TRM_BOOT_LOCK_TIMEOUT", "-1m"}, "TRM_BOOT_LOCK_TIMEOUT", "negative"},
		{Entrypoint, []string{"TRM_ALLOW_DESTRUCTIVE", "table:foo"}, "TRM_ALLOW_DESTRUCTIVE", "unknown kind"},
		{Entrypoint, []string{"TRM_SNAPSHOT_EXCLUDE", "["}, "TRM_SNAPSHOT_EXCLUDE", "malformed"},
		{Entrypoint, []string{"TRM_START_COMMAND", "  "}, "TRM_START_COMMAND", ""},
		{Entrypoint, []string{"TRM_START_COMMAND", "/nonexistent/pm2"}, "TRM_START_COMMAND", "not a program on PATH"},
		{Entrypoint, []string{"DB_PORT", "abc"}, "DB_PORT", "not a port number"},
		{Entrypoint, []string{"DB_CLIENT", "mysql"}, "DB_CLIENT", "PostgreSQL"},
		{Entrypoint, []string{"TRM_DATABASE_URL", "postgres://u:pw@h:abc/d"}, "TRM_DATABASE_URL", "port"},
		{Trmctl, []string{"TRM_TIMEOUT", "abc"}, "TRM_TIMEOUT", "not a duration"},
		{Trmctl, []string{"TRM_TIMEOUT", "-1s"}, "TRM_TIMEOUT", "negative"},
		{Trmctl, []string{"TRM_DB_WAIT_TIMEOUT", "-5s"}, "TRM_DB_WAIT_TIMEOUT", "negative"},
		{Entrypoint, []string{"TRM_REDIS_WAIT_TIMEOUT", "0"}, "TRM_REDIS_WAIT_TIMEOUT", "zero"},
		{Entrypoint, []string{"TRM_DB_INIT_FILE_TIMEOUT", "-1m"}, "TRM_DB_INIT_FILE_TIMEOUT", "negative"},
		{Trmctl, []string{"TRM_DB_INIT_LOCK_TIMEOUT", "soon"}, "TRM_DB_INIT_LOCK_TIMEOUT", "not a duration"},
		{Trmctl, []string{"TRM_CONNECT_TIMEOUT", "-1s"}, "TRM_CONNECT_TIMEOUT", "negative"},
		{Trmctl, []string{"TRM_ALLOW_ACCESS_REMOVAL", "role"}, "TRM_ALLOW_ACCESS_REMOVAL", `"role" is not an allowance`},
		{Trmctl, []string{"TRM_ALLOW_ACCESS_REMOVAL", "all,group:x"}, "TRM_ALLOW_ACCESS_REMOVAL", `"group:x" is not an allowance`},
		{Entrypoint, []string{"TRM_SNAPSHOT_MAX_SIZE", "lots"}, "TRM_SNAPSHOT_MAX_SIZE", "not a size such as 64MiB"},
		{Trmctl, []string{"TRM_SNAPSHOT_MAX_SIZE", "0"}, "TRM_SNAPSHOT_MAX_SIZE", "not a size"},
		{Trmctl, []string{"TRM_IGNORE_VENDOR", "perhaps"}, "TRM_IGNORE_VENDOR", "want true or false"},
		{Trmctl, []string{"TRM_EVENT", "Rally Albania"}, "TRM_EVENT", "not an event"},
		{Trmctl, []string{"TRM_EVENT", "msc-albania/rally-albania-2026/x"}, "TRM_EVENT", "ORGANISATION/SLUG"},
		{Trmctl, []string{"TRM_EVENT", "/rally-albania-2026"}, "TRM_EVENT", "not an event"},
		{Entrypoint, []string{"TRM_RECOMPUTE_RELAY_INTERVAL_MS", "10"}, "TRM_RECOMPUTE_RELAY_INTERVAL_MS", "from 50 to 3600000"},
		{Entrypoint, []string{"TRM_RECOMPUTE_RELAY_INTERVAL_MS", "1s"}, "TRM_RECOMPUTE_RELAY_INTERVAL_MS", "whole number of milliseconds"},
	}
	for _, c := range cases {
		_, errs := load(t, c.b, base(c.vars...))
		if len(errs) != 1 || errs[0].Setting != c.setting || !strings.Contains(errs[0].Reason, c.words) {
			t.Errorf("%s=%q: got %v, want one error naming %s (%q)", c.vars[0], c.vars[1], errs, c.setting, c.words)
		}
	}
	_, errs := load(t, Entrypoint, base("TRM_SCHEMA_APPLY", "yolo", "TRM_TIMESCALEDB", "maybe", "TRM_DB_WAIT_TIMEOUT", "-5s"))
	if len(errs) != 3 {
		t.Errorf("three bad settings, %d reported: %v", len(errs), errs)
	}
	if _, errs := load(t, Entrypoint, map[string]string{"SECRET": strings.Repeat("k", 32), "TRM_START_COMMAND": "true"}); len(errs) != 1 || errs[0].Setting != "DB_HOST" {
		t.Errorf("no database: %v", errs)
	}
}

func TestTheRecomputeRelayIntervalIsCheckedByTheEntrypoint(t *testing.T) {
	c, errs := load(t, Entrypoint, base())
	if len(errs) != 0 || c.RecomputeRelayInterval != time.Second {
		t.Errorf("default: %v, %v", c.RecomputeRelayInterval, errs)
	}
	c, errs = load(t, Entrypoint, base("TRM_RECOMPUTE_RELAY_INTERVAL_MS", "200"))
	if len(errs) != 0 || c.RecomputeRelayInterval != 200*time.Millisecond {
		t.Errorf("200: %v, %v", c.RecomputeRelayInterval, errs)
	}
	// trmctl does not read it: a bad value is not its concern.
	if _, errs := load(t, Trmctl, base("TRM_RECOMPUTE_RELAY_INTERVAL_MS", "soon")); len(errs) != 0 {
		t.Errorf("trmctl: %v", errs)
	}
}

// TRM_STREAM_REDIS is checked as REDIS is, and never shown: it may hold a
// password.
func TestTheStreamRedisIsCheckedByTheEntrypointWithoutShowingIt(t *testing.T) {
	const pw = "Str3am-s3cret"
	c, errs := load(t, Entrypoint, base("TRM_STREAM_REDIS", "redis://:"+pw+"@stream:6380/1"))
	if len(errs) != 0 || c.From("TRM_STREAM_REDIS") != "TRM_STREAM_REDIS" || !slices.Contains(c.Secrets(), pw) {
		t.Errorf("a good URL: from %q, %v; its password among the secrets: %v", c.From("TRM_STREAM_REDIS"), errs, slices.Contains(c.Secrets(), pw))
	}
	if c, errs := load(t, Entrypoint, base()); len(errs) != 0 || c.From("TRM_STREAM_REDIS") != "" {
		t.Errorf("unset: %q %v", c.From("TRM_STREAM_REDIS"), errs)
	}
	for _, bad := range []struct{ value, words string }{
		{"http://:" + pw + "@stream:6380", `has the scheme "http"`},
		{"redis://:" + pw + "@stream:abc", "is not a valid URL"},
		{"redis://:" + pw + "@stream:70000", "has an invalid port"},
		{"redis://:" + pw + "/x@stream", "unencoded /, ? or #"},
	} {
		_, errs := load(t, Entrypoint, base("TRM_STREAM_REDIS", bad.value))
		if len(errs) != 1 || errs[0].Setting != "TRM_STREAM_REDIS" || !strings.Contains(errs[0].Reason, bad.words) {
			t.Errorf("%s: got %v, want one error naming TRM_STREAM_REDIS (%q)", bad.value, errs, bad.words)
			continue
		}
		if strings.Contains(errs.Error(), "s3cret") {
			t.Errorf("the error shows the password: %v", errs)
		}
	}
	// trmctl does not read it.
	if _, errs := load(t, Trmctl, base("TRM_STREAM_REDIS", "ftp://x")); len(errs) != 0 {
		t.Errorf("trmctl: %v", errs)
	}
}

func TestSnapshotMaxSizeAndIgnoreVendorAreRead(t *testing.T) {
	c, errs := load(t, Trmctl, map[string]string{"TRM_SNAPSHOT_MAX_SIZE": "200MiB", "TRM_IGNORE_VENDOR": "true"})
	if errs != nil || c.SnapshotMaxSize != 200<<20 || !c.IgnoreVendor {
		t.Fatalf("%+v %v", c, errs)
	}
	// The entrypoint never compares across vendors: it does not read the
	// variable, whatever it holds.
	if _, errs := load(t, Entrypoint, base("TRM_IGNORE_VENDOR", "perhaps")); errs != nil {
		t.Fatalf("entrypoint: %v", errs)
	}
}

func TestAnEventIsASlugOrOrganisationSlash(t *testing.T) {
	for _, ref := range []string{"rally-albania-2026", " msc-albania/rally-albania-2026 "} {
		c, errs := load(t, Trmctl, map[string]string{"TRM_EVENT": ref})
		if errs != nil || c.Event != strings.TrimSpace(ref) {
			t.Errorf("%q: %+v %v", ref, c, errs)
		}
	}
}

func TestParseSize(t *testing.T) {
	good := map[string]int64{"67108864": 64 << 20, "64MiB": 64 << 20, "64 mib": 64 << 20, "200MB": 200e6, "1GiB": 1 << 30,
		"2gb": 2e9, "512KiB": 512 << 10, "10kb": 10e3, "1b": 1, "100B": 100}
	for in, want := range good {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("%q: %d %v, want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0", "-5", "MiB", "1.5MiB", "12 parsecs", "99999999999GiB", "0x10"} {
		if _, err := ParseSize(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

func TestDurationsAcceptPlainSeconds(t *testing.T) {
	c, errs := load(t, Entrypoint, base("TRM_DB_WAIT_TIMEOUT", "5"))
	if errs != nil || c.DBWaitTimeout != 5*time.Second {
		t.Fatalf("%v %v", c, errs)
	}
}

func TestFileVariantsAreReadAndBothAtOnceRefused(t *testing.T) {
	vars := base("DB_PASSWORD_FILE", "/run/secrets/pw", "SECRET_FILE", "/run/secrets/secret")
	delete(vars, "DB_PASSWORD")
	delete(vars, "SECRET")
	files := map[string]string{"/run/secrets/pw": "s3cret\n", "/run/secrets/secret": strings.Repeat("x", 40) + "\n"}
	c, err := Load(FromEnv(env(vars, files), environ(vars)), Entrypoint)
	if err != nil {
		t.Fatal(err)
	}
	if c.Database.URL != "postgres://trm:s3cret@db:5432/directus" || len(c.Warnings) != 0 {
		t.Fatalf("%+v", c)
	}
	vars["SECRET"] = "both"
	_, err = Load(FromEnv(env(vars, files), environ(vars)), Entrypoint)
	if err == nil || !strings.Contains(err.Error(), "both SECRET and SECRET_FILE") || strings.Contains(err.Error(), "both\"") {
		t.Fatalf("got %v", err)
	}
}

func TestMissingSecretIsRefusedInProductionAndAWarningElsewhere(t *testing.T) {
	vars := base("NODE_ENV", "production")
	delete(vars, "SECRET")
	_, errs := load(t, Entrypoint, vars)
	if len(errs) != 1 || errs[0].Setting != "SECRET" || !strings.Contains(errs[0].Reason, "every login would end at a restart") || !strings.Contains(errs[0].Reason, "replicas") {
		t.Fatalf("production: %v", errs)
	}
	delete(vars, "NODE_ENV")
	c, errs := load(t, Entrypoint, vars)
	if errs != nil || len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "random secret") {
		t.Fatalf("development: %v %v", c, errs)
	}
	c, errs = load(t, Entrypoint, base("SECRET", "short"))
	if errs != nil || len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "shorter than 32 bytes") {
		t.Fatalf("short: %v %v", c, errs)
	}
	if _, errs := load(t, Trmctl, map[string]string{"NODE_ENV": "production"}); errs != nil {
		t.Fatalf("trmctl does not start Directus: %v", errs)
	}
}

func TestTRMDatabaseURLAloneGivesDirectusItsDatabase(t *testing.T) {
	vars := map[string]string{"TRM_DATABASE_URL": "postgres://trm:pw@db:5432/directus", "SECRET": strings.Repeat("k", 32), "TRM_START_COMMAND": "true", "DB_CLIENT": "sqlite3"}
	c, errs := load(t, Entrypoint, vars)
	if errs != nil {
		t.Fatal(errs)
	}
	got := c.DirectusEnviron([]string{"DB_CLIENT=sqlite3", "DB_FILENAME=/directus/database/database.sqlite", "DB_HOST=stale", "DB_PASSWORD_FILE=/x", "KEY=k", "TRM_DATABASE_URL=postgres://trm:pw@db:5432/directus"})
	want := []string{"DB_FILENAME=/directus/database/database.sqlite", "KEY=k", "TRM_DATABASE_URL=postgres://trm:pw@db:5432/directus", "DB_CLIENT=pg", "DB_CONNECTION_STRING=postgres://trm:pw@db:5432/directus"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %v\nwant %v", got, want)
	}
}

func TestDirectusGetsTheDefaultsItLacksFromDBVariables(t *testing.T) {
	c, errs := load(t, Entrypoint, base())
	if errs != nil {
		t.Fatal(errs)
	}
	got := c.DirectusEnviron([]string{"DB_HOST=db", "DB_USER=trm"})
	if !slices.Equal(got, []string{"DB_HOST=db", "DB_USER=trm", "DB_CLIENT=pg", "DB_PORT=5432"}) {
		t.Fatalf("got %v", got)
	}
	got = c.DirectusEnviron([]string{"DB_CLIENT=pg", "DB_PORT_FILE=/p"})
	if !slices.Equal(got, []string{"DB_CLIENT=pg", "DB_PORT_FILE=/p"}) {
		t.Fatalf("got %v", got)
	}
}

// No message about a database URL that cannot be used shows any part of
// it, nor reads "<nil>".
func TestUnusableDatabaseURLsAreRefusedWithoutShowingThem(t *testing.T) {
	const pw = "S3cretPw"
	urls := []string{
		"postgres://u:" + pw + "%zz@h/d",
		"postgres://u:" + pw + "@[::1/d",
		"postgres://u:" + pw + "@h:abc/d",
		"postgres://u:" + pw + "@h:99999/d",
		"postgres://u:" + pw + "@h:/d",
		"postgres://u:" + pw + "@h1:5432,h2:5432/d",
		"postgres://u:" + pw + "@h/d?sslmode=bogus",
		"postgres://u:" + pw + "@h/d?connect_timeout=" + pw,
		"postgres://u:" + pw + "@h/d?pool_max_conns=" + pw,
		"postgres://u:" + pw + "@h/d?x=%" + pw,
		"host=h user=u password=" + pw + " port=abc",
		"mysql://u:" + pw + "@h/d",
		pw,
		"postgres://u:" + pw + "@h/d\n",
		"postgres://u:p@ss:" + pw + "@h/d x",
	}
	for _, u := range urls {
		for _, variable := range []string{"TRM_DATABASE_URL", "DB_CONNECTION_STRING"} {
			_, errs := load(t, Entrypoint, base(variable, u))
			msg := errs.Error()
			if len(errs) != 1 || errs[0].Setting != variable || strings.Contains(msg, pw) || strings.Contains(msg, "<nil>") || errs[0].Value != "" {
				t.Errorf("%s=%q: %q", variable, u, msg)
			}
		}
	}
	assembled := map[string]string{"DB_PORT": "abc", "DB_HOST": "h:5432", "DB_HOST ": "[::1"}
	for k, v := range assembled {
		_, errs := load(t, Entrypoint, base(strings.TrimSpace(k), v))
		if len(errs) != 1 || strings.Contains(errs.Error(), pw) || strings.Contains(errs.Error(), "<nil>") {
			t.Errorf("%s=%q: %v", k, v, errs)
		}
	}
}

func TestTheTableIsConsistent(t *testing.T) {
	envs, flags := map[string]bool{}, map[string]bool{}
	for _, s := range Table() {
		if envs[s.Env] || s.Doc == "" || s.Used == 0 {
			t.Errorf("%s: duplicate, undocumented or read by nobody", s.Env)
		}
		envs[s.Env] = true
		if s.Flag != "" {
			if flags[s.Flag] || s.Used&Trmctl == 0 || s.Arg == "" {
				t.Errorf("%s: flag --%s duplicated, without an Arg, or on a setting trmctl does not read", s.Env, s.Flag)
			}
			flags[s.Flag] = true
		}
		if s.Secret && s.Default != "" {
			t.Errorf("%s: a secret with a default", s.Env)
		}
	}
	// The DB_* rows are exactly what directusctl reads.
	var read []string
	e := directusctl.Env{Lookup: func(k string) (string, bool) {
		read = append(read, strings.TrimSuffix(k, "_FILE"))
		return "", false
	}}
	if _, _, err := e.DatabaseURL(); err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, s := range Table() {
		if s.dbPart {
			rows = append(rows, s.Env)
		}
	}
	slices.Sort(read)
	slices.Sort(rows)
	if read = slices.Compact(read); !slices.Equal(read, rows) {
		t.Errorf("directusctl reads %v, the table lists %v", read, rows)
	}
	// The Redis rows are exactly what redisFrom reads, with Redis off
	// (the stores) and on (REDIS, else its parts).
	read, rows = nil, nil
	e.Lookup = func(k string) (string, bool) {
		read = append(read, strings.TrimSuffix(k, "_FILE"))
		return "", false
	}
	for _, environ := range [][]string{nil, {"REDIS_BUS_NAMESPACE=trm"}} {
		if _, err := redisFrom(e, environ); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range Table() {
		if s.redisPart {
			rows = append(rows, s.Env)
		}
	}
	slices.Sort(read)
	slices.Sort(rows)
	if read = slices.Compact(read); !slices.Equal(read, rows) {
		t.Errorf("redisFrom reads %v, the table lists %v", read, rows)
	}
}

func TestRuntimeEnvIsReadAsAShellSourcesIt(t *testing.T) {
	vars, err := ParseRuntimeEnv(strings.NewReader("# written by make directus\n\nTRM_NODE=/opt/node\nexport TRM_DIRECTUS_CLI='/x y/run.js'\nTRM_DIRECTUS_VERSION=\"11.17.4\"\n"))
	want := map[string]string{"TRM_NODE": "/opt/node", "TRM_DIRECTUS_CLI": "/x y/run.js", "TRM_DIRECTUS_VERSION": "11.17.4"}
	if err != nil || !reflect.DeepEqual(vars, want) {
		t.Fatalf("%v %v", vars, err)
	}
	if _, err := ParseRuntimeEnv(strings.NewReader("TRM_NODE=/a\nnot an assignment\n")); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("bad line: %v", err)
	}
	if _, err := ReadRuntimeEnv("/nonexistent/runtime.env"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestDirectusRootIsTheFolderHoldingNodeModules(t *testing.T) {
	for script, want := range map[string]string{
		"/directus/node_modules/@directus/api/dist/cli/run.js":                                      "/directus",
		"/src/directus/node_modules/.pnpm/@directus+api/node_modules/@directus/api/dist/cli/run.js": "/src/directus",
		"/opt/run.js": "",
	} {
		if got := DirectusRoot(script); got != want {
			t.Errorf("%s: %q, want %q", script, got, want)
		}
	}
	_, errs := load(t, Entrypoint, base("TRM_DIRECTUS_CLI", "/opt/run.js"))
	if len(errs) != 1 || errs[0].Setting != "TRM_DIRECTUS_DIR" {
		t.Errorf("%v", errs)
	}
}

func TestLayersAreReadHighestFirst(t *testing.T) {
	high := mapLayer{"TRM_TIMESCALEDB": "optional"}
	src := Source{Layers: []Layer{high, EnvLayer{Env: env(map[string]string{"TRM_TIMESCALEDB": "required", "TRM_SNAPSHOT": "env.yaml"}, nil)}}, Env: env(nil, nil)}
	c, err := Load(src, Trmctl)
	if err != nil || c.TimescaleDB != "optional" || c.Snapshot != "env.yaml" || c.From("TRM_TIMESCALEDB") != "high" || c.From("TRM_SNAPSHOT") != "TRM_SNAPSHOT" {
		t.Fatalf("%+v %v", c, err)
	}
}

type mapLayer map[string]string

func (m mapLayer) Lookup(s *Spec) (string, string, bool, error) {
	v, ok := m[s.Env]
	return v, "high", ok, nil
}

func change(kind snapshot.Kind, coll, field string, op snapshot.Op) snapshot.Change {
	return snapshot.Change{Kind: kind, Key: snapshot.Key{Collection: coll, Field: field}, Op: op, Severity: snapshot.SeverityDestructive}
}

func TestAllowanceAllowsExactlyWhatWasNamed(t *testing.T) {
	a, err := ParseAllowance("collection:crews, field:entries.notes")
	if err != nil {
		t.Fatal(err)
	}
	allowed := []snapshot.Change{
		change(snapshot.KindCollection, "crews", "", snapshot.OpDelete),
		change(snapshot.KindField, "crews", "name", snapshot.OpDelete),        // goes with its collection
		change(snapshot.KindRelation, "crews", "entry_id", snapshot.OpDelete), // so does its relation
		change(snapshot.KindField, "entries", "notes", snapshot.OpUpdate),
	}
	for _, c := range allowed {
		if !a.Allows(c) {
			t.Errorf("%s %s refused", c.Op, AllowKey(c))
		}
	}
	refused := []snapshot.Change{
		change(snapshot.KindCollection, "crew", "", snapshot.OpDelete),
		change(snapshot.KindField, "entries", "race_number", snapshot.OpDelete),
		change(snapshot.KindField, "crews", "name", snapshot.OpUpdate), // a type change is not part of deleting crews
	}
	for _, c := range refused {
		if a.Allows(c) {
			t.Errorf("%s %s allowed", c.Op, AllowKey(c))
		}
	}
	all, _ := ParseAllowance("all")
	if !all.Allows(refused[0]) {
		t.Error("all does not allow everything")
	}
}

func TestParseAllowanceRejectsMalformedItems(t *testing.T) {
	for _, s := range []string{"crews", "collection:", "table:crews", "field:crews", "relation:crews"} {
		if _, err := ParseAllowance(s); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
}

func TestProcessorRoleSettings(t *testing.T) {
	for _, c := range []struct {
		user, password, setting, says string
	}{
		{"", "", "", ""},
		{"trm_processor", "s3cr3t-Pa55", "", ""},
		{"trm_processor", "", "", ""},
		{"", "s3cr3t", "TRM_PROCESSOR_DB_USER", "set the role's name too"},
		{"TRM-Processor", "x", "TRM_PROCESSOR_DB_USER", "lower-case letters"},
		{"trm_processor; DROP ROLE postgres", "x", "TRM_PROCESSOR_DB_USER", "not a role name"},
		{"pg_monitor", "x", "TRM_PROCESSOR_DB_USER", "PostgreSQL's own"},
		{"trm_processor", "pass word", "TRM_PROCESSOR_DB_PASSWORD", "character 5"},
		{"trm_processor", "pässword", "TRM_PROCESSOR_DB_PASSWORD", "printable ASCII"},
	} {
		vars := base()
		if c.user != "" {
			vars["TRM_PROCESSOR_DB_USER"] = c.user
		}
		if c.password != "" {
			vars["TRM_PROCESSOR_DB_PASSWORD"] = c.password
		}
		conf, errs := load(t, Entrypoint, vars)
		switch {
		case c.setting == "" && errs != nil:
			t.Errorf("%q/%q: %v", c.user, c.password, errs)
		case c.setting == "" && (conf.ProcessorUser != c.user || conf.ProcessorPassword != c.password):
			t.Errorf("%q/%q: read %q/%q", c.user, c.password, conf.ProcessorUser, conf.ProcessorPassword)
		case c.setting != "" && (len(errs) != 1 || errs[0].Setting != c.setting || !strings.Contains(errs[0].Error(), c.says)):
			t.Errorf("%q/%q: want %s saying %q, got %v", c.user, c.password, c.setting, c.says, errs)
		case c.password != "" && errs != nil && strings.Contains(errs.Error(), c.password):
			t.Errorf("the message shows the password: %v", errs)
		}
	}
}

// Both the processor's role and its password may come from files
// (Docker and Kubernetes secrets); the password is then a secret to
// redact like any other.
func TestProcessorRoleFromFiles(t *testing.T) {
	vars := base("TRM_PROCESSOR_DB_USER_FILE", "/run/secrets/user", "TRM_PROCESSOR_DB_PASSWORD_FILE", "/run/secrets/password")
	files := map[string]string{"/run/secrets/user": "trm_processor\n", "/run/secrets/password": "Pr0cess0r-s3cret\n"}
	c, err := Load(FromEnv(env(vars, files), environ(vars)), Entrypoint)
	if err != nil {
		t.Fatal(err)
	}
	if c.ProcessorUser != "trm_processor" || c.ProcessorPassword != "Pr0cess0r-s3cret" {
		t.Errorf("read %q/%q", c.ProcessorUser, c.ProcessorPassword)
	}
	if !slices.Contains(c.Secrets(), "Pr0cess0r-s3cret") {
		t.Error("the password is not among the secrets to redact")
	}
}
