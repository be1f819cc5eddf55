package extensions

import (
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
)

// TestFlagPositions, with Directus run as compose runs it (two instances,
// deploy/scaling.env, one Redis): a 10-minute window of a tracker's 1 Hz
// positions is flagged in one request: exactly those 600 rows turn faulty,
// the outbox holds the request, and a consumer group of recompute:requests
// reads one message with the documented fields; the same flag again
// changes nothing and sends nothing; an entry's window follows its tracker
// assignments; requests through both instances are each delivered once;
// bad requests and callers without the role are refused, changing
// nothing.
// setEventTimes moves an event to run from starts to ends, keeping it
// around the trackers' assignments (from 2026-06-06 on).
func setEventTimes(t *testing.T, c *directusctl.Client, event string, starts, ends time.Time) {
	t.Helper()
	if first := time.Date(2026, 6, 6, 6, 0, 0, 0, time.UTC); starts.After(first) {
		starts = first
	}
	if err := c.UpdateItem(bg, "events", event, map[string]any{"starts_at": ts(starts), "ends_at": ts(ends)}, nil); err != nil {
		t.Fatal(err)
	}
}

func TestFlagPositions(t *testing.T) {
	s := newStack(t, 2, inRedis)
	s.createGroup(t)
	c := s.client()
	tr := s.tracker(t, 30*60)
	from, until := t0.Add(5*time.Minute), t0.Add(15*time.Minute)

	t.Run("a device's 10-minute window", func(t *testing.T) {
		res := mustFlag(t, c, flagBody("device", tr.device, from, until, "flag", "tracker loose in the cockpit"))
		if res.Positions != 600 || res.RequestID == nil || res.Action != "flag" {
			t.Fatalf("answer %+v, want 600 positions flagged and a request id", res)
		}
		if !slices.Equal(res.DeviceIDs, []string{tr.imei}) || !slices.Equal(res.EntryIDs, []string{tr.entry}) {
			t.Errorf("answer devices %v entries %v, want [%s] [%s]", res.DeviceIDs, res.EntryIDs, tr.imei, tr.entry)
		}
		if res.From != "2026-06-07T09:05:00.000000Z" || res.Until != "2026-06-07T09:15:00.000000Z" {
			t.Errorf("answer window %s – %s", res.From, res.Until)
		}
		if n := s.faulty(t, tr.imei, t0, t0.Add(time.Hour)); n != 600 {
			t.Errorf("%d faulty positions, want 600", n)
		}
		if n := s.faulty(t, tr.imei, from, until); n != 600 {
			t.Errorf("%d faulty positions inside the window, want all 600", n)
		}

		msgs := s.readAll(t, "c1", 1, 10*time.Second)
		if len(msgs) != 1 {
			t.Fatalf("%d messages, want 1", len(msgs))
		}
		m := msgs[0]
		if !slices.Equal(m.Order, documentedFields) {
			t.Errorf("fields %v, want the documented %v", m.Order, documentedFields)
		}
		want := map[string]string{
			"request_id": *res.RequestID, "version": "1", "action": "flag", "scope": "device",
			"from": "2026-06-07T09:05:00.000000Z", "until": "2026-06-07T09:15:00.000000Z",
			"positions": "600", "reason": "tracker loose in the cockpit", "requested_by": s.admin,
		}
		for k, v := range want {
			if m.Fields[k] != v {
				t.Errorf("%s = %q, want %q", k, m.Fields[k], v)
			}
		}
		if got := jsonList(t, m.Fields["device_ids"]); !slices.Equal(got, []string{tr.imei}) {
			t.Errorf("device_ids %v", got)
		}
		if got := jsonList(t, m.Fields["entry_ids"]); !slices.Equal(got, []string{tr.entry}) {
			t.Errorf("entry_ids %v", got)
		}
		if got := spansOf(t, m.Fields["spans"]); len(got) != 1 || got[0] != (span{tr.entry, tr.imei, want["from"], want["until"]}) {
			t.Errorf("spans %+v", got)
		}
		if at, err := time.Parse(time.RFC3339Nano, m.Fields["requested_at"]); err != nil || at.Before(time.Now().Add(-time.Minute)) {
			t.Errorf("requested_at %q: %v", m.Fields["requested_at"], err)
		}
		// The relay commits its mark just after the stream took the message.
		if streamID := s.waitSent(t, *res.RequestID); streamID != m.ID {
			t.Errorf("outbox row: stream id %q, the message is %s", streamID, m.ID)
		}
	})

	t.Run("the same flag again changes nothing and sends nothing", func(t *testing.T) {
		res := mustFlag(t, c, flagBody("device", tr.device, from, until, "flag", "again"))
		if res.Positions != 0 || res.RequestID != nil {
			t.Fatalf("answer %+v, want nothing changed and no request", res)
		}
		if msgs := s.read(t, "c1", 10, 1500*time.Millisecond); len(msgs) != 0 {
			t.Fatalf("a message for nothing: %+v", msgs)
		}
	})

	t.Run("an entry's window, unflagged", func(t *testing.T) {
		res := mustFlag(t, c, flagBody("entry", tr.entry, t0.Add(10*time.Minute), t0.Add(20*time.Minute), "unflag", "the fixes were fine"))
		// Five of those ten minutes were flagged.
		if res.Positions != 300 || res.Action != "unflag" {
			t.Fatalf("answer %+v, want 300 positions unflagged", res)
		}
		if n := s.faulty(t, tr.imei, t0, t0.Add(time.Hour)); n != 300 {
			t.Errorf("%d faulty positions left, want 300", n)
		}
		msgs := s.readAll(t, "c1", 1, 10*time.Second)
		if len(msgs) != 1 || msgs[0].Fields["action"] != "unflag" || msgs[0].Fields["scope"] != "entry" || msgs[0].Fields["request_id"] != *res.RequestID {
			t.Fatalf("messages %+v", msgs)
		}
	})

	t.Run("a device swapped between entries in the window names both", func(t *testing.T) {
		swap := s.tracker(t, 0)
		c := s.client()
		// The tracker of swap's entry moves to another entry at 09:10.
		second := s.tracker(t, 0)
		var assignments []struct {
			ID string `json:"id"`
		}
		if err := c.ListItems(bg, "entry_devices", map[string][]string{"filter[device_id][_eq]": {swap.device}}, &assignments); err != nil || len(assignments) != 1 {
			t.Fatalf("assignments %v %v", assignments, err)
		}
		if err := c.UpdateItem(bg, "entry_devices", assignments[0].ID, map[string]any{"valid_until": "2026-06-07T09:10:00Z"}, nil); err != nil {
			t.Fatal(err)
		}
		create(t, c, "entry_devices", map[string]any{"entry_id": second.entry, "device_id": swap.device, "valid_from": "2026-06-07T09:10:00Z"})
		s.positions(t, swap.imei, t0, 20*60)

		res := mustFlag(t, c, flagBody("device", swap.device, t0.Add(5*time.Minute), t0.Add(15*time.Minute), "flag", "antenna cable cut"))
		if res.Positions != 600 || !sameStrings(res.EntryIDs, []string{swap.entry, second.entry}) {
			t.Fatalf("answer %+v, want 600 positions of both entries", res)
		}
		msgs := s.readAll(t, "c1", 1, 10*time.Second)
		if len(msgs) != 1 {
			t.Fatalf("%d messages", len(msgs))
		}
		got := spansOf(t, msgs[0].Fields["spans"])
		want := []span{
			{swap.entry, swap.imei, "2026-06-07T09:05:00.000000Z", "2026-06-07T09:10:00.000000Z"},
			{second.entry, swap.imei, "2026-06-07T09:10:00.000000Z", "2026-06-07T09:15:00.000000Z"},
		}
		if !slices.Equal(got, want) {
			t.Errorf("spans %+v, want %+v", got, want)
		}

		// The first entry's own window covers its time with the tracker only.
		res = mustFlag(t, c, flagBody("entry", swap.entry, t0, t0.Add(20*time.Minute), "unflag", "reviewed"))
		if res.Positions != 300 {
			t.Errorf("unflagging the first entry's 20 minutes changed %d positions, want the 300 flagged while it had the tracker", res.Positions)
		}
		s.readAll(t, "c1", 1, 10*time.Second)
	})

	t.Run("two instances relay each request once", func(t *testing.T) { twoInstancesOnce(t, s) })
	t.Run("refusals", func(t *testing.T) { refusals(t, s) })
}

// twoInstancesOnce flags through both instances at once: each instance
// wakes its own relay, and both sweep for the other's requests.
func twoInstancesOnce(t *testing.T, s *stack) {
	trackers := []tracker{s.tracker(t, 60*60), s.tracker(t, 60*60)}
	var (
		mu  sync.Mutex
		ids []string
		wg  sync.WaitGroup
	)
	for i, inst := range s.insts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for w := range 12 {
				from, until := window(w)
				res, err := flag(inst.Client(), flagBody("device", trackers[i].device, from, until, "flag", "both instances"))
				if err != nil {
					t.Errorf("instance %d: %v", i, err)
					return
				}
				mu.Lock()
				ids = append(ids, *res.RequestID)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	onceEach(t, s.readAll(t, "c1", len(ids), 15*time.Second), ids)
	if extra := s.read(t, "c1", 10, 2*time.Second); len(extra) != 0 {
		t.Errorf("%d more messages", len(extra))
	}
	s.waitAllSent(t)
}

// refusals: bad requests are refused with a sentence naming the field,
// callers without the role in the event's organisation are refused, and
// nothing changes either way.
func refusals(t *testing.T, s *stack) {
	c := s.client()
	tr := s.tracker(t, 20*60)
	from, until := t0.Add(time.Minute), t0.Add(2*time.Minute)

	t.Run("bad requests", func(t *testing.T) {
		rows := s.outboxRows(t)
		for _, tc := range []struct {
			body    any
			message string
		}{
			{map[string]any{"device": tr.device, "from": ts(from), "until": ts(until), "action": "flag"},
				`reason is required: say why the positions are (or are no longer) faulty, e.g. "tracker loose in the cockpit".`},
			{map[string]any{"device": tr.device, "entry": tr.entry, "from": ts(from), "until": ts(until), "action": "flag", "reason": "x"},
				"Name exactly one of device (a devices id: its tracker) or entry (an entries id: its trackers while assigned to it)."},
			{map[string]any{"device": tr.imei, "from": ts(from), "until": ts(until), "action": "flag", "reason": "x"},
				`device must be the id (a UUID) of a device, not "` + tr.imei + `".`},
			{map[string]any{"device": tr.device, "from": "2026-06-07 09:01", "until": ts(until), "action": "flag", "reason": "x"},
				`from must be a timestamp with its time zone, e.g. 2026-06-07T09:30:00Z, not "2026-06-07 09:01".`},
			{map[string]any{"device": tr.device, "from": ts(until), "until": ts(from), "action": "flag", "reason": "x"},
				"until must be after from: the window is [from, until)."},
			{map[string]any{"device": tr.device, "from": ts(from), "until": ts(from.Add(25 * time.Hour)), "action": "flag", "reason": "x"},
				"The window is longer than 24 hours: flag a longer stretch in several requests."},
			{map[string]any{"device": tr.device, "from": ts(from), "until": ts(until), "action": "faulty", "reason": "x"},
				`action must be flag (mark the positions faulty) or unflag (trust them again), not "faulty".`},
			{map[string]any{"device": tr.device, "from": ts(from), "until": ts(until), "action": "flag", "reason": "x", "sql": "1; DROP TABLE positions"},
				`Unknown field "sql": the fields are device or entry, from, until, action and reason.`},
			{[]any{1, 2}, "The body must be a JSON object with the fields device, entry, from, until, action, reason."},
			{map[string]any{"entry": "00000000-0000-4000-8000-000000000000", "from": ts(from), "until": ts(until), "action": "flag", "reason": "x"},
				"No entry has the id 00000000-0000-4000-8000-000000000000."},
		} {
			_, err := flag(c, tc.body)
			refusedWith(t, err, tc.message)
		}
		if n := s.faulty(t, tr.imei, t0, t0.Add(time.Hour)); n != 0 || s.outboxRows(t) != rows {
			t.Fatalf("refused requests changed %d positions and added %d outbox rows", n, s.outboxRows(t)-rows)
		}
	})

	t.Run("who may flag", func(t *testing.T) {
		// A marshal flags only while the event runs: it runs now.
		setEventTimes(t, c, tr.event, time.Now().Add(-24*time.Hour), time.Now().Add(24*time.Hour))
		other := create(t, c, "organizations", map[string]any{"name": "Other club", "slug": "other-" + unique()})
		body := flagBody("entry", tr.entry, from, until, "flag", "marshal at CP3 saw the tracker hanging")
		for _, tc := range []struct {
			name, org, role string
			allowed         bool
		}{
			{"a marshal of the organisation", s.org, "marshal", true},
			{"a race director of the organisation", s.org, "race-director", true},
			{"a timekeeper of the organisation", s.org, "timekeeper", false},
			{"a viewer of the organisation", s.org, "viewer", false},
			{"an org admin of the organisation", s.org, "org-admin", false},
			{"a marshal of another organisation", other, "marshal", false},
			{"a user of no organisation", "", "", false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				u := s.user(t, tc.org, tc.role)
				res, err := flag(u, body)
				if tc.allowed {
					if err != nil {
						t.Fatalf("refused: %v", err)
					}
					if res.RequestID == nil {
						// Flagged already by an earlier allowed caller: unflag and flag again.
						mustFlag(t, u, flagBody("entry", tr.entry, from, until, "unflag", "retry"))
						mustFlag(t, u, body)
					}
					return
				}
				r := refusalOf(t, err)
				if r.Status != http.StatusForbidden || r.Code != directusctl.CodeForbidden ||
					r.Message != "Flagging the positions of this entry needs the marshal or race-director role in the organisation running its event." {
					t.Errorf("got %d %s %q", r.Status, r.Code, r.Message)
				}
			})
		}
		// A device's window needs the role for every event it served then.
		u := s.user(t, other, "marshal")
		_, err := flag(u, flagBody("device", tr.device, from, until, "unflag", "x"))
		if r := refusalOf(t, err); r.Status != http.StatusForbidden || !strings.Contains(r.Message, "in the organisation running each event it served then") {
			t.Errorf("a device of another organisation's event: %d %q", r.Status, r.Message)
		}
		idle := create(t, c, "devices", map[string]any{"imei": "350374117009999", "model": "FMB003"})
		_, err = flag(s.user(t, s.org, "race-director"), flagBody("device", idle, from, until, "flag", "x"))
		if r := refusalOf(t, err); r.Status != http.StatusForbidden ||
			r.Message != "This device served no entry between 2026-06-07T09:01:00.000000Z and 2026-06-07T09:02:00.000000Z: only an administrator may flag its positions there." {
			t.Errorf("an unassigned device: %d %q", r.Status, r.Message)
		}
		// Once the event is over, its marshals may no longer flag; its race
		// directors still may.
		ended := time.Now().Add(-time.Minute).UTC().Truncate(time.Second)
		setEventTimes(t, c, tr.event, ended.Add(-48*time.Hour), ended)
		marshal := s.user(t, s.org, "marshal")
		_, err = flag(marshal, body)
		if r := refusalOf(t, err); r.Status != http.StatusForbidden || !strings.HasPrefix(r.Message, "A marshal flags positions only while the event runs, and Rally ") ||
			!strings.Contains(r.Message, " to "+ended.Format("2006-01-02T15:04:05")+".000000Z) is not running now: ask a race director of the organisation.") {
			t.Errorf("a marshal after the event: %d %q", r.Status, r.Message)
		}
		director := s.user(t, s.org, "race-director")
		mustFlag(t, director, flagBody("entry", tr.entry, from, until, "unflag", "after the event"))
		if res := mustFlag(t, director, body); res.RequestID == nil {
			t.Errorf("a race director after the event: %+v", res)
		}
		anonymous, err := directusctl.NewClient(s.insts[0].URL)
		if err != nil {
			t.Fatal(err)
		}
		_, err = flag(anonymous, body)
		if r := refusalOf(t, err); r.Status != http.StatusForbidden || !strings.HasPrefix(r.Message, "Flagging positions needs a signed-in user") {
			t.Errorf("without a token: %d %q", r.Status, r.Message)
		}
	})
}
