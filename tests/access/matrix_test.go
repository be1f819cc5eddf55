package access

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"git.dev.trmtracking.org/trm/directus/internal/access"
	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testdirectus"
	"github.com/jackc/pgx/v5"
)

// The isolation matrix: two organisations (a and b), each with one user
// per organisation role, an event, a class, a vehicle, a tracker and an
// entry crewed by its participant and a co-pilot; a person with no
// organisation; and anonymous visitors. For every tester, collection and
// action, the REST request on organisation a's item and on organisation
// b's is sent (and every read once more through GraphQL), and Directus's
// answer must be what the access files say.
//
// What the files say is computed here, independently of Directus: the
// testers' policies (the member role's, or the public policy's) are read
// from access/, and each permission's filter is evaluated in Go against
// the fixture data as Directus evaluates it (relations followed, an o2m
// holding when one of its items meets all the conditions, $CURRENT_USER
// and $NOW), with a create judged on the item it would make (what
// extensions/trm's access-guard applies) and an update judged on the field
// the request changes. Nothing is hand-picked: the cells, the field each
// update writes and the expectations all come from the files.

var orgRoles = []string{"org-admin", "race-director", "marshal", "timekeeper", "participant", "viewer"}

const newUserPassword = "matrix-password-1"

type tester struct {
	name  string
	id    string // empty: anonymous
	token string
	org   string // "a", "b" or "" (none)
}

type matrix struct {
	mu    sync.Mutex
	url   string
	dbURL string
	admin *directusctl.Client
	files *access.Set
	cat   *access.Catalog
	now   time.Time

	// items holds every record of the fixture as the administrator reads
	// it: collection → id → fields.
	items map[string]map[string]map[string]any
	// subject is the item of each collection each organisation owns.
	subject map[string]map[string]string // org → collection → id
	ids     map[string]string            // fixture names → ids
	member  string                       // the member role's id
	// roleNames maps the roles' ids to their names.
	roleNames map[string]string
	seq       int
}

func isolationMatrix(t *testing.T, inst *testdirectus.Instance, dbURL string, files *access.Set, cat *access.Catalog) {
	start := time.Now()
	m := &matrix{url: inst.URL, dbURL: dbURL, admin: inst.Client(), files: files, cat: cat, now: time.Now(),
		items: map[string]map[string]map[string]any{}, subject: map[string]map[string]string{}, ids: map[string]string{}}
	roles, err := m.admin.ListRoles(ctx, url.Values{"filter": {`{"name":{"_eq":"member"}}`}})
	if err != nil || len(roles) != 1 {
		t.Fatalf("the member role: %v %v", roles, err)
	}
	m.member = roles[0].ID
	all, err := m.admin.ListRoles(ctx, nil)
	if err != nil {
		t.Fatalf("the roles: %v", err)
	}
	m.roleNames = map[string]string{}
	for _, r := range all {
		m.roleNames[r.ID] = r.Name
	}
	var testers []tester
	for _, org := range []string{"a", "b"} {
		ts := m.organisation(t, org)
		if org == "a" {
			testers = append(testers, ts...)
		}
	}
	loner := m.user(t, "loner@example.com")
	testers = append(testers, tester{name: "member of no organisation", id: loner, token: tokenOf("loner@example.com")}, tester{name: "anonymous"})
	m.load(t)
	m.accessKeysAgree(t)
	t.Logf("fixture built in %s", time.Since(start).Round(time.Millisecond))

	start = time.Now()
	colls := append(cat.Collections(), access.SupportedSystemCollections...)
	var cells, allowed atomic.Int64
	t.Run("cells", func(t *testing.T) {
		for _, tr := range testers {
			t.Run(tr.name, func(t *testing.T) {
				t.Parallel()
				for _, coll := range colls {
					for _, action := range []string{"create", "read", "update", "delete"} {
						for _, org := range []string{"a", "b"} {
							cells.Add(1)
							if m.cell(t, tr, coll, action, org) {
								allowed.Add(1)
							}
						}
					}
				}
			})
		}
	})
	t.Logf("%d cells (%d testers × %d collections × 4 actions × 2 organisations): %d allowed, %d refused, in %s",
		cells.Load(), len(testers), len(colls), allowed.Load(), cells.Load()-allowed.Load(), time.Since(start).Round(time.Millisecond))
	t.Run("escalations", func(t *testing.T) { m.escalations(t, testers) })
	t.Run("timing escalations", func(t *testing.T) { m.timing(t, testers, dbURL) })
	t.Run("links stay inside one organisation", func(t *testing.T) { m.links(t, testers, dbURL) })
}

// escalations are the attempts of issue 13 that Phase 1 collections can
// express, each refused.
func (m *matrix) escalations(t *testing.T, testers []tester) {
	who := map[string]tester{}
	for _, tr := range testers {
		who[tr.name] = tr
	}
	a, b := m.subject["a"], m.subject["b"]
	refused := func(what string, tr tester, method, p string, q url.Values, body any) {
		t.Helper()
		if status, msg := m.send(t, tr, method, p, q, body); status != http.StatusForbidden {
			t.Errorf("%s: HTTP %d %s, want 403", what, status, msg)
		}
	}
	refused("a race director makes themselves org-admin", who["race-director of a"], http.MethodPatch,
		path("organization_users", m.ids["a/race-director/membership"]), nil, map[string]any{"role": "org-admin"})
	refused("an org-admin makes their membership another organisation's", who["org-admin of a"], http.MethodPatch,
		path("organization_users", m.ids["a/org-admin/membership"]), nil, map[string]any{"organization_id": b["organizations"]})
	other := m.create(t, "classes", map[string]any{"event_id": a["events"], "code": "C-2", "name": "Other", "category": "car"})
	refused("a participant changes their entry's class", who["participant of a"], http.MethodPatch,
		path("entries", a["entries"]), nil, map[string]any{"class_id": other})
	refused("a participant sets their entry's status", who["participant of a"], http.MethodPatch,
		path("entries", a["entries"]), nil, map[string]any{"status": "registered"})
	notTheirs := m.create(t, "entries", map[string]any{"event_id": a["events"], "class_id": a["classes"], "race_number": 900})
	m.create(t, "entry_crew", map[string]any{"entry_id": notTheirs, "user_id": m.subject["a"]["directus_users"], "role": "pilot"})
	refused("a participant changes another entry of their organisation", who["participant of a"], http.MethodPatch,
		path("entries", notTheirs), nil, map[string]any{"vehicle_id": nil})
	refused("a participant puts themselves on another entry's crew", who["participant of a"], http.MethodPost,
		path("entry_crew", ""), nil, map[string]any{"entry_id": notTheirs, "user_id": who["participant of a"].id, "role": "mechanic"})
	refused("an org-admin moves an event into another organisation", who["org-admin of a"], http.MethodPatch,
		path("events", a["events"]), nil, map[string]any{"organization_id": b["organizations"]})
	refused("a race director moves an entry to another organisation's event", who["race-director of a"], http.MethodPatch,
		path("entries", a["entries"]), nil, map[string]any{"event_id": b["events"]})

	m.moves(t, testers)

	// Reading another organisation's tracker by its IMEI finds nothing:
	// not on devices, not through a relational filter of the collections
	// that point at devices, not through GraphQL.
	var imeiB struct {
		IMEI string `json:"imei"`
	}
	if err := m.admin.GetItem(ctx, "devices", b["devices"], nil, &imeiB); err != nil {
		t.Fatal(err)
	}
	byIMEI := []struct{ coll, filter string }{
		{"devices", `{"imei":{"_eq":"` + imeiB.IMEI + `"}}`},
		{"entry_devices", `{"device_id":{"imei":{"_eq":"` + imeiB.IMEI + `"}}}`},
		{"organization_devices", `{"device_id":{"imei":{"_eq":"` + imeiB.IMEI + `"}}}`},
	}
	for _, tr := range testers {
		c, err := directusctl.NewClient(m.url, tokenOption(tr)...)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range byIMEI {
			var found []map[string]any
			err = c.ListItems(ctx, q.coll, url.Values{"filter": {q.filter}, "fields": {"id"}}, &found)
			var ae *directusctl.APIError
			switch {
			case errors.As(err, &ae) && (ae.Status == http.StatusForbidden || tr.id == "" && ae.Status == http.StatusUnauthorized):
			case err != nil:
				t.Errorf("%s: %s by IMEI: %v", tr.name, q.coll, err)
			case len(found) != 0:
				t.Errorf("%s reads organisation b's tracker by its IMEI through %s: %v", tr.name, q.coll, found)
			}
		}
		status, raw, doc := m.graphql(t, tr, "/graphql", fmt.Sprintf("query { devices(filter: {imei: {_eq: %q}}) { id } }", imeiB.IMEI))
		var found []any
		_ = json.Unmarshal(doc.Data["devices"], &found)
		if len(found) != 0 {
			t.Errorf("%s reads organisation b's tracker by its IMEI through GraphQL: %s", tr.name, raw)
		}
		for _, e := range doc.Errors {
			if e.Extensions.Code != "FORBIDDEN" && e.Extensions.Code != "GRAPHQL_VALIDATION" {
				t.Errorf("%s: devices by IMEI through GraphQL: HTTP %d, error %s %s; want nothing or a refusal", tr.name, status, e.Extensions.Code, e.Message)
			}
		}
		// The same query finds organisation a's tracker for those the
		// files let read it: the refusal above is not a broken query.
		if ok, _ := m.allowed(tr, "devices", "read", m.item("devices", a["devices"]), ""); ok {
			own := fmt.Sprint(m.item("devices", a["devices"])["imei"])
			_, raw, doc := m.graphql(t, tr, "/graphql", fmt.Sprintf("query { devices(filter: {imei: {_eq: %q}}) { id } }", own))
			var found []any
			_ = json.Unmarshal(doc.Data["devices"], &found)
			if len(found) != 1 {
				t.Errorf("%s does not find organisation a's tracker by its IMEI through GraphQL: %s", tr.name, raw)
			}
		}
	}
}

// moves tries, as every tester, to move organisation a's item of every
// collection into organisation b: to point each many-to-one link its
// access rules start from (the link that decides whose the item is:
// organization_id, event_id, entry_id, stage_id, segment_id…, read from
// the files) at organisation b's item. Every attempt must be refused and
// leave the item where it was.
func (m *matrix) moves(t *testing.T, testers []tester) {
	links := map[string]map[string]bool{} // collection → owning links
	for _, p := range m.files.Policies {
		for _, perm := range p.Permissions {
			f, ok := perm.Filter.(map[string]any)
			if !ok {
				continue
			}
			for k := range ownerKeys(f) {
				// A person is not owned by an organisation (one may be in
				// several): putting someone on a crew moves nothing.
				if target, o2m, rel := m.cat.Related(perm.Collection, k); rel && !o2m && target != "directus_users" && m.subject["b"][target] != "" {
					if links[perm.Collection] == nil {
						links[perm.Collection] = map[string]bool{}
					}
					links[perm.Collection][k] = true
				}
			}
		}
	}
	tried := 0
	for _, coll := range sortedKeys(links) {
		for _, link := range sortedKeys(links[coll]) {
			target, _, _ := m.cat.Related(coll, link)
			id, to := m.subject["a"][coll], m.subject["b"][target]
			for _, tr := range testers {
				tried++
				status, msg := m.send(t, tr, http.MethodPatch, path(coll, id), nil, map[string]any{link: to})
				if status/100 == 2 || (status != http.StatusForbidden && !(tr.id == "" && status == http.StatusUnauthorized)) {
					t.Errorf("%s moves %s %s into organisation b (%s → %s): HTTP %d %s, want 403", tr.name, coll, id, link, to, status, msg)
				}
			}
			var now map[string]any
			if err := m.admin.Do(ctx, http.MethodGet, path(coll, id), url.Values{"fields": {link}}, nil, &now); err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(now[link]) != fmt.Sprint(m.item(coll, id)[link]) {
				t.Errorf("%s %s: %s is now %v, was %v", coll, id, link, now[link], m.item(coll, id)[link])
			}
		}
	}
	if tried == 0 {
		t.Fatal("no owning link found in the files: the move attempts test nothing")
	}
	t.Logf("%d attempts to move an item into another organisation, all refused", tried)
}

// ownerKeys are the fields a rule starts from, through _and and _or.
func ownerKeys(f map[string]any) map[string]bool {
	out := map[string]bool{}
	for k, v := range f {
		if k != "_and" && k != "_or" {
			out[k] = true
			continue
		}
		list, _ := v.([]any)
		for _, sub := range list {
			if sf, ok := sub.(map[string]any); ok {
				for kk := range ownerKeys(sf) {
					out[kk] = true
				}
			}
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func tokenOption(tr tester) []directusctl.ClientOption {
	if tr.token == "" {
		return nil
	}
	return []directusctl.ClientOption{directusctl.WithToken(tr.token)}
}

// --- fixture ----------------------------------------------------------

// exec runs one fixture statement in SQL, past Directus and its hooks.
func (m *matrix) exec(t *testing.T, sql string, args ...any) {
	t.Helper()
	conn, err := pgx.Connect(ctx, m.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		t.Fatal(err)
	}
}

func (m *matrix) next() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.seq++
	return m.seq
}

func (m *matrix) create(t *testing.T, coll string, payload map[string]any) string {
	t.Helper()
	var out map[string]any
	var err error
	if coll == "directus_users" {
		err = m.admin.Do(ctx, http.MethodPost, "/users", url.Values{"fields": {userFields}}, payload, &out)
	} else {
		err = m.admin.CreateItem(ctx, coll, payload, &out)
	}
	if err != nil {
		t.Fatalf("fixture: create %s %v: %v", coll, payload, err)
	}
	id := fmt.Sprint(out["id"])
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.items[coll] != nil {
		// After load: the oracle must see it too.
		m.items[coll][id] = out
	}
	return id
}

// user makes a member who signs in with a static token (the e-mail), the
// same authentication as a login's token, without hashing a password.
func (m *matrix) user(t *testing.T, email string) string {
	return m.create(t, "directus_users", map[string]any{"email": email, "token": tokenOf(email), "role": m.member, "first_name": strings.Split(email, "@")[0]})
}

func tokenOf(email string) string {
	return "matrix-" + strings.NewReplacer("@", "-", ".", "-").Replace(email)
}

// spareUser is a member who signs in nowhere: no password, which spares
// Directus hashing one.
func (m *matrix) spareUser(t *testing.T) string {
	return m.create(t, "directus_users", map[string]any{"email": fmt.Sprintf("spare%d@example.com", m.next()), "role": m.member})
}

func imei(n int) string { return fmt.Sprintf("35%013d", n) }

// organisation builds one organisation's world and returns its testers.
func (m *matrix) organisation(t *testing.T, org string) []tester {
	sub := map[string]string{}
	m.subject[org] = sub
	o := m.create(t, "organizations", map[string]any{"name": "Organisation " + org, "slug": "org-" + org})
	sub["organizations"] = o
	var testers []tester
	for _, r := range orgRoles {
		u := m.user(t, r+"."+org+"@example.com")
		m.ids[org+"/"+r+"/membership"] = m.create(t, "organization_users", map[string]any{"organization_id": o, "user_id": u, "role": r})
		m.ids[org+"/"+r] = u
		testers = append(testers, tester{name: r + " of " + org, id: u, org: org, token: tokenOf(r + "." + org + "@example.com")})
	}
	copilot := m.user(t, "copilot."+org+"@example.com")
	sub["directus_users"] = copilot
	sub["organization_users"] = m.create(t, "organization_users", map[string]any{"organization_id": o, "user_id": copilot, "role": "participant"})
	ev := m.create(t, "events", map[string]any{"organization_id": o, "name": "Rally " + org, "slug": "rally-" + org, "discipline": "rally",
		"starts_at": "2099-06-06T08:00:00Z", "ends_at": "2099-06-13T18:00:00Z"})
	sub["events"] = ev
	cl := m.create(t, "classes", map[string]any{"event_id": ev, "code": "C-1", "name": "Cars", "category": "car"})
	sub["classes"] = cl
	v := m.create(t, "vehicles", map[string]any{"make": "Toyota", "model": "Hilux " + org, "plate": "AB-" + org})
	sub["vehicles"] = v
	sub["organization_vehicles"] = m.create(t, "organization_vehicles", map[string]any{"organization_id": o, "vehicle_id": v})
	d := m.create(t, "devices", map[string]any{"imei": imei(m.next()), "model": "FMB920"})
	sub["devices"] = d
	sub["organization_devices"] = m.create(t, "organization_devices", map[string]any{"organization_id": o, "device_id": d})
	n := m.create(t, "entries", map[string]any{"event_id": ev, "class_id": cl, "vehicle_id": v, "race_number": 1})
	sub["entries"] = n
	m.create(t, "entry_crew", map[string]any{"entry_id": n, "user_id": m.ids[org+"/participant"], "role": "pilot"})
	sub["entry_crew"] = m.create(t, "entry_crew", map[string]any{"entry_id": n, "user_id": copilot, "role": "co-pilot"})
	sub["entry_devices"] = m.create(t, "entry_devices", map[string]any{"entry_id": n, "device_id": d})
	// The course: a stage with a special entering by a geofence, a DZ → FZ
	// zone between two waypoints.
	st := m.create(t, "stages", map[string]any{"event_id": ev, "code": "S1", "name": "Stage 1", "sort_order": 1})
	sub["stages"] = st
	gf := m.create(t, "geofences", map[string]any{"event_id": ev, "name": "S1 DSS", "kind": "start", "geometry": square(0)})
	sub["geofences"] = gf
	sg := m.create(t, "segments", map[string]any{"stage_id": st, "code": "SS1", "name": "Special 1", "sort_order": 1, "type": "special-stage", "entry_geofence_id": gf})
	sub["segments"] = sg
	dz := m.create(t, "waypoints", waypoint(sg, "DZ1", "DZ", 1))
	fz := m.create(t, "waypoints", waypoint(sg, "FZ1", "FZ", 2))
	sub["waypoints"] = dz
	sub["speed_limit_zones"] = m.create(t, "speed_limit_zones", map[string]any{"segment_id": sg, "name": "DZ1–FZ1", "limit_kmh": 50,
		"start_waypoint_id": dz, "end_waypoint_id": fz})
	// Timing: a rule, the entry's start in the special, a crossing of its
	// entry geofence, a penalty priced by the rule, a provisional result.
	f := m.create(t, "penalty_formulas", formula(ev, "missed-cp"))
	sub["penalty_formulas"] = f
	sub["entry_segment_starts"] = m.create(t, "entry_segment_starts", map[string]any{"entry_id": n, "segment_id": sg, "start_position": 1})
	sub["entry_crossings"] = m.create(t, "entry_crossings", map[string]any{"entry_id": n, "geofence_id": gf, "ts": "2026-06-07T08:00:00Z", "kind": "entered"})
	sub["entry_penalties"] = m.create(t, "entry_penalties", penalty(n, sg, f, "cp-1"))
	sub["stage_results"] = m.create(t, "stage_results", map[string]any{"entry_id": n, "stage_id": st, "elapsed_seconds": 3600,
		"penalty_seconds": 900, "total_seconds": 4500})
	// A control closing time is computed, never written through the API
	// (extensions/trm closing-times): an open stage of its own, with a CP
	// in a liaison that allows lateness and the entry's start there.
	open := m.create(t, "stages", map[string]any{"event_id": ev, "code": "S9", "name": "Stage 9", "sort_order": 1_000_000})
	// Opened in SQL: stage open (extensions/trm) would leave the entry,
	// which has no status, out of the start list this fixture writes.
	m.exec(t, `UPDATE stages SET status = 'open' WHERE id = $1`, open)
	liaison := m.create(t, "segments", map[string]any{"stage_id": open, "code": "L1", "name": "Liaison 1", "sort_order": 1, "type": "liaison",
		"target_duration_seconds": 3600, "allowed_lateness_seconds": 1800})
	m.create(t, "waypoints", waypoint(liaison, "CP1", "CP", 1))
	m.create(t, "entry_segment_starts", map[string]any{"entry_id": n, "segment_id": liaison, "start_position": 1, "target_at": "2099-06-07T08:00:00Z"})
	sub["control_closing_times"] = m.computed(t, "control_closing_times", open)
	return testers
}

// computed waits for the one row of coll that extensions/trm computes
// for stage (after Directus committed what it is computed from) and
// returns its id.
func (m *matrix) computed(t *testing.T, coll, stage string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var rows []map[string]any
		if err := m.admin.ListItems(ctx, coll, url.Values{"filter": {`{"stage_id":{"_eq":"` + stage + `"}}`}, "fields": {"id"}}, &rows); err != nil {
			t.Fatal(err)
		}
		if len(rows) == 1 {
			return fmt.Sprint(rows[0]["id"])
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s of stage %s: %d rows after 30 s, want the one extensions/trm computes", coll, stage, len(rows))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// formula is a one-bracket rule of event: 15 minutes per CP missed.
func formula(event, key string) map[string]any {
	return map[string]any{"event_id": event, "rule_key": key, "version": 1, "supersedes": 0, "type": "missed_control", "qualifier": "CP",
		"belongs_to_type": "event", "offence_min": 0, "operator": "per_unit_over", "per": 1, "penalty": 900}
}

// penalty is a computed penalty of entry in segment, priced by formula.
func penalty(entry, segment, formula, offence string) map[string]any {
	return map[string]any{"entry_id": entry, "segment_id": segment, "type": "missed_control", "qualifier": "CP", "offence_key": offence,
		"formula_id": formula, "formula_snapshot": map[string]any{"rule_key": "missed-cp"}, "inputs": map[string]any{"value": 1}, "seconds": 900}
}

// square is a small polygon near Tirana, moved east by n hundredths of a
// degree.
func square(n int) map[string]any {
	x := 19.8 + float64(n)*0.01
	return map[string]any{"type": "Polygon", "coordinates": [][][]float64{{{x, 41}, {x + 0.005, 41}, {x + 0.005, 41.005}, {x, 41.005}, {x, 41}}}}
}

func waypoint(segment, name, typ string, sort int) map[string]any {
	return map[string]any{"segment_id": segment, "name": name, "type": typ, "sort_order": sort,
		"location":           map[string]any{"type": "Point", "coordinates": []float64{19.8 + float64(sort)*0.001, 41.0}},
		"open_radius_meters": 800, "tolerance_meters": 90}
}

// load reads every record as the administrator.
func (m *matrix) load(t *testing.T) {
	t.Helper()
	for _, coll := range append(m.cat.Collections(), access.SupportedSystemCollections...) {
		var rows []map[string]any
		var err error
		if coll == "directus_users" {
			err = m.admin.Do(ctx, http.MethodGet, "/users", url.Values{"limit": {"-1"}, "fields": {userFields}}, nil, &rows)
		} else {
			err = m.admin.ListItems(ctx, coll, url.Values{"limit": {"-1"}}, &rows)
		}
		if err != nil {
			t.Fatalf("read %s: %v", coll, err)
		}
		m.items[coll] = map[string]map[string]any{}
		for _, r := range rows {
			m.items[coll][fmt.Sprint(r["id"])] = r
		}
	}
}

// accessKeysAgree checks the access keys the rules read (kept by
// db-init/post/008) against the memberships and crews they summarise: the
// oracle judges the rules on the same keys as Directus, so a key the
// database got wrong would pass the cells unnoticed.
func (m *matrix) accessKeysAgree(t *testing.T) {
	t.Helper()
	keyRoles := access.AccessKeyRoles()
	want := map[string]map[string][]string{} // organisation → key → users
	role := map[[2]string]string{}           // organisation, user → role
	for _, mu := range m.items["organization_users"] {
		org, user, r := fmt.Sprint(mu["organization_id"]), fmt.Sprint(mu["user_id"]), fmt.Sprint(mu["role"])
		role[[2]string{org, user}] = r
		if want[org] == nil {
			want[org] = map[string][]string{}
		}
		for key, roles := range keyRoles {
			if slices.Contains(roles, r) {
				want[org][key] = append(want[org][key], user)
			}
		}
	}
	list := func(users []string) any {
		if len(users) == 0 {
			return nil
		}
		slices.Sort(users)
		return strings.Join(slices.Compact(users), ",")
	}
	for id, o := range m.items["organizations"] {
		for key := range keyRoles {
			if got, w := o[key], list(want[id][key]); got != w {
				t.Errorf("organisation %s: %s is %v, the memberships say %v", o["name"], key, got, w)
			}
		}
	}
	crew := map[string][]string{}
	for _, c := range m.items["entry_crew"] {
		e := m.items["entries"][fmt.Sprint(c["entry_id"])]
		org := fmt.Sprint(m.items["events"][fmt.Sprint(e["event_id"])]["organization_id"])
		if user := fmt.Sprint(c["user_id"]); role[[2]string{org, user}] == "participant" {
			crew[fmt.Sprint(c["entry_id"])] = append(crew[fmt.Sprint(c["entry_id"])], user)
		}
	}
	for id, e := range m.items["entries"] {
		if got, w := e["access_crew"], list(crew[id]); got != w {
			t.Errorf("entry %v: access_crew is %v, its crew who are participants are %v", e["race_number"], got, w)
		}
	}
}

// The directus_users fields the oracle may need: the ones permissions
// name or write.
const userFields = "id,first_name,last_name,email,phone,birth_date,nationality,status,role"

// payload is a new item of coll in organisation org, made of spare
// records nobody uses yet, and how to find it again.
func (m *matrix) payload(t *testing.T, coll, org string) (map[string]any, string, any) {
	sub := m.subject[org]
	n := m.next()
	spareUser := func() string { return m.spareUser(t) }
	switch coll {
	case "organizations":
		return map[string]any{"name": fmt.Sprintf("New %d", n), "slug": fmt.Sprintf("new-%d", n)}, "slug", fmt.Sprintf("new-%d", n)
	case "organization_users":
		u := spareUser()
		return map[string]any{"organization_id": sub["organizations"], "user_id": u, "role": "viewer"}, "user_id", u
	case "organization_vehicles":
		v := m.create(t, "vehicles", map[string]any{"make": "Spare", "model": strconv.Itoa(n)})
		return map[string]any{"organization_id": sub["organizations"], "vehicle_id": v}, "vehicle_id", v
	case "organization_devices":
		d := m.create(t, "devices", map[string]any{"imei": imei(n), "model": "FMB003"})
		return map[string]any{"organization_id": sub["organizations"], "device_id": d}, "device_id", d
	case "vehicles":
		return map[string]any{"make": fmt.Sprintf("Make %d", n), "model": "M"}, "make", fmt.Sprintf("Make %d", n)
	case "devices":
		return map[string]any{"imei": imei(n), "model": "FMB003"}, "imei", imei(n)
	case "events":
		return map[string]any{"organization_id": sub["organizations"], "name": "Event", "slug": fmt.Sprintf("ev-%d", n), "discipline": "rally",
			"starts_at": "2099-01-01T08:00:00Z", "ends_at": "2099-01-02T08:00:00Z"}, "slug", fmt.Sprintf("ev-%d", n)
	case "classes":
		return map[string]any{"event_id": sub["events"], "code": fmt.Sprintf("K-%d", n), "name": "Class", "category": "moto"}, "code", fmt.Sprintf("K-%d", n)
	case "entries":
		return map[string]any{"event_id": sub["events"], "class_id": sub["classes"], "race_number": 100 + n}, "race_number", 100 + n
	case "entry_crew":
		// A crew member is a member of the organisation (db-init/post/006).
		u := spareUser()
		m.create(t, "organization_users", map[string]any{"organization_id": sub["organizations"], "user_id": u, "role": "participant"})
		return map[string]any{"entry_id": sub["entries"], "user_id": u, "role": "mechanic"}, "user_id", u
	case "entry_devices":
		// A tracker is the organisation's (db-init/post/006).
		d := m.create(t, "devices", map[string]any{"imei": imei(n), "model": "FMB003"})
		m.create(t, "organization_devices", map[string]any{"organization_id": sub["organizations"], "device_id": d})
		return map[string]any{"entry_id": sub["entries"], "device_id": d}, "device_id", d
	case "stages":
		code := fmt.Sprintf("X%d", n)
		// Stages and segments made for other collections' rows share a
		// parent and need places of their own: even numbers here, odd
		// ones below (n grows past any fixed offset over the matrix).
		return map[string]any{"event_id": sub["events"], "code": code, "name": "Stage", "sort_order": 2 * n}, "code", code
	case "segments":
		code := fmt.Sprintf("L%d", n)
		return map[string]any{"stage_id": sub["stages"], "code": code, "name": "Liaison", "sort_order": 2 * n, "type": "liaison"}, "code", code
	case "geofences":
		name := fmt.Sprintf("CP%d", n)
		return map[string]any{"event_id": sub["events"], "name": name, "kind": "checkpoint", "geometry": square(n)}, "name", name
	case "waypoints":
		name := fmt.Sprintf("WP%d", n)
		return waypoint(sub["segments"], name, "WPV", 100+n), "name", name
	case "speed_limit_zones":
		name := fmt.Sprintf("Zone %d", n)
		return map[string]any{"segment_id": sub["segments"], "name": name, "limit_kmh": 30, "area": square(n)}, "name", name
	case "penalty_formulas":
		key := fmt.Sprintf("rule-%d", n)
		return formula(sub["events"], key), "rule_key", key
	case "entry_segment_starts":
		seg := m.create(t, "segments", map[string]any{"stage_id": sub["stages"], "code": fmt.Sprintf("T%d", n), "name": "Liaison",
			"sort_order": 2*n + 1, "type": "liaison"})
		return map[string]any{"entry_id": sub["entries"], "segment_id": seg, "start_position": 1}, "segment_id", seg
	case "entry_crossings":
		ts := time.Date(2026, 6, 7, 9, 0, n, 0, time.UTC).Format(time.RFC3339)
		return map[string]any{"entry_id": sub["entries"], "geofence_id": sub["geofences"], "ts": ts, "kind": "left"}, "ts", ts
	case "entry_penalties":
		key := fmt.Sprintf("cp-%d", 100+n)
		return penalty(sub["entries"], sub["segments"], sub["penalty_formulas"], key), "offence_key", key
	case "control_closing_times":
		// Nobody may create one: a CP of the draft stage, which has no
		// closing times, so that the hook leaves the fixture as it is.
		wp := m.create(t, "waypoints", waypoint(sub["segments"], fmt.Sprintf("CP%d", n), "CP", 100+n))
		return map[string]any{"stage_id": sub["stages"], "waypoint_id": wp, "closes_at": "2099-06-07T10:00:00Z", "due_at": "2099-06-07T09:30:00Z",
			"allowed_lateness_seconds": 1800, "computed_at": "2099-06-07T07:00:00Z"}, "waypoint_id", wp
	case "stage_results":
		st := m.create(t, "stages", map[string]any{"event_id": sub["events"], "code": fmt.Sprintf("R%d", n), "name": "Stage", "sort_order": 2*n + 1})
		return map[string]any{"entry_id": sub["entries"], "stage_id": st, "penalty_seconds": 0}, "stage_id", st
	case "directus_users":
		email := fmt.Sprintf("new%d@example.com", n)
		return map[string]any{"email": email, "password": newUserPassword}, "email", email
	}
	t.Fatalf("no payload for %s: the isolation matrix needs one for every collection (tests/access/matrix_test.go)", coll)
	return nil, "", nil
}

// clone makes, as the administrator, an item of coll in org that the
// permissions see as they see the organisation's subject: a registered
// vehicle or device, a user who is a member.
func (m *matrix) clone(t *testing.T, coll, org string) string {
	p, _, _ := m.payload(t, coll, org)
	id := m.create(t, coll, p)
	switch coll {
	case "vehicles":
		m.create(t, "organization_vehicles", map[string]any{"organization_id": m.subject[org]["organizations"], "vehicle_id": id})
	case "devices":
		m.create(t, "organization_devices", map[string]any{"organization_id": m.subject[org]["organizations"], "device_id": id})
	case "directus_users":
		m.create(t, "organization_users", map[string]any{"organization_id": m.subject[org]["organizations"], "user_id": id, "role": "viewer"})
	}
	return id
}

// --- one cell ---------------------------------------------------------

// cell sends one request and compares Directus's answer with the files'.
// It returns whether the files allow it.
func (m *matrix) cell(t *testing.T, tr tester, coll, action, org string) bool {
	t.Helper()
	where := "organisation " + org
	if tr.org == org {
		where = "own organisation (" + org + ")"
	} else if tr.org != "" {
		where = "other organisation (" + org + ")"
	}
	label := fmt.Sprintf("%s: %s %s in %s", tr.name, action, coll, where)
	subject := m.subject[org][coll]
	var want bool
	var why string
	var status int
	var body string
	switch action {
	case "read":
		want, why = m.allowed(tr, coll, action, m.item(coll, subject), "")
		status, body = m.send(t, tr, http.MethodGet, path(coll, subject), url.Values{"fields": {m.cat.PrimaryKey(coll)}}, nil)
		m.graphqlRead(t, tr, coll, subject, label, want, why)
	case "update":
		field := m.updateField(t, coll)
		rec := m.item(coll, subject)
		want, why = m.allowed(tr, coll, action, rec, field)
		status, body = m.send(t, tr, http.MethodPatch, path(coll, subject), nil, map[string]any{field: rec[field]})
		label += " (writes " + field + " unchanged)"
	case "delete":
		want, why = m.allowed(tr, coll, action, m.item(coll, subject), "")
		target := subject
		if want {
			target = m.clone(t, coll, org)
			if ok, _ := m.allowed(tr, coll, action, m.item(coll, target), ""); !ok {
				t.Fatalf("%s: the clone made to be deleted is not like the subject (tests/access/matrix_test.go clone)", label)
			}
		}
		status, body = m.send(t, tr, http.MethodDelete, path(coll, target), nil, nil)
	case "create":
		p, key, val := m.payload(t, coll, org)
		virtual := map[string]any{}
		for k, v := range p {
			virtual[k] = v
		}
		want, why = m.allowedCreate(tr, coll, virtual)
		status, body = m.send(t, tr, http.MethodPost, path(coll, ""), nil, p)
		if status/100 == 2 {
			m.remove(t, coll, key, val)
		}
	}
	got := status/100 == 2
	refusedOK := status == http.StatusForbidden || (tr.id == "" && status == http.StatusUnauthorized)
	switch {
	case want && !got:
		t.Errorf("%s: Directus refused (HTTP %d: %s); the files allow it (%s)", label, status, body, why)
	case !want && got:
		t.Errorf("%s: Directus allowed it (HTTP %d); the files refuse it (%s)", label, status, why)
	case !want && !refusedOK:
		t.Errorf("%s: refused, but with HTTP %d (%s); want 403", label, status, body)
	}
	return want
}

// graphqlRead reads the same item through GraphQL (/graphql, or
// /graphql/system for directus_users) and compares the answer with the
// files': allowed, the item comes back; refused, it comes back null, or
// the query is refused because the person's GraphQL schema has no such
// collection (Directus builds each person's schema from their
// permissions).
func (m *matrix) graphqlRead(t *testing.T, tr tester, coll, id, label string, want bool, why string) {
	t.Helper()
	endpoint, field := "/graphql", coll+"_by_id"
	if coll == "directus_users" {
		endpoint, field = "/graphql/system", "users_by_id"
	}
	pk := m.cat.PrimaryKey(coll)
	status, raw, doc := m.graphql(t, tr, endpoint, fmt.Sprintf("query { %s(id: %q) { %s } }", field, id, pk))
	var item map[string]any
	_ = json.Unmarshal(doc.Data[field], &item)
	got := item != nil && fmt.Sprint(item[pk]) == id
	for _, e := range doc.Errors {
		if e.Extensions.Code != "FORBIDDEN" && e.Extensions.Code != "GRAPHQL_VALIDATION" {
			t.Errorf("%s through GraphQL: HTTP %d, error %s %s; want the item or a refusal", label, status, e.Extensions.Code, e.Message)
		}
	}
	switch {
	case want && !got:
		t.Errorf("%s through GraphQL: refused (HTTP %d: %s); the files allow it (%s)", label, status, raw, why)
	case !want && got:
		t.Errorf("%s through GraphQL: Directus gave the item (%s); the files refuse it (%s)", label, raw, why)
	}
}

type graphqlAnswer struct {
	Data   map[string]json.RawMessage `json:"data"`
	Errors []struct {
		Message    string `json:"message"`
		Extensions struct {
			Code string `json:"code"`
		} `json:"extensions"`
	} `json:"errors"`
}

// graphql sends one query as the tester.
func (m *matrix) graphql(t *testing.T, tr tester, endpoint, query string) (int, []byte, graphqlAnswer) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.url+endpoint, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if tr.token != "" {
		req.Header.Set("Authorization", "Bearer "+tr.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GraphQL %s: %v", query, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GraphQL %s: %v", query, err)
	}
	var doc graphqlAnswer
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("GraphQL %s: HTTP %d, not JSON: %s", query, resp.StatusCode, raw)
	}
	return resp.StatusCode, raw, doc
}

func path(coll, id string) string {
	p := "/items/" + coll
	if coll == "directus_users" {
		p = "/users"
	}
	if id != "" {
		p += "/" + id
	}
	return p
}

func (m *matrix) send(t *testing.T, tr tester, method, p string, q url.Values, body any) (int, string) {
	t.Helper()
	c, err := directusctl.NewClient(m.url, tokenOption(tr)...)
	if err != nil {
		t.Fatal(err)
	}
	err = c.Do(ctx, method, p, q, body, nil)
	var ae *directusctl.APIError
	switch {
	case err == nil:
		return http.StatusOK, ""
	case errors.As(err, &ae):
		return ae.Status, ae.Code + " " + ae.Message
	}
	t.Fatalf("%s %s: %v", method, p, err)
	return 0, ""
}

// remove deletes, as the administrator, an item a tester created.
func (m *matrix) remove(t *testing.T, coll, key string, val any) {
	t.Helper()
	filter, _ := json.Marshal(map[string]any{key: map[string]any{"_eq": val}})
	var rows []map[string]any
	var err error
	if coll == "directus_users" {
		err = m.admin.Do(ctx, http.MethodGet, "/users", url.Values{"filter": {string(filter)}, "fields": {"id"}}, nil, &rows)
	} else {
		err = m.admin.ListItems(ctx, coll, url.Values{"filter": {string(filter)}, "fields": {"id"}}, &rows)
	}
	if err != nil || len(rows) != 1 {
		t.Fatalf("find the %s a tester created (%s = %v): %v %v", coll, key, val, rows, err)
	}
	id := fmt.Sprint(rows[0]["id"])
	if coll == "entries" {
		// Its crew and devices, if a nested create made any, go first.
		for _, many := range []string{"entry_crew", "entry_devices"} {
			var kids []map[string]any
			_ = m.admin.ListItems(ctx, many, url.Values{"filter": {`{"entry_id":{"_eq":"` + id + `"}}`}, "fields": {"id"}}, &kids)
			for _, k := range kids {
				_ = m.admin.DeleteItem(ctx, many, fmt.Sprint(k["id"]))
			}
		}
	}
	if coll == "directus_users" {
		err = m.admin.Do(ctx, http.MethodDelete, "/users/"+id, nil, nil, nil)
	} else {
		err = m.admin.DeleteItem(ctx, coll, id)
	}
	if err != nil {
		t.Fatalf("delete the %s a tester created: %v", coll, err)
	}
}

// updateField is the field each update cell writes: the one the files'
// update permissions on coll name most often (so that a cell exercises
// field lists), else the first column.
func (m *matrix) updateField(t *testing.T, coll string) string {
	count := map[string]int{}
	for _, p := range m.files.Policies {
		for _, perm := range p.Permissions {
			if perm.Collection != coll || perm.Action != "update" {
				continue
			}
			for _, f := range perm.Fields {
				if f != "*" && !m.cat.IsAlias(coll, f) && f != m.cat.PrimaryKey(coll) && f != "password" {
					count[f]++
				}
			}
		}
	}
	fields := m.cat.Fields(coll)
	best := ""
	for _, f := range fields {
		if count[f] > count[best] {
			best = f
		}
	}
	if best != "" {
		return best
	}
	for _, f := range fields {
		if f != m.cat.PrimaryKey(coll) && !m.cat.IsAlias(coll, f) {
			return f
		}
	}
	t.Fatalf("%s has no field to write", coll)
	return ""
}

// --- the files' answer ------------------------------------------------

// policies are the tester's: their role's (member, non-participant or
// staff, as the database keeps it: db-init/post/008), or the public policy.
func (m *matrix) policies(tr tester) map[string][]access.Permission {
	out := map[string][]access.Permission{}
	if tr.id == "" {
		out["public"] = m.files.Public
		return out
	}
	role := m.files.Role(m.roleNames[fmt.Sprint(m.items["directus_users"][tr.id]["role"])])
	if role == nil {
		panic(fmt.Sprintf("the isolation matrix does not know the role of %s: %v", tr.name, m.items["directus_users"][tr.id]["role"]))
	}
	for _, name := range role.Policies {
		out[name] = m.files.Policy(name).Permissions
	}
	return out
}

// allowed says whether some permission of the tester's policies lets the
// action touch rec (and write field, for an update), and why.
func (m *matrix) allowed(tr tester, coll, action string, rec map[string]any, field string) (bool, string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var tried []string
	for _, name := range sortedPolicies(m.policies(tr)) {
		for _, p := range m.policies(tr)[name] {
			if p.Collection != coll || p.Action != action {
				continue
			}
			if field != "" && !slices.Contains(p.Fields, "*") && !slices.Contains(p.Fields, field) {
				tried = append(tried, name+" (does not list "+field+")")
				continue
			}
			if m.eval(coll, rec, p.Filter, tr.id) {
				return true, "allowed by " + name + ": " + access.Summary(coll, name, p.Filter)
			}
			tried = append(tried, name+" ("+access.Summary(coll, name, p.Filter)+" does not hold)")
		}
	}
	if len(tried) == 0 {
		return false, "no policy of the tester grants it"
	}
	return false, "refused: " + strings.Join(tried, "; ")
}

// allowedCreate: a create needs a permission whose fields cover the
// payload and whose rule holds for the item it would make.
func (m *matrix) allowedCreate(tr tester, coll string, item map[string]any) (bool, string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var tried []string
	for _, name := range sortedPolicies(m.policies(tr)) {
		for _, p := range m.policies(tr)[name] {
			if p.Collection != coll || p.Action != "create" {
				continue
			}
			missing := ""
			for k := range item {
				if !slices.Contains(p.Fields, "*") && !slices.Contains(p.Fields, k) {
					missing = k
				}
			}
			if missing != "" {
				tried = append(tried, name+" (does not list "+missing+")")
				continue
			}
			if m.eval(coll, item, p.Filter, tr.id) {
				return true, "allowed by " + name + ": " + access.Summary(coll, name, p.Filter)
			}
			tried = append(tried, name+" ("+access.Summary(coll, name, p.Filter)+" does not hold)")
		}
	}
	if len(tried) == 0 {
		return false, "no policy of the tester grants it"
	}
	return false, "refused: " + strings.Join(tried, "; ")
}

func sortedPolicies(m map[string][]access.Permission) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// eval evaluates a permission filter on a record, as Directus's SQL does.
func (m *matrix) eval(coll string, rec map[string]any, filter any, me string) bool {
	f, ok := filter.(map[string]any)
	if !ok || len(f) == 0 {
		return filter == nil || ok
	}
	for k, v := range f {
		switch k {
		case "_and", "_or":
			list, _ := v.([]any)
			some, all := false, true
			for _, sub := range list {
				r := m.eval(coll, rec, sub, me)
				some = some || r
				all = all && r
			}
			if k == "_and" && !all || k == "_or" && !some {
				return false
			}
		default:
			if !m.field(coll, rec, k, v, me) {
				return false
			}
		}
	}
	return true
}

func (m *matrix) field(coll string, rec map[string]any, field string, v any, me string) bool {
	cond, isMap := v.(map[string]any)
	if !isMap {
		return m.compare(rec[field], "_eq", v, me)
	}
	target, o2m, rel := m.cat.Related(coll, field)
	if rel && o2m {
		many, back, _ := m.cat.Reverse(coll, field)
		var kids []map[string]any
		for _, r := range m.items[many] {
			if fmt.Sprint(r[back]) == fmt.Sprint(rec["id"]) && rec["id"] != nil {
				kids = append(kids, r)
			}
		}
		if sub, ok := cond["_some"]; ok {
			for _, k := range kids {
				if m.eval(many, k, sub, me) {
					return true
				}
			}
			return false
		}
		if sub, ok := cond["_none"]; ok {
			for _, k := range kids {
				if m.eval(many, k, sub, me) {
					return false
				}
			}
			return true
		}
		if len(kids) == 0 {
			// A LEFT JOIN without a match gives one row of nulls.
			return m.eval(many, map[string]any{}, cond, me)
		}
		for _, k := range kids {
			if m.eval(many, k, cond, me) {
				return true
			}
		}
		return false
	}
	for k, sub := range cond {
		switch {
		case k == "_and" || k == "_or":
			if !m.eval(target, m.related(target, rec[field]), map[string]any{k: sub}, me) {
				return false
			}
		case strings.HasPrefix(k, "_"):
			if !m.compare(rec[field], k, sub, me) {
				return false
			}
		default:
			if !m.field(target, m.related(target, rec[field]), k, sub, me) {
				return false
			}
		}
	}
	return true
}

// item is a record of the fixture.
func (m *matrix) item(coll, id string) map[string]any {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.items[coll][id]
}

func (m *matrix) related(coll string, id any) map[string]any {
	if id == nil {
		return map[string]any{}
	}
	if r, ok := m.items[coll][fmt.Sprint(id)]; ok {
		return r
	}
	return map[string]any{}
}

func (m *matrix) resolve(v any, me string) any {
	switch v {
	case "$CURRENT_USER":
		if me == "" {
			return nil
		}
		return me
	case "$NOW":
		return m.now.UTC().Format(time.RFC3339Nano)
	}
	return v
}

func (m *matrix) compare(val any, op string, arg any, me string) bool {
	arg = m.resolve(arg, me)
	eq := func(a, b any) bool { return a != nil && b != nil && fmt.Sprint(a) == fmt.Sprint(b) }
	switch op {
	case "_eq":
		return eq(val, arg)
	case "_neq":
		return val != nil && !eq(val, arg)
	case "_in", "_nin":
		list, _ := arg.([]any)
		in := false
		for _, x := range list {
			in = in || eq(val, m.resolve(x, me))
		}
		return in == (op == "_in") && val != nil
	case "_contains":
		return val != nil && arg != nil && strings.Contains(fmt.Sprint(val), fmt.Sprint(arg))
	case "_null":
		return (val == nil) == (arg == true)
	case "_nnull":
		return (val != nil) == (arg == true)
	case "_gt", "_gte", "_lt", "_lte":
		c, ok := order(val, arg)
		if !ok {
			return false
		}
		switch op {
		case "_gt":
			return c > 0
		case "_gte":
			return c >= 0
		case "_lt":
			return c < 0
		}
		return c <= 0
	}
	panic(fmt.Sprintf("the isolation matrix cannot judge the operator %s: teach matrix.compare", op))
}

// order compares two values as times or numbers.
func order(a, b any) (int, bool) {
	sa, sb := fmt.Sprint(a), fmt.Sprint(b)
	ta, errA := time.Parse(time.RFC3339Nano, sa)
	tb, errB := time.Parse(time.RFC3339Nano, sb)
	if errA == nil && errB == nil {
		return ta.Compare(tb), true
	}
	fa, errA := strconv.ParseFloat(sa, 64)
	fb, errB := strconv.ParseFloat(sb, 64)
	if errA == nil && errB == nil {
		switch {
		case fa < fb:
			return -1, true
		case fa > fb:
			return 1, true
		}
		return 0, true
	}
	return 0, false
}
