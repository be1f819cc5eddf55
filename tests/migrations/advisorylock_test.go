package integration

import (
	"context"
	"errors"
	"testing"
	"time"

	"git.dev.trmtracking.org/trm/directus/lib/migrations/advisorylock"
)

// A waiter must hold no snapshot while it waits: CREATE INDEX
// CONCURRENTLY run by the holder waits for every snapshot in the database,
// and a waiter inside pg_advisory_lock would deadlock it.
func TestLockWaiterHoldsNoSnapshotAndGetsTheLockOnRelease(t *testing.T) {
	pool := newPool(t, pg.New(t))
	holderConn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer holderConn.Release()
	waiterConn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer waiterConn.Release()
	var waiterPID int
	if err := waiterConn.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&waiterPID); err != nil {
		t.Fatal(err)
	}

	held, err := advisorylock.Acquire(ctx, holderConn.Conn(), "test/lock")
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 1)
	go func() {
		lock, err := advisorylock.Acquire(ctx, waiterConn.Conn(), "test/lock")
		if err == nil {
			err = lock.Release(ctx)
		}
		got <- err
	}()
	waitFor(t, func() bool {
		return queryInt(t, pool, "SELECT count(*) FROM pg_stat_activity WHERE pid = $1 AND query LIKE '%pg_try_advisory_lock%'", waiterPID) == 1
	})
	// While it waits the waiter is idle, outside any transaction, with no
	// snapshot: nothing for CREATE INDEX CONCURRENTLY to wait for.
	for range 5 {
		var state string
		var xminNull bool
		if err := pool.QueryRow(ctx, "SELECT state, backend_xmin IS NULL FROM pg_stat_activity WHERE pid = $1", waiterPID).Scan(&state, &xminNull); err != nil {
			t.Fatal(err)
		}
		if state == "idle" && !xminNull {
			t.Fatalf("idle waiter holds a snapshot")
		}
		if state == "active" {
			// A try-lock round trip in flight; look again.
			continue
		}
		if state != "idle" {
			t.Fatalf("waiter is %q while waiting, want idle", state)
		}
	}
	if _, err := pool.Exec(ctx, "CREATE TABLE t (id int)"); err != nil {
		t.Fatal(err)
	}
	built := make(chan error, 1)
	go func() { _, err := pool.Exec(ctx, "CREATE INDEX CONCURRENTLY t_id ON t (id)"); built <- err }()
	select {
	case err := <-built:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("CREATE INDEX CONCURRENTLY waited on the lock waiter")
	}
	if err := held.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Fatalf("waiter: %v", err)
	}
}

func TestLockGivesUpAtTheDeadlineNamingTheHolder(t *testing.T) {
	pool := newPool(t, pg.New(t))
	a, _ := pool.Acquire(ctx)
	defer a.Release()
	b, _ := pool.Acquire(ctx)
	defer b.Release()
	held, err := advisorylock.Acquire(ctx, a.Conn(), "test/deadline")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Release(ctx)
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	_, err = advisorylock.Acquire(short, b.Conn(), "test/deadline")
	var te *advisorylock.TimeoutError
	if !errors.As(err, &te) || te.Holder == "" || b.Conn().IsClosed() {
		t.Fatalf("want a TimeoutError naming the holder on a usable connection, got %v", err)
	}
}
