package boot

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"git.dev.trmtracking.org/trm/directus/internal/settings"
)

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
func pingRedis(ctx context.Context, t *settings.Redis) error {
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
