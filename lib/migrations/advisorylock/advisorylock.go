// Package advisorylock takes PostgreSQL session-level advisory locks that
// wait without polling and give up on the server side as well as the
// client side.
//
// A waiter blocks in pg_advisory_lock, so it continues within milliseconds
// of the holder releasing (polling with pg_try_advisory_lock, as some
// runners do, makes waiters sleep for seconds). The wait is bounded by the
// context's deadline twice: lock_timeout makes the server give up even if
// this client vanished, and the context cancels the query from the client.
//
// Keys are strings hashed on the server with hashtextextended, so two
// programs that name the same resource share the lock. Advisory locks are
// scoped to the current database. They do not survive a transaction-mode
// connection pooler (PgBouncer): connect directly for migrations.
package advisorylock

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// serverMargin is how much earlier than the context's deadline the server
// stops waiting.
const serverMargin = 50 * time.Millisecond

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
// context's deadline passed.
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

// Acquire takes the lock named key on conn, waiting until it is free or ctx
// is done. Without a deadline on ctx it waits until ctx is cancelled.
func Acquire(ctx context.Context, conn *pgx.Conn, key string) (*Lock, error) {
	var got bool
	if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock(hashtextextended($1, 0))", key).Scan(&got); err != nil {
		return nil, fmt.Errorf("advisory lock %q: %w", key, err)
	}
	if got {
		return &Lock{conn: conn, key: key}, nil
	}
	start := time.Now()
	timeout := "0"
	if dl, ok := ctx.Deadline(); ok {
		// The server gives up a little before the client does, so the
		// connection is still usable to name the holder.
		ms := (time.Until(dl) - serverMargin).Milliseconds()
		if ms < 1 {
			ms = 1
		}
		timeout = fmt.Sprintf("%dms", ms)
	}
	var prev string
	if err := conn.QueryRow(ctx, "SELECT current_setting('lock_timeout'), set_config('lock_timeout', $1, false)", timeout).Scan(&prev, nil); err != nil {
		return nil, fmt.Errorf("advisory lock %q: set lock_timeout: %w", key, err)
	}
	_, err := conn.Exec(ctx, "SELECT pg_advisory_lock(hashtextextended($1, 0))", key)
	waited := time.Since(start)
	if err != nil {
		var pgErr *pgconn.PgError
		timedOut := errors.As(err, &pgErr) && pgErr.Code == "55P03" || ctx.Err() != nil
		if !timedOut {
			return nil, fmt.Errorf("advisory lock %q: %w", key, err)
		}
		holder := describeHolder(conn, key)
		restore(conn, prev)
		return nil, &TimeoutError{Key: key, Waited: waited, Holder: holder}
	}
	if err := restore(conn, prev); err != nil {
		_ = (&Lock{conn: conn, key: key}).Release(context.Background())
		return nil, fmt.Errorf("advisory lock %q: restore lock_timeout: %w", key, err)
	}
	return &Lock{conn: conn, key: key, Waited: waited}, nil
}

// restore puts lock_timeout back so the migrations that run under the lock
// see the session's own setting. It uses a fresh short context because the
// caller's may be the one that just expired.
func restore(conn *pgx.Conn, prev string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := conn.Exec(ctx, "SELECT set_config('lock_timeout', $1, false)", prev)
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

// Release unlocks. If it fails the session may still hold the lock: close
// the connection rather than returning it to a pool.
func (l *Lock) Release(ctx context.Context) error {
	var released bool
	if err := l.conn.QueryRow(ctx, "SELECT pg_advisory_unlock(hashtextextended($1, 0))", l.key).Scan(&released); err != nil {
		return fmt.Errorf("release advisory lock %q: %w", l.key, err)
	}
	if !released {
		return fmt.Errorf("release advisory lock %q: this session did not hold it", l.key)
	}
	return nil
}
