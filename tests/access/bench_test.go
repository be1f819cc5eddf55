package access

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"git.dev.trmtracking.org/trm/directus/internal/access"
	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testdirectus"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testenv"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testredis"
)

// The benchmark world of issue 13: 50 organisations, each with one event
// of 200 entries (10,000 in all) in two classes, every entry crewed by a
// pilot and a co-pilot who are the organisation's participants (20,000
// people), one person per staff role in each organisation, a course of
// one special of 300 waypoints per event and the first stage's results.
const (
	benchOrgs           = 50
	benchEntriesPerOrg  = 200
	benchCrewPerEntry   = 2
	benchWaypoints      = 300
	benchParticipantTok = "bench-participant"
	benchDirectorTok    = "bench-race-director"
)

// BenchmarkReads measures the reads of issue 13 as a race director (the
// role staff: the staff's rules through the organisation's access keys)
// and a participant (the role member: through the entry's access_crew
// too), each against the same request as an administrator (no
// permission filter): ×admin is the ratio (target: at most 2). The world
// is written in SQL, so db-init/post/008's triggers keep its access keys
// and the two people's roles, as they do for data written through
// Directus. The reads:
// a page of entries; an event's start list (entries with class and crew
// names, sorted by class and race number); a stage's ranking (its 200
// results with race number, class and crew names, by position); the
// waypoints of a special (300, the roadbook: the course's rules reach the
// organisation through segment, stage and event).
//
// Each read runs under three settings, on two instances over the same
// database:
//   - bare: the tests' Directus (no Redis, no data cache; the permissions
//     cache in memory);
//   - production: deploy/scaling.env with a Redis (permissions cache in
//     memory and Redis, data cache in Redis), every request sent with
//     Cache-Control: no-store so that it reaches PostgreSQL, as every read
//     does after a write purged the cache or a person's first read within
//     CACHE_TTL;
//   - production-cached: the same instance, the request as clients send
//     it, answered from the data cache after the first.
//
// The production instance runs without the rate limiter (one client
// address sends every request, as in tests/scaling's benchmark) and with
// CACHE_SKIP_ALLOWED=true, which no-store needs.
func BenchmarkReads(b *testing.B) {
	files, _ := committed(b)
	dbURL := pg.New(b)
	testdirectus.Provision(b, dbURL)
	inst := testdirectus.Start(b, dbURL, testdirectus.WithoutBootstrap(),
		testdirectus.WithEnv("EXTENSIONS_PATH="+testenv.Path(b, "extensions")))
	if _, err := access.Reconcile(ctx, access.REST(inst.Client()), files, access.ReconcileOptions{}); err != nil {
		b.Fatalf("apply the access files: %v", err)
	}
	roles, err := inst.Client().ListRoles(ctx, url.Values{"filter": {`{"name":{"_eq":"member"}}`}})
	if err != nil || len(roles) != 1 {
		b.Fatalf("the member role: %v %v", roles, err)
	}
	event := benchWorld(b, dbURL, roles[0].ID)
	rd := testredis.Start(b)
	prod := testdirectus.Start(b, dbURL, testdirectus.WithoutBootstrap(), testdirectus.WithScaling(rd.URL),
		testdirectus.WithEnv("EXTENSIONS_PATH="+testenv.Path(b, "extensions"),
			"RATE_LIMITER_ENABLED=false", "CACHE_SKIP_ALLOWED=true"))

	reads := []struct {
		name  string
		path  string
		query url.Values
	}{
		{"entries?limit=100", "/items/entries", url.Values{"limit": {"100"}}},
		{"start list of an event", "/items/entries", url.Values{
			"filter": {`{"event_id":{"_eq":"` + event + `"}}`},
			"fields": {"id,race_number,status,class_id.code,class_id.name,crew.role,crew.user_id.first_name,crew.user_id.last_name"},
			"sort":   {"class_id.sort,race_number"},
			"limit":  {"-1"},
		}},
		{"ranking of a stage", "/items/stage_results", url.Values{
			"filter": {`{"stage_id":{"_eq":"` + event + `"}}`},
			"fields": {"position_overall,position_class,total_seconds,penalty_seconds,status,entry_id.race_number,entry_id.class_id.code,entry_id.crew.role,entry_id.crew.user_id.last_name"},
			"sort":   {"position_overall"},
			"limit":  {"-1"},
		}},
		{"waypoints of a special", "/items/waypoints", url.Values{
			"filter": {`{"segment_id":{"_eq":"` + event + `"}}`},
			"fields": {"id,sort_order,name,type,location,open_radius_meters,tolerance_meters"},
			"sort":   {"sort_order"},
			"limit":  {"-1"},
		}},
	}
	settings := []struct {
		name    string
		url     string
		noStore bool
	}{
		{"bare", inst.URL, false},
		{"production", prod.URL, true},
		{"production-cached", prod.URL, false},
	}
	for _, s := range settings {
		hc := &http.Client{}
		if s.noStore {
			hc.Transport = noStore{http.DefaultTransport}
		}
		admin, err := directusctl.NewClient(s.url, directusctl.WithToken(testdirectus.AdminToken), directusctl.WithHTTPClient(hc))
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range reads {
			for _, w := range []struct{ name, token string }{
				{"race-director", benchDirectorTok},
				{"participant", benchParticipantTok},
			} {
				b.Run(s.name+"/"+r.name+"/"+w.name, func(b *testing.B) {
					c, err := directusctl.NewClient(s.url, directusctl.WithToken(w.token), directusctl.WithHTTPClient(hc))
					if err != nil {
						b.Fatal(err)
					}
					var rows []map[string]any
					if err := c.Do(ctx, "GET", r.path, r.query, nil, &rows); err != nil {
						b.Fatalf("%s as %s: %v", r.name, w.name, err)
					}
					if err := admin.Do(ctx, "GET", r.path, r.query, nil, nil); err != nil {
						b.Fatalf("%s as admin: %v", r.name, err)
					}
					// Each iteration sends the request as the role, then as
					// the administrator: on a shared machine the load
					// drifts, and the ratio of two neighbouring requests
					// drifts less than two figures taken a minute apart.
					var asRole, asAdmin time.Duration
					for b.Loop() {
						start := time.Now()
						if err := c.Do(ctx, "GET", r.path, r.query, nil, nil); err != nil {
							b.Fatal(err)
						}
						mid := time.Now()
						if err := admin.Do(ctx, "GET", r.path, r.query, nil, nil); err != nil {
							b.Fatal(err)
						}
						asRole += mid.Sub(start)
						asAdmin += time.Since(mid)
					}
					b.ReportMetric(float64(asRole.Microseconds())/1000/float64(b.N), "ms/role-read")
					b.ReportMetric(float64(asAdmin.Microseconds())/1000/float64(b.N), "ms/admin-read")
					b.ReportMetric(float64(asRole)/float64(asAdmin), "×admin")
					b.ReportMetric(float64(len(rows)), "rows")
					load, _ := os.ReadFile("/proc/loadavg")
					b.Logf("load average after: %s", strings.TrimSpace(string(load)))
				})
			}
		}
	}
}

// noStore asks Directus not to answer from its data cache
// (CACHE_SKIP_ALLOWED), so that every request reaches PostgreSQL.
type noStore struct{ next http.RoundTripper }

func (n noStore) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set("Cache-Control", "no-store")
	return n.next.RoundTrip(req)
}

// benchWorld writes the benchmark world straight into the database (what
// is measured is reading it) and returns the event whose race director and
// participant the benchmark signs in as.
func benchWorld(b *testing.B, dbURL, memberRole string) string {
	b.Helper()
	conn, err := pgx.Connect(context.Background(), dbURL)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(context.Background())
	steps := []string{
		`CREATE TEMP TABLE bench_org AS SELECT n, gen_random_uuid() AS id FROM generate_series(1, ` + fmt.Sprint(benchOrgs) + `) n`,
		`INSERT INTO organizations (id, name, slug) SELECT id, 'Organisation ' || n, 'org-' || n FROM bench_org`,
		// Each organisation's one event, stage and segment take the
		// organisation's id (ids are unique per table), which spares
		// mapping tables.
		`INSERT INTO events (id, organization_id, name, slug, discipline, starts_at, ends_at)
		 SELECT id, id, 'Rally ' || n, 'rally-' || n, 'rally', '2099-06-06T08:00:00Z', '2099-06-13T18:00:00Z' FROM bench_org`,
		`INSERT INTO classes (id, event_id, code, name, category, sort)
		 SELECT gen_random_uuid(), o.id, c.code, c.name, c.category, c.sort FROM bench_org o,
		 (VALUES ('T1', 'Cars', 'car', 1), ('M1', 'Motorbikes', 'moto', 2)) c(code, name, category, sort)`,
		`CREATE TEMP TABLE bench_staff AS SELECT o.id AS org, o.n, r.role, gen_random_uuid() AS id FROM bench_org o,
		 unnest(ARRAY['org-admin', 'race-director', 'marshal', 'timekeeper', 'viewer']) r(role)`,
		`INSERT INTO directus_users (id, email, first_name, role, status, token)
		 SELECT id, role || '.' || n || '@bench.example.com', role, $1::uuid, 'active',
		 CASE WHEN n = 1 AND role = 'race-director' THEN '` + benchDirectorTok + `' END FROM bench_staff`,
		`INSERT INTO organization_users (id, organization_id, user_id, role) SELECT gen_random_uuid(), org, id, role FROM bench_staff`,
		`CREATE TEMP TABLE bench_entry AS SELECT o.id AS org, o.n, e.k, gen_random_uuid() AS id FROM bench_org o,
		 generate_series(1, ` + fmt.Sprint(benchEntriesPerOrg) + `) e(k)`,
		`INSERT INTO entries (id, event_id, class_id, race_number, status)
		 SELECT e.id, e.org, (SELECT id FROM classes WHERE event_id = e.org AND sort = 1 + e.k % 2), e.k, 'registered' FROM bench_entry e`,
		`CREATE TEMP TABLE bench_crew AS SELECT e.org, e.n, e.k, e.id AS entry, c.seat, gen_random_uuid() AS id FROM bench_entry e,
		 generate_series(1, ` + fmt.Sprint(benchCrewPerEntry) + `) c(seat)`,
		`INSERT INTO directus_users (id, email, first_name, last_name, role, status, token)
		 SELECT id, 'crew.' || n || '.' || k || '.' || seat || '@bench.example.com', 'Crew', n || '-' || k || '-' || seat, $1::uuid, 'active',
		 CASE WHEN n = 1 AND k = 1 AND seat = 1 THEN '` + benchParticipantTok + `' END FROM bench_crew`,
		`INSERT INTO organization_users (id, organization_id, user_id, role) SELECT gen_random_uuid(), org, id, 'participant' FROM bench_crew`,
		`INSERT INTO entry_crew (id, entry_id, user_id, role)
		 SELECT gen_random_uuid(), entry, id, CASE seat WHEN 1 THEN 'pilot' ELSE 'co-pilot' END FROM bench_crew`,
		// The course: each event one stage of one segment of 300
		// waypoints (15,000 in all).
		`INSERT INTO stages (id, event_id, code, name, sort_order) SELECT id, id, 'S1', 'Stage 1', 1 FROM bench_org`,
		`INSERT INTO segments (id, stage_id, code, name, sort_order, type) SELECT id, id, 'SS1', 'Special 1', 1, 'liaison' FROM bench_org`,
		`INSERT INTO waypoints (id, segment_id, sort_order, name, type, location, open_radius_meters, tolerance_meters)
		 SELECT gen_random_uuid(), o.id, w, 'WP' || w, 'WPV', ST_SetSRID(ST_MakePoint(19.8 + w * 0.001, 41.3), 4326), 800, 200
		 FROM bench_org o, generate_series(1, ` + fmt.Sprint(benchWaypoints) + `) w`,
		// Stage 1's provisional results: every entry classified, the
		// elapsed time growing with the race number.
		`INSERT INTO stage_results (id, entry_id, stage_id, elapsed_seconds, penalty_seconds, total_seconds, position_overall, position_class)
		 SELECT gen_random_uuid(), e.id, e.org, 3600 + e.k, 0, 3600 + e.k,
		 rank() OVER (PARTITION BY e.org ORDER BY e.k), rank() OVER (PARTITION BY e.org, e.k % 2 ORDER BY e.k) FROM bench_entry e`,
		`ANALYZE`,
	}
	for _, s := range steps {
		var args []any
		if strings.Contains(s, "$1") {
			args = append(args, memberRole)
		}
		if _, err := conn.Exec(context.Background(), s, args...); err != nil {
			b.Fatalf("benchmark world: %v\n%s", err, s)
		}
	}
	var event, directorRole, participantRole string
	if err := conn.QueryRow(context.Background(), `SELECT id FROM bench_org WHERE n = 1`).Scan(&event); err != nil {
		b.Fatal(err)
	}
	roleOf := `SELECT r.name FROM directus_users u JOIN directus_roles r ON r.id = u.role WHERE u.token = $1`
	if err := conn.QueryRow(context.Background(), roleOf, benchDirectorTok).Scan(&directorRole); err != nil {
		b.Fatal(err)
	}
	if err := conn.QueryRow(context.Background(), roleOf, benchParticipantTok).Scan(&participantRole); err != nil {
		b.Fatal(err)
	}
	if directorRole != "staff" || participantRole != "member" {
		b.Fatalf("the database gave the race director the role %s and the participant %s; want staff and member (db-init/post/008)", directorRole, participantRole)
	}
	return event
}
