// Package settings is the one table of the settings of TRM's binaries,
// the entrypoint of the image and trmctl: for each, its environment
// variable (and NAME_FILE where it may hold a secret), its trmctl flag,
// its default, its check, a one-line description and the binaries that
// read it. Both binaries fill their configuration from it with [Load];
// the README's table of variables is generated from it ([Markdown], `go
// run ./tools/settingsdoc`).
//
// Every setting a binary reads is checked before the binary does
// anything: a bad one is an [*Error] naming the variable or flag it came
// from and what to set instead, and all of them are reported at once. A
// message never shows the value of a secret setting, nor any part of a
// database URL that does not parse.
package settings

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"git.dev.trmtracking.org/trm/directus/internal/access"
	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
)

// Binary is a set of TRM's programs.
type Binary uint8

const (
	// Entrypoint is cmd/entrypoint, the boot of the image.
	Entrypoint Binary = 1 << iota
	// Trmctl is cmd/trmctl, the admin CLI.
	Trmctl
	// Extensions is the extension bundle extensions/trm, running inside
	// Directus: the entrypoint checks its settings before Directus starts
	// and passes them on.
	Extensions
)

func (b Binary) String() string {
	var names []string
	if b&Entrypoint != 0 {
		names = append(names, "entrypoint")
	}
	if b&Trmctl != 0 {
		names = append(names, "trmctl")
	}
	if b&Extensions != 0 {
		names = append(names, "extensions/trm")
	}
	return strings.Join(names, ", ")
}

// Spec is one setting.
type Spec struct {
	// Env is the environment variable.
	Env string
	// File says that Env_FILE may instead name a file holding the value
	// (Docker and Kubernetes secrets), as Directus allows.
	File bool
	// Flag is trmctl's flag (without dashes), "" when it has none. It is
	// also the key in trmctl's --config file. Arg names its value in the
	// flag's help; "bool" makes the flag a switch (--flag alone is true).
	Flag string
	Arg  string
	// Default is the value when nothing sets it; trmctlDefault, when set,
	// is trmctl's (paths relative to a checkout rather than the image).
	Default       string
	trmctlDefault *string
	// DefaultDoc replaces Default in the documentation when the default is
	// worked out rather than fixed.
	DefaultDoc string
	// Doc says what the setting means, in one line.
	Doc string
	// Used says which binaries read it.
	Used Binary
	// Secret settings are never shown, whatever goes wrong.
	Secret bool
	// Runtime settings are also read by trmctl from directus/runtime.env,
	// written by `make directus`.
	Runtime bool
	// Directus says the variable is Directus's own, which the entrypoint
	// passes on to it.
	Directus bool

	// set checks a non-empty value and stores it; nil for settings only
	// passed on to Directus.
	set func(c *Config, v string) error
	// dbPart marks Directus's DB_* variables, read together by
	// directusctl.Env.DatabaseURL unless TRM_DATABASE_URL wins.
	dbPart bool
	// redisPart marks Directus's Redis variables (and the stores that
	// need Redis), read together by redisFrom.
	redisPart bool
}

// DefaultFor is the default of the setting in b.
func (s *Spec) DefaultFor(b Binary) string {
	if b == Trmctl && s.trmctlDefault != nil {
		return *s.trmctlDefault
	}
	return s.Default
}

// Name is how messages name the setting: its variable, and its flag when
// trmctl has one.
func (s *Spec) Name() string {
	if s.Flag != "" {
		return s.Env + " (--" + s.Flag + ")"
	}
	return s.Env
}

// Config is every setting, checked and typed.
type Config struct {
	Database Database

	DBWaitTimeout time.Duration
	// Redis is the Redis Directus will use (nil when it uses none): the
	// entrypoint waits for it, up to RedisWaitTimeout.
	Redis            *Redis
	RedisWaitTimeout time.Duration
	BootLockTimeout  time.Duration
	// DBInitFileTimeout and DBInitLockTimeout bound each db-init file and
	// each of its lock waits (0: no limit).
	DBInitFileTimeout, DBInitLockTimeout time.Duration
	// ConnectTimeout bounds trmctl migrate's connection to PostgreSQL.
	ConnectTimeout   time.Duration
	SchemaApply      ApplyMode
	AllowDestructive Allowance
	// TimescaleDB is "required" or "optional".
	TimescaleDB string
	// StartCommand is exec'd when provisioning succeeded.
	StartCommand []string
	// ServeExec: always exec StartCommand, never serve from the process
	// that provisioned (TRM_SERVE=exec).
	ServeExec bool
	Snapshot  string
	DBInitDir string
	// SnapshotExclude are table patterns owned by db-init besides the
	// built-in ones.
	SnapshotExclude []string
	// SnapshotMaxSize is the largest snapshot read, in bytes.
	SnapshotMaxSize int64
	// IgnoreVendor lets trmctl compare snapshots of different database
	// vendors.
	IgnoreVendor bool

	// Node, DirectusCLI and DirectusDir run the Directus CLI.
	Node        string
	DirectusCLI string
	DirectusDir string

	DirectusURL      string
	DirectusToken    string
	DirectusEmail    string
	DirectusPassword string
	// Timeout bounds a trmctl command; 0 is no limit.
	Timeout time.Duration
	// AccessDir holds the access files; AllowAccessRemoval the
	// destructive access changes the operator named.
	AccessDir string
	// SkipAccess: the boot leaves the access model alone
	// (TRM_ACCESS_APPLY=skip).
	SkipAccess         bool
	AllowAccessRemoval access.Allowance
	// Event names the event of trmctl course: its slug, or
	// ORGANISATION/SLUG.
	Event string
	// RecomputeRelayInterval is how often the recompute relay of each
	// Directus process looks for requests that waited.
	RecomputeRelayInterval time.Duration

	// ProcessorUser and ProcessorPassword are the processor's database
	// role, which every full boot creates or updates
	// (db-init/post/004_processor_role.sql). Empty user: none. Empty
	// password: the role must exist already (a DBA made it).
	ProcessorUser, ProcessorPassword string

	// Production is NODE_ENV=production, the upstream image's mode.
	Production bool
	// Warnings are settings that work but that an operator should hear
	// about (no SECRET outside production, a short one).
	Warnings []string

	secret    string
	secretSet bool
	// from is where each setting came from, by variable.
	from map[string]string
	// secrets are the values of every secret setting that is set, for
	// the Redactor.
	secrets []string
}

// Database is the PostgreSQL database both binaries and Directus use.
type Database struct {
	// URL is a postgres:// URL that directusctl.CheckDatabaseURL and pgx
	// accept; "" when nothing names a database.
	URL string
	// From names what set it: "TRM_DATABASE_URL", "--database-url",
	// "DB_CONNECTION_STRING" or "DB_*".
	From string
}

// Redacted is the URL without its password, for messages.
func (d Database) Redacted() string { return directusctl.Redact(d.URL) }

// Fix says which settings to check when the database refuses or does not
// answer.
func (d Database) Fix() string {
	switch d.From {
	case "DB_*":
		return "DB_HOST, DB_PORT, DB_DATABASE, DB_USER and DB_PASSWORD"
	case "":
		return "TRM_DATABASE_URL or DB_*"
	}
	return d.From
}

// Error is a setting that cannot be used. It never holds a secret value.
type Error struct {
	// Setting is where the bad value came from: a variable, NAME_FILE, a
	// flag or the config file.
	Setting string
	// Value is the bad value, quoted; "" for a secret setting.
	Value  string
	Reason string
}

func (e *Error) Error() string {
	if e.Value != "" {
		return e.Setting + "=" + e.Value + ": " + e.Reason
	}
	return e.Setting + ": " + e.Reason
}

// Errors are every bad setting found, reported together.
type Errors []*Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Layer is one place settings come from: flags, the environment, a config
// file, directus/runtime.env. Lookup returns the raw text and where it
// came from (a variable's name, "--flag", "config file key"); ok is false
// when the layer does not set it.
type Layer interface {
	Lookup(s *Spec) (value, origin string, ok bool, err error)
}

// Source is where a binary's settings come from: its layers, highest
// first, and the environment, where Directus's own DB_* and REDIS*
// variables are read as Directus reads them. Environ is the environment's
// KEY=VALUE entries: Directus uses Redis as soon as any REDIS_* variable
// is set.
type Source struct {
	Layers  []Layer
	Env     directusctl.Env
	Environ []string
}

// FromEnv is the entrypoint's source: the environment alone, read through
// env, whose entries environ lists.
func FromEnv(env directusctl.Env, environ []string) Source {
	return Source{Layers: []Layer{EnvLayer{Env: env}}, Env: env, Environ: environ}
}

// EnvLayer reads a setting's variable, and its NAME_FILE when the setting
// allows one.
type EnvLayer struct{ Env directusctl.Env }

// Lookup implements Layer.
func (l EnvLayer) Lookup(s *Spec) (string, string, bool, error) {
	if s.File {
		v, ok, err := l.Env.Get(s.Env)
		if err != nil {
			return "", s.Env, false, err
		}
		origin := s.Env
		if _, fromFile := l.Env.Lookup(s.Env + "_FILE"); fromFile {
			origin = s.Env + "_FILE"
		}
		return v, origin, ok, nil
	}
	v, ok := l.Env.Lookup(s.Env)
	return v, s.Env, ok, nil
}

// Load reads, checks and types every setting that b reads. It returns all
// the bad ones at once, as Errors.
func Load(src Source, b Binary) (*Config, error) {
	c := &Config{from: map[string]string{}}
	var errs Errors
	fail := func(setting string, err error) {
		var se *Error
		var ee *directusctl.EnvError
		switch {
		case errors.As(err, &se):
			errs = append(errs, se)
		case errors.As(err, &ee):
			errs = append(errs, &Error{Setting: ee.Name, Reason: ee.Reason})
		default:
			errs = append(errs, &Error{Setting: setting, Reason: err.Error()})
		}
	}
	for _, s := range Table() {
		if s.Used&b == 0 || s.dbPart || s.redisPart {
			continue
		}
		v, origin, ok, err := lookup(src, &s)
		if err != nil {
			fail(origin, err)
			continue
		}
		if ok && v != "" && s.Secret {
			c.secrets = append(c.secrets, v)
		}
		if s.set == nil {
			continue
		}
		if !ok || v == "" {
			v, origin = s.DefaultFor(b), s.Env+" (default)"
		}
		if v == "" {
			continue
		}
		c.from[s.Env] = origin
		if err := s.set(c, v); err != nil {
			e := &Error{Setting: origin, Reason: err.Error()}
			if !s.Secret {
				e.Value = show(v)
			}
			errs = append(errs, e)
		}
	}
	if err := c.resolveDatabase(src, b); err != nil {
		fail("database", err)
	}
	if c.DirectusDir == "" && c.DirectusCLI != "" {
		if c.DirectusDir = DirectusRoot(c.DirectusCLI); c.DirectusDir == "" {
			errs = append(errs, &Error{Setting: "TRM_DIRECTUS_DIR", Reason: "is unset and cannot be told from TRM_DIRECTUS_CLI (no node_modules folder in its path): set it to the Directus folder"})
		}
	}
	if b&Entrypoint != 0 {
		if err := c.resolveRedis(src); err != nil {
			fail("REDIS", err)
		}
		c.checkSecret(&errs)
		if c.ProcessorPassword != "" && c.From("TRM_PROCESSOR_DB_USER") == "" {
			errs = append(errs, &Error{Setting: "TRM_PROCESSOR_DB_USER", Reason: "is unset but TRM_PROCESSOR_DB_PASSWORD is set: set the role's name too (e.g. trm_processor), or unset the password"})
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return c, nil
}

// From says where a setting came from: "--flag", its variable,
// NAME_FILE, the config file's key, "NAME (default)"; "" when unset.
func (c *Config) From(env string) string { return c.from[env] }

// Secrets are the values of every secret setting that is set, for a
// Redactor.
func (c *Config) Secrets() []string { return append([]string(nil), c.secrets...) }

func lookup(src Source, s *Spec) (string, string, bool, error) {
	for _, l := range src.Layers {
		v, origin, ok, err := l.Lookup(s)
		if err != nil || ok {
			return v, origin, ok, err
		}
	}
	return "", s.Env, false, nil
}

// show quotes a value for a message, short enough to read.
func show(v string) string {
	const max = 60
	if len(v) > max {
		return fmt.Sprintf("%q…", v[:max])
	}
	return fmt.Sprintf("%q", v)
}

// resolveDatabase finds the database: TRM_DATABASE_URL (or
// --database-url), else Directus's DB_CONNECTION_STRING, else its DB_HOST,
// DB_PORT, DB_DATABASE, DB_USER and DB_PASSWORD, and checks it.
func (c *Config) resolveDatabase(src Source, b Binary) error {
	spec := specOf("TRM_DATABASE_URL")
	v, origin, ok, err := lookup(src, spec)
	if err != nil {
		return err
	}
	if ok && v != "" {
		if err := CheckDatabaseURL(v); err != nil {
			return &Error{Setting: origin, Reason: err.Error()}
		}
		from := "TRM_DATABASE_URL"
		if strings.HasPrefix(origin, "--") {
			from = origin
		}
		c.Database = Database{URL: v, From: from}
		c.secrets = append(c.secrets, urlPassword(v))
		return nil
	}
	u, ok, err := src.Env.DatabaseURL()
	if err != nil {
		return err
	}
	if !ok {
		if b&Entrypoint != 0 {
			return &Error{Setting: "DB_HOST", Reason: "no database configured: set Directus's DB_CLIENT=pg, DB_HOST, DB_PORT, DB_DATABASE, DB_USER and DB_PASSWORD (or DB_CONNECTION_STRING), or TRM_DATABASE_URL"}
		}
		return nil
	}
	from := "DB_*"
	if _, cs, _ := src.Env.Get("DB_CONNECTION_STRING"); cs {
		from = "DB_CONNECTION_STRING"
	}
	if err := CheckDatabaseURL(u); err != nil {
		return &Error{Setting: from, Reason: err.Error()}
	}
	c.Database = Database{URL: u, From: from}
	c.secrets = append(c.secrets, urlPassword(u))
	return nil
}

// resolveRedis finds the Redis Directus will use, if any, and keeps its
// password for the Redactor. REDIS itself is not a secret: messages name
// the Redis they speak of, its password replaced (Redis.String).
func (c *Config) resolveRedis(src Source) error {
	r, err := redisFrom(src.Env, src.Environ)
	if err != nil {
		return err
	}
	c.Redis = r
	if r != nil && r.Password != "" {
		c.secrets = append(c.secrets, r.Password)
	}
	return nil
}

// RequireDatabase says how to name a database when none is.
func (c *Config) RequireDatabase() error {
	if c.Database.URL == "" {
		return &Error{Setting: "--database-url", Reason: "no database given: pass --database-url, or set TRM_DATABASE_URL, or Directus's DB_HOST, DB_PORT, DB_DATABASE, DB_USER and DB_PASSWORD (or DB_CONNECTION_STRING)"}
	}
	return nil
}

// checkSecret: without SECRET, Directus signs its tokens with a random
// value each process makes anew. Every session then ends at a restart,
// and with several replicas a token one issued is refused by the others.
// That is refused in production; elsewhere it is a warning.
func (c *Config) checkSecret(errs *Errors) {
	const why = "Directus would sign its tokens with a random secret that each process makes anew: every login would end at a restart, and with several replicas a token issued by one would be refused by the others"
	switch {
	case !c.secretSet && c.Production:
		*errs = append(*errs, &Error{Setting: "SECRET", Reason: "is not set (NODE_ENV=production): " + why + ". Set SECRET or SECRET_FILE to 32 or more random bytes, e.g. the output of `openssl rand -hex 32`, the same for every replica"})
	case !c.secretSet:
		c.Warnings = append(c.Warnings, "SECRET is not set: "+why+" (refused when NODE_ENV=production)")
	case len(c.secret) < 32:
		c.Warnings = append(c.Warnings, "SECRET is shorter than 32 bytes: tokens signed with it can be forged by brute force; use e.g. the output of `openssl rand -hex 32`")
	}
	c.secret = ""
}

func specOf(env string) *Spec {
	for _, s := range Table() {
		if s.Env == env {
			return &s
		}
	}
	panic("settings: no setting " + env)
}

// DirectusEnviron is the environment (KEY=VALUE entries) to give Directus
// so that it uses the database the settings named, and nothing else:
// with TRM_DATABASE_URL, Directus's own DB_* connection variables are
// replaced by DB_CLIENT=pg and DB_CONNECTION_STRING; with DB_*, DB_CLIENT
// and DB_PORT get the defaults Directus lacks (it requires both).
func (c *Config) DirectusEnviron(environ []string) []string {
	set := map[string]string{}
	drop := map[string]bool{}
	has := map[string]bool{}
	for _, kv := range environ {
		k, _, _ := strings.Cut(kv, "=")
		has[strings.TrimSuffix(k, "_FILE")] = true
	}
	switch c.Database.From {
	case "":
		return append([]string(nil), environ...)
	case "DB_*", "DB_CONNECTION_STRING":
		if !has["DB_CLIENT"] {
			set["DB_CLIENT"] = "pg"
		}
		if c.Database.From == "DB_*" && !has["DB_PORT"] {
			set["DB_PORT"] = "5432"
		}
	default:
		for _, s := range Table() {
			if s.dbPart {
				drop[s.Env], drop[s.Env+"_FILE"] = true, true
			}
		}
		set["DB_CLIENT"], set["DB_CONNECTION_STRING"] = "pg", c.Database.URL
	}
	out := make([]string, 0, len(environ)+len(set))
	for _, kv := range environ {
		k, _, _ := strings.Cut(kv, "=")
		if !drop[k] {
			out = append(out, kv)
		}
	}
	for _, k := range []string{"DB_CLIENT", "DB_PORT", "DB_CONNECTION_STRING"} {
		if v, ok := set[k]; ok {
			out = append(out, k+"="+v)
		}
	}
	return out
}
