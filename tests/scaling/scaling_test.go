package scaling

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testdb"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testdirectus"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testredis"
)

var pg *testdb.Server

func TestMain(m *testing.M) { os.Exit(testdb.Main(m, &pg)) }

// probe is the collection the tests create, write and subscribe to. Its
// primary key is chosen by the client, so a retried write is idempotent:
// a retry of a write that had committed is refused as a duplicate.
const probe = "scaling_probe"

// The per-IP limit of these instances: a long window makes the count
// exact however slow the machine, and leaves the other tests, which come
// from 127.0.0.1, far below it.
const (
	limitPoints = 1000
	limitWindow = "600"
)

// TestTwoInstancesOverOneDatabaseAndOneRedis runs two Directus instances
// as compose runs its replicas (deploy/scaling.env) and proves that they
// behave as one. The subtests share the instances and run in order: the
// last two restart Redis and kill an instance.
func TestTwoInstancesOverOneDatabaseAndOneRedis(t *testing.T) {
	dbURL := pg.New(t)
	testdirectus.Provision(t, dbURL)
	rd := testredis.Start(t)
	both := testdirectus.StartMany(t, dbURL, 2, testdirectus.WithScaling(rd.URL),
		testdirectus.WithEnv("RATE_LIMITER_POINTS="+fmt.Sprint(limitPoints), "RATE_LIMITER_DURATION="+limitWindow))
	a, b := both[0], both[1]
	ctx := t.Context()

	t.Run("SchemaChangeThroughOneIsServedByTheOtherWithoutRestart", func(t *testing.T) {
		// B reads first, so that it holds a schema without the collection.
		if err := b.Client().ListItems(ctx, probe, nil, &[]any{}); !isStatus(err, http.StatusForbidden) {
			t.Fatalf("before the change, B answered %v; want 403 (no such collection)", err)
		}
		createProbe(t, a.Client())
		var got []probeItem
		if err := b.Client().ListItems(ctx, probe, nil, &got); err != nil {
			t.Fatalf("B after A created %s: %v", probe, err)
		}
	})

	t.Run("ItemCachedByOneAndChangedThroughTheOtherIsServedFresh", func(t *testing.T) {
		write(t, a.Client(), probeItem{Key: "cached", Name: "before"})
		if got := cacheStatus(t, a, "cached"); got != "MISS" {
			t.Fatalf("first read: X-Cache-Status %s, want MISS", got)
		}
		if got := cacheStatus(t, a, "cached"); got != "HIT" {
			t.Fatalf("second read: X-Cache-Status %s, want HIT (the cache is on)", got)
		}
		if err := b.Client().UpdateItem(ctx, probe, "cached", map[string]string{"name": "after"}, nil); err != nil {
			t.Fatal(err)
		}
		var got probeItem
		if err := a.Client().GetItem(ctx, probe, "cached", nil, &got); err != nil {
			t.Fatal(err)
		}
		if got.Name != "after" {
			t.Fatalf("A served %q after B changed it to %q", got.Name, "after")
		}
	})

	t.Run("WebSocketSubscriptionOnBReceivesAnItemCreatedThroughA", func(t *testing.T) {
		sock := mustDialREST(t, b)
		if _, err := sock.subscribe(ctx, probe, "ws-b", map[string]any{"fields": []string{"key", "name"}}); err != nil {
			t.Fatal(err)
		}
		write(t, a.Client(), probeItem{Key: "ws-from-a", Name: "x"})
		waitForCreate(t, sock, "ws-b", "ws-from-a")
	})

	t.Run("GraphQLSubscriptionOnBReceivesAnItemCreatedThroughA", func(t *testing.T) {
		g, err := dialGraphQL(ctx, b.URL, b.Token)
		if err != nil {
			t.Fatal(err)
		}
		defer g.close()
		if err := g.subscribe(ctx, "1", `subscription { `+probe+`_mutated(event: create) { key event data { key name } } }`); err != nil {
			t.Fatal(err)
		}
		// graphql-ws confirms no subscription: write until one arrives.
		keys := map[string]bool{}
		wait, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		for i := 0; ; i++ {
			key := fmt.Sprintf("gql-from-a-%d", i)
			write(t, a.Client(), probeItem{Key: key, Name: "x"})
			keys[key] = true
			short, cancelShort := context.WithTimeout(wait, 500*time.Millisecond)
			payload, err := g.receive(short, "1")
			cancelShort()
			if errors.Is(err, context.DeadlineExceeded) && wait.Err() == nil {
				continue
			}
			if err != nil {
				t.Fatalf("no subscription result after %d writes through A: %v", i+1, err)
			}
			var res struct {
				Data map[string]struct {
					Key   string `json:"key"`
					Event string `json:"event"`
					Data  struct {
						Key string `json:"key"`
					} `json:"data"`
				} `json:"data"`
			}
			if err := json.Unmarshal(payload, &res); err != nil {
				t.Fatal(err)
			}
			got := res.Data[probe+"_mutated"]
			if got.Event != "create" || !keys[got.Key] || got.Data.Key != got.Key {
				t.Fatalf("B's GraphQL subscription sent %s; want the create of one of %v", payload, keys)
			}
			return
		}
	})

	t.Run("RateLimiterCountsRequestsToBothInstances", func(t *testing.T) {
		// A source address of its own gives this test its own counter.
		client := clientFrom(t, "127.0.0.77")
		var wg sync.WaitGroup
		statuses := make(chan int, limitPoints)
		for w := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < limitPoints; i += 8 {
					statuses <- ping(client, both[i%2].URL, nil)
				}
			}()
		}
		wg.Wait()
		close(statuses)
		count := map[int]int{}
		for s := range statuses {
			count[s]++
		}
		if count[http.StatusOK] != limitPoints {
			t.Fatalf("%d requests split over A and B: statuses %v; want all %d answered 200", limitPoints, count, limitPoints)
		}
		for _, inst := range both {
			if s := ping(client, inst.URL, nil); s != http.StatusTooManyRequests {
				t.Errorf("request %d, to %s: %d; want 429: the limit counts both instances", limitPoints+1, inst.URL, s)
			}
		}
		// Without a proxy in front (IP_TRUST_PROXY=false) a client cannot
		// choose its address.
		if s := ping(client, a.URL, http.Header{"X-Forwarded-For": {"203.0.113.9"}}); s != http.StatusTooManyRequests {
			t.Errorf("with a forged X-Forwarded-For: %d; want 429", s)
		}
		if s := ping(http.DefaultClient, a.URL, nil); s != http.StatusOK {
			t.Errorf("another address: %d; want 200 (the limit is per address)", s)
		}
	})

	t.Run("RedisRestartedUnderTheInstancesRecoversWithoutTheirRestart", func(t *testing.T) {
		sock := mustDialREST(t, b)
		if _, err := sock.subscribe(ctx, probe, "before-restart", map[string]any{"fields": []string{"key"}}); err != nil {
			t.Fatal(err)
		}
		rd.Restart()
		for _, inst := range both {
			waitHealthy(t, inst, 60*time.Second)
		}
		// The socket opened before the restart hears a write through A:
		// both instances re-subscribed their bus channels.
		write(t, a.Client(), probeItem{Key: "after-restart", Name: "x"})
		waitForCreate(t, sock, "before-restart", "after-restart")
		if got := cacheStatus(t, b, "after-restart"); got != "MISS" {
			t.Errorf("first read after the restart: %s, want MISS", got)
		}
		if got := cacheStatus(t, b, "after-restart"); got != "HIT" {
			t.Errorf("second read after the restart: %s, want HIT (the cache is back in Redis)", got)
		}
	})

	t.Run("SubscribersOfAKilledInstanceResumeOnTheOtherAndNoWriteIsLost", func(t *testing.T) {
		killedInstanceSubscribersResume(t, a, b)
	})
}

// killedInstanceSubscribersResume subscribes clients on victim, writes
// through both instances, kills victim mid-way (SIGKILL), and proves that
// the clients, reconnecting to survivor, end up with every acknowledged
// write, and that every acknowledged write is stored.
func killedInstanceSubscribersResume(t *testing.T, victim, survivor *testdirectus.Instance) {
	ctx, cancel := context.WithCancel(t.Context())
	var resumed sync.WaitGroup
	defer resumed.Wait()
	defer cancel()
	const clients, writes, killAfter = 3, 60, 20
	query := map[string]any{"fields": []string{"key"}, "filter": map[string]any{"key": map[string]string{"_starts_with": "kill-"}}, "limit": -1}

	type seen struct {
		mu   sync.Mutex
		keys map[string]bool
	}
	views := make([]*seen, clients)
	errs := make(chan error, clients)
	for c := range clients {
		views[c] = &seen{keys: map[string]bool{}}
		sock := mustDialREST(t, victim)
		if _, err := sock.subscribe(ctx, probe, "kill", query); err != nil {
			t.Fatal(err)
		}
		resumed.Add(1)
		go func() {
			defer resumed.Done()
			add := func(data []json.RawMessage) {
				views[c].mu.Lock()
				defer views[c].mu.Unlock()
				for _, d := range data {
					var it probeItem
					if json.Unmarshal(d, &it) == nil {
						views[c].keys[it.Key] = true
					}
				}
			}
			for {
				m, err := sock.next(ctx)
				if err == nil {
					add(m.Data)
					continue
				}
				if ctx.Err() != nil {
					return
				}
				// The instance died: reconnect to the other one and
				// subscribe again; its init event carries what was missed.
				sock, err = dialREST(ctx, survivor.URL, survivor.Token)
				if err == nil {
					defer sock.close()
					var init []json.RawMessage
					if init, err = sock.subscribe(ctx, probe, "kill", query); err == nil {
						add(init)
						for {
							m, err := sock.next(ctx)
							if err != nil {
								return
							}
							add(m.Data)
						}
					}
				}
				errs <- fmt.Errorf("client %d could not resume on %s: %v", c, survivor.URL, err)
				return
			}
		}()
	}

	// The kill lands while writes are in flight: a write to the victim
	// that gets no answer is sent again to the survivor.
	var acked []string
	killed := make(chan struct{})
	for i := range writes {
		if i == killAfter {
			go func() { victim.Kill(); close(killed) }()
		}
		key := fmt.Sprintf("kill-%03d", i)
		target := []*testdirectus.Instance{victim, survivor}[i%2]
		if err := writeIdempotent(ctx, target, survivor, probeItem{Key: key, Name: "x"}); err != nil {
			t.Fatalf("write %s: %v", key, err)
		}
		acked = append(acked, key)
	}
	<-killed

	var stored []probeItem
	if err := survivor.Client().ListItems(ctx, probe, url.Values{"filter[key][_starts_with]": {"kill-"}, "limit": {"-1"}}, &stored); err != nil {
		t.Fatal(err)
	}
	storedKeys := map[string]bool{}
	for _, it := range stored {
		storedKeys[it.Key] = true
	}
	for _, k := range acked {
		if !storedKeys[k] {
			t.Errorf("acknowledged write %s is not stored", k)
		}
	}

	deadline := time.Now().Add(30 * time.Second)
	for c := range clients {
		for {
			views[c].mu.Lock()
			var missing []string
			for _, k := range acked {
				if !views[c].keys[k] {
					missing = append(missing, k)
				}
			}
			views[c].mu.Unlock()
			if len(missing) == 0 {
				break
			}
			select {
			case err := <-errs:
				t.Fatal(err)
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("client %d never saw %d acknowledged writes: %v", c, len(missing), missing)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

type probeItem struct {
	Key  string `json:"key"`
	Name string `json:"name"`
}

func createProbe(t *testing.T, c *directusctl.Client) {
	t.Helper()
	body := map[string]any{
		"collection": probe, "meta": map[string]any{}, "schema": map[string]any{},
		"fields": []map[string]any{
			{"field": "key", "type": "string", "schema": map[string]any{"is_primary_key": true, "length": 64}, "meta": map[string]any{}},
			{"field": "name", "type": "string", "schema": map[string]any{}, "meta": map[string]any{}},
		},
	}
	if err := c.Do(t.Context(), http.MethodPost, "/collections", nil, body, nil); err != nil {
		t.Fatalf("create %s: %v", probe, err)
	}
}

func write(t *testing.T, c *directusctl.Client, it probeItem) {
	t.Helper()
	if err := c.CreateItem(t.Context(), probe, it, nil); err != nil {
		t.Fatalf("create %s: %v", it.Key, err)
	}
}

// writeIdempotent creates it through first; when first does not answer
// (it was killed), the same write goes to fallback, and a duplicate there
// means the first attempt had committed.
func writeIdempotent(ctx context.Context, first, fallback *testdirectus.Instance, it probeItem) error {
	err := first.Client().CreateItem(ctx, probe, it, nil)
	var apiErr *directusctl.APIError
	if err == nil || first == fallback || errors.As(err, &apiErr) && apiErr.Status < 500 {
		return err
	}
	err = fallback.Client().CreateItem(ctx, probe, it, nil)
	if errors.As(err, &apiErr) && apiErr.Code == directusctl.CodeRecordNotUnique {
		return nil
	}
	return err
}

func cacheStatus(t *testing.T, inst *testdirectus.Instance, key string) string {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, inst.URL+"/items/"+probe+"/"+key, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+inst.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", req.URL.Path, resp.StatusCode)
	}
	return resp.Header.Get("X-Cache-Status")
}

func mustDialREST(t *testing.T, inst *testdirectus.Instance) *restSocket {
	t.Helper()
	s, err := dialREST(t.Context(), inst.URL, inst.Token)
	if err != nil {
		t.Fatalf("websocket to %s: %v", inst.URL, err)
	}
	t.Cleanup(s.close)
	return s
}

func waitForCreate(t *testing.T, s *restSocket, uid, key string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	for {
		m, err := s.next(ctx)
		if err != nil {
			t.Fatalf("waiting for the create of %s: %v", key, err)
		}
		if m.UID != uid || m.Event != "create" {
			continue
		}
		for _, d := range m.Data {
			var it probeItem
			if json.Unmarshal(d, &it) == nil && it.Key == key {
				return
			}
		}
	}
}

func waitHealthy(t *testing.T, inst *testdirectus.Instance, within time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), within)
	defer cancel()
	if err := inst.Client().WaitHealthy(ctx); err != nil {
		t.Fatalf("%s not healthy within %s: %v", inst.URL, within, err)
	}
}

// clientFrom sends requests from a loopback source address of its own.
func clientFrom(t *testing.T, ip string) *http.Client {
	t.Helper()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	tr := &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 16}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

func ping(c *http.Client, base string, h http.Header) int {
	req, err := http.NewRequest(http.MethodGet, base+"/server/ping", nil)
	if err != nil {
		return 0
	}
	maps.Copy(req.Header, h)
	resp, err := c.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func isStatus(err error, status int) bool {
	var apiErr *directusctl.APIError
	return errors.As(err, &apiErr) && apiErr.Status == status
}
