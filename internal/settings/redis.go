package settings

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
)

// Redis is the Redis that Directus will use, read from the same variables
// Directus reads: REDIS (a URL, also REDIS_FILE), else REDIS_HOST,
// REDIS_PORT, REDIS_USERNAME, REDIS_PASSWORD and REDIS_DB. The entrypoint
// waits for it before anything runs the Directus CLI.
type Redis struct {
	// Network is "tcp" or "unix".
	Network string
	// Address is host:port, or a socket path.
	Address  string
	TLS      bool
	Username string
	Password string
	DB       int
	// Setting names the variable to fix when the target is wrong.
	Setting string
}

// String is the target without its password, for logs and errors.
func (r Redis) String() string {
	scheme := "redis"
	if r.TLS {
		scheme = "rediss"
	}
	if r.Network == "unix" {
		return "unix:" + r.Address
	}
	u := url.URL{Scheme: scheme, Host: r.Address}
	if r.Username != "" || r.Password != "" {
		if r.Password != "" {
			u.User = url.UserPassword(r.Username, mask)
		} else {
			u.User = url.User(r.Username)
		}
	}
	if r.DB != 0 {
		u.Path = "/" + strconv.Itoa(r.DB)
	}
	return u.String()
}

// redisStores are Directus's settings that put a store in Redis.
var redisStores = []string{"CACHE_STORE", "RATE_LIMITER_STORE", "SYNCHRONIZATION_STORE"}

// redisFrom returns the Redis Directus will use, or nil when it uses
// none. Like Directus (redis-config-available.js), REDIS_ENABLED decides
// when set; otherwise Redis is on as soon as REDIS or any REDIS_* variable
// exists. A store put in Redis without one is an error.
func redisFrom(env directusctl.Env, environ []string) (*Redis, error) {
	enabled, set, err := env.Get("REDIS_ENABLED")
	if err != nil {
		return nil, err
	}
	on := false
	if set {
		switch strings.ToLower(strings.TrimSpace(enabled)) {
		case "true", "1":
			on = true
		case "false", "0":
		default:
			return nil, &Error{Setting: "REDIS_ENABLED", Value: show(enabled), Reason: "want true or false"}
		}
	} else {
		for _, kv := range environ {
			k, _, _ := strings.Cut(kv, "=")
			if k == "REDIS" || strings.HasPrefix(k, "REDIS_") {
				on = true
				break
			}
		}
	}
	if !on {
		for _, s := range redisStores {
			if v, _, err := env.Get(s); err != nil {
				return nil, err
			} else if strings.EqualFold(v, "redis") {
				return nil, &Error{Setting: "REDIS", Reason: s + "=redis but no Redis is configured: set REDIS to redis://host:port (and unset REDIS_ENABLED=false)"}
			}
		}
		return nil, nil
	}
	raw, set, err := env.Get("REDIS")
	if err != nil {
		return nil, err
	}
	if set {
		return parseRedisURL(raw)
	}
	return redisFromParts(env, environ)
}

const redisURLForm = "want redis://[user:password@]host:port[/db] or rediss://… for TLS"

// parseRedisURL reads REDIS as ioredis does: a URL, host:port without a
// scheme, a port number, or a socket path. Its errors never repeat the
// value: it may hold a password.
func parseRedisURL(raw string) (*Redis, error) { return parseRedisSetting("REDIS", raw) }

// parseRedisSetting reads setting, a Redis connection string as REDIS
// takes (TRM_STREAM_REDIS takes the same).
func parseRedisSetting(setting, raw string) (*Redis, error) {
	bad := func(why string) error {
		return &Error{Setting: setting, Reason: why + "; " + redisURLForm}
	}
	raw = strings.TrimSpace(raw)
	switch {
	case raw == "":
		return nil, bad("is empty")
	case strings.HasPrefix(raw, "/"):
		return &Redis{Network: "unix", Address: raw, Setting: setting}, nil
	}
	if n, err := strconv.Atoi(raw); err == nil {
		if n < 1 || n > 65535 {
			return nil, bad("is a port number out of range")
		}
		return &Redis{Network: "tcp", Address: net.JoinHostPort("localhost", raw), Setting: setting}, nil
	}
	if !strings.Contains(raw, "://") {
		raw = "redis://" + raw
	}
	// A password with an unencoded /, ? or # ends the authority early: the
	// rest of it would be read as the host and printed as such.
	_, rest, _ := strings.Cut(raw, "://")
	if i := strings.LastIndex(rest, "@"); i >= 0 && strings.ContainsAny(rest[:i], "/?#") {
		return nil, bad("has a user or password with an unencoded /, ? or # (percent-encode them: %2F, %3F, %23)")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, bad("is not a valid URL")
	}
	t := &Redis{Network: "tcp", Setting: setting}
	switch u.Scheme {
	case "redis":
	case "rediss":
		t.TLS = true
	default:
		return nil, bad(fmt.Sprintf("has the scheme %q", u.Scheme))
	}
	host, port := u.Hostname(), u.Port()
	if host == "" {
		return nil, bad("names no host")
	}
	if port == "" {
		port = "6379"
	} else if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return nil, bad("has an invalid port")
	}
	t.Address = net.JoinHostPort(host, port)
	if u.User != nil {
		t.Username = u.User.Username()
		t.Password, _ = u.User.Password()
	}
	if db := strings.TrimPrefix(u.Path, "/"); db != "" {
		n, err := strconv.Atoi(db)
		if err != nil || n < 0 {
			return nil, bad("has a database that is not a number")
		}
		t.DB = n
	}
	return t, nil
}

func redisFromParts(env directusctl.Env, environ []string) (*Redis, error) {
	vals := map[string]string{}
	for _, n := range []string{"REDIS_HOST", "REDIS_PORT", "REDIS_USERNAME", "REDIS_PASSWORD", "REDIS_DB"} {
		v, _, err := env.Get(n)
		if err != nil {
			return nil, err
		}
		vals[n] = strings.TrimSpace(v)
	}
	t := &Redis{Network: "tcp", Username: vals["REDIS_USERNAME"], Password: vals["REDIS_PASSWORD"], Setting: "REDIS_HOST"}
	host, port := vals["REDIS_HOST"], vals["REDIS_PORT"]
	if host == "" {
		host = "localhost"
	}
	if port == "" {
		port = "6379"
	} else if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return nil, &Error{Setting: "REDIS_PORT", Value: show(port), Reason: "not a port number"}
	}
	t.Address = net.JoinHostPort(host, port)
	if db := vals["REDIS_DB"]; db != "" {
		n, err := strconv.Atoi(db)
		if err != nil || n < 0 {
			return nil, &Error{Setting: "REDIS_DB", Value: show(db), Reason: "not a database number"}
		}
		t.DB = n
	}
	for _, kv := range environ {
		if strings.HasPrefix(kv, "REDIS_TLS") {
			t.TLS = true
		}
	}
	return t, nil
}
