package extensions

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"git.dev.trmtracking.org/trm/directus/internal/seed"
	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testenv"
)

// rally is Rally Albania's seed (seed/rally-albania-2026/seed.yaml: the
// club, the event, its classes and entry #301) with six more entries, four
// stages and the official results of the prologue and stage 1, on a stack
// of one Directus instance.
type rally struct {
	s       *stack
	admin   *directusctl.Client
	event   string
	entries map[int]string // by race number
	stages  map[string]string
}

// seedRally applies the committed seed through REST, as make dev does.
func seedRally(t testing.TB, s *stack) *rally {
	t.Helper()
	f, err := seed.ReadFile(testenv.Path(t, "seed/rally-albania-2026/seed.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := seed.Apply(bg, s.client(), f, seed.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for _, r := range rep.Records {
		ids[r.Kind+" "+r.Key] = r.ID
	}
	if ids["organizations msc-albania"] != s.org {
		t.Fatalf("the seed's club %q is not the stack's %q", ids["organizations msc-albania"], s.org)
	}
	r := &rally{s: s, admin: s.client(), event: ids["events msc-albania/rally-albania-2026"],
		entries: map[int]string{301: ids["entries rally-albania-2026 #301"]}, stages: map[string]string{}}
	if r.event == "" || r.entries[301] == "" {
		t.Fatalf("the seed reported no event or no #301: %v", ids)
	}
	return r
}

// entry adds a registered entry with its own vehicle, registered with the
// club (db-init/post/006), in class.
func (r *rally) entry(t testing.TB, number int, class string) {
	t.Helper()
	var classes []struct {
		ID string `json:"id"`
	}
	if err := r.admin.ListItems(bg, "classes", url.Values{"filter[event_id][_eq]": {r.event}, "filter[code][_eq]": {class}}, &classes); err != nil || len(classes) != 1 {
		t.Fatalf("class %s: %v %v", class, classes, err)
	}
	veh := create(t, r.admin, "vehicles", map[string]any{"make": "Make", "model": fmt.Sprint("Model ", number),
		"registrations": []map[string]any{{"organization_id": r.s.org}}})
	r.entries[number] = create(t, r.admin, "entries", map[string]any{"event_id": r.event, "class_id": classes[0].ID, "race_number": number,
		"status": "registered", "vehicle_id": veh})
}

type segmentDef struct {
	code, kind string
	target     any // seconds, or nil
}

// stage adds a published stage with its segments.
func (r *rally) stage(t testing.TB, code string, sortOrder int, fields map[string]any, segments ...segmentDef) string {
	t.Helper()
	item := map[string]any{"event_id": r.event, "code": code, "name": "Stage " + code, "sort_order": sortOrder, "status": "published"}
	for k, v := range fields {
		item[k] = v
	}
	id := create(t, r.admin, "stages", item)
	for i, g := range segments {
		create(t, r.admin, "segments", map[string]any{"stage_id": id, "code": g.code, "name": g.code, "sort_order": i + 1, "type": g.kind,
			"target_duration_seconds": g.target})
	}
	r.stages[code] = id
	return id
}

// results records a stage's results as the processor does (SQL) and
// publishes them: race number → elapsed and penalty seconds, a negative
// elapsed for an entry not classified (DNF).
func (r *rally) results(t testing.TB, stage string, rows map[int][2]int) {
	t.Helper()
	for n, v := range rows {
		var elapsed, total any
		if v[0] >= 0 {
			elapsed, total = v[0], v[0]+v[1]
		}
		if _, err := r.s.db.Exec(bg, `INSERT INTO stage_results (id, entry_id, stage_id, elapsed_seconds, penalty_seconds, total_seconds, status)
			VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, 'provisional')`, r.entries[n], r.stages[stage], elapsed, v[1], total); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.s.db.Exec(bg, `UPDATE stage_results SET status = 'official', published_by = $2, published_at = now() WHERE stage_id = $1`,
		r.stages[stage], r.s.admin); err != nil {
		t.Fatal(err)
	}
}

// member is a client authenticated as a new person with Directus's member
// role (as everyone who signs in has, docs/access-model.md), holding role
// in org (none when org is empty): Directus's permissions apply to their
// writes through /items.
func (r *rally) member(t testing.TB, org, role string) *directusctl.Client {
	t.Helper()
	return newMember(t, r.admin, r.s.insts[0].URL, org, role).c
}

// startList is a stage's entry_segment_starts as text, a line per segment
// in sort order: "L1: 1 #210 06:00, 2 #7 06:02*, …" (position, race
// number, target time in UTC or - without one, * when set by hand).
func (r *rally) startList(t testing.TB, stage string) string {
	t.Helper()
	rows, err := r.s.db.Query(bg, `SELECT g.code, x.start_position, e.race_number, x.target_at, x.manual_override
		  FROM segments g LEFT JOIN entry_segment_starts x ON x.segment_id = g.id LEFT JOIN entries e ON e.id = x.entry_id
		 WHERE g.stage_id = $1 ORDER BY g.sort_order, x.start_position`, r.stages[stage])
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var lines []string
	var last string
	for rows.Next() {
		var (
			code     string
			pos, num *int
			at       *time.Time
			manual   *bool
		)
		if err := rows.Scan(&code, &pos, &num, &at, &manual); err != nil {
			t.Fatal(err)
		}
		if code != last {
			lines = append(lines, code+":")
			last = code
		}
		if pos == nil {
			continue
		}
		hhmm := "-"
		if at != nil {
			hhmm = at.UTC().Format("15:04")
		}
		if *manual {
			hhmm += "*"
		}
		sep := " "
		if !strings.HasSuffix(lines[len(lines)-1], ":") {
			sep = ", "
		}
		lines[len(lines)-1] += fmt.Sprintf("%s%d #%d %s", sep, *pos, *num, hhmm)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}

// openAnswer is POST /trm/stages/:id/open's answer.
type openAnswer struct {
	StageID  string  `json:"stage_id"`
	Code     string  `json:"code"`
	DryRun   bool    `json:"dry_run"`
	Strategy string  `json:"strategy"`
	StartsAt string  `json:"starts_at"`
	Input    *string `json:"input_stage"`
	Counts   struct {
		Insert, Update, Unchanged, Kept, Remove int
	} `json:"counts"`
	Segments []struct {
		Code   string `json:"code"`
		Starts []struct {
			RaceNumber    int     `json:"race_number"`
			StartPosition int     `json:"start_position"`
			TargetAt      *string `json:"target_at"`
			Manual        bool    `json:"manual_override"`
			Change        string  `json:"change"`
		} `json:"starts"`
		Removed []struct {
			RaceNumber int    `json:"race_number"`
			Status     string `json:"status"`
		} `json:"removed"`
	} `json:"segments"`
}

func openStage(c *directusctl.Client, stage string, dryRun bool) (openAnswer, error) {
	var out openAnswer
	var q url.Values
	if dryRun {
		q = url.Values{"dry-run": {"true"}}
	}
	err := c.Do(bg, http.MethodPost, "/trm/stages/"+stage+"/open", q, nil, &out)
	return out, err
}

func (r *rally) status(t testing.TB, stage string) string {
	t.Helper()
	var s string
	if err := r.s.db.QueryRow(bg, `SELECT status FROM stages WHERE id = $1`, r.stages[stage]).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

// startsDigest is every row of entry_segment_starts, to prove a request
// wrote nothing.
func (r *rally) startsDigest(t testing.TB) string {
	t.Helper()
	var d string
	if err := r.s.db.QueryRow(bg, `SELECT coalesce(md5(string_agg(x::text, '|' ORDER BY x.id)), '') FROM entry_segment_starts x`).Scan(&d); err != nil {
		t.Fatal(err)
	}
	return d
}

// TestStageOpen: on Rally Albania's seed with six more entries, opening a
// stage (through the admin app's PATCH and through POST
// /trm/stages/:id/open, by a race director and an org admin of the club)
// writes the start list each strategy gives, hand-computed below; a dry
// run answers the plan and writes nothing; reopening keeps the starts set
// by hand and leaves out entries withdrawn since; everyone else, and a
// stage missing what its start list needs, is refused with a sentence,
// changing nothing.
func TestStageOpen(t *testing.T) {
	s := newStack(t, 1, apart)
	r := seedRally(t, s)
	for n, class := range map[int]string{7: "M-1", 12: "Q-1", 44: "M-2", 88: "C-1", 105: "C-1", 210: "S-1"} {
		r.entry(t, n, class)
	}
	director := r.member(t, s.org, "race-director")
	orgAdmin := r.member(t, s.org, "org-admin")

	r.stage(t, "P", 1, map[string]any{"role": "prologue", "starts_at": "2026-06-06T14:00:00Z", "start_interval_seconds": 60},
		segmentDef{"LP", "liaison", 1200}, segmentDef{"SSP", "special-stage", nil})
	r.stage(t, "S1", 2, map[string]any{"starts_at": "2026-06-07T06:00:00Z", "start_interval_seconds": 120,
		"start_order_strategy": "inverse_top_n_then_natural", "start_order_strategy_params": map[string]any{"n": 3}, "start_order_input_stage_id": r.stages["P"]},
		segmentDef{"L1", "liaison", 1800}, segmentDef{"SS1", "special-stage", nil}, segmentDef{"L2", "liaison", 2400})
	r.stage(t, "S2", 3, map[string]any{"starts_at": "2026-06-08T06:00:00Z", "start_interval_seconds": 180,
		"start_order_strategy": "previous_stage_clean_result", "start_order_input_stage_id": r.stages["S1"]},
		segmentDef{"L1", "liaison", 3600}, segmentDef{"N1", "neutralisation", 600}, segmentDef{"SS2", "special-stage", nil})
	r.stage(t, "S3", 4, map[string]any{"starts_at": "2026-06-09T05:30:00Z", "start_interval_seconds": 60,
		"start_order_strategy": "inverse_of_overall", "start_order_input_stage_id": r.stages["S1"]},
		segmentDef{"L1", "liaison", 2700}, segmentDef{"SS3", "special-stage", nil})

	t.Run("manual, first opened in the admin app: race-number order", func(t *testing.T) {
		if err := director.UpdateItem(bg, "stages", r.stages["P"], map[string]any{"status": "open"}, nil); err != nil {
			t.Fatal(err)
		}
		want := "LP: 1 #7 14:00, 2 #12 14:01, 3 #44 14:02, 4 #88 14:03, 5 #105 14:04, 6 #210 14:05, 7 #301 14:06\n" +
			"SSP: 1 #7 14:20, 2 #12 14:21, 3 #44 14:22, 4 #88 14:23, 5 #105 14:24, 6 #210 14:25, 7 #301 14:26"
		if got := r.startList(t, "P"); got != want {
			t.Errorf("start list\n%s\nwant\n%s", got, want)
		}
		if st := r.status(t, "P"); st != "open" {
			t.Errorf("status %s", st)
		}
	})

	// The prologue (#88 did not start): totals 44 580, 7 600, 210 600
	// (the tie goes to the lower number), 105 610, 12 660 (540 + 120),
	// 301 700; clean 12 540 first.
	r.results(t, "P", map[int][2]int{7: {600, 0}, 12: {540, 120}, 44: {580, 0}, 105: {610, 0}, 210: {600, 0}, 301: {700, 0}})

	t.Run("inverse top 3 then natural, through the endpoint by an org admin", func(t *testing.T) {
		res, err := openStage(orgAdmin, r.stages["S1"], false)
		if err != nil {
			t.Fatal(err)
		}
		// Top 3 of P reversed (210, 7, 44), then 105, 12, 301, then #88 without a result.
		want := "L1: 1 #210 06:00, 2 #7 06:02, 3 #44 06:04, 4 #105 06:06, 5 #12 06:08, 6 #301 06:10, 7 #88 06:12\n" +
			"SS1: 1 #210 06:30, 2 #7 06:32, 3 #44 06:34, 4 #105 06:36, 5 #12 06:38, 6 #301 06:40, 7 #88 06:42\n" +
			"L2: 1 #210 -, 2 #7 -, 3 #44 -, 4 #105 -, 5 #12 -, 6 #301 -, 7 #88 -"
		if got := r.startList(t, "S1"); got != want {
			t.Errorf("start list\n%s\nwant\n%s", got, want)
		}
		if res.DryRun || res.Strategy != "inverse_top_n_then_natural" || res.Counts.Insert != 21 || len(res.Segments) != 3 || res.Segments[0].Starts[0].RaceNumber != 210 ||
			*res.Segments[0].Starts[0].TargetAt != "2026-06-07T06:00:00.000Z" {
			t.Errorf("answer %+v", res)
		}
		if st := r.status(t, "S1"); st != "open" {
			t.Errorf("status %s", st)
		}
	})

	// Stage 1: #210 did not finish; #88 ran it.
	r.results(t, "S1", map[int][2]int{7: {3000, 0}, 12: {3100, 600}, 44: {2900, 300}, 105: {3050, 0}, 210: {-1, 0}, 301: {3300, 0}, 88: {3200, 0}})

	t.Run("previous stage's clean result: a dry run writes nothing, the admin app opens", func(t *testing.T) {
		before := r.startsDigest(t)
		plan, err := openStage(director, r.stages["S2"], true)
		if err != nil {
			t.Fatal(err)
		}
		if r.startsDigest(t) != before || r.status(t, "S2") != "published" {
			t.Fatal("the dry run wrote")
		}
		// S1 without penalties: 44 2900, 7 3000, 105 3050, 12 3100, 88 3200, 301 3300; #210 (DNF) last.
		var order []int
		for _, st := range plan.Segments[0].Starts {
			order = append(order, st.RaceNumber)
			if st.Change != "insert" {
				t.Errorf("change %s", st.Change)
			}
		}
		if fmt.Sprint(order) != "[44 7 105 12 88 301 210]" || !plan.DryRun || plan.Counts.Insert != 21 {
			t.Errorf("plan %v %+v", order, plan)
		}
		if err := director.UpdateItem(bg, "stages", r.stages["S2"], map[string]any{"status": "open"}, nil); err != nil {
			t.Fatal(err)
		}
		want := "L1: 1 #44 06:00, 2 #7 06:03, 3 #105 06:06, 4 #12 06:09, 5 #88 06:12, 6 #301 06:15, 7 #210 06:18\n" +
			"N1: 1 #44 07:00, 2 #7 07:03, 3 #105 07:06, 4 #12 07:09, 5 #88 07:12, 6 #301 07:15, 7 #210 07:18\n" +
			"SS2: 1 #44 07:10, 2 #7 07:13, 3 #105 07:16, 4 #12 07:19, 5 #88 07:22, 6 #301 07:25, 7 #210 07:28"
		if got := r.startList(t, "S2"); got != want {
			t.Errorf("start list\n%s\nwant\n%s", got, want)
		}
	})

	t.Run("inverse of overall, in a batch update", func(t *testing.T) {
		if err := orgAdmin.Do(bg, http.MethodPatch, "/items/stages", nil, []map[string]any{{"id": r.stages["S3"], "status": "open"}}, nil); err != nil {
			t.Fatal(err)
		}
		// P + S1: 7 3600, 105 3660, 44 3780, 301 4000, 12 4360, reversed;
		// then #88 (no prologue) and #210 (DNF in S1).
		want := "L1: 1 #12 05:30, 2 #301 05:31, 3 #44 05:32, 4 #105 05:33, 5 #7 05:34, 6 #88 05:35, 7 #210 05:36\n" +
			"SS3: 1 #12 06:15, 2 #301 06:16, 3 #44 06:17, 4 #105 06:18, 5 #7 06:19, 6 #88 06:20, 7 #210 06:21"
		if got := r.startList(t, "S3"); got != want {
			t.Errorf("start list\n%s\nwant\n%s", got, want)
		}
	})

	t.Run("reopening keeps the starts set by hand and leaves out entries withdrawn since", func(t *testing.T) {
		// Stage 1 set back; #301 starts L1 last by the stewards' decision;
		// #105 withdraws; #400 registers late.
		if err := director.UpdateItem(bg, "stages", r.stages["S1"], map[string]any{"status": "published"}, nil); err != nil {
			t.Fatal(err)
		}
		var l1 string
		if err := s.db.QueryRow(bg, `SELECT x.id FROM entry_segment_starts x JOIN segments g ON g.id = x.segment_id
			 WHERE g.stage_id = $1 AND g.code = 'L1' AND x.entry_id = $2`, r.stages["S1"], r.entries[301]).Scan(&l1); err != nil {
			t.Fatal(err)
		}
		if err := director.UpdateItem(bg, "entry_segment_starts", l1, map[string]any{"start_position": 20, "target_at": "2026-06-07T06:40:00Z",
			"manual_override": true, "override_reason": "late at the start, stewards' decision"}, nil); err != nil {
			t.Fatal(err)
		}
		if err := r.admin.UpdateItem(bg, "entries", r.entries[105], map[string]any{"status": "withdrawn"}, nil); err != nil {
			t.Fatal(err)
		}
		r.entry(t, 400, "C-2")

		before := r.startsDigest(t)
		plan, err := openStage(director, r.stages["S1"], true)
		if err != nil {
			t.Fatal(err)
		}
		if r.startsDigest(t) != before {
			t.Fatal("the dry run wrote")
		}
		c := plan.Counts
		if c.Kept != 1 || c.Remove != 3 || c.Insert != 3 || c.Unchanged != 9 || c.Update != 8 || len(plan.Segments[0].Removed) != 1 ||
			plan.Segments[0].Removed[0].RaceNumber != 105 || plan.Segments[0].Removed[0].Status != "withdrawn" {
			t.Errorf("plan counts %+v, removed %+v", c, plan.Segments[0].Removed)
		}

		if err := director.UpdateItem(bg, "stages", r.stages["S1"], map[string]any{"status": "open"}, nil); err != nil {
			t.Fatal(err)
		}
		// The others fill positions 1 to 6 around #301's 20 in L1; #400 has
		// no prologue result: after #88, by number.
		want := "L1: 1 #210 06:00, 2 #7 06:02, 3 #44 06:04, 4 #12 06:06, 5 #88 06:08, 6 #400 06:10, 20 #301 06:40*\n" +
			"SS1: 1 #210 06:30, 2 #7 06:32, 3 #44 06:34, 4 #12 06:36, 5 #301 06:38, 6 #88 06:40, 7 #400 06:42\n" +
			"L2: 1 #210 -, 2 #7 -, 3 #44 -, 4 #12 -, 5 #301 -, 6 #88 -, 7 #400 -"
		if got := r.startList(t, "S1"); got != want {
			t.Errorf("start list\n%s\nwant\n%s", got, want)
		}
		var by *string
		if err := s.db.QueryRow(bg, `SELECT override_by::text FROM entry_segment_starts WHERE id = $1`, l1).Scan(&by); err != nil || by == nil {
			t.Errorf("the start set by hand lost who set it: %v %v", by, err)
		}

		// Opened again as it is: nothing changes.
		again, err := openStage(director, r.stages["S1"], false)
		if err != nil {
			t.Fatal(err)
		}
		if c := again.Counts; c.Insert+c.Update+c.Remove != 0 || c.Kept != 1 || r.startList(t, "S1") != want {
			t.Errorf("opening an open stage again changed %+v", c)
		}
	})

	t.Run("refusals", func(t *testing.T) { stageOpenRefusals(t, r) })
}

func stageOpenRefusals(t *testing.T, r *rally) {
	s := r.s
	r.stage(t, "S4", 5, map[string]any{"starts_at": "2026-06-10T06:00:00Z", "start_interval_seconds": 60,
		"start_order_strategy": "inverse_top_n_then_natural", "start_order_strategy_params": map[string]any{"n": 10}, "start_order_input_stage_id": r.stages["S1"]},
		segmentDef{"L1", "liaison", 1800}, segmentDef{"SS4", "special-stage", nil})
	other := create(t, r.admin, "organizations", map[string]any{"name": "Other club", "slug": "other-" + unique()})
	anonymous, err := directusctl.NewClient(s.insts[0].URL)
	if err != nil {
		t.Fatal(err)
	}
	const roleSentence = "Opening this stage needs the race-director or org-admin role in the organisation running its event."
	before := r.startsDigest(t)

	t.Run("a save refused at its commit leaves no start list", func(t *testing.T) {
		// A batch update is one transaction: the start list is written in
		// it, and the duplicate code fails at commit (deferred).
		err := r.member(t, s.org, "race-director").Do(bg, http.MethodPatch, "/items/stages", nil,
			[]map[string]any{{"id": r.stages["S4"], "status": "open", "code": "S1"}}, nil)
		if rf := refusalOf(t, err); rf.Status != http.StatusBadRequest || !strings.Contains(rf.Message, "(rule stages_code_unique_per_event)") {
			t.Errorf("%d %s %q", rf.Status, rf.Code, rf.Message)
		}
		if r.startsDigest(t) != before || r.status(t, "S4") != "published" {
			t.Fatal("the refused save left starts or the status behind")
		}
	})

	for _, tc := range []struct {
		name    string
		c       *directusctl.Client
		message string
	}{
		{"a participant of the club", r.member(t, s.org, "participant"), roleSentence},
		{"a marshal of the club", r.member(t, s.org, "marshal"), roleSentence},
		{"a timekeeper of the club", r.member(t, s.org, "timekeeper"), roleSentence},
		{"a viewer of the club", r.member(t, s.org, "viewer"), roleSentence},
		{"a race director of another club", r.member(t, other, "race-director"), roleSentence},
		{"a user of no club", r.member(t, "", ""), roleSentence},
		{"anonymous", anonymous, "Opening a stage needs a signed-in user with the race-director or org-admin role in the organisation running its event."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, dry := range []bool{true, false} {
				_, err := openStage(tc.c, r.stages["S4"], dry)
				if rf := refusalOf(t, err); rf.Status != http.StatusForbidden || rf.Code != directusctl.CodeForbidden || rf.Message != tc.message {
					t.Errorf("endpoint (dry run %v): %d %s %q", dry, rf.Status, rf.Code, rf.Message)
				}
			}
			err := tc.c.UpdateItem(bg, "stages", r.stages["S4"], map[string]any{"status": "open"}, nil)
			if rf := refusalOf(t, err); rf.Status != http.StatusForbidden {
				t.Errorf("PATCH: %d %s %q", rf.Status, rf.Code, rf.Message)
			}
		})
	}
	// The timekeeper's PATCH is refused by the hook with its sentence
	// (Directus would refuse the field too, after it).
	err = r.member(t, s.org, "timekeeper").UpdateItem(bg, "stages", r.stages["S4"], map[string]any{"status": "open"}, nil)
	if rf := refusalOf(t, err); rf.Status != http.StatusForbidden || rf.Message != roleSentence {
		t.Errorf("a timekeeper's PATCH: %d %q", rf.Status, rf.Message)
	}
	if r.startsDigest(t) != before || r.status(t, "S4") != "published" {
		t.Fatal("a refused caller changed the start lists or the status")
	}

	director := r.member(t, s.org, "race-director")
	t.Run("what the stage needs first", func(t *testing.T) {
		bare := r.stage(t, "S5", 6, nil)
		_, err := openStage(director, bare, false)
		refusedWith(t, err, "Stage S5 has no start time: set starts_at (when its first entry starts), then open it.")
		if err := r.admin.UpdateItem(bg, "stages", bare, map[string]any{"starts_at": "2026-06-11T06:00:00Z"}, nil); err != nil {
			t.Fatal(err)
		}
		err = director.UpdateItem(bg, "stages", bare, map[string]any{"status": "open"}, nil)
		refusedWith(t, err, "Stage S5 has no start interval: set start_interval_seconds (the seconds between two starters), then open it.")
		if st := r.status(t, "S5"); st != "published" {
			t.Errorf("a refused opening left the stage %s", st)
		}
		if err := r.admin.UpdateItem(bg, "stages", bare, map[string]any{"start_interval_seconds": 60}, nil); err != nil {
			t.Fatal(err)
		}
		_, err = openStage(director, bare, true)
		refusedWith(t, err, "Stage S5 has no segments: import or add its course, then open it.")

		// Start settings and the status in one admin-app save.
		err = director.UpdateItem(bg, "stages", r.stages["S4"], map[string]any{"status": "open", "start_interval_seconds": 90}, nil)
		refusedWith(t, err, "Save the start settings (start_interval_seconds) first, then set the status to open: the start list is built from the saved settings.")

		// Stage 2's results are provisional.
		if _, err := s.db.Exec(bg, `INSERT INTO stage_results (id, entry_id, stage_id, elapsed_seconds, penalty_seconds, total_seconds)
			VALUES (gen_random_uuid(), $1, $2, 100, 0, 100), (gen_random_uuid(), $3, $2, 110, 0, 110)`, r.entries[7], r.stages["S2"], r.entries[12]); err != nil {
			t.Fatal(err)
		}
		if err := r.admin.UpdateItem(bg, "stages", r.stages["S4"], map[string]any{"start_order_input_stage_id": r.stages["S2"]}, nil); err != nil {
			t.Fatal(err)
		}
		_, err = openStage(director, r.stages["S4"], false)
		refusedWith(t, err, "Stage S4's start order comes from the results of stage S2, and 2 of them are still provisional: publish them (official) first.")
		if err := r.admin.UpdateItem(bg, "stages", r.stages["S4"], map[string]any{"start_order_input_stage_id": r.stages["S3"]}, nil); err != nil {
			t.Fatal(err)
		}
		err = director.UpdateItem(bg, "stages", r.stages["S4"], map[string]any{"status": "open"}, nil)
		refusedWith(t, err, "Stage S4's start order comes from the results of stage S3, which has none: record and publish them, or choose the manual start order.")

		if err := r.admin.UpdateItem(bg, "stages", r.stages["S4"], map[string]any{"status": "cancelled"}, nil); err != nil {
			t.Fatal(err)
		}
		_, err = openStage(director, r.stages["S4"], false)
		refusedWith(t, err, "Stage S4 is cancelled: a cancelled stage does not open.")

		err = director.CreateItem(bg, "stages", map[string]any{"event_id": r.event, "code": "S9", "name": "S9", "sort_order": 9, "status": "open"}, nil)
		refusedWith(t, err, "A stage is created closed to entries: create it, then set its status to open (which builds its start list).")
		_, err = openStage(director, "S4", false)
		refusedWith(t, err, `The stage must be named by its id (a UUID), not "S4".`)
		if r.startsDigest(t) != before {
			t.Fatal("a refused opening changed the start lists")
		}
	})
}
