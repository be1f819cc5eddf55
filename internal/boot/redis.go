package boot

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
)

// RedisTarget is the Redis that Directus will use, read from the same
// variables Directus reads: REDIS (a URL, also REDIS_FILE), else
// REDIS_HOST, REDIS_PORT, REDIS_USERNAME, REDIS_PASSWORD and REDIS_DB.
type RedisTarget struct {
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
func (r RedisTarget) String() string {
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
			u.User = url.UserPassword(r.Username, "xxxxx")
		} else {
			u.User = url.User(r.Username)
		}
	}
	if r.DB != 0 {
		u.Path = "/" + strconv.Itoa(r.DB)
	}
	return u.String()
}

// redisFromEnv returns the Redis Directus will use, or nil when it uses
// none. Like Directus (redis-config-available.js), REDIS_ENABLED decides
// when set; otherwise Redis is on as soon as REDIS or any REDIS_* variable
// exists.
func redisFromEnv(env directusctl.Env, environ []string) (*RedisTarget, error) {
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
			return nil, &ConfigError{Setting: "REDIS_ENABLED", Reason: fmt.Sprintf("%q: want true or false", enabled)}
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
		// Directus's settings that put a store in Redis.
		for _, s := range []string{"CACHE_STORE", "RATE_LIMITER_STORE", "SYNCHRONIZATION_STORE"} {
			if v, _, err := env.Get(s); err != nil {
				return nil, err
			} else if strings.EqualFold(v, "redis") {
				return nil, &ConfigError{Setting: "REDIS", Reason: s + "=redis but no Redis is configured: set REDIS to redis://host:port (and unset REDIS_ENABLED=false)"}
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
func parseRedisURL(raw string) (*RedisTarget, error) {
	bad := func(why string) error {
		return &ConfigError{Setting: "REDIS", Reason: why + "; " + redisURLForm}
	}
	raw = strings.TrimSpace(raw)
	switch {
	case raw == "":
		return nil, bad("is empty")
	case strings.HasPrefix(raw, "/"):
		return &RedisTarget{Network: "unix", Address: raw, Setting: "REDIS"}, nil
	}
	if n, err := strconv.Atoi(raw); err == nil {
		if n < 1 || n > 65535 {
			return nil, bad("is a port number out of range")
		}
		return &RedisTarget{Network: "tcp", Address: net.JoinHostPort("localhost", raw), Setting: "REDIS"}, nil
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
	t := &RedisTarget{Network: "tcp", Setting: "REDIS"}
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

func redisFromParts(env directusctl.Env, environ []string) (*RedisTarget, error) {
	vals := map[string]string{}
	for _, n := range []string{"REDIS_HOST", "REDIS_PORT", "REDIS_USERNAME", "REDIS_PASSWORD", "REDIS_DB"} {
		v, _, err := env.Get(n)
		if err != nil {
			return nil, err
		}
		vals[n] = strings.TrimSpace(v)
	}
	t := &RedisTarget{Network: "tcp", Username: vals["REDIS_USERNAME"], Password: vals["REDIS_PASSWORD"], Setting: "REDIS_HOST"}
	host, port := vals["REDIS_HOST"], vals["REDIS_PORT"]
	if host == "" {
		host = "localhost"
	}
	if port == "" {
		port = "6379"
	} else if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return nil, &ConfigError{Setting: "REDIS_PORT", Reason: fmt.Sprintf("%q is not a port number", port)}
	}
	t.Address = net.JoinHostPort(host, port)
	if db := vals["REDIS_DB"]; db != "" {
		n, err := strconv.Atoi(db)
		if err != nil || n < 0 {
			return nil, &ConfigError{Setting: "REDIS_DB", Reason: fmt.Sprintf("%q is not a database number", db)}
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

// RedisError is a Redis that answered, or failed to, in a way that says
// whether waiting can help.
type RedisError struct {
	Target string
	// Fatal errors (wrong password, a database index out of range) do not
	// go away by waiting.
	Fatal bool
	Err   error
}

func (e *RedisError) Error() string { return fmt.Sprintf("redis %s: %v", e.Target, e.Err) }
func (e *RedisError) Unwrap() error { return e.Err }

// pingRedis connects, authenticates and selects the database as ioredis
// will, then sends PING.
func pingRedis(ctx context.Context, t *RedisTarget) error {
	fail := func(fatal bool, err error) error { return &RedisError{Target: t.String(), Fatal: fatal, Err: err} }
	var d net.Dialer
	conn, err := d.DialContext(ctx, t.Network, t.Address)
	if err != nil {
		return fail(false, err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	if t.TLS {
		host, _, _ := net.SplitHostPort(t.Address)
		tc := tls.Client(conn, &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12})
		if err := tc.HandshakeContext(ctx); err != nil {
			return fail(false, err)
		}
		conn = tc
	}
	rw := bufio.NewReadWriter(bufio.NewReader(conn), bufio.NewWriter(conn))
	if t.Password != "" {
		args := []string{"AUTH", t.Password}
		if t.Username != "" {
			args = []string{"AUTH", t.Username, t.Password}
		}
		reply, err := redisCommand(rw, args...)
		if err != nil {
			return fail(false, err)
		}
		// ioredis, too, carries on when the server has no password.
		if strings.HasPrefix(reply, "-") && !strings.Contains(reply, "no password is set") && !strings.Contains(reply, "without any password configured") {
			return fail(true, fmt.Errorf("authentication refused (%s): check the user and password in %s", replyText(reply), t.Setting))
		}
	}
	if t.DB != 0 {
		reply, err := redisCommand(rw, "SELECT", strconv.Itoa(t.DB))
		if err != nil {
			return fail(false, err)
		}
		if strings.HasPrefix(reply, "-") {
			return fail(!strings.HasPrefix(reply, "-LOADING"), fmt.Errorf("SELECT %d refused (%s): check the database number in %s", t.DB, replyText(reply), t.Setting))
		}
	}
	reply, err := redisCommand(rw, "PING")
	if err != nil {
		return fail(false, err)
	}
	switch {
	case reply == "+PONG":
		return nil
	case strings.HasPrefix(reply, "-NOAUTH"), strings.HasPrefix(reply, "-WRONGPASS"):
		return fail(true, fmt.Errorf("the server requires a password (%s): put it in %s", replyText(reply), t.Setting))
	default:
		// -LOADING (a restart reading its data set) and the like pass.
		return fail(false, fmt.Errorf("PING answered %s", replyText(reply)))
	}
}

// redisCommand sends one command in RESP and returns the first line of the
// reply ("+PONG", "-ERR …").
func redisCommand(rw *bufio.ReadWriter, args ...string) (string, error) {
	fmt.Fprintf(rw, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(rw, "$%d\r\n%s\r\n", len(a), a)
	}
	if err := rw.Flush(); err != nil {
		return "", err
	}
	line, err := rw.ReadString('\n')
	if err != nil {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// replyText is a Redis error reply as text, cut short: replies come from
// the server, not from the settings, so they hold no secret of ours.
func replyText(reply string) string {
	s := strings.TrimPrefix(reply, "-")
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return s
}

// waitRedis waits for Redis with backoff, up to TRM_REDIS_WAIT_TIMEOUT.
// A refused password or database fails at once: waiting would not fix it.
func (b *Booter) waitRedis(ctx context.Context) error {
	t := b.cfg.Redis
	if t == nil {
		return nil
	}
	start := time.Now()
	wait, cancel := context.WithTimeout(ctx, b.cfg.RedisWaitTimeout)
	defer cancel()
	delay := 100 * time.Millisecond
	var last error
	for attempt := 1; ; attempt++ {
		attemptCtx, cancelAttempt := context.WithTimeout(wait, 5*time.Second)
		err := pingRedis(attemptCtx, t)
		cancelAttempt()
		if err == nil {
			break
		}
		// The attempt the deadline cut short says less than the one before.
		if last == nil || wait.Err() == nil {
			last = err
		}
		var re *RedisError
		if errors.As(err, &re) && re.Fatal {
			return &StepError{Step: "wait-redis", Err: err, Fix: "fix " + t.Setting + " (Directus uses the same setting)"}
		}
		if ctx.Err() != nil {
			return &StepError{Step: "wait-redis", Err: context.Cause(ctx), Fix: "stopped before Redis answered; nothing was changed"}
		}
		if wait.Err() != nil {
			return &StepError{Step: "wait-redis", Err: fmt.Errorf("%s did not answer within %s (%d attempts): %v", t, b.cfg.RedisWaitTimeout, attempt, last),
				Fix: "check that Redis runs and " + t.Setting + " points at it, or raise TRM_REDIS_WAIT_TIMEOUT"}
		}
		select {
		case <-wait.Done():
		case <-time.After(delay):
		}
		delay = min(delay*2, 2*time.Second)
	}
	b.step("wait-redis", start, "redis", t.String())
	return nil
}
