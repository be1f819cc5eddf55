// Package advisorylock takes PostgreSQL session-level advisory locks whose
// waiters wait idle, not inside a statement.
//
// Waiting in a blocking pg_advisory_lock call looks simplest but deadlocks:
// a waiter inside a statement holds a snapshot, and CREATE INDEX
// CONCURRENTLY (which Directus's own migrations and no-transaction db-init
// files run) waits for every snapshot in the database to go away, while
// the lock holder waits for that index. PostgreSQL cannot see that cycle,
// so nothing ever breaks it. Here a waiter LISTENs on a channel named after
// the lock and retries pg_try_advisory_lock each time the holder's release
// NOTIFYs it: it continues within milliseconds of the release, holds no
// snapshot while it waits, and leaves nothing running on the server if it
// gives up or dies. A holder that dies without releasing frees its lock
// with its session; waiters notice within RetryInterval.
//
// Keys are strings hashed on the server with hashtextextended, so two
// programs that name the same resource share the lock. Advisory locks are
// scoped to the current database. They do not survive a transaction-mode
// connection pooler (PgBouncer): connect directly.
package advisorylock

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/jackc/pgx/v5"
)

// RetryInterval bounds how long a waiter sleeps without a notification:
// it is how fast waiters notice a holder that died without releasing.
const RetryInterval = 250 * time.Millisecond

// Lock is a held advisory lock. It belongs to the session of the
// connection it was taken on; closing that connection releases it.
type Lock struct {
	conn *pgx.Conn
	key  string
	// Waited is how long Acquire waited for another holder (0 when the
	// lock was free).
	Waited time.Duration
}

// TimeoutError means the lock was still held by another session when the
// context was done.
type TimeoutError struct {
	Key    string
	Waited time.Duration
	// Holder describes the session holding the lock, when it could be read.
	Holder string
}

func (e *TimeoutError) Error() string {
	holder := e.Holder
	if holder == "" {
		holder = "another session"
	}
	return fmt.Sprintf("advisory lock %q still held by %s after waiting %s", e.Key, holder, e.Waited.Round(time.Millisecond))
}

// channel is the LISTEN/NOTIFY channel of a key: an identifier of its own
// so that unrelated locks do not wake each other.
func channel(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "trm_advisory_" + hex.EncodeToString(sum[:8])
}

func try(ctx context.Context, conn *pgx.Conn, key string) (bool, error) {
	var got bool
	err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock(hashtextextended($1, 0))", key).Scan(&got)
	return got, err
}

// Acquire takes the lock named key on conn, waiting until it is free or
// ctx is done. Without a deadline on ctx it waits until ctx is cancelled.
// conn must not be inside a transaction.
func Acquire(ctx context.Context, conn *pgx.Conn, key string) (*Lock, error) {
	got, err := try(ctx, conn, key)
	if err != nil {
		return nil, fmt.Errorf("advisory lock %q: %w", key, err)
	}
	if got {
		return &Lock{conn: conn, key: key}, nil
	}
	start := time.Now()
	ch := pgx.Identifier{channel(key)}.Sanitize()
	if _, err := conn.Exec(ctx, "LISTEN "+ch); err != nil {
		return nil, fmt.Errorf("advisory lock %q: listen: %w", key, err)
	}
	defer func() {
		if !conn.IsClosed() {
			_, _ = conn.Exec(context.WithoutCancel(ctx), "UNLISTEN "+ch)
		}
	}()
	for {
		// Trying after LISTEN closes the race with a release that
		// happened just before it. pg_try_advisory_lock never blocks, so
		// it runs outside ctx: pgx closes a connection whose query a
		// context cancels, and the holder could not be named then.
		if got, err = try(context.WithoutCancel(ctx), conn, key); err != nil {
			return nil, fmt.Errorf("advisory lock %q: %w", key, err)
		}
		if got {
			return &Lock{conn: conn, key: key, Waited: time.Since(start)}, nil
		}
		if err := ctx.Err(); err != nil {
			return nil, &TimeoutError{Key: key, Waited: time.Since(start), Holder: describeHolder(conn, key)}
		}
		wait := RetryInterval
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			wait = max(time.Until(dl), time.Millisecond)
		}
		if err := waitNotification(conn, wait); err != nil {
			return nil, fmt.Errorf("advisory lock %q: wait: %w", key, err)
		}
	}
}

// waitNotification waits for a notification at most d. It bounds the wait
// with a read deadline rather than a context: pgx answers a cancelled
// context by sending the server a cancel request, which could hit the next
// statement on this connection.
func waitNotification(conn *pgx.Conn, d time.Duration) error {
	nc := conn.PgConn().Conn()
	if err := nc.SetReadDeadline(time.Now().Add(d)); err != nil {
		return err
	}
	_, err := conn.WaitForNotification(context.Background())
	if derr := nc.SetReadDeadline(time.Time{}); derr != nil && err == nil {
		err = derr
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return nil
	}
	return err
}

// describeHolder reads who holds the lock, for an error an operator can act
// on. Best effort: an empty string when it cannot be read.
func describeHolder(conn *pgx.Conn, key string) string {
	if conn.IsClosed() {
		return ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var desc string
	err := conn.QueryRow(ctx, `
SELECT format('pid %s (%s%s, connected since %s)',
              a.pid, coalesce(nullif(a.application_name, ''), 'no application_name'),
              coalesce(' from ' || host(a.client_addr), ''),
              to_char(a.backend_start, 'YYYY-MM-DD HH24:MI:SS TZ'))
  FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
 WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
   AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
   AND ((l.classid::bigint << 32) | l.objid::bigint) = hashtextextended($1, 0)
 LIMIT 1`, key).Scan(&desc)
	if err != nil {
		return ""
	}
	return desc
}

// Release unlocks and wakes the waiters. If it fails the session may still
// hold the lock: close the connection rather than returning it to a pool.
func (l *Lock) Release(ctx context.Context) error {
	var released bool
	if err := l.conn.QueryRow(ctx, "SELECT pg_advisory_unlock(hashtextextended($1, 0)) FROM pg_notify($2, '')", l.key, channel(l.key)).Scan(&released); err != nil {
		return fmt.Errorf("release advisory lock %q: %w", l.key, err)
	}
	if !released {
		return fmt.Errorf("release advisory lock %q: this session did not hold it", l.key)
	}
	return nil
}
