package trmctl

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testdirectus"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testenv"
)

// seedTables are the tables the Rally Albania seed writes.
var seedTables = []string{
	"organizations", "directus_users", "organization_users", "vehicles", "organization_vehicles",
	"devices", "organization_devices", "events", "classes", "entries", "entry_crew", "entry_devices",
}

func rowCounts(t *testing.T, ctx context.Context, db *pgx.Conn) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, table := range seedTables {
		var n int
		if err := db.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{table}.Sanitize()).Scan(&n); err != nil {
			t.Fatalf("count %s: %v", table, err)
		}
		out[table] = n
	}
	return out
}

// seedJSON is the documented --json shape.
type seedJSON struct {
	Seed        string   `json:"seed"`
	File        string   `json:"file"`
	DirectusURL string   `json:"directus_url"`
	DryRun      *bool    `json:"dry_run"`
	Created     *int     `json:"created"`
	Present     *int     `json:"present"`
	Missing     *int     `json:"missing"`
	DurationMS  *float64 `json:"duration_ms"`
	Kinds       []struct {
		Kind    string `json:"kind"`
		Created int    `json:"created"`
		Present int    `json:"present"`
		Missing int    `json:"missing"`
	} `json:"kinds"`
	Records []struct {
		Kind, Key, ID, State string
	} `json:"records"`
}

// rallyAlbania is the committed seed file of Rally Albania 2026.
func rallyAlbania(t testing.TB) string {
	return testenv.Path(t, "seed/rally-albania-2026/seed.yaml")
}

// One Directus serves the whole scenario: each start costs seconds.
func TestSeedApplyRallyAlbaniaAgainstAProvisionedDirectus(t *testing.T) {
	file := rallyAlbania(t)
	dbURL := pg.New(t)
	inst := testdirectus.StartProvisioned(t, dbURL)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	db, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(context.Background())
	tokenEnv := map[string]string{"TRM_DIRECTUS_TOKEN": inst.Token, "TRM_DIRECTUS_URL": inst.URL}
	const records = 40 // 1 org, 3 users, 3 memberships, 1 vehicle + 1, 3 devices + 3, 1 event, 18 classes, 1 entry, 2 crew, 3 trackers

	t.Run("a dry run on an empty instance reports every record missing and writes nothing", func(t *testing.T) {
		before := rowCounts(t, ctx, db)
		code, out, errOut := trmctl(t, tokenEnv, "seed", "apply", file, "--dry-run", "--json")
		if code != 0 {
			t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
		}
		var got seedJSON
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if got.DryRun == nil || !*got.DryRun || *got.Missing != records || *got.Created != 0 || *got.Present != 0 {
			t.Errorf("dry run: %s", out)
		}
		for _, r := range got.Records {
			if r.State != "missing" || r.ID != "" {
				t.Errorf("record %+v", r)
			}
		}
		if after := rowCounts(t, ctx, db); !mapsEqual(after, before) {
			t.Errorf("a dry run wrote:\nbefore %v\nafter  %v", before, after)
		}
		code, out, _ = trmctl(t, tokenEnv, "seed", "apply", file, "--dry-run")
		if code != 0 || !strings.Contains(out, "40 to create, 0 already present; nothing written") || !regexp.MustCompile(`(?m)^KIND\s+MISSING\s+PRESENT$`).MatchString(out) {
			t.Errorf("exit %d\n%s", code, out)
		}
	})

	var afterFirst map[string]int
	t.Run("the first run creates every record and reports a table per kind", func(t *testing.T) {
		code, out, errOut := trmctl(t, tokenEnv, "seed", "apply", file)
		if code != 0 {
			t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
		}
		if !strings.Contains(out, "40 created, 0 already present") {
			t.Errorf("summary missing:\n%s", out)
		}
		if !regexp.MustCompile(`(?m)^classes\s+18\s+0$`).MatchString(out) || !regexp.MustCompile(`(?m)^KIND\s+CREATED\s+PRESENT$`).MatchString(out) {
			t.Errorf("no per-kind table:\n%s", out)
		}
		if got := strings.Count(errOut, "\nseed: ") + 1; !strings.HasPrefix(errOut, "seed: ") || got != records {
			t.Errorf("want %d progress lines on stderr, got:\n%s", records, errOut)
		}
		if strings.Contains(out+errOut, inst.Token) {
			t.Error("the token was printed")
		}
		afterFirst = rowCounts(t, ctx, db)
		want := map[string]int{
			"organizations": 1, "directus_users": 4 /* with the admin */, "organization_users": 3, "vehicles": 1,
			"organization_vehicles": 1, "devices": 3, "organization_devices": 3, "events": 1, "classes": 18,
			"entries": 1, "entry_crew": 2, "entry_devices": 3,
		}
		for table, n := range want {
			if afterFirst[table] != n {
				t.Errorf("%s: %d rows, want %d", table, afterFirst[table], n)
			}
		}
	})

	t.Run("a second run creates nothing and leaves every table as it was", func(t *testing.T) {
		if afterFirst == nil {
			t.Fatal("the first run failed")
		}
		code, out, errOut := trmctl(t, tokenEnv, "seed", "apply", file)
		if code != 0 || !strings.Contains(out, "0 created, 40 already present") {
			t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
		}
		if again := rowCounts(t, ctx, db); !mapsEqual(again, afterFirst) {
			t.Errorf("row counts changed:\nfirst  %v\nsecond %v", afterFirst, again)
		}
	})

	t.Run("entry 301 has its crew and three trackers valid from the event's start", func(t *testing.T) {
		rows, err := db.Query(ctx, `
			SELECT u.email, c.role FROM entry_crew c
			JOIN entries e ON e.id = c.entry_id JOIN directus_users u ON u.id = c.user_id
			WHERE e.race_number = 301 ORDER BY c.role DESC`)
		if err != nil {
			t.Fatal(err)
		}
		crew, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (string, error) {
			var email, role string
			err := r.Scan(&email, &role)
			return role + "=" + email, err
		})
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"pilot=arta.marku@example.com", "co-pilot=dritan.shehu@example.com"}; !slices.Equal(crew, want) {
			t.Errorf("crew %v, want %v", crew, want)
		}
		rows, err = db.Query(ctx, `
			SELECT d.model, d.imei, coalesce(u.email, '-'), ed.valid_from = ev.starts_at, ed.valid_until IS NULL
			FROM entry_devices ed
			JOIN entries e ON e.id = ed.entry_id JOIN events ev ON ev.id = e.event_id
			JOIN devices d ON d.id = ed.device_id LEFT JOIN directus_users u ON u.id = ed.assigned_user_id
			WHERE e.race_number = 301 ORDER BY d.imei`)
		if err != nil {
			t.Fatal(err)
		}
		devices, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (string, error) {
			var model, imei, wearer string
			var fromStart, open bool
			err := r.Scan(&model, &imei, &wearer, &fromStart, &open)
			if !fromStart || !open {
				t.Errorf("%s: valid_from at the event start %v, open-ended %v", imei, fromStart, open)
			}
			return model + "/" + imei + "/" + wearer, err
		})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"FMB003/350374117001037/arta.marku@example.com", "FMB920/352098103001010/-", "FMB920/352098103001028/-"}
		if !slices.Equal(devices, want) {
			t.Errorf("devices %v, want %v", devices, want)
		}
		var class, status string
		var starts, ends time.Time
		err = db.QueryRow(ctx, `
			SELECT c.code, e.status, ev.starts_at, ev.ends_at FROM entries e
			JOIN classes c ON c.id = e.class_id JOIN events ev ON ev.id = e.event_id
			WHERE e.race_number = 301`).Scan(&class, &status, &starts, &ends)
		if err != nil {
			t.Fatal(err)
		}
		if class != "C-2" || status != "registered" {
			t.Errorf("entry 301: class %s, status %s", class, status)
		}
		if s, e := starts.UTC().Format(time.RFC3339), ends.UTC().Format(time.RFC3339); s != "2026-06-05T22:00:00Z" || e != "2026-06-13T22:00:00Z" {
			t.Errorf("event runs %s to %s, want Tirane midnights 2026-06-05T22:00:00Z to 2026-06-13T22:00:00Z", s, e)
		}
	})

	t.Run("json lists every kind and record with its state", func(t *testing.T) {
		code, out, errOut := trmctl(t, tokenEnv, "seed", "apply", file, "--json")
		if code != 0 {
			t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
		}
		var got seedJSON
		dec := json.NewDecoder(strings.NewReader(out))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&got); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if got.Seed != "rally-albania-2026" || got.File != file || got.DirectusURL != inst.URL || got.Created == nil || *got.Created != 0 ||
			got.Present == nil || *got.Present != records || got.Missing == nil || *got.Missing != 0 ||
			got.DryRun == nil || *got.DryRun || got.DurationMS == nil {
			t.Errorf("header: %+v", got)
		}
		var kinds []string
		for _, k := range got.Kinds {
			kinds = append(kinds, k.Kind)
		}
		if !slices.Equal(kinds, seedTables) {
			t.Errorf("kinds %v, want %v", kinds, seedTables)
		}
		uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
		for _, r := range got.Records {
			if r.State != "present" || !uuid.MatchString(r.ID) || r.Key == "" {
				t.Errorf("record %+v", r)
			}
		}
		if len(got.Records) != records {
			t.Errorf("%d records, want %d", len(got.Records), records)
		}
		if errOut != "" {
			t.Errorf("--json wrote to stderr: %s", errOut)
		}
	})

	t.Run("login with e-mail and password from the environment works too", func(t *testing.T) {
		env := map[string]string{"TRM_DIRECTUS_EMAIL": testdirectus.AdminEmail, "TRM_DIRECTUS_PASSWORD": testdirectus.AdminPassword}
		code, out, errOut := trmctl(t, env, "seed", "apply", file, "--directus-url", inst.URL)
		if code != 0 || !strings.Contains(out, "0 created, 40 already present") {
			t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
		}
		if strings.Contains(out+errOut, testdirectus.AdminPassword) {
			t.Error("the password was printed")
		}
	})

	t.Run("a bad token exits 1 saying the token was refused", func(t *testing.T) {
		const wrong = "not-the-admin-token"
		code, out, errOut := trmctl(t, map[string]string{"TRM_DIRECTUS_TOKEN": wrong}, "seed", "apply", file, "--directus-url", inst.URL)
		if code != 1 || !strings.Contains(errOut, "refused the token") || !strings.Contains(errOut, "TRM_DIRECTUS_TOKEN") {
			t.Errorf("exit %d\nstdout %s\nstderr %s", code, out, errOut)
		}
		if strings.Contains(out+errOut, wrong) {
			t.Error("the token was printed")
		}
	})

	t.Run("a wrong password exits 1 naming the user", func(t *testing.T) {
		env := map[string]string{"TRM_DIRECTUS_PASSWORD": "wrong-password"}
		code, _, errOut := trmctl(t, env, "seed", "apply", file, "--directus-url", inst.URL, "--email", testdirectus.AdminEmail)
		if code != 1 || !strings.Contains(errOut, "refused the login of "+testdirectus.AdminEmail) || strings.Contains(errOut, "wrong-password") {
			t.Errorf("exit %d\n%s", code, errOut)
		}
	})

	t.Run("a refused write names the record being written", func(t *testing.T) {
		// A user who may read every collection but write none: the first
		// write this run needs (class S-3, removed here) is refused.
		if _, err := db.Exec(ctx, `DELETE FROM classes WHERE code = 'S-3'`); err != nil {
			t.Fatal(err)
		}
		const readerToken = "trm-test-reader-token"
		c := inst.Client()
		policy, err := c.CreatePolicy(ctx, directusctl.Policy{Name: "seed test reader"})
		if err != nil {
			t.Fatal(err)
		}
		allowRead := func(collection string) {
			t.Helper()
			if _, err := c.CreatePermission(ctx, directusctl.Permission{Policy: policy.ID, Collection: collection, Action: directusctl.ActionRead, Fields: []string{"*"}}); err != nil {
				t.Fatal(err)
			}
		}
		for _, collection := range seedTables[:len(seedTables)-1] {
			allowRead(collection)
		}
		var reader struct {
			ID string `json:"id"`
		}
		if err := c.Do(ctx, "POST", "/users", nil, map[string]any{"email": "reader@example.com", "token": readerToken}, &reader); err != nil {
			t.Fatal(err)
		}
		if _, err := c.CreateAccess(ctx, directusctl.Access{User: reader.ID, Policy: policy.ID}); err != nil {
			t.Fatal(err)
		}
		readerEnv := map[string]string{"TRM_DIRECTUS_TOKEN": readerToken, "TRM_DIRECTUS_URL": inst.URL}
		code, out, errOut := trmctl(t, readerEnv, "seed", "apply", file)
		if code != 1 || !strings.Contains(errOut, "cannot read the collections entry_devices: they are missing") || out != "" {
			t.Errorf("an unreadable collection must stop the seed before any write: exit %d\nstdout %s\nstderr %s", code, out, errOut)
		}
		allowRead("entry_devices")
		code, out, errOut = trmctl(t, readerEnv, "seed", "apply", file, "--dry-run")
		if code != 0 || !strings.Contains(out, "1 to create, 39 already present") || !regexp.MustCompile(`seed: classes +rally-albania-2026/S-3 +missing`).MatchString(errOut) {
			t.Errorf("a dry run needs read access only: exit %d\nstdout %s\nstderr %s", code, out, errOut)
		}
		code, out, errOut = trmctl(t, readerEnv, "seed", "apply", file)
		if code != 1 || !strings.Contains(errOut, "create classes rally-albania-2026/S-3: directus POST /items/classes: HTTP 403 FORBIDDEN") {
			t.Errorf("exit %d\nstdout %s\nstderr %s", code, out, errOut)
		}
		// As the admin, the missing class is created and nothing else.
		code, out, errOut = trmctl(t, tokenEnv, "seed", "apply", file)
		if code != 0 || !strings.Contains(out, "1 created, 39 already present") || !regexp.MustCompile(`seed: classes +rally-albania-2026/S-3 +created`).MatchString(errOut) {
			t.Errorf("exit %d\n%s\n%s", code, out, errOut)
		}
	})

	t.Run("two runs at once create each missing record exactly once", func(t *testing.T) {
		before := rowCounts(t, ctx, db)
		var removed int
		err := db.QueryRow(ctx, `
			WITH d1 AS (DELETE FROM entry_devices RETURNING 1), d2 AS (DELETE FROM entry_crew RETURNING 1),
			     d3 AS (DELETE FROM classes WHERE code LIKE 'S-%' RETURNING 1)
			SELECT (SELECT count(*) FROM d1) + (SELECT count(*) FROM d2) + (SELECT count(*) FROM d3)`).Scan(&removed)
		if err != nil || removed != 8 {
			t.Fatalf("removed %d rows (%v), want 8", removed, err)
		}
		type result struct {
			code    int
			out     string
			created int
		}
		results := make(chan result, 2)
		for range 2 {
			go func() {
				code, out, errOut := trmctl(t, tokenEnv, "seed", "apply", file, "--json")
				var got seedJSON
				if err := json.Unmarshal([]byte(out), &got); err != nil || got.Created == nil {
					results <- result{code: code, out: out + errOut}
					return
				}
				results <- result{code: code, out: out + errOut, created: *got.Created}
			}()
		}
		created := 0
		for range 2 {
			r := <-results
			if r.code != 0 {
				t.Errorf("exit %d\n%s", r.code, r.out)
			}
			created += r.created
		}
		if created != 8 {
			t.Errorf("the two runs created %d records together, want the 8 removed (3 trackers, 2 crew, 3 classes)", created)
		}
		if after := rowCounts(t, ctx, db); !mapsEqual(after, before) {
			t.Errorf("row counts changed:\nbefore %v\nafter  %v", before, after)
		}
	})

	t.Run("an unreachable instance exits 1 naming it", func(t *testing.T) {
		code, _, errOut := trmctl(t, map[string]string{"TRM_DIRECTUS_TOKEN": inst.Token}, "seed", "apply", file, "--directus-url", "http://127.0.0.1:1")
		if code != 1 || !strings.Contains(errOut, "cannot reach Directus at http://127.0.0.1:1") {
			t.Errorf("exit %d\n%s", code, errOut)
		}
	})
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestSeedUsageErrorsExitTwo(t *testing.T) {
	file := rallyAlbania(t)
	cases := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"no credentials", nil, nil, "no credentials"},
		{"token and email", nil, []string{"--token", "t", "--email", "a@example.com"}, "choose one"},
		{"password without email", nil, []string{"--password", "p"}, "--password needs --email"},
		{"email without password", nil, []string{"--email", "a@example.com"}, "no password for a@example.com"},
		{"not an http url", map[string]string{"TRM_DIRECTUS_TOKEN": "t"}, []string{"--directus-url", "ftp://cms.example.org"}, "want an http or https URL"},
		{"credentials in the url", map[string]string{"TRM_DIRECTUS_TOKEN": "t"}, []string{"--directus-url", "http://admin:pw@127.0.0.1:1"}, "must not contain credentials"},
		{"extra argument", map[string]string{"TRM_DIRECTUS_TOKEN": "t"}, []string{"now"}, "accepts 1 arg(s), received 2"},
	}
	for _, c := range cases {
		code, _, errOut := trmctl(t, c.env, append([]string{"seed", "apply", file}, c.args...)...)
		if code != 2 || !strings.Contains(errOut, c.want) {
			t.Errorf("%s: exit %d, stderr %q; want 2 with %q", c.name, code, errOut, c.want)
		}
	}
	if code, _, errOut := trmctl(t, nil, "seed", "rally-albania-2026"); code != 2 || !strings.Contains(errOut, "unknown command") {
		t.Errorf("a data set name instead of a command: exit %d %q", code, errOut)
	}
	if code, _, errOut := trmctl(t, map[string]string{"TRM_DIRECTUS_TOKEN": "t"}, "seed", "apply"); code != 2 || !strings.Contains(errOut, "accepts 1 arg(s), received 0") {
		t.Errorf("no file: exit %d %q", code, errOut)
	}
}

// An invalid file stops before anything is sent: the instance named here
// does not exist, and the error is the file's, every problem with its
// line.
func TestSeedApplyRefusesAnInvalidFileBeforeConnecting(t *testing.T) {
	b, err := os.ReadFile(rallyAlbania(t))
	if err != nil {
		t.Fatal(err)
	}
	broken := strings.NewReplacer("role: co-pilot", "role: passenger", "discipline: rally", "discipline: golf").Replace(string(b))
	path := filepath.Join(t.TempDir(), "broken.yaml")
	if err := os.WriteFile(path, []byte(broken), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"TRM_DIRECTUS_TOKEN": "t", "TRM_DIRECTUS_URL": "http://127.0.0.1:1"}
	code, out, errOut := trmctl(t, env, "seed", "apply", path)
	if code != 1 || out != "" || strings.Contains(errOut, "127.0.0.1") ||
		!regexp.MustCompile(`broken\.yaml:\d+: organizations\[0\]\.events\[0\]\.discipline: "golf" is not allowed for events\.discipline; use one of rally,`).MatchString(errOut) ||
		!regexp.MustCompile(`broken\.yaml:\d+: organizations\[0\]\.events\[0\]\.entries\[0\]\.crew\[1\]\.role: "passenger" is not allowed`).MatchString(errOut) {
		t.Errorf("exit %d\nstdout %s\nstderr %s", code, out, errOut)
	}
	code, out, errOut = trmctl(t, nil, "seed", "check", path)
	if code != 1 || out != "" || !strings.Contains(errOut, `"golf" is not allowed`) {
		t.Errorf("check: exit %d\nstdout %s\nstderr %s", code, out, errOut)
	}
	code, out, errOut = trmctl(t, nil, "seed", "check", rallyAlbania(t))
	if code != 0 || !strings.Contains(out, "seed rally-albania-2026 is valid (40 records)") {
		t.Errorf("check of the committed file: exit %d\nstdout %s\nstderr %s", code, out, errOut)
	}
}
