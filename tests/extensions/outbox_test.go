package extensions

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// window is the i-th 5-minute window of the fixture trackers' hour.
func window(i int) (time.Time, time.Time) {
	return t0.Add(time.Duration(i) * 5 * time.Minute), t0.Add(time.Duration(i+1) * 5 * time.Minute)
}

// onceEach checks that msgs carry exactly the request ids want, each once.
func onceEach(t testing.TB, msgs []message, want []string) {
	t.Helper()
	seen := map[string]int{}
	for _, m := range msgs {
		seen[m.Fields["request_id"]]++
	}
	for _, id := range want {
		if seen[id] != 1 {
			t.Errorf("request %s delivered %d times, want once", id, seen[id])
		}
		delete(seen, id)
	}
	for id, n := range seen {
		t.Errorf("unexpected request %s delivered %d times", id, n)
	}
}

// TestRecomputeOutbox: the outbox against a stream Redis that fails and
// Directus instances that die, with two instances relaying. Directus keeps
// its own stores in a Redis of its own and the stream is on another
// (TRM_STREAM_REDIS, apart), so that Directus answers during the stream's
// outage: what these prove is the outbox.
func TestRecomputeOutbox(t *testing.T) {
	s := newStack(t, 2, apart)
	t.Run("Redis stopped while flagging: every request delivered, none twice", func(t *testing.T) { redisDown(t, s) })
	t.Run("Directus killed between commit and relay: delivered after its restart", func(t *testing.T) { killedBeforeRelay(t, s) })
	t.Run("a crash after the stream took a request: redelivered with the same request id", func(t *testing.T) { redelivery(t, s) })
}

// redisDown: with Redis stopped, flags through both instances land and
// their requests wait in the outbox; when Redis is back both relays race
// for the backlog and every request is delivered once, without a restart.
func redisDown(t *testing.T, s *stack) {
	trackers := []tracker{s.tracker(t, 60*60), s.tracker(t, 60*60)}
	if err := s.redis.Stop(); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for w := range 4 {
		for i, inst := range s.insts {
			from, until := window(w)
			start := time.Now()
			res, err := flag(inst.Client(), flagBody("device", trackers[i].device, from, until, "flag", fmt.Sprintf("outage %d", w)))
			if err != nil {
				t.Fatalf("instance %d with Redis down: %v\n%s", i, err, lastLines(inst.Log(), 5))
			}
			if w == 0 {
				t.Logf("instance %d flagged %d positions with Redis down in %s", i, res.Positions, time.Since(start).Round(time.Millisecond))
			}
			if res.Positions != 300 || res.RequestID == nil {
				t.Fatalf("answer %+v, want 300 positions and a request", res)
			}
			ids = append(ids, *res.RequestID)
		}
	}
	for _, tr := range trackers {
		if n := s.faulty(t, tr.imei, t0, t0.Add(time.Hour)); n != 1200 {
			t.Errorf("%d faulty positions of %s, want 1200", n, tr.imei)
		}
	}
	// The relays keep trying meanwhile: nothing is lost, nothing marked.
	time.Sleep(time.Second)
	if n := s.unsent(t); n != len(ids) {
		t.Fatalf("%d requests wait in the outbox, want %d", n, len(ids))
	}

	// A Redis without persistence comes back empty.
	s.redis.Restart()
	s.createGroup(t)
	onceEach(t, s.readAll(t, "c1", len(ids), 15*time.Second), ids)
	if extra := s.read(t, "c1", 10, 2*time.Second); len(extra) != 0 {
		t.Errorf("%d more messages after the waiting ones", len(extra))
	}
	s.waitAllSent(t)
	// Per instance, one warning for the outage and one line for the
	// recovery: not one per attempt.
	for i, inst := range s.insts {
		log := inst.Log()
		if n := strings.Count(log, "trm recompute relay: cannot relay to recompute:requests, recompute requests wait in recompute_outbox"); n != 1 {
			t.Errorf("instance %d logged the outage %d times, want once", i, n)
		}
		if n := strings.Count(log, "trm recompute relay: Redis answers again"); n != 1 {
			t.Errorf("instance %d logged the recovery %d times, want once", i, n)
		}
		if !strings.Contains(log, "trm recompute relay: on, to redis://127.0.0.1:"+strconv.Itoa(s.redis.Port)+" every 200 ms and at each request (TRM_STREAM_REDIS)") {
			t.Errorf("instance %d did not log its relay on the stream Redis's port with TRM_RECOMPUTE_RELAY_INTERVAL_MS", i)
		}
		if strings.Contains(log, streamPassword) {
			t.Errorf("instance %d logged the stream Redis's password", i)
		}
	}
}

// killedBeforeRelay: a request committed by an instance that dies before
// relaying it is delivered by the instance started after it, with the
// request id its caller was given.
func killedBeforeRelay(t *testing.T, s *stack) {
	tr := s.tracker(t, 20*60)
	// Redis down, so that no instance relays before they die.
	if err := s.redis.Stop(); err != nil {
		t.Fatal(err)
	}
	res := mustFlag(t, s.insts[1].Client(), flagBody("entry", tr.entry, t0, t0.Add(10*time.Minute), "flag", "killed before relay"))
	for _, inst := range s.insts {
		inst.Kill()
	}
	if n := s.unsent(t); n != 1 {
		t.Fatalf("%d unsent requests after the kill, want 1", n)
	}
	s.redis.Restart()
	s.createGroup(t)
	s.restart(0)
	msgs := s.readAll(t, "c1", 1, 15*time.Second)
	if len(msgs) != 1 || msgs[0].Fields["request_id"] != *res.RequestID || msgs[0].Fields["positions"] != "600" {
		t.Fatalf("after the restart: %+v, want request %s", msgs, *res.RequestID)
	}
	s.waitAllSent(t)
	s.restart(1)
}

// redelivery: an instance that dies after the stream took a request but
// before its transaction marked it sent leaves it unsent; the next relay
// sends it again with the same request id and the same fields, so the
// processor can absorb the repeat.
//
// The crash falls in that gap for real: a trigger the test adds holds the
// relay's marking UPDATE (pg_sleep) while the test, having read the
// message, kills the instance.
func redelivery(t *testing.T, s *stack) {
	tr := s.tracker(t, 20*60)
	ctx := context.Background()
	if _, err := s.db.Exec(ctx, `
		CREATE FUNCTION test_hold_relay() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN PERFORM pg_sleep(3); RETURN NEW; END $$;
		CREATE TRIGGER test_hold_relay BEFORE UPDATE ON recompute_outbox FOR EACH ROW EXECUTE FUNCTION test_hold_relay();`); err != nil {
		t.Fatal(err)
	}
	res := mustFlag(t, s.insts[0].Client(), flagBody("device", tr.device, t0, t0.Add(10*time.Minute), "flag", "crash after the stream took it"))
	first := s.readAll(t, "c1", 1, 10*time.Second)
	if len(first) != 1 || first[0].Fields["request_id"] != *res.RequestID {
		t.Fatalf("before the crash: %+v", first)
	}
	// The relay that took it holds the row (its marking waits in the
	// trigger) when every instance dies.
	if !locked(t, s) {
		t.Fatal("no relay holds the row")
	}
	for _, inst := range s.insts {
		inst.Kill()
	}
	if _, err := s.db.Exec(ctx, `DROP TRIGGER test_hold_relay ON recompute_outbox; DROP FUNCTION test_hold_relay();`); err != nil {
		t.Fatal(err)
	}
	// The killed relay's transaction ends when its backend notices.
	deadline := time.Now().Add(30 * time.Second)
	for locked(t, s) {
		if time.Now().After(deadline) {
			t.Fatal("the killed relay's transaction did not end")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if n := s.unsent(t); n != 1 {
		t.Fatalf("%d unsent requests after the crash, want 1", n)
	}
	s.restart(0)
	again := s.readAll(t, "c1", 1, 20*time.Second)
	if len(again) != 1 {
		t.Fatalf("%d messages after the crash, want the request again", len(again))
	}
	if again[0].ID == first[0].ID {
		t.Fatalf("the same stream entry %s read twice", again[0].ID)
	}
	for _, k := range documentedFields {
		if again[0].Fields[k] != first[0].Fields[k] {
			t.Errorf("%s: %q before the crash, %q after", k, first[0].Fields[k], again[0].Fields[k])
		}
	}
	if id := s.waitSent(t, *res.RequestID); id != again[0].ID {
		t.Errorf("the outbox marks %s, the delivery was %s", id, again[0].ID)
	}
	s.restart(1)
}

// lastLines is the end of a server log, for a failure's message.
func lastLines(log string, n int) string {
	lines := strings.Split(strings.TrimRight(log, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// locked reports whether another session holds a lock on the outbox: a
// relay's open transaction.
func locked(t testing.TB, s *stack) bool {
	t.Helper()
	var n int
	if err := s.db.QueryRow(context.Background(), `
		SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
		 WHERE c.relname = 'recompute_outbox' AND l.pid <> pg_backend_pid()`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n > 0
}
