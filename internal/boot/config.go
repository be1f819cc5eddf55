package boot

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
	"git.dev.trmtracking.org/trm/directus/lib/migrations"
	"git.dev.trmtracking.org/trm/directus/lib/snapshot"
)

// ApplyMode says what boot does with the committed snapshot.
type ApplyMode string

const (
	// ApplyAuto applies the committed snapshot when the plan is allowed.
	ApplyAuto ApplyMode = "auto"
	// ApplyDryRun computes and logs the plan but applies nothing.
	ApplyDryRun ApplyMode = "dry-run"
	// ApplySkip neither computes nor applies a plan.
	ApplySkip ApplyMode = "skip"
)

// OwnedTables are created and owned by db-init: they never reach a
// committed snapshot nor Directus's schema apply.
var OwnedTables = []string{"positions", "migrations_applied", StateTable}

// Config is everything a boot needs. ConfigFromEnv documents where each
// setting comes from.
type Config struct {
	DatabaseURL   string
	DBWaitTimeout time.Duration
	// Redis is the Redis Directus will use (nil when it uses none): boot
	// waits for it before anything runs the Directus CLI.
	Redis            *RedisTarget
	RedisWaitTimeout time.Duration
	LockTimeout      time.Duration
	ApplyMode        ApplyMode
	Allow            Allowance
	TimescaleDB      string
	// StartCommand is exec'd when provisioning succeeded.
	StartCommand []string
	SnapshotPath string
	DBInitDir    string
	// Exclude lists table patterns owned by db-init (OwnedTables plus
	// TRM_SNAPSHOT_EXCLUDE).
	Exclude []string
	CLI     *directusctl.CLI
	// Environ is the environment given to Directus and the start command.
	Environ []string

	// DBInitFileTimeout and DBInitLockTimeout bound each db-init file and
	// each of its lock waits (0: no limit).
	DBInitFileTimeout, DBInitLockTimeout time.Duration
}

// Allowance is the set of destructive changes the operator named.
type Allowance struct {
	All  bool
	Keys map[string]bool // "collection:foo", "field:foo.bar", "relation:foo.bar", "systemField:foo.bar"
}

// ParseAllowance reads "all" or a comma-separated list of kind:key.
func ParseAllowance(s string) (Allowance, error) {
	a := Allowance{Keys: map[string]bool{}}
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if item == "all" {
			a.All = true
			continue
		}
		kind, key, ok := strings.Cut(item, ":")
		switch {
		case !ok || key == "":
			return a, fmt.Errorf("%q: want kind:key, e.g. collection:foo or field:foo.bar, or all", item)
		case kind != string(snapshot.KindCollection) && kind != string(snapshot.KindField) && kind != string(snapshot.KindRelation) && kind != string(snapshot.KindSystemField):
			return a, fmt.Errorf("%q: unknown kind %q (collection, field, relation, systemField)", item, kind)
		case kind != string(snapshot.KindCollection) && !strings.Contains(key, "."):
			return a, fmt.Errorf("%q: a %s is named collection.field", item, kind)
		}
		a.Keys[item] = true
	}
	return a, nil
}

// Allows says whether a destructive change was named. Naming a collection
// allows what deleting it entails: its fields and its relations.
func (a Allowance) Allows(c snapshot.Change) bool {
	if a.All || a.Keys[AllowKey(c)] {
		return true
	}
	return c.Op == snapshot.OpDelete && a.Keys["collection:"+c.Key.Collection]
}

// AllowKey is how TRM_ALLOW_DESTRUCTIVE names a change.
func AllowKey(c snapshot.Change) string { return string(c.Kind) + ":" + c.Key.String() }

// ConfigError names the setting that is wrong and what to set instead.
type ConfigError struct {
	Setting string
	Reason  string
}

func (e *ConfigError) Error() string { return fmt.Sprintf("setting %s: %s", e.Setting, e.Reason) }

// DefaultStartCommand is what the upstream directus/directus image runs.
const DefaultStartCommand = "pm2-runtime start ecosystem.config.cjs"

// ConfigFromEnv reads the configuration:
//
//	DB_* (and *_FILE)        Directus's database settings (or TRM_DATABASE_URL)
//	TRM_DB_WAIT_TIMEOUT      how long to wait for PostgreSQL (default 60s)
//	REDIS (and *_FILE), REDIS_HOST, REDIS_PORT, REDIS_USERNAME, REDIS_PASSWORD,
//	REDIS_DB, REDIS_ENABLED  Directus's Redis settings: boot waits for that Redis
//	TRM_REDIS_WAIT_TIMEOUT   how long to wait for Redis (default 60s)
//	TRM_BOOT_LOCK_TIMEOUT    how long to wait for another replica's boot (default 10m)
//	TRM_DB_INIT_FILE_TIMEOUT how long one db-init file may run (default 10m; 0 no limit)
//	TRM_DB_INIT_LOCK_TIMEOUT how long a db-init statement may wait for a lock (default 1m; 0 no limit)
//	TRM_SCHEMA_APPLY         auto | dry-run | skip (default auto)
//	TRM_ALLOW_DESTRUCTIVE    all, or collection:foo,field:foo.bar,relation:foo.bar
//	TRM_TIMESCALEDB          required | optional (default required)
//	TRM_START_COMMAND        exec'd at the end (default pm2-runtime start ecosystem.config.cjs)
//	TRM_SNAPSHOT             committed snapshot (default /directus/snapshots/schema.yaml)
//	TRM_DB_INIT_DIR          db-init directory (default /directus/db-init)
//	TRM_SNAPSHOT_EXCLUDE     more db-init-owned table patterns, comma-separated
//	TRM_NODE, TRM_DIRECTUS_CLI, TRM_DIRECTUS_DIR
//	                         the Directus CLI (default node, the image's run.js, /directus)
func ConfigFromEnv(env directusctl.Env, environ []string) (*Config, error) {
	get := func(name, def string) (string, error) {
		v, ok, err := env.Get(name)
		if err != nil {
			return "", err
		}
		if !ok || v == "" {
			return def, nil
		}
		return v, nil
	}
	duration := func(name string, def time.Duration) (time.Duration, error) {
		s, err := get(name, "")
		if err != nil || s == "" {
			return def, err
		}
		d, err := time.ParseDuration(s)
		if err != nil {
			if n, nerr := strconv.Atoi(s); nerr == nil {
				return time.Duration(n) * time.Second, nil
			}
			return 0, &ConfigError{Setting: name, Reason: fmt.Sprintf("%q is not a duration such as 60s or 2m", s)}
		}
		return d, nil
	}
	c := &Config{Environ: environ}
	var err error
	if c.DatabaseURL, err = get("TRM_DATABASE_URL", ""); err != nil {
		return nil, err
	}
	if c.DatabaseURL == "" {
		u, ok, err := env.DatabaseURL()
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, &ConfigError{Setting: "DB_HOST", Reason: "no database configured: set Directus's DB_HOST, DB_PORT, DB_DATABASE, DB_USER, DB_PASSWORD (or DB_CONNECTION_STRING)"}
		}
		c.DatabaseURL = u
	}
	if c.DBWaitTimeout, err = duration("TRM_DB_WAIT_TIMEOUT", 60*time.Second); err != nil {
		return nil, err
	}
	if c.Redis, err = redisFromEnv(env, environ); err != nil {
		return nil, err
	}
	if c.RedisWaitTimeout, err = duration("TRM_REDIS_WAIT_TIMEOUT", 60*time.Second); err != nil {
		return nil, err
	}
	if c.LockTimeout, err = duration("TRM_BOOT_LOCK_TIMEOUT", 10*time.Minute); err != nil {
		return nil, err
	}
	if c.DBInitFileTimeout, err = duration("TRM_DB_INIT_FILE_TIMEOUT", migrations.DefaultFileTimeout); err != nil {
		return nil, err
	}
	if c.DBInitLockTimeout, err = duration("TRM_DB_INIT_LOCK_TIMEOUT", migrations.DefaultLockTimeout); err != nil {
		return nil, err
	}
	for _, s := range []struct {
		name string
		d    time.Duration
	}{{"TRM_DB_INIT_FILE_TIMEOUT", c.DBInitFileTimeout}, {"TRM_DB_INIT_LOCK_TIMEOUT", c.DBInitLockTimeout}} {
		if s.d < 0 {
			return nil, &ConfigError{Setting: s.name, Reason: fmt.Sprintf("%s is negative: want a duration such as 10m, or 0 for no limit", s.d)}
		}
	}
	mode, err := get("TRM_SCHEMA_APPLY", string(ApplyAuto))
	if err != nil {
		return nil, err
	}
	switch c.ApplyMode = ApplyMode(mode); c.ApplyMode {
	case ApplyAuto, ApplyDryRun, ApplySkip:
	default:
		return nil, &ConfigError{Setting: "TRM_SCHEMA_APPLY", Reason: fmt.Sprintf("%q: want auto, dry-run or skip", mode)}
	}
	allow, err := get("TRM_ALLOW_DESTRUCTIVE", "")
	if err != nil {
		return nil, err
	}
	if c.Allow, err = ParseAllowance(allow); err != nil {
		return nil, &ConfigError{Setting: "TRM_ALLOW_DESTRUCTIVE", Reason: err.Error()}
	}
	if c.TimescaleDB, err = get("TRM_TIMESCALEDB", "required"); err != nil {
		return nil, err
	}
	if c.TimescaleDB != "required" && c.TimescaleDB != "optional" {
		return nil, &ConfigError{Setting: "TRM_TIMESCALEDB", Reason: fmt.Sprintf("%q: want required or optional", c.TimescaleDB)}
	}
	start, err := get("TRM_START_COMMAND", DefaultStartCommand)
	if err != nil {
		return nil, err
	}
	c.StartCommand = strings.Fields(start)
	if c.SnapshotPath, err = get("TRM_SNAPSHOT", "/directus/snapshots/schema.yaml"); err != nil {
		return nil, err
	}
	if c.DBInitDir, err = get("TRM_DB_INIT_DIR", "/directus/db-init"); err != nil {
		return nil, err
	}
	extra, err := get("TRM_SNAPSHOT_EXCLUDE", "")
	if err != nil {
		return nil, err
	}
	c.Exclude = append([]string{}, OwnedTables...)
	for _, p := range strings.Split(extra, ",") {
		if p = strings.TrimSpace(p); p != "" {
			c.Exclude = append(c.Exclude, p)
		}
	}
	node, err := get("TRM_NODE", "node")
	if err != nil {
		return nil, err
	}
	script, err := get("TRM_DIRECTUS_CLI", "/directus/node_modules/@directus/api/dist/cli/run.js")
	if err != nil {
		return nil, err
	}
	dir, err := get("TRM_DIRECTUS_DIR", filepath.Dir(filepath.Dir(filepath.Dir(filepath.Dir(filepath.Dir(filepath.Dir(script)))))))
	if err != nil {
		return nil, err
	}
	c.CLI = &directusctl.CLI{Node: node, Script: script, Dir: dir, Env: environ}
	return c, nil
}

// OSConfig reads the configuration from the process environment.
func OSConfig() (*Config, error) { return ConfigFromEnv(directusctl.OSEnv(), os.Environ()) }
