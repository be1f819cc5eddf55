package scaling

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testdirectus"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testenv"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testredis"
)

// entriesQuery is what a timing screen reads: 100 entries with their
// event, class, vehicle and crew.
const entriesQuery = "/items/entries?limit=100&sort=race_number&fields=*,event_id.name,event_id.slug,class_id.code,class_id.name,vehicle_id.make,vehicle_id.model,crew.role,crew.user_id.first_name,crew.user_id.last_name"

// BenchmarkGetEntries loads GET /items/entries (100 entries with
// relations, as a reader whose policy grants read, not as an admin) for
// TRM_BENCH_DURATION (default 30s) per configuration, with
// TRM_BENCH_CLIENTS (default 32) closed-loop clients, and reports
// requests per second and latency percentiles. The load generator runs on
// the same cores as Directus, PostgreSQL and Redis.
//
//	go test -run '^$' -bench GetEntries -benchtime 1x ./tests/scaling
//
// Configurations: one instance (the second idles); two instances behind
// HAProxy (Debian's, the proxy of compose.yaml); each with the data cache
// used (TRM's setting: after the first request every answer comes from
// Redis) and bypassed with Cache-Control: no-store (every request reaches
// PostgreSQL). The rate limiter is off: all requests come from one
// address.
func BenchmarkGetEntries(b *testing.B) {
	duration := envDuration(b, "TRM_BENCH_DURATION", 30*time.Second)
	clients := envInt(b, "TRM_BENCH_CLIENTS", 32)
	dbURL := pg.New(b)
	testdirectus.Provision(b, dbURL)
	rd := testredis.Start(b)
	insts := testdirectus.StartMany(b, dbURL, 2, testdirectus.WithScaling(rd.URL),
		testdirectus.WithEnv("RATE_LIMITER_ENABLED=false", "CACHE_SKIP_ALLOWED=true", "LOG_LEVEL=warn"))
	token := seedEntries(b, insts[0].Client())
	proxy := startHAProxy(b, insts)
	for _, cache := range []bool{true, false} {
		name := map[bool]string{true: "cache-on", false: "cache-off"}[cache]
		b.Run("one-instance/"+name, func(b *testing.B) {
			report(b, load(b, insts[0].URL, token, cache, clients, duration, insts))
		})
		b.Run("two-instances-haproxy/"+name, func(b *testing.B) {
			report(b, load(b, proxy, token, cache, clients, duration, insts))
		})
	}
}

type loadResult struct {
	Requests  int
	Errors    int
	Elapsed   time.Duration
	Latencies []time.Duration
	// Cores used on average during the run, from CPU times: each Directus
	// instance, this process (the load generator), and the whole machine.
	DirectusCores []float64
	LoadgenCores  float64
	MachineCores  float64
}

// load runs clients closed-loop GETs of entriesQuery against base for d;
// without cache, each asks Directus to bypass its data cache.
func load(b *testing.B, base, token string, cache bool, clients int, d time.Duration, insts []*testdirectus.Instance) loadResult {
	tr := &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	// Warm-up outside the measurement: connections, schema, cache.
	for range 3 {
		if _, err := get(hc, base, token, cache); err != nil {
			b.Fatalf("warm-up: %v", err)
		}
	}
	ctx, cancel := context.WithTimeout(b.Context(), d)
	defer cancel()
	var errs atomic.Int64
	lat := make([][]time.Duration, clients)
	var wg sync.WaitGroup
	cpu0 := cpuTimes(insts)
	b.ResetTimer()
	start := time.Now()
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				t := time.Now()
				n, err := get(hc, base, token, cache)
				if ctx.Err() != nil {
					return
				}
				if err != nil || n != 100 {
					errs.Add(1)
					continue
				}
				lat[c] = append(lat[c], time.Since(t))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	cpu1 := cpuTimes(insts)
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	r := loadResult{Requests: len(all), Errors: int(errs.Load()), Elapsed: elapsed, Latencies: all}
	secs := elapsed.Seconds()
	for i := range insts {
		r.DirectusCores = append(r.DirectusCores, (cpu1.directus[i]-cpu0.directus[i])/secs)
	}
	r.LoadgenCores = (cpu1.self - cpu0.self) / secs
	r.MachineCores = (cpu1.machine - cpu0.machine) / secs
	return r
}

type cpuSample struct {
	directus []float64
	self     float64
	machine  float64
}

// cpuTimes reads CPU seconds from /proc: each instance's process, this
// process, and all processes of the machine (busy time of /proc/stat).
func cpuTimes(insts []*testdirectus.Instance) cpuSample {
	const tick = 100.0 // USER_HZ on Linux
	var s cpuSample
	procCPU := func(path string) float64 {
		b, err := os.ReadFile(path)
		if err != nil {
			return 0
		}
		// Fields after the command name, which ends with ")": utime and
		// stime are the 12th and 13th.
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if len(f) < 13 {
			return 0
		}
		u, _ := strconv.ParseFloat(f[11], 64)
		st, _ := strconv.ParseFloat(f[12], 64)
		return (u + st) / tick
	}
	for _, inst := range insts {
		s.directus = append(s.directus, procCPU(fmt.Sprintf("/proc/%d/stat", inst.PID())))
	}
	s.self = procCPU("/proc/self/stat")
	if b, err := os.ReadFile("/proc/stat"); err == nil {
		line, _, _ := strings.Cut(string(b), "\n")
		f := strings.Fields(line)
		// cpu user nice system idle iowait irq softirq steal: busy is all
		// but idle and iowait.
		for i, v := range f[1:min(len(f), 9)] {
			if i == 3 || i == 4 {
				continue
			}
			n, _ := strconv.ParseFloat(v, 64)
			s.machine += n / tick
		}
	}
	return s
}

func report(b *testing.B, r loadResult) {
	if r.Requests == 0 {
		b.Fatalf("no request succeeded (%d errors)", r.Errors)
	}
	pct := func(p float64) float64 {
		return float64(r.Latencies[int(p*float64(len(r.Latencies)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(float64(r.Requests)/r.Elapsed.Seconds(), "req/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(r.Errors), "errors")
	for i, c := range r.DirectusCores {
		b.ReportMetric(c, fmt.Sprintf("directus%d-cores", i+1))
	}
	// CPU per request depends little on what else runs on the machine:
	// it is what bounds a Directus process at one core.
	var directusCores float64
	for _, c := range r.DirectusCores {
		directusCores += c
	}
	b.ReportMetric(directusCores*r.Elapsed.Seconds()*1000/float64(r.Requests), "directus-cpu-ms/req")
	b.ReportMetric(r.LoadgenCores, "loadgen-cores")
	b.ReportMetric(r.MachineCores, "machine-cores")
	// Other work on the machine shares its cores with the measurement.
	load, _ := os.ReadFile("/proc/loadavg")
	b.Logf("%d requests in %s, %d errors; load average after: %s", r.Requests, r.Elapsed.Round(time.Millisecond), r.Errors, strings.TrimSpace(string(load)))
}

// get returns how many entries the answer held.
func get(hc *http.Client, base, token string, cache bool) (int, error) {
	req, err := http.NewRequest(http.MethodGet, base+entriesQuery, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if !cache {
		req.Header.Set("Cache-Control", "no-store")
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("HTTP %d: %.200s", resp.StatusCode, body)
	}
	var out struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return 0, err
	}
	return len(out.Data), nil
}

// seedEntries creates one event with four classes, and 100 entries each
// with a vehicle and a pilot, through the REST API; and a reader whose
// policy grants read on them. It returns the reader's static token.
func seedEntries(b *testing.B, c *directusctl.Client) string {
	ctx := b.Context()
	create := func(collection string, items any) []map[string]any {
		var out []map[string]any
		if err := c.Do(ctx, http.MethodPost, "/items/"+collection, nil, items, &out); err != nil {
			b.Fatalf("seed %s: %v", collection, err)
		}
		return out
	}
	org := create("organizations", []map[string]any{{"name": "Bench", "slug": "bench"}})[0]["id"]
	event := create("events", []map[string]any{{"organization_id": org, "name": "Bench Rally", "slug": "bench-rally", "discipline": "rally",
		"starts_at": "2026-06-01T08:00:00", "ends_at": "2026-06-07T18:00:00"}})[0]["id"]
	var classSpec []map[string]any
	for i, cat := range []string{"moto", "quad", "car", "ssv"} {
		classSpec = append(classSpec, map[string]any{"event_id": event, "code": cat, "name": "Class " + cat, "category": cat, "sort": i})
	}
	classes := create("classes", classSpec)
	var userSpec, vehicleSpec []map[string]any
	for i := range 100 {
		userSpec = append(userSpec, map[string]any{"email": fmt.Sprintf("pilot%03d@bench.example.com", i), "first_name": "Pilot", "last_name": strconv.Itoa(i)})
		vehicleSpec = append(vehicleSpec, map[string]any{"make": "Make", "model": fmt.Sprintf("Model %d", i), "year": 2020})
	}
	var users []map[string]any
	if err := c.Do(ctx, http.MethodPost, "/users", nil, userSpec, &users); err != nil {
		b.Fatalf("seed users: %v", err)
	}
	vehicles := create("vehicles", vehicleSpec)
	// An entry's vehicle and crew are its organisation's (db-init/post/006).
	var registrationSpec, membershipSpec []map[string]any
	for i := range 100 {
		registrationSpec = append(registrationSpec, map[string]any{"organization_id": org, "vehicle_id": vehicles[i]["id"]})
		membershipSpec = append(membershipSpec, map[string]any{"organization_id": org, "user_id": users[i]["id"], "role": "participant"})
	}
	create("organization_vehicles", registrationSpec)
	create("organization_users", membershipSpec)
	var entrySpec []map[string]any
	for i := range 100 {
		entrySpec = append(entrySpec, map[string]any{"event_id": event, "class_id": classes[i%4]["id"], "race_number": i + 1,
			"vehicle_id": vehicles[i]["id"], "status": "registered"})
	}
	entries := create("entries", entrySpec)
	var crewSpec []map[string]any
	for i := range 100 {
		crewSpec = append(crewSpec, map[string]any{"entry_id": entries[i]["id"], "user_id": users[i]["id"], "role": "pilot"})
	}
	create("entry_crew", crewSpec)

	policy, err := c.CreatePolicy(ctx, directusctl.Policy{Name: "bench reader"})
	if err != nil {
		b.Fatal(err)
	}
	for _, coll := range []string{"entries", "events", "classes", "vehicles", "entry_crew", "directus_users"} {
		if err := c.Do(ctx, http.MethodPost, "/permissions", nil, map[string]any{"policy": policy.ID, "collection": coll, "action": "read", "fields": []string{"*"}}, nil); err != nil {
			b.Fatal(err)
		}
	}
	const token = "trm-bench-reader-token"
	var reader map[string]any
	if err := c.Do(ctx, http.MethodPost, "/users", nil, map[string]any{"email": "reader@bench.example.com", "token": token}, &reader); err != nil {
		b.Fatal(err)
	}
	if _, err := c.CreateAccess(ctx, directusctl.Access{User: fmt.Sprint(reader["id"]), Policy: policy.ID}); err != nil {
		b.Fatal(err)
	}
	return token
}

// startHAProxy runs Debian's haproxy in front of insts with the settings
// of deploy/haproxy.cfg that matter for throughput (leastconn, health
// checks, keep-alive), on a free port, and returns its URL.
func startHAProxy(b *testing.B, insts []*testdirectus.Instance) string {
	bin, err := exec.LookPath("haproxy")
	if err != nil {
		if _, serr := os.Stat("/usr/sbin/haproxy"); serr != nil {
			b.Fatalf("no haproxy: install it with make deps (scripts/install-deps.sh)")
		}
		bin = "/usr/sbin/haproxy"
	}
	port := testenv.Port(b)
	cfg := fmt.Sprintf(`global
    maxconn 4096
defaults
    mode http
    option forwardfor
    option redispatch
    retries 3
    timeout connect 3s
    timeout client 60s
    timeout server 60s
frontend directus
    bind 127.0.0.1:%d
    default_backend directus
backend directus
    balance leastconn
    option httpchk GET /server/health
    http-check expect status 200
    default-server check inter 3s fall 2 rise 2
`, port)
	for i, inst := range insts {
		cfg += fmt.Sprintf("    server directus-%d 127.0.0.1:%d\n", i+1, inst.Port)
	}
	path := filepath.Join(b.TempDir(), "haproxy.cfg")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(bin, "-db", "-f", path)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = cmd.Process.Signal(syscall.SIGTERM); _ = cmd.Wait() })
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if resp, err := http.Get(base + "/server/health"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base
			}
		}
		if time.Now().After(deadline) {
			b.Fatalf("haproxy on %s not serving within 30s:\n%s", base, out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func envDuration(b *testing.B, name string, def time.Duration) time.Duration {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		b.Fatalf("%s=%q: want a duration such as 30s", name, s)
	}
	return d
}

func envInt(b *testing.B, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		b.Fatalf("%s=%q: want a positive number", name, s)
	}
	return n
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
