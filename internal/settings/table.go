package settings

import (
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// DefaultStartCommand is what the upstream directus/directus image runs.
const DefaultStartCommand = "pm2-runtime start ecosystem.config.cjs"

func trmctl(v string) *string { return &v }

// Table is every setting, in the order of the README. Each call returns a
// fresh table.
func Table() []Spec {
	dbPart := func(env, doc string, file, secret bool) Spec {
		return Spec{Env: env, File: file, Secret: secret, Directus: true, dbPart: true, Used: Entrypoint | Trmctl, Doc: doc}
	}
	redisPart := func(env, doc string, file, secret bool) Spec {
		return Spec{Env: env, File: file, Secret: secret, Directus: true, redisPart: true, Used: Entrypoint, Doc: doc}
	}
	passOn := func(*Config, string) error { return nil }
	return []Spec{
		{Env: "TRM_DATABASE_URL", File: true, Flag: "database-url", Arg: "url", Secret: true, Used: Entrypoint | Trmctl,
			Doc: "PostgreSQL URL (`postgres://user:password@host:port/database`); wins over `DB_*`, and the entrypoint hands it to Directus as `DB_CONNECTION_STRING`"},
		dbPart("DB_CLIENT", "the database client: `pg` (the entrypoint sets it when absent)", false, false),
		dbPart("DB_CONNECTION_STRING", "a PostgreSQL URL; wins over the other `DB_*`", true, true),
		dbPart("DB_HOST", "the database host: a name, an IP address or a socket folder", true, false),
		dbPart("DB_PORT", "the database port (`5432` when absent; the entrypoint sets it for Directus)", true, false),
		dbPart("DB_DATABASE", "the database name", true, false),
		dbPart("DB_USER", "the database user", true, false),
		dbPart("DB_PASSWORD", "the database password", true, true),
		{Env: "TRM_DB_WAIT_TIMEOUT", Default: "60s", Used: Entrypoint | Trmctl, set: func(c *Config, v string) (err error) {
			c.DBWaitTimeout, err = positiveDuration(v)
			return err
		}, Doc: "how long to wait for PostgreSQL to answer (backoff); wrong credentials fail at once"},
		redisPart("REDIS", "Directus's Redis: `redis://[user:password@]host:port[/db]`, `rediss://` for TLS, `host:port`, a port or a socket path. The entrypoint waits for it before anything runs the Directus CLI, whenever Directus would use it (`REDIS` or any `REDIS_*` variable, unless `REDIS_ENABLED=false`); a malformed one is a configuration error. Its password is never shown; the rest of it is, to say which Redis", true, false),
		redisPart("REDIS_HOST", "Redis's host when `REDIS` is unset (`localhost`); a `REDIS_TLS__*` variable makes it TLS", true, false),
		redisPart("REDIS_PORT", "Redis's port when `REDIS` is unset (`6379`)", true, false),
		redisPart("REDIS_USERNAME", "Redis's user when `REDIS` is unset", true, false),
		redisPart("REDIS_PASSWORD", "Redis's password when `REDIS` is unset", true, true),
		redisPart("REDIS_DB", "Redis's database number when `REDIS` is unset", true, false),
		redisPart("REDIS_ENABLED", "`true` or `false`: whether Directus uses Redis; when unset, any `REDIS` or `REDIS_*` variable turns it on", false, false),
		redisPart("CACHE_STORE", "`redis` puts Directus's response cache in Redis: without a Redis configured, a configuration error", false, false),
		redisPart("RATE_LIMITER_STORE", "`redis` shares Directus's rate limits through Redis: without a Redis configured, a configuration error", false, false),
		redisPart("SYNCHRONIZATION_STORE", "`redis` runs Directus's schedules once across instances through Redis: without a Redis configured, a configuration error", false, false),
		{Env: "TRM_REDIS_WAIT_TIMEOUT", Default: "60s", Used: Entrypoint, set: func(c *Config, v string) (err error) {
			c.RedisWaitTimeout, err = positiveDuration(v)
			return err
		}, Doc: "how long to wait for Redis to answer (backoff); a refused password or database fails at once. Messages show the URL with its password as `xxxxx`"},
		{Env: "TRM_BOOT_LOCK_TIMEOUT", Default: "10m", Used: Entrypoint, set: func(c *Config, v string) (err error) {
			c.BootLockTimeout, err = positiveDuration(v)
			return err
		}, Doc: "how long to wait for another replica's provisioning"},
		{Env: "TRM_DB_INIT_FILE_TIMEOUT", Flag: "file-timeout", Arg: "duration", Default: "10m", Used: Entrypoint | Trmctl, set: func(c *Config, v string) (err error) {
			c.DBInitFileTimeout, err = duration(v, true)
			return err
		}, Doc: "how long one db-init file may run (`0`: no limit; for trmctl `migrate`, then only `--timeout`)"},
		{Env: "TRM_DB_INIT_LOCK_TIMEOUT", Flag: "lock-timeout", Arg: "duration", Default: "1m", Used: Entrypoint | Trmctl, set: func(c *Config, v string) (err error) {
			c.DBInitLockTimeout, err = duration(v, true)
			return err
		}, Doc: "how long a statement of a db-init file may wait for a lock another session holds (`0`: no limit)"},
		{Env: "TRM_CONNECT_TIMEOUT", Flag: "connect-timeout", Arg: "duration", Default: "10s", Used: Trmctl, set: func(c *Config, v string) (err error) {
			c.ConnectTimeout, err = duration(v, true)
			return err
		}, Doc: "how long PostgreSQL may take to answer a connection, for `migrate` (`connect_timeout` in the URL wins; `0`: no limit)"},
		{Env: "TRM_SCHEMA_APPLY", Default: string(ApplyAuto), Used: Entrypoint | Trmctl, set: func(c *Config, v string) error {
			switch m := ApplyMode(v); m {
			case ApplyAuto, ApplyDryRun, ApplySkip:
				c.SchemaApply = m
				return nil
			}
			return errors.New("want auto, dry-run (log the plan, apply nothing) or skip")
		}, Doc: "`auto`, `dry-run` (log the plan, apply nothing) or `skip`"},
		{Env: "TRM_ALLOW_DESTRUCTIVE", Used: Entrypoint | Trmctl, set: func(c *Config, v string) (err error) {
			c.AllowDestructive, err = ParseAllowance(v)
			return err
		}, Doc: "`all`, or e.g. `collection:foo,field:bar.baz,relation:bar.baz`; naming a collection allows deleting its fields and relations"},
		{Env: "TRM_TIMESCALEDB", Flag: "timescaledb", Arg: "mode", Default: "required", Used: Entrypoint | Trmctl, set: func(c *Config, v string) error {
			if v != "required" && v != "optional" {
				return errors.New("want required or optional")
			}
			c.TimescaleDB = v
			return nil
		}, Doc: "`optional` makes `positions` a plain table where TimescaleDB is missing"},
		{Env: "TRM_START_COMMAND", Default: DefaultStartCommand, Used: Entrypoint, set: func(c *Config, v string) error {
			c.StartCommand = strings.Fields(v)
			if len(c.StartCommand) == 0 {
				return errors.New("blank: unset it, or name the command that starts Directus")
			}
			if _, err := exec.LookPath(c.StartCommand[0]); err != nil {
				return fmt.Errorf("%s is not a program on PATH", show(c.StartCommand[0]))
			}
			return nil
		}, Doc: "exec'd in `TRM_DIRECTUS_DIR` when provisioning succeeded (`true` provisions only), unless Directus is served from the process that provisioned (`TRM_SERVE`)"},
		{Env: "TRM_SERVE", Default: "auto", Used: Entrypoint, set: func(c *Config, v string) error {
			if v != "auto" && v != "exec" {
				return errors.New("want auto or exec")
			}
			c.ServeExec = v == "exec"
			return nil
		}, Doc: "`auto`: after a full boot, the Directus process that provisioned serves, its modules loaded, when the start command is Directus's own `start` (the default with one PM2 instance and no other `PM2_*` setting, or `TRM_NODE TRM_DIRECTUS_CLI start`), and the entrypoint supervises it; a warm boot execs the start command. `exec`: always exec it (docs/boot-provisioner.md)"},
		{Env: "TRM_SNAPSHOT", Flag: "snapshot", Arg: "file", Default: "/directus/snapshots/schema.yaml", trmctlDefault: trmctl("snapshots/schema.yaml"), Used: Entrypoint | Trmctl,
			set: func(c *Config, v string) error { c.Snapshot = v; return nil }, Doc: "the committed snapshot: the boot applies it, `access` checks the access files against it"},
		{Env: "TRM_DB_INIT_DIR", Flag: "dir", Arg: "dir", Default: "/directus/db-init", trmctlDefault: trmctl("db-init"), Used: Entrypoint | Trmctl,
			set: func(c *Config, v string) error { c.DBInitDir = v; return nil }, Doc: "the db-init folder (post-schema files in its `post/`)"},
		{Env: "TRM_SNAPSHOT_EXCLUDE", Used: Entrypoint | Trmctl, set: func(c *Config, v string) (err error) {
			c.SnapshotExclude, err = Patterns(v)
			return err
		}, Doc: "more db-init-owned table patterns (`path.Match`, comma-separated), besides `positions`, `recompute_outbox`, `migrations_applied`, `trm_boot_state`"},
		{Env: "TRM_SNAPSHOT_MAX_SIZE", Flag: "snapshot-max-size", Arg: "size", Default: "64MiB", Used: Entrypoint | Trmctl, set: func(c *Config, v string) (err error) {
			c.SnapshotMaxSize, err = ParseSize(v)
			return err
		}, Doc: "the largest snapshot read (`64MiB`, `200MB` or bytes): a bigger one is refused before it is read, naming its size and the limit. A real schema is a few hundred kilobytes"},
		{Env: "TRM_IGNORE_VENDOR", Flag: "ignore-vendor", Arg: "bool", Default: "false", Used: Trmctl, set: func(c *Config, v string) (err error) {
			c.IgnoreVendor, err = boolean(v)
			return err
		}, Doc: "`true` makes `snapshot diff` and `snapshot check` compare snapshots of different database vendors (`vendor: mysql`, …), with a warning; Directus refuses them, and so does the boot, always"},
		{Env: "TRM_NODE", Default: "node", Runtime: true, Used: Entrypoint | Trmctl,
			set: func(c *Config, v string) error { c.Node = v; return nil }, Doc: "the Node 22 binary that runs the Directus CLI (trmctl: else `directus/runtime.env`)"},
		{Env: "TRM_DIRECTUS_CLI", Default: "/directus/node_modules/@directus/api/dist/cli/run.js", Runtime: true, Used: Entrypoint | Trmctl,
			set: func(c *Config, v string) error { c.DirectusCLI = v; return nil }, Doc: "Directus's CLI script, called without `npx`'s registry check (trmctl: else `directus/runtime.env`)"},
		{Env: "TRM_DIRECTUS_DIR", DefaultDoc: "the folder holding the `node_modules` of `TRM_DIRECTUS_CLI`", Runtime: true, Used: Entrypoint | Trmctl,
			set: func(c *Config, v string) error { c.DirectusDir = v; return nil }, Doc: "the Directus folder: the CLI's working directory, and the entrypoint's for the start command"},
		{Env: "NODE_ENV", Directus: true, Used: Entrypoint, set: func(c *Config, v string) error {
			c.Production = v == "production"
			return nil
		}, Doc: "`production` (the upstream image's) makes a missing `SECRET` a configuration error"},
		{Env: "SECRET", File: true, Secret: true, Directus: true, Used: Entrypoint, set: func(c *Config, v string) error {
			c.secret, c.secretSet = v, true
			return nil
		}, Doc: "signs Directus's tokens; the same on every replica, 32 bytes or more. Without it Directus makes a random one per process"},
		{Env: "KEY", File: true, Secret: true, Directus: true, Used: Entrypoint, set: passOn, Doc: "passed to Directus unchanged (Directus 11 no longer reads it)"},
		{Env: "ADMIN_EMAIL", File: true, Directus: true, Used: Entrypoint, set: passOn, Doc: "the first admin, created by `directus bootstrap` on a fresh database"},
		{Env: "ADMIN_PASSWORD", File: true, Secret: true, Directus: true, Used: Entrypoint, set: passOn, Doc: "the first admin's password"},
		{Env: "ADMIN_TOKEN", File: true, Secret: true, Directus: true, Used: Entrypoint, set: passOn, Doc: "the first admin's static token"},
		{Env: "TRM_PROCESSOR_DB_USER", File: true, Used: Entrypoint | Trmctl, set: func(c *Config, v string) error {
			if err := checkProcessorUser(v); err != nil {
				return err
			}
			c.ProcessorUser = v
			return nil
		}, Doc: "the processor's database login role: every full boot creates or updates it with exactly its privileges (`db-init/post/004_processor_role.sql`, its reads extended by `007_control_closing_times.sql`), and the fast path checks it is there. Directus's database user needs `CREATEROLE` to make it. Lower-case letters, digits and `_` (e.g. `trm_processor`); unset: no role"},
		{Env: "TRM_PROCESSOR_DB_PASSWORD", File: true, Secret: true, Used: Entrypoint, set: func(c *Config, v string) error {
			if err := checkProcessorPassword(v); err != nil {
				return err
			}
			c.ProcessorPassword = v
			return nil
		}, Doc: "that role's password, printable ASCII without spaces (e.g. the output of `openssl rand -base64 24`); it takes effect at the next full boot. Unset: the role must exist already (a DBA made it) and keeps its password"},
		{Env: "TRM_DIRECTUS_URL", Flag: "directus-url", Arg: "url", Used: Trmctl, DefaultDoc: "`http://localhost:8055` for `seed`, `access`, `course` and `rules`", set: func(c *Config, v string) error {
			c.DirectusURL = strings.TrimSpace(v)
			return nil
		}, Doc: "a running Directus, for `snapshot pull/check` (instead of the database), `seed`, `access`, `course` and `rules`"},
		{Env: "TRM_DIRECTUS_TOKEN", File: true, Flag: "token", Arg: "token", Secret: true, Used: Trmctl,
			set: func(c *Config, v string) error { c.DirectusToken = v; return nil }, Doc: "a static or access token for `TRM_DIRECTUS_URL`"},
		{Env: "TRM_DIRECTUS_EMAIL", Flag: "email", Arg: "email", Used: Trmctl,
			set: func(c *Config, v string) error { c.DirectusEmail = v; return nil }, Doc: "log in to `TRM_DIRECTUS_URL` as this user instead of a token (`seed`, `access`, `course`, `rules`)"},
		{Env: "TRM_DIRECTUS_PASSWORD", File: true, Flag: "password", Arg: "password", Secret: true, Used: Trmctl,
			set: func(c *Config, v string) error { c.DirectusPassword = v; return nil }, Doc: "that user's password (prefer the variable: flags show in the process list)"},
		{Env: "TRM_TIMEOUT", Flag: "timeout", Arg: "duration", Default: "0", DefaultDoc: "`30m` for `migrate`, `5m` for `seed`, `2m` for `access`, `10m` for `course`, `5m` for `rules`, else none", Used: Trmctl, set: func(c *Config, v string) (err error) {
			c.Timeout, err = duration(v, true)
			return err
		}, Doc: "give up after this long, lock waits included (`0`: no limit)"},
		{Env: "TRM_ACCESS_DIR", Flag: "access-dir", Arg: "dir", Default: "/directus/access", trmctlDefault: trmctl("access"), Used: Entrypoint | Trmctl,
			set: func(c *Config, v string) error { c.AccessDir = v; return nil }, Doc: "the access files (`access.yaml`, `policies/`): the boot applies them after the schema (with the schema: `TRM_SCHEMA_APPLY` `dry-run` plans them, `skip` skips them too), `access` compares and applies them"},
		{Env: "TRM_EVENT", Flag: "event", Arg: "slug", Used: Trmctl, set: func(c *Config, v string) error {
			c.Event = strings.TrimSpace(v)
			return checkEventRef(c.Event)
		}, Doc: "the event of `course import`, `course export`, `rules import` and `rules export` (import defaults to the rulebook's): its slug, or `ORGANISATION/SLUG` when several organisations have one of that slug"},
		{Env: "TRM_ACCESS_APPLY", Default: "auto", Used: Entrypoint | Trmctl, set: func(c *Config, v string) error {
			switch v {
			case "auto":
				c.SkipAccess = false
			case "skip":
				c.SkipAccess = true
			default:
				return errors.New("want auto (apply the access files with the schema) or skip (leave roles, policies and permissions alone)")
			}
			return nil
		}, Doc: "`auto` applies `TRM_ACCESS_DIR` after the schema, as `TRM_SCHEMA_APPLY` says (`dry-run` plans it, `skip` skips it too); `skip` leaves roles, policies and permissions alone, for a database whose access model is not this repository's (docs/access-model.md)"},
		{Env: "TRM_ALLOW_ACCESS_REMOVAL", Flag: "allow", Arg: "list", Used: Entrypoint | Trmctl, set: func(c *Config, v string) (err error) {
			c.AllowAccessRemoval, err = accessAllowance(v)
			return err
		}, Doc: "`all`, or e.g. `role:judge,policy:old-viewer`: the roles and policies the boot and `access apply` may take from people who hold them"},
		{Env: "TRM_RECOMPUTE_RELAY_INTERVAL_MS", Default: "1000", Used: Entrypoint | Extensions, set: func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < minRelayIntervalMS || n > maxRelayIntervalMS {
				return fmt.Errorf("want a whole number of milliseconds from %d to %d", minRelayIntervalMS, maxRelayIntervalMS)
			}
			c.RecomputeRelayInterval = time.Duration(n) * time.Millisecond
			return nil
		}, Doc: "how often each Directus process's recompute relay looks for recompute requests that waited (Redis down, a process that died); a new request is relayed at once (`docs/recompute-requests.md`)"},
		{Env: "TRM_STREAM_REDIS", File: true, Secret: true, DefaultDoc: "Directus's `REDIS`", Used: Entrypoint | Extensions, set: func(c *Config, v string) error {
			r, err := parseRedisSetting("TRM_STREAM_REDIS", v)
			var se *Error
			if errors.As(err, &se) {
				return errors.New(se.Reason)
			}
			if r.Password != "" {
				c.secrets = append(c.secrets, r.Password)
			}
			return err
		}, Doc: "the Redis of the stream `recompute:requests` (same forms as `REDIS`), apart from Directus's cache and synchronisation Redis, so that recompute requests wait in the outbox while it is down and Directus keeps answering; unset, the relay uses Directus's own Redis. A malformed one is a configuration error; the entrypoint does not wait for it (`docs/recompute-requests.md`)"},
	}
}

// The recompute relay's bounds, which extensions/trm/src/recompute-relay
// applies too when Directus runs without the entrypoint.
const (
	minRelayIntervalMS = 50
	maxRelayIntervalMS = 3_600_000
)

// positiveDuration reads a duration such as 60s or 2m, or a number of
// seconds; zero and negative ones are refused.
func positiveDuration(s string) (time.Duration, error) { return duration(s, false) }

// boolean reads true or false as Go does (1, t, TRUE, 0, f, …).
func boolean(s string) (bool, error) {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, errors.New("want true or false")
	}
	return b, nil
}

func duration(s string, zeroOK bool) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		n, nerr := strconv.Atoi(s)
		if nerr != nil {
			return 0, errors.New("not a duration such as 60s, 2m or 1h30m")
		}
		d = time.Duration(n) * time.Second
	}
	switch {
	case d < 0:
		return 0, errors.New("negative: want a duration such as 60s or 2m")
	case d == 0 && !zeroOK:
		return 0, errors.New("zero: want a duration such as 60s or 2m")
	}
	return d, nil
}

var processorUserPattern = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// checkProcessorUser refuses a name the boot would have to quote, and
// PostgreSQL's own names.
func checkProcessorUser(user string) error {
	if !processorUserPattern.MatchString(user) {
		return errors.New("not a role name this boot creates: lower-case letters, digits and _, not starting with a digit, at most 63 bytes (e.g. trm_processor)")
	}
	if strings.HasPrefix(user, "pg_") {
		return errors.New("names starting with pg_ are PostgreSQL's own: choose another (e.g. trm_processor)")
	}
	return nil
}

// checkProcessorPassword keeps the password printable ASCII, so that the
// boot computes its SCRAM-SHA-256 verifier exactly as PostgreSQL does
// (SASLprep leaves such a password unchanged). The message never shows it.
func checkProcessorPassword(password string) error {
	for i := 0; i < len(password); i++ {
		if c := password[i]; c < 0x21 || c > 0x7e {
			return fmt.Errorf("character %d is not printable ASCII (no spaces): use a generated password such as the output of `openssl rand -base64 24`", i+1)
		}
	}
	return nil
}
