package extensions

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testdirectus"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testredis"
)

// The stream and the consumer group the processor reads it with.
const (
	stream = "recompute:requests"
	group  = "processor"
)

// t0 is the first position of every fixture tracker: 1 Hz from there.
var t0 = time.Date(2026, 6, 7, 9, 0, 0, 0, time.UTC)

// stack is one provisioned database, the redis-server of the stream
// (and, apart, Directus's own) and the Directus instances over them.
type stack struct {
	t     testing.TB
	dbURL string
	db    *pgx.Conn
	redis *testredis.Server
	env   []testdirectus.Option
	insts []*testdirectus.Instance
	org   string
	admin string // the admin's directus_users.id
}

// relayInterval keeps the tests short: requests that waited are looked for
// five times a second.
const relayInterval = "TRM_RECOMPUTE_RELAY_INTERVAL_MS=200"

// stores says where the Directus instances of a stack keep their own
// shared state.
type stores int

const (
	// inRedis: deploy/scaling.env, as compose runs Directus. During a
	// Redis outage Directus itself then refuses requests (docs/scaling.md).
	inRedis stores = iota
	// apart: as compose runs Directus, on a Redis of its own, and the
	// stream on another (TRM_STREAM_REDIS, with a password), so that
	// Directus answers during an outage of the stream's Redis and what is
	// tested is the outbox, not Directus.
	apart
)

// streamPassword is the stream Redis's password in apart stacks: no log
// line may show it.
const streamPassword = "Str3am-s3cret-pw"

func newStack(t testing.TB, instances int, where stores) *stack {
	t.Helper()
	s := &stack{t: t, dbURL: pg.New(t)}
	testdirectus.Provision(t, s.dbURL)
	switch where {
	case inRedis:
		s.redis = testredis.Start(t)
		s.env = []testdirectus.Option{testdirectus.WithScaling(s.redis.URL), testdirectus.WithEnv(relayInterval)}
	case apart:
		s.redis = testredis.Start(t, testredis.WithPassword(streamPassword))
		s.env = []testdirectus.Option{testdirectus.WithScaling(testredis.Start(t).URL), testdirectus.WithEnv("TRM_STREAM_REDIS="+s.redis.URL, relayInterval)}
	}
	s.insts = testdirectus.StartMany(t, s.dbURL, instances, s.env...)
	db, err := pgx.Connect(context.Background(), s.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close(context.Background()) })
	s.db = db
	var me struct {
		ID string `json:"id"`
	}
	if err := s.client().Do(bg, http.MethodGet, "/users/me", nil, nil, &me); err != nil {
		t.Fatal(err)
	}
	s.admin = me.ID
	s.org = create(t, s.client(), "organizations", map[string]any{"name": "Motorsport Club Albania", "slug": "msc-albania"})
	return s
}

func (s *stack) client() *directusctl.Client { return s.insts[0].Client() }

// restart starts a new instance in place of instance i (which must have
// stopped or been killed).
func (s *stack) restart(i int) {
	s.t.Helper()
	s.insts[i] = testdirectus.Start(s.t, s.dbURL, append([]testdirectus.Option{testdirectus.WithoutBootstrap()}, s.env...)...)
}

// tracker is a device on an entry of a rally of the stack's organisation,
// assigned from the event's start on, with positions at 1 Hz from t0. The
// vehicle and the device are registered with the organisation: an entry's
// links stay inside its event's organisation (db-init/post/006).
type tracker struct {
	event, entry, device, imei string
}

var imeiSeq = 100000

func (s *stack) tracker(t testing.TB, seconds int) tracker {
	t.Helper()
	c := s.client()
	ev := create(t, c, "events", map[string]any{"organization_id": s.org, "name": "Rally " + unique(), "slug": "rally-" + unique(),
		"discipline": "rally", "starts_at": "2026-06-06T06:00:00Z", "ends_at": "2026-06-13T18:00:00Z"})
	cl := create(t, c, "classes", map[string]any{"event_id": ev, "code": "C-2", "name": "Cars", "category": "car"})
	veh := create(t, c, "vehicles", map[string]any{"make": "Toyota", "model": "Hilux"})
	create(t, c, "organization_vehicles", map[string]any{"organization_id": s.org, "vehicle_id": veh})
	entry := create(t, c, "entries", map[string]any{"event_id": ev, "class_id": cl, "race_number": 301, "status": "registered", "vehicle_id": veh})
	imeiSeq++
	imei := fmt.Sprintf("352098103%06d", imeiSeq)
	dev := create(t, c, "devices", map[string]any{"imei": imei, "model": "FMB920"})
	create(t, c, "organization_devices", map[string]any{"organization_id": s.org, "device_id": dev})
	create(t, c, "entry_devices", map[string]any{"entry_id": entry, "device_id": dev, "valid_from": "2026-06-06T06:00:00Z"})
	s.positions(t, imei, t0, seconds)
	return tracker{event: ev, entry: entry, device: dev, imei: imei}
}

// positions writes a fix per second for seconds from start, as the
// processor does (straight into PostgreSQL).
func (s *stack) positions(t testing.TB, imei string, start time.Time, seconds int) {
	t.Helper()
	_, err := s.db.Exec(context.Background(), `
		INSERT INTO positions (device_id, ts, latitude, longitude, altitude, angle, speed, satellites, priority, codec, attributes)
		SELECT $1, $2::timestamptz + make_interval(secs => i), 41.33 + i * 1e-5, 19.82, 120, 90, 62.5, 11, 0, '8E', '{}'
		  FROM generate_series(0, $3::int - 1) AS i`, imei, start, seconds)
	if err != nil {
		t.Fatal(err)
	}
}

// faulty counts imei's faulty positions in [from, until).
func (s *stack) faulty(t testing.TB, imei string, from, until time.Time) int {
	t.Helper()
	var n int
	if err := s.db.QueryRow(context.Background(), `SELECT count(*) FROM positions WHERE device_id = $1 AND ts >= $2 AND ts < $3 AND faulty`,
		imei, from, until).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

type flagResult struct {
	RequestID *string  `json:"request_id"`
	Action    string   `json:"action"`
	Positions int      `json:"positions"`
	DeviceIDs []string `json:"device_ids"`
	EntryIDs  []string `json:"entry_ids"`
	From      string   `json:"from"`
	Until     string   `json:"until"`
}

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func flagBody(scope, id string, from, until time.Time, action, reason string) map[string]any {
	return map[string]any{scope: id, "from": ts(from), "until": ts(until), "action": action, "reason": reason}
}

func flag(c *directusctl.Client, body any) (flagResult, error) {
	var out flagResult
	err := c.Do(bg, http.MethodPost, "/trm/positions/flag", nil, body, &out)
	return out, err
}

func mustFlag(t testing.TB, c *directusctl.Client, body map[string]any) flagResult {
	t.Helper()
	out, err := flag(c, body)
	if err != nil {
		t.Fatalf("flag %v: %v", body, err)
	}
	return out
}

// user is a client authenticated as a new user (no Directus role) who
// has role in org (none when org is empty).
func (s *stack) user(t testing.TB, org, role string) *directusctl.Client {
	t.Helper()
	n := unique()
	token := "trm-test-user-token-" + n
	var u struct {
		ID string `json:"id"`
	}
	if err := s.client().Do(bg, http.MethodPost, "/users", nil, map[string]any{"email": "user" + n + "@example.com", "password": "pw-" + n,
		"token": token, "first_name": "User", "last_name": n}, &u); err != nil {
		t.Fatal(err)
	}
	id := u.ID
	if org != "" {
		create(t, s.client(), "organization_users", map[string]any{"organization_id": org, "user_id": id, "role": role})
	}
	c, err := directusctl.NewClient(s.insts[0].URL, directusctl.WithToken(token))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// waitSent waits until the outbox marks request id sent and returns its
// stream id.
func (s *stack) waitSent(t testing.TB, id string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var streamID *string
		if err := s.db.QueryRow(context.Background(), `SELECT stream_id FROM recompute_outbox WHERE id = $1`, id).Scan(&streamID); err != nil {
			t.Fatal(err)
		}
		if streamID != nil {
			return *streamID
		}
		if time.Now().After(deadline) {
			t.Fatalf("request %s not marked sent within 10s", id)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitAllSent waits until no request waits in the outbox: the relays
// mark rows just after the stream took them.
func (s *stack) waitAllSent(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for n := s.unsent(t); n != 0; n = s.unsent(t) {
		if time.Now().After(deadline) {
			t.Fatalf("%d requests still unsent after 10s", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// outboxRows counts the outbox's rows.
func (s *stack) outboxRows(t testing.TB) int {
	t.Helper()
	var n int
	if err := s.db.QueryRow(context.Background(), `SELECT count(*) FROM recompute_outbox`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// message is one entry of the stream as a consumer reads it.
type message struct {
	ID     string
	Fields map[string]string
	// Order is the field names in the order written.
	Order []string
}

func (s *stack) createGroup(t testing.TB) {
	t.Helper()
	if _, err := s.redis.Value("XGROUP", "CREATE", stream, group, "0", "MKSTREAM"); err != nil && !strings.Contains(err.Error(), "BUSYGROUP") {
		t.Fatal(err)
	}
}

// read reads up to count new messages as consumer of the processor's
// group, waiting up to wait for the first, and acknowledges them.
func (s *stack) read(t testing.TB, consumer string, count int, wait time.Duration) []message {
	t.Helper()
	v, err := s.redis.Value("XREADGROUP", "GROUP", group, consumer, "COUNT", fmt.Sprint(count), "BLOCK", fmt.Sprint(wait.Milliseconds()), "STREAMS", stream, ">")
	if err != nil {
		t.Fatal(err)
	}
	if v == nil {
		return nil
	}
	var out []message
	for _, st := range v.([]any) {
		for _, e := range st.([]any)[1].([]any) {
			entry := e.([]any)
			m := message{ID: entry[0].(string), Fields: map[string]string{}}
			kv := entry[1].([]any)
			for i := 0; i+1 < len(kv); i += 2 {
				m.Fields[kv[i].(string)] = kv[i+1].(string)
				m.Order = append(m.Order, kv[i].(string))
			}
			if _, err := s.redis.Value("XACK", stream, group, m.ID); err != nil {
				t.Fatal(err)
			}
			out = append(out, m)
		}
	}
	return out
}

// readAll reads until n messages came or wait passed without a new one.
func (s *stack) readAll(t testing.TB, consumer string, n int, wait time.Duration) []message {
	t.Helper()
	var all []message
	for len(all) < n {
		got := s.read(t, consumer, n-len(all), wait)
		if len(got) == 0 {
			break
		}
		all = append(all, got...)
	}
	return all
}

// unsent counts the outbox rows not relayed yet.
func (s *stack) unsent(t testing.TB) int {
	t.Helper()
	var n int
	if err := s.db.QueryRow(context.Background(), `SELECT count(*) FROM recompute_outbox WHERE sent_at IS NULL`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// The documented fields of a message (docs/recompute-requests.md), in
// their order.
var documentedFields = []string{"request_id", "version", "action", "scope", "from", "until", "device_ids", "entry_ids",
	"spans", "positions", "reason", "requested_by", "requested_at"}

func jsonList(t testing.TB, s string) []string {
	t.Helper()
	var out []string
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		t.Fatalf("%q is not a JSON list of strings: %v", s, err)
	}
	return out
}

type span struct {
	EntryID  string `json:"entry_id"`
	DeviceID string `json:"device_id"`
	From     string `json:"from"`
	Until    string `json:"until"`
}

func spansOf(t testing.TB, s string) []span {
	t.Helper()
	var out []span
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		t.Fatalf("spans %q: %v", s, err)
	}
	return out
}

func sameStrings(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
