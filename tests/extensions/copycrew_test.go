package extensions

import (
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testdirectus"
)

// TestCopyCrew: POST /trm/entries/:target/copy-crew, called by the Phase 4
// role users. A race director copies last year's crew and trackers onto
// this year's entry, skipping who and what is on board already, the
// trackers assigned for this year's event and worn by the same person;
// a participant copies onto their own entry while the event has not
// started, but not the trackers; a viewer, a participant of another
// entry, another organisation's race director and an anonymous caller are
// refused with a sentence, and so are bad requests and a copy that would
// break a rule of the database; nothing is half done.
func TestCopyCrew(t *testing.T) {
	inst := testdirectus.StartProvisioned(t, pg.New(t))
	f := newCrews(t, inst)

	t.Run("a race director copies the crew and the trackers", f.raceDirector)
	t.Run("a participant copies onto their own entry, not the trackers", f.participant)
	t.Run("callers the permissions do not allow are refused", f.refusals)
	t.Run("bad requests are refused with a sentence", f.badRequests)
	t.Run("a copy that breaks a rule of the database is refused with its sentence", f.rules)
}

type crews struct {
	inst       *testdirectus.Instance
	admin      *directusctl.Client
	org, other string
	// last is 2025's rally (over); next is 2026's, which has not started.
	last, next       string
	lastCar, nextCar string
	// ana, ben and cleo are participants of org, the crew of lastEntry.
	ana, ben, cleo member
	lastEntry      string
	// car is lastEntry's tracker; button is ben's panic button.
	car, button string
	// nextStarts and nextEnds are next's times as the answer writes them.
	nextStarts, nextEnds string
}

const stamp = "2006-01-02T15:04:05.000000Z"

func newCrews(t testing.TB, inst *testdirectus.Instance) *crews {
	f := &crews{inst: inst, admin: inst.Client()}
	c := f.admin
	f.org = create(t, c, "organizations", map[string]any{"name": "Motorsport Club Albania", "slug": "msc-albania"})
	f.other = create(t, c, "organizations", map[string]any{"name": "Other club", "slug": "other-club"})
	f.last = create(t, c, "events", map[string]any{"organization_id": f.org, "name": "Rally Albania 2025", "slug": "rally-albania-2025",
		"discipline": "rally", "starts_at": "2025-06-07T06:00:00Z", "ends_at": "2025-06-14T18:00:00Z"})
	starts := time.Now().UTC().Add(30 * 24 * time.Hour).Truncate(time.Second)
	ends := starts.Add(7 * 24 * time.Hour)
	f.nextStarts, f.nextEnds = starts.Format(stamp), ends.Format(stamp)
	f.next = create(t, c, "events", map[string]any{"organization_id": f.org, "name": "Rally Albania 2026", "slug": "rally-albania-2026",
		"discipline": "rally", "starts_at": ts(starts), "ends_at": ts(ends)})
	f.lastCar = create(t, c, "classes", map[string]any{"event_id": f.last, "code": "C-2", "name": "Cars", "category": "car"})
	f.nextCar = create(t, c, "classes", map[string]any{"event_id": f.next, "code": "C-2", "name": "Cars", "category": "car"})

	f.ana = newMember(t, c, inst.URL, f.org, "participant")
	f.ben = newMember(t, c, inst.URL, f.org, "participant")
	f.cleo = newMember(t, c, inst.URL, f.org, "participant")
	f.lastEntry = f.entry(t, f.last, f.lastCar, 301, "finished", map[string]string{f.ana.id: "pilot", f.ben.id: "co-pilot", f.cleo.id: "mechanic"})
	f.car = f.device(t, f.org)
	f.button = f.device(t, f.org)
	create(t, c, "entry_devices", map[string]any{"entry_id": f.lastEntry, "device_id": f.car, "valid_from": "2025-06-07T06:00:00Z", "valid_until": "2025-06-14T18:00:00Z"})
	create(t, c, "entry_devices", map[string]any{"entry_id": f.lastEntry, "device_id": f.button, "assigned_user_id": f.ben.id,
		"valid_from": "2025-06-07T06:00:00Z", "valid_until": "2025-06-14T18:00:00Z"})
	return f
}

// entry creates an entry of event with its crew (user id → role); a
// vehicle registered with the organisation unless the entry is a draft.
func (f *crews) entry(t testing.TB, event, class string, number int, status string, crew map[string]string) string {
	t.Helper()
	item := map[string]any{"event_id": event, "class_id": class, "race_number": number, "status": status}
	if status != "draft" {
		veh := create(t, f.admin, "vehicles", map[string]any{"make": "Toyota", "model": "Hilux " + unique()})
		create(t, f.admin, "organization_vehicles", map[string]any{"organization_id": f.org, "vehicle_id": veh})
		item["vehicle_id"] = veh
	}
	id := create(t, f.admin, "entries", item)
	for user, role := range crew {
		create(t, f.admin, "entry_crew", map[string]any{"entry_id": id, "user_id": user, "role": role})
	}
	return id
}

func (f *crews) device(t testing.TB, org string) string {
	t.Helper()
	imeiSeq++
	id := create(t, f.admin, "devices", map[string]any{"imei": fmt.Sprintf("352098200%06d", imeiSeq), "model": "FMB920"})
	create(t, f.admin, "organization_devices", map[string]any{"organization_id": org, "device_id": id})
	return id
}

type crewMember struct {
	UserID string `json:"user_id"`
	Role   string `json:"role"`
	Reason string `json:"reason,omitempty"`
}

type copiedTracker struct {
	DeviceID   string  `json:"device_id"`
	WornBy     *string `json:"worn_by"`
	ValidFrom  string  `json:"valid_from"`
	ValidUntil *string `json:"valid_until"`
	Note       string  `json:"note,omitempty"`
	Reason     string  `json:"reason,omitempty"`
}

type copyResult struct {
	Target string `json:"target"`
	From   string `json:"from"`
	Crew   struct {
		Copied  []crewMember `json:"copied"`
		Skipped []crewMember `json:"skipped"`
	} `json:"crew"`
	Trackers *struct {
		Copied  []copiedTracker `json:"copied"`
		Skipped []copiedTracker `json:"skipped"`
	} `json:"trackers"`
}

func copyCrew(c *directusctl.Client, target string, body any) (copyResult, error) {
	var out copyResult
	err := c.Do(bg, http.MethodPost, "/trm/entries/"+url.PathEscape(target)+"/copy-crew", nil, body, &out)
	return out, err
}

// crewOf is entry's crew as user id → role, read as the admin.
func (f *crews) crewOf(t *testing.T, entry string) map[string]string {
	t.Helper()
	var rows []crewMember
	if err := f.admin.ListItems(bg, "entry_crew", url.Values{"filter[entry_id][_eq]": {entry}, "fields": {"user_id,role"}, "limit": {"-1"}}, &rows); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range rows {
		out[r.UserID] = r.Role
	}
	return out
}

type assignment struct {
	DeviceID       string  `json:"device_id"`
	AssignedUserID *string `json:"assigned_user_id"`
	ValidFrom      string  `json:"valid_from"`
	ValidUntil     *string `json:"valid_until"`
}

func (f *crews) trackersOf(t testing.TB, entry string) []assignment {
	t.Helper()
	var rows []assignment
	if err := f.admin.ListItems(bg, "entry_devices", url.Values{"filter[entry_id][_eq]": {entry}, "fields": {"device_id,assigned_user_id,valid_from,valid_until"},
		"sort": {"valid_from"}, "limit": {"-1"}}, &rows); err != nil {
		t.Fatal(err)
	}
	return rows
}

func sameInstant(got, want string) bool {
	g, err1 := time.Parse(time.RFC3339Nano, got)
	w, err2 := time.Parse(time.RFC3339Nano, want)
	return err1 == nil && err2 == nil && g.Equal(w)
}

func (f *crews) raceDirector(t *testing.T) {
	director := newMember(t, f.admin, f.inst.URL, f.org, "race-director")
	// This year Ben is on board already, as navigator.
	target := f.entry(t, f.next, f.nextCar, 301, "draft", map[string]string{f.ben.id: "navigator"})

	res, err := copyCrew(director.c, target, map[string]any{"from": f.lastEntry, "trackers": true})
	if err != nil {
		t.Fatalf("refused: %v", err)
	}
	if res.Target != target || res.From != f.lastEntry {
		t.Errorf("answer names %s from %s", res.Target, res.From)
	}
	copied := []crewMember{}
	for _, m := range res.Crew.Copied {
		copied = append(copied, crewMember{UserID: m.UserID, Role: m.Role})
	}
	if !sameMembers(copied, []crewMember{{f.ana.id, "pilot", ""}, {f.cleo.id, "mechanic", ""}}) {
		t.Errorf("copied %+v, want Ana (pilot) and Cleo (mechanic)", res.Crew.Copied)
	}
	if len(res.Crew.Skipped) != 1 || res.Crew.Skipped[0] != (crewMember{f.ben.id, "co-pilot", "already on the crew of the entry (as navigator)"}) {
		t.Errorf("skipped %+v, want Ben, on board as navigator", res.Crew.Skipped)
	}
	want := map[string]string{f.ana.id: "pilot", f.ben.id: "navigator", f.cleo.id: "mechanic"}
	if got := f.crewOf(t, target); !maps.Equal(got, want) {
		t.Errorf("the crew is %v, want %v", got, want)
	}
	if res.Trackers == nil || len(res.Trackers.Copied) != 2 || len(res.Trackers.Skipped) != 0 {
		t.Fatalf("trackers %+v, want the car's tracker and Ben's button", res.Trackers)
	}
	rows := f.trackersOf(t, target)
	if len(rows) != 2 {
		t.Fatalf("the entry has %d trackers, want 2: %+v", len(rows), rows)
	}
	for _, r := range rows {
		if !sameInstant(r.ValidFrom, f.nextStarts) || r.ValidUntil == nil || !sameInstant(*r.ValidUntil, f.nextEnds) {
			t.Errorf("tracker %s assigned %s – %v, want the event's %s – %s", r.DeviceID, r.ValidFrom, r.ValidUntil, f.nextStarts, f.nextEnds)
		}
		switch r.DeviceID {
		case f.car:
			if r.AssignedUserID != nil {
				t.Errorf("the car's tracker is worn by %s", *r.AssignedUserID)
			}
		case f.button:
			if r.AssignedUserID == nil || *r.AssignedUserID != f.ben.id {
				t.Errorf("Ben's button is worn by %v, want Ben, who is on board", r.AssignedUserID)
			}
		default:
			t.Errorf("a tracker %s the source did not have", r.DeviceID)
		}
	}
	for _, tr := range res.Trackers.Copied {
		if tr.ValidFrom != f.nextStarts || tr.ValidUntil == nil || *tr.ValidUntil != f.nextEnds {
			t.Errorf("answer: tracker %s for %s – %v, want %s – %s", tr.DeviceID, tr.ValidFrom, tr.ValidUntil, f.nextStarts, f.nextEnds)
		}
	}

	// Again: everyone and everything is on board.
	res, err = copyCrew(director.c, target, map[string]any{"from": f.lastEntry, "trackers": true})
	if err != nil {
		t.Fatalf("the same copy again: %v", err)
	}
	if len(res.Crew.Copied) != 0 || len(res.Crew.Skipped) != 3 || len(res.Trackers.Copied) != 0 || len(res.Trackers.Skipped) != 2 ||
		res.Trackers.Skipped[0].Reason != "already assigned to the entry" {
		t.Errorf("the same copy again: %+v %+v", res.Crew, res.Trackers)
	}
	if got := f.crewOf(t, target); len(got) != 3 {
		t.Errorf("the crew after the second copy: %v", got)
	}

	// An org-admin may too.
	admin := newMember(t, f.admin, f.inst.URL, f.org, "org-admin")
	other := f.entry(t, f.next, f.nextCar, 302, "draft", nil)
	if res, err := copyCrew(admin.c, other, map[string]any{"from": f.lastEntry}); err != nil || len(res.Crew.Copied) != 3 || res.Trackers != nil {
		t.Errorf("an org-admin: %+v %v", res, err)
	}
}

func (f *crews) participant(t *testing.T) {
	// Ana registered this year's entry alone.
	mine := f.entry(t, f.next, f.nextCar, 310, "draft", map[string]string{f.ana.id: "pilot"})

	// Participants do not assign trackers: the whole copy is refused.
	_, err := copyCrew(f.ana.c, mine, map[string]any{"from": f.lastEntry, "trackers": true})
	forbiddenWith(t, err, `You may not assign trackers to entry `+mine+`: copy the crew alone ("trackers": false), or ask a race director or org-admin of its event's organisation.`)
	if got := f.crewOf(t, mine); len(got) != 1 {
		t.Fatalf("a refused copy changed the crew: %v", got)
	}

	res, err := copyCrew(f.ana.c, mine, map[string]any{"from": f.lastEntry, "trackers": false})
	if err != nil {
		t.Fatalf("Ana onto her own entry: %v", err)
	}
	if len(res.Crew.Copied) != 2 || len(res.Crew.Skipped) != 1 || res.Crew.Skipped[0].UserID != f.ana.id || res.Trackers != nil {
		t.Errorf("answer %+v", res)
	}
	if got := f.crewOf(t, mine); !maps.Equal(got, map[string]string{f.ana.id: "pilot", f.ben.id: "co-pilot", f.cleo.id: "mechanic"}) {
		t.Errorf("the crew is %v", got)
	}

	// An entry without a crew is not a participant's to read (access/policies/participant.yaml).
	empty := f.entry(t, f.next, f.nextCar, 311, "draft", nil)
	_, err = copyCrew(f.cleo.c, empty, map[string]any{"from": f.lastEntry})
	forbiddenWith(t, err, "Entry "+empty+" does not exist or you may not read it: copying a crew onto an entry needs access to that entry.")

	// Once the event has started, participants no longer change crews.
	started := create(t, f.admin, "events", map[string]any{"organization_id": f.org, "name": "Rally Korça 2026", "slug": "korca-" + unique(),
		"discipline": "rally", "starts_at": ts(time.Now().Add(-time.Hour)), "ends_at": ts(time.Now().Add(48 * time.Hour))})
	cl := create(t, f.admin, "classes", map[string]any{"event_id": started, "code": "C-2", "name": "Cars", "category": "car"})
	running := f.entry(t, started, cl, 5, "draft", map[string]string{f.ana.id: "pilot"})
	_, err = copyCrew(f.ana.c, running, map[string]any{"from": f.lastEntry})
	forbiddenWith(t, err, "You may not add crew members to entry "+running+": copying a crew onto it needs that right (a race director or org-admin of its event's organisation; a participant on its crew while the event has not started).")
	if got := f.crewOf(t, running); len(got) != 1 {
		t.Errorf("a refused copy changed the crew: %v", got)
	}
}

func (f *crews) refusals(t *testing.T) {
	target := f.entry(t, f.next, f.nextCar, 320, "draft", nil)
	outsider := newMember(t, f.admin, f.inst.URL, f.org, "participant")
	theirs := f.entry(t, f.next, f.nextCar, 321, "draft", map[string]string{outsider.id: "pilot"})
	cannotReadTarget := "Entry " + target + " does not exist or you may not read it: copying a crew onto an entry needs access to that entry."
	cannotChange := "You may not add crew members to entry " + target + ": copying a crew onto it needs that right (a race director or org-admin of its event's organisation; a participant on its crew while the event has not started)."
	anonymous, err := directusctl.NewClient(f.inst.URL)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		c       *directusctl.Client
		body    map[string]any
		message string
	}{
		{"a viewer of the organisation", newMember(t, f.admin, f.inst.URL, f.org, "viewer").c, map[string]any{"from": f.lastEntry}, cannotChange},
		{"a viewer of the organisation, with the trackers", newMember(t, f.admin, f.inst.URL, f.org, "viewer").c, map[string]any{"from": f.lastEntry, "trackers": true}, cannotChange},
		{"a marshal of the organisation", newMember(t, f.admin, f.inst.URL, f.org, "marshal").c, map[string]any{"from": f.lastEntry}, cannotChange},
		{"a participant of another entry", outsider.c, map[string]any{"from": f.lastEntry}, cannotReadTarget},
		{"a participant copying an entry they are not on onto theirs", outsider.c, map[string]any{"from": target},
			"Entry " + target + " does not exist or you may not read it: copying a crew needs read access to the entry it comes from."},
		{"another organisation's race director", newMember(t, f.admin, f.inst.URL, f.other, "race-director").c, map[string]any{"from": f.lastEntry}, cannotReadTarget},
		{"a member of no organisation", newMember(t, f.admin, f.inst.URL, "", "").c, map[string]any{"from": f.lastEntry}, cannotReadTarget},
		{"an anonymous caller", anonymous, map[string]any{"from": f.lastEntry},
			"Copying a crew needs a signed-in user who may read the entry it comes from and add crew members to the entry it goes to."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			to := target
			if strings.HasPrefix(tc.name, "a participant copying") {
				to = theirs
			}
			_, err := copyCrew(tc.c, to, tc.body)
			forbiddenWith(t, err, tc.message)
		})
	}
	// Nothing left to copy still needs the right to change the crew.
	full := f.entry(t, f.next, f.nextCar, 322, "draft", map[string]string{f.ana.id: "pilot", f.ben.id: "co-pilot", f.cleo.id: "mechanic"})
	_, err = copyCrew(newMember(t, f.admin, f.inst.URL, f.org, "viewer").c, full, map[string]any{"from": f.lastEntry})
	forbiddenWith(t, err, "You may not add crew members to entry "+full+": copying a crew onto it needs that right (a race director or org-admin of its event's organisation; a participant on its crew while the event has not started).")
	if got := f.crewOf(t, full); len(got) != 3 {
		t.Errorf("the probe left a crew member: %v", got)
	}

	// A source that does not exist reads as one the caller may not read.
	director := newMember(t, f.admin, f.inst.URL, f.org, "race-director")
	missing := "00000000-0000-4000-8000-000000000000"
	_, err = copyCrew(director.c, target, map[string]any{"from": missing})
	forbiddenWith(t, err, "Entry "+missing+" does not exist or you may not read it: copying a crew needs read access to the entry it comes from.")
	if got := f.crewOf(t, target); len(got) != 0 {
		t.Errorf("refused copies changed the crew: %v", got)
	}
	if got := f.trackersOf(t, target); len(got) != 0 {
		t.Errorf("refused copies assigned trackers: %v", got)
	}
}

func (f *crews) badRequests(t *testing.T) {
	director := newMember(t, f.admin, f.inst.URL, f.org, "race-director")
	target := f.entry(t, f.next, f.nextCar, 330, "draft", nil)
	for _, tc := range []struct {
		target  string
		body    any
		message string
	}{
		{target, map[string]any{"from": f.lastEntry, "crew": "all"}, `Unknown field "crew": the fields are from and trackers.`},
		{target, map[string]any{"from": "301"}, `from must be the id (a UUID) of an entry, not "301".`},
		{target, map[string]any{"trackers": true}, "from is required: the id (a UUID) of the entry whose crew is copied, e.g. last year's entry of the team."},
		{target, map[string]any{"from": f.lastEntry, "trackers": "yes"}, `trackers must be true (copy the trackers too) or false (the crew alone), not "yes".`},
		{target, []any{f.lastEntry}, "The body must be a JSON object with the fields from (the id of the entry to copy from) and trackers (true or false)."},
		{target, map[string]any{"from": target}, "from names the entry receiving the crew: copy from another entry, e.g. last year's entry of the team."},
		{"301", map[string]any{"from": f.lastEntry}, `The entry in the path must be the id (a UUID) of the entry receiving the crew, not "301": POST /trm/entries/<entry id>/copy-crew.`},
	} {
		_, err := copyCrew(director.c, tc.target, tc.body)
		refusedWith(t, err, tc.message)
	}
	if got := f.crewOf(t, target); len(got) != 0 {
		t.Errorf("bad requests changed the crew: %v", got)
	}
}

func (f *crews) rules(t *testing.T) {
	director := newMember(t, f.admin, f.inst.URL, f.org, "race-director")
	// A tracker on another entry of this year's rally at the same time:
	// a device is on one entry at a time.
	source := f.entry(t, f.last, f.lastCar, 350, "finished", map[string]string{f.ana.id: "pilot"})
	lent := f.device(t, f.org)
	create(t, f.admin, "entry_devices", map[string]any{"entry_id": source, "device_id": lent, "valid_from": "2025-06-07T06:00:00Z", "valid_until": "2025-06-14T18:00:00Z"})
	busy := f.entry(t, f.next, f.nextCar, 340, "draft", nil)
	create(t, f.admin, "entry_devices", map[string]any{"entry_id": busy, "device_id": lent, "valid_from": f.nextStarts})
	target := f.entry(t, f.next, f.nextCar, 341, "draft", nil)
	_, err := copyCrew(director.c, target, map[string]any{"from": source, "trackers": true})
	r := refusalOf(t, err)
	if r.Status != http.StatusBadRequest || !strings.HasPrefix(r.Message, "Copying tracker "+lent+": This device is already assigned to an entry for an overlapping time window") ||
		!strings.HasSuffix(r.Message, "(rule entry_devices_no_overlapping_assignment)") {
		t.Errorf("a tracker busy on another entry: %d %q", r.Status, r.Message)
	}
	if got := f.crewOf(t, target); len(got) != 0 {
		t.Errorf("the refused copy left a crew: %v", got)
	}

	// A crew member who is not a member of the target's organisation.
	stranger := newMember(t, f.admin, f.inst.URL, f.other, "participant")
	otherEvent := create(t, f.admin, "events", map[string]any{"organization_id": f.other, "name": "Other Rally", "slug": "other-rally",
		"discipline": "rally", "starts_at": "2025-05-01T06:00:00Z", "ends_at": "2025-05-03T18:00:00Z"})
	otherClass := create(t, f.admin, "classes", map[string]any{"event_id": otherEvent, "code": "C-2", "name": "Cars", "category": "car"})
	theirs := create(t, f.admin, "entries", map[string]any{"event_id": otherEvent, "class_id": otherClass, "race_number": 7})
	create(t, f.admin, "entry_crew", map[string]any{"entry_id": theirs, "user_id": stranger.id, "role": "pilot"})
	_, err = copyCrew(f.admin, target, map[string]any{"from": theirs})
	refusedWith(t, err, "Copying crew member "+stranger.id+" (pilot): A crew member must be a member of the organisation of the entry's event: add the person to the organisation first (organization_users). (rule entry_crew_member_of_organization)")

	// A tracker of another organisation.
	foreign := f.device(t, f.other)
	create(t, f.admin, "entry_devices", map[string]any{"entry_id": theirs, "device_id": foreign, "valid_from": "2025-05-01T06:00:00Z", "valid_until": "2025-05-03T18:00:00Z"})
	create(t, f.admin, "organization_users", map[string]any{"organization_id": f.org, "user_id": stranger.id, "role": "participant"})
	_, err = copyCrew(f.admin, target, map[string]any{"from": theirs, "trackers": true})
	r = refusalOf(t, err)
	if r.Status != http.StatusBadRequest || !strings.HasPrefix(r.Message, "Copying tracker "+foreign+": A tracker assigned to an entry must be registered with the organisation of the entry's event") {
		t.Errorf("a tracker of another organisation: %d %q", r.Status, r.Message)
	}
	if got := f.crewOf(t, target); len(got) != 0 {
		t.Errorf("the refused copy left a crew: %v", got)
	}
}

func sameMembers(got, want []crewMember) bool {
	key := func(m crewMember) string { return m.UserID + "/" + m.Role }
	g, w := make([]string, len(got)), make([]string, len(want))
	for i, m := range got {
		g[i] = key(m)
	}
	for i, m := range want {
		w[i] = key(m)
	}
	slices.Sort(g)
	slices.Sort(w)
	return slices.Equal(g, w)
}
