package schema

import (
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"git.dev.trmtracking.org/trm/directus/tests/internal/testdirectus"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testenv"
)

// The access keys db-init/post/008 keeps (docs/access-model.md, "Access
// keys"), written and read in SQL as Directus's database user writes
// them: each organisation's role lists, each entry's access_crew, and the
// role triple member / non-participant / staff.

// keys writes the world of the access keys' tests and reads the keys.
type keys struct {
	t  testing.TB
	db *pgx.Conn
}

func (k keys) exec(sql string, args ...any) {
	k.t.Helper()
	if _, err := k.db.Exec(ctx, sql, args...); err != nil {
		k.t.Fatalf("%s %v: %v", sql, args, err)
	}
}

func (k keys) id(sql string, args ...any) string {
	k.t.Helper()
	var id string
	if err := k.db.QueryRow(ctx, sql, args...).Scan(&id); err != nil {
		k.t.Fatalf("%s %v: %v", sql, args, err)
	}
	return id
}

func (k keys) org() string {
	k.t.Helper()
	s := "keys-" + unique()
	return k.id(`INSERT INTO organizations (id, name, slug) VALUES (gen_random_uuid(), $1, $1) RETURNING id::text`, s)
}

// event makes an event of org with one class, and returns both.
func (k keys) event(org string) (event, class string) {
	k.t.Helper()
	event = k.id(`INSERT INTO events (id, organization_id, name, slug, discipline, starts_at, ends_at)
		VALUES (gen_random_uuid(), $1, 'Rally', $2, 'rally', '2026-06-06T06:00:00Z', '2026-06-13T18:00:00Z') RETURNING id::text`, org, "rally-"+unique())
	class = k.id(`INSERT INTO classes (id, event_id, code, name, category) VALUES (gen_random_uuid(), $1, 'T1', 'Cars', 'car') RETURNING id::text`, event)
	return event, class
}

func (k keys) entry(event, class string) string {
	k.t.Helper()
	n, _ := strconv.Atoi(unique())
	return k.id(`INSERT INTO entries (id, event_id, class_id, race_number) VALUES (gen_random_uuid(), $1, $2, $3) RETURNING id::text`, event, class, n)
}

// user makes a person of the Directus role role (nil: none).
func (k keys) user(role *string) string {
	k.t.Helper()
	return k.id(`INSERT INTO directus_users (id, email, role) VALUES (gen_random_uuid(), $1, $2::uuid) RETURNING id::text`,
		"keys-"+unique()+"@example.com", role)
}

func (k keys) member(org, user, role string) {
	k.t.Helper()
	k.exec(`INSERT INTO organization_users (id, organization_id, user_id, role) VALUES (gen_random_uuid(), $1, $2, $3)`, org, user, role)
}

func (k keys) crew(entry, user string) {
	k.t.Helper()
	k.exec(`INSERT INTO entry_crew (id, entry_id, user_id, role) VALUES (gen_random_uuid(), $1, $2, 'pilot')`, entry, user)
}

// lists is an organisation's keys.
type lists struct{ staff, viewers, orgAdmins, raceDirectors, participants string }

func (k keys) lists(org string) lists {
	k.t.Helper()
	var l lists
	if err := k.db.QueryRow(ctx, `SELECT coalesce(access_staff, ''), coalesce(access_viewers, ''), coalesce(access_org_admins, ''),
		coalesce(access_race_directors, ''), coalesce(access_participants, '') FROM organizations WHERE id = $1`, org).
		Scan(&l.staff, &l.viewers, &l.orgAdmins, &l.raceDirectors, &l.participants); err != nil {
		k.t.Fatal(err)
	}
	return l
}

// crewOf is an entry's access_crew ("" for NULL).
func (k keys) crewOf(entry string) string {
	k.t.Helper()
	return k.id(`SELECT coalesce(access_crew, '') FROM entries WHERE id = $1`, entry)
}

func (k keys) roleOf(user string) string {
	k.t.Helper()
	return k.id(`SELECT coalesce(r.name, '') FROM directus_users u LEFT JOIN directus_roles r ON r.id = u.role WHERE u.id = $1`, user)
}

// roleID is the id of the role named name, made when missing.
func (k keys) roleID(name string) string {
	k.t.Helper()
	k.exec(`INSERT INTO directus_roles (id, name) SELECT gen_random_uuid(), $1::text WHERE NOT EXISTS (SELECT 1 FROM directus_roles WHERE name = $1::text)`, name)
	return k.id(`SELECT id::text FROM directus_roles WHERE name = $1`, name)
}

// list is the expected key: the ids sorted, comma-separated.
func list(ids ...string) string {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	return strings.Join(slices.Compact(ids), ",")
}

// TestAccessKeys proves the keys exact after every write they depend on,
// in the same transaction, whoever writes them: memberships added,
// changed, moved and removed; crew seats added, moved and removed, and
// their people's role changing; entries and events moved to another
// organisation; a key written by hand; bulk statements; the role triple
// as roles and memberships change; concurrent transactions (each case fails
// without the file's row locks); and a second run of the file.
func TestAccessKeys(t *testing.T) {
	dbURL := pg.New(t)
	testdirectus.Provision(t, dbURL)
	k := keys{t, connect(t, dbURL)}

	t.Run("each organisation list follows memberships added, changed, moved and removed", func(t *testing.T) {
		k := keys{t, k.db}
		org, other := k.org(), k.org()
		if got := k.lists(org); got != (lists{}) {
			t.Fatalf("a new organisation's lists: %+v, want all NULL", got)
		}
		admin, director, marshal, keeper, viewer, pilot := k.user(nil), k.user(nil), k.user(nil), k.user(nil), k.user(nil), k.user(nil)
		k.member(org, admin, "org-admin")
		k.member(org, director, "race-director")
		k.member(org, marshal, "marshal")
		k.member(org, keeper, "timekeeper")
		k.member(org, viewer, "viewer")
		k.member(org, pilot, "participant")
		want := lists{staff: list(admin, director, marshal, keeper), viewers: viewer, orgAdmins: admin, raceDirectors: director, participants: pilot}
		if got := k.lists(org); got != want {
			t.Errorf("after the memberships: %+v, want %+v", got, want)
		}

		k.exec(`UPDATE organization_users SET role = 'race-director' WHERE organization_id = $1 AND user_id = $2`, org, viewer)
		want = lists{staff: list(admin, director, marshal, keeper, viewer), orgAdmins: admin, raceDirectors: list(director, viewer), participants: pilot}
		if got := k.lists(org); got != want {
			t.Errorf("after a viewer became race director: %+v, want %+v", got, want)
		}

		k.exec(`UPDATE organization_users SET organization_id = $3 WHERE organization_id = $1 AND user_id = $2`, org, director, other)
		want.staff, want.raceDirectors = list(admin, marshal, keeper, viewer), viewer
		if got := k.lists(org); got != want {
			t.Errorf("after the race director moved out: %+v, want %+v", got, want)
		}
		if got, want := k.lists(other), (lists{staff: director, raceDirectors: director}); got != want {
			t.Errorf("the organisation the race director moved to: %+v, want %+v", got, want)
		}

		k.exec(`DELETE FROM organization_users WHERE organization_id = $1 AND user_id IN ($2, $3)`, org, pilot, admin)
		want = lists{staff: list(marshal, keeper, viewer), raceDirectors: viewer}
		if got := k.lists(org); got != want {
			t.Errorf("after the participant and the org-admin left: %+v, want %+v", got, want)
		}
	})

	t.Run("access_crew lists the crew who are participants of the event's organisation", func(t *testing.T) {
		k := keys{t, k.db}
		org := k.org()
		event, class := k.event(org)
		entry := k.entry(event, class)
		if got := k.crewOf(entry); got != "" {
			t.Fatalf("a new entry's access_crew: %q, want NULL", got)
		}
		pilot, copilot, mechanic := k.user(nil), k.user(nil), k.user(nil)
		k.member(org, pilot, "participant")
		k.member(org, copilot, "participant")
		k.member(org, mechanic, "marshal")
		k.crew(entry, pilot)
		k.crew(entry, mechanic)
		if got := k.crewOf(entry); got != pilot {
			t.Errorf("crew of a participant and a marshal: %q, want the participant %s", got, pilot)
		}
		k.crew(entry, copilot)
		if got, want := k.crewOf(entry), list(pilot, copilot); got != want {
			t.Errorf("after the co-pilot joined: %q, want %q", got, want)
		}
		k.exec(`UPDATE organization_users SET role = 'viewer' WHERE organization_id = $1 AND user_id = $2`, org, pilot)
		if got := k.crewOf(entry); got != copilot {
			t.Errorf("after the pilot became a viewer: %q, want %s", got, copilot)
		}
		k.exec(`UPDATE organization_users SET role = 'participant' WHERE organization_id = $1 AND user_id IN ($2, $3)`, org, pilot, mechanic)
		if got, want := k.crewOf(entry), list(pilot, copilot, mechanic); got != want {
			t.Errorf("after the pilot and the mechanic became participants: %q, want %q", got, want)
		}
		k.exec(`DELETE FROM entry_crew WHERE entry_id = $1 AND user_id = $2`, entry, copilot)
		if got, want := k.crewOf(entry), list(pilot, mechanic); got != want {
			t.Errorf("after the co-pilot left the crew: %q, want %q", got, want)
		}
		other := k.entry(event, class)
		k.exec(`UPDATE entry_crew SET entry_id = $3 WHERE entry_id = $1 AND user_id = $2`, entry, mechanic, other)
		if got, gotOther := k.crewOf(entry), k.crewOf(other); got != pilot || gotOther != mechanic {
			t.Errorf("after the mechanic moved to another entry: %q and %q, want %s and %s", got, gotOther, pilot, mechanic)
		}
	})

	t.Run("an entry or event moved to another organisation takes its participants", func(t *testing.T) {
		k := keys{t, k.db}
		org, org2 := k.org(), k.org()
		event, class := k.event(org)
		event2, class2 := k.event(org2)
		entry := k.entry(event, class)
		pilot := k.user(nil)
		k.member(org, pilot, "participant")
		k.member(org2, pilot, "viewer")
		k.crew(entry, pilot)
		k.exec(`UPDATE entries SET event_id = $2, class_id = $3 WHERE id = $1`, entry, event2, class2)
		if got := k.crewOf(entry); got != "" {
			t.Errorf("entry moved to an event of an organisation where the pilot is a viewer: %q, want NULL", got)
		}
		k.exec(`UPDATE entries SET event_id = $2, class_id = $3 WHERE id = $1`, entry, event, class)
		if got := k.crewOf(entry); got != pilot {
			t.Errorf("entry moved back: %q, want %s", got, pilot)
		}
		k.exec(`UPDATE events SET organization_id = $2 WHERE id = $1`, event, org2)
		if got := k.crewOf(entry); got != "" {
			t.Errorf("event moved to the organisation where the pilot is a viewer: %q, want NULL", got)
		}
		k.exec(`UPDATE events SET name = 'Renamed' WHERE id = $1`, event)
		k.exec(`UPDATE events SET organization_id = $2 WHERE id = $1`, event, org)
		if got := k.crewOf(entry); got != pilot {
			t.Errorf("event moved back: %q, want %s", got, pilot)
		}
	})

	t.Run("a key written by hand is replaced by the right value", func(t *testing.T) {
		k := keys{t, k.db}
		org := k.org()
		event, class := k.event(org)
		entry := k.entry(event, class)
		pilot, intruder := k.user(nil), k.user(nil)
		k.member(org, pilot, "participant")
		k.crew(entry, pilot)
		for _, col := range []string{"access_staff", "access_viewers", "access_org_admins", "access_race_directors", "access_participants"} {
			k.exec(`UPDATE organizations SET `+col+` = $2 WHERE id = $1`, org, intruder)
		}
		k.exec(`UPDATE organizations SET access_participants = NULL, name = 'Hand-written' WHERE id = $1`, org)
		if got, want := k.lists(org), (lists{participants: pilot}); got != want {
			t.Errorf("lists written by hand: %+v, want %+v", got, want)
		}
		k.exec(`UPDATE entries SET access_crew = $2 WHERE id = $1`, entry, intruder)
		if got := k.crewOf(entry); got != pilot {
			t.Errorf("access_crew written as someone else: %q, want %s", got, pilot)
		}
		k.exec(`UPDATE entries SET access_crew = NULL WHERE id = $1`, entry)
		if got := k.crewOf(entry); got != pilot {
			t.Errorf("access_crew emptied by hand: %q, want %s", got, pilot)
		}
		org2 := k.id(`INSERT INTO organizations (id, name, slug, access_staff, access_participants) VALUES (gen_random_uuid(), 'X', $1, $2, $2) RETURNING id::text`,
			"keys-"+unique(), intruder)
		if got := k.lists(org2); got != (lists{}) {
			t.Errorf("a new organisation created with lists: %+v, want all NULL", got)
		}
		event2, class2 := k.event(org2)
		entry2 := k.id(`INSERT INTO entries (id, event_id, class_id, race_number, access_crew) VALUES (gen_random_uuid(), $1, $2, 7, $3) RETURNING id::text`,
			event2, class2, intruder)
		if got := k.crewOf(entry2); got != "" {
			t.Errorf("a new entry created with an access_crew: %q, want NULL", got)
		}
	})

	t.Run("a bulk insert of memberships and crew in one statement gives the right lists", func(t *testing.T) {
		k := keys{t, k.db}
		org := k.org()
		event, class := k.event(org)
		const n = 3000
		took := bulkWorld(t, k.db, org, event, class, n, nil)
		t.Logf("in one statement each: %d memberships in %s, %d crew seats in %s", n, took.memberships.Round(time.Millisecond), n, took.crew.Round(time.Millisecond))
		byRole := map[string][]string{}
		rows, err := k.db.Query(ctx, `SELECT role, user_id::text FROM organization_users WHERE organization_id = $1`, org)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var role, user string
			if err := rows.Scan(&role, &user); err != nil {
				t.Fatal(err)
			}
			byRole[role] = append(byRole[role], user)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		want := lists{
			staff:         list(slices.Concat(byRole["marshal"], byRole["org-admin"], byRole["race-director"], byRole["timekeeper"])...),
			viewers:       list(byRole["viewer"]...),
			orgAdmins:     list(byRole["org-admin"]...),
			raceDirectors: list(byRole["race-director"]...),
			participants:  list(byRole["participant"]...),
		}
		if got := k.lists(org); got != want {
			t.Errorf("after the bulk insert the lists differ (%d participants, %d staff)", len(byRole["participant"]), strings.Count(want.staff, ",")+1)
		}
		participants := map[string]bool{}
		for _, u := range byRole["participant"] {
			participants[u] = true
		}
		crews := map[string][]string{}
		rows, err = k.db.Query(ctx, `SELECT c.entry_id::text, c.user_id::text FROM entry_crew c JOIN entries e ON e.id = c.entry_id WHERE e.event_id = $1`, event)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var entry, user string
			if err := rows.Scan(&entry, &user); err != nil {
				t.Fatal(err)
			}
			crews[entry] = append(crews[entry], user)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows, err = k.db.Query(ctx, `SELECT id::text, coalesce(access_crew, '') FROM entries WHERE event_id = $1`, event)
		if err != nil {
			t.Fatal(err)
		}
		wrong, seen := 0, 0
		for rows.Next() {
			var entry, got string
			if err := rows.Scan(&entry, &got); err != nil {
				t.Fatal(err)
			}
			seen++
			var want []string
			for _, u := range crews[entry] {
				if participants[u] {
					want = append(want, u)
				}
			}
			if got != list(want...) {
				wrong++
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if wrong > 0 || seen != n/2 {
			t.Errorf("after the bulk insert %d of %d entries have a wrong access_crew (want %d entries)", wrong, seen, n/2)
		}
	})

	t.Run("role triple", func(t *testing.T) {
		k := keys{t, k.db}
		// The triple starts incomplete whatever the access files made: the
		// roles non-participant and staff, if any, are renamed away.
		k.exec(`UPDATE directus_roles SET name = 'not-the-triple-' || id WHERE name IN ('non-participant', 'staff')`)
		member := k.roleID("member")
		other := k.roleID("keys-other-" + unique())
		org, org2 := k.org(), k.org()

		nowhere, viewerBefore, participantBefore, marshalBefore := k.user(&member), k.user(&member), k.user(&member), k.user(&member)
		k.member(org, viewerBefore, "viewer")
		k.member(org, participantBefore, "participant")
		k.member(org, marshalBefore, "marshal")
		var nonParticipant string
		t.Run("nothing changes while a role of the triple is missing", func(t *testing.T) {
			k := keys{t, k.db}
			check := func(when string) {
				t.Helper()
				for name, u := range map[string]string{"in no organisation": nowhere, "viewer": viewerBefore, "participant": participantBefore, "marshal": marshalBefore} {
					if got := k.roleOf(u); got != "member" {
						t.Errorf("%s: a member who is %s: %q, want member (untouched)", when, name, got)
					}
				}
			}
			check("with member alone")
			nonParticipant = k.roleID("non-participant")
			check("after non-participant is created, staff missing")
			k.exec(`DELETE FROM organization_users WHERE user_id = $1`, participantBefore)
			k.exec(`UPDATE organization_users SET role = 'org-admin' WHERE user_id = $1`, viewerBefore)
			check("after memberships changed, staff missing")
			k.member(org, participantBefore, "participant")
			k.exec(`UPDATE organization_users SET role = 'viewer' WHERE user_id = $1`, viewerBefore)
			if got := k.roleOf(k.user(&nonParticipant)); got != "non-participant" {
				t.Errorf("created as non-participant while staff is missing: %q, want non-participant (untouched)", got)
			}
		})

		staff := k.roleID("staff")
		t.Run("creating the last role of the triple gives everyone of it theirs", func(t *testing.T) {
			k := keys{t, k.db}
			for _, c := range []struct{ name, user, want string }{
				{"in no organisation", nowhere, "staff"},
				{"viewer", viewerBefore, "non-participant"},
				{"participant", participantBefore, "member"},
				{"marshal", marshalBefore, "staff"},
			} {
				if got := k.roleOf(c.user); got != c.want {
					t.Errorf("a member who is %s: %q, want %s", c.name, got, c.want)
				}
			}
		})

		t.Run("a person created with a role of the triple gets the one their memberships call for", func(t *testing.T) {
			k := keys{t, k.db}
			for name, role := range map[string]string{"member": member, "non-participant": nonParticipant, "staff": staff} {
				if got := k.roleOf(k.user(&role)); got != "staff" {
					t.Errorf("created as %s in no organisation: %q, want staff", name, got)
				}
			}
		})

		t.Run("gaining and losing participant and viewer moves people between the three", func(t *testing.T) {
			k := keys{t, k.db}
			u := k.user(&staff)
			name := map[string]string{member: "member", nonParticipant: "non-participant", staff: "staff"}
			step := func(what, want string) {
				t.Helper()
				if got := k.roleOf(u); got != want {
					t.Errorf("%s: %q, want %s", what, got, want)
				}
			}
			k.member(org, u, "timekeeper")
			step("as timekeeper", "staff")
			k.member(org2, u, "viewer")
			step("as timekeeper and viewer", "non-participant")
			k.exec(`UPDATE organization_users SET role = 'participant' WHERE organization_id = $1 AND user_id = $2`, org2, u)
			step("as timekeeper and participant", "member")
			for _, role := range []string{nonParticipant, staff} {
				k.exec(`UPDATE directus_users SET role = $2 WHERE id = $1`, u, role)
				step("a participant given "+name[role]+" by hand", "member")
			}
			k.exec(`UPDATE organization_users SET role = 'viewer' WHERE organization_id = $1 AND user_id = $2`, org2, u)
			step("participant no more, viewer", "non-participant")
			for _, role := range []string{member, staff} {
				k.exec(`UPDATE directus_users SET role = $2 WHERE id = $1`, u, role)
				step("a viewer given "+name[role]+" by hand", "non-participant")
			}
			k.exec(`DELETE FROM organization_users WHERE organization_id = $1 AND user_id = $2`, org2, u)
			step("after leaving the organisation where viewer", "staff")
			for _, role := range []string{member, nonParticipant} {
				k.exec(`UPDATE directus_users SET role = $2 WHERE id = $1`, u, role)
				step("a timekeeper given "+name[role]+" by hand", "staff")
			}
			k.exec(`UPDATE organization_users SET role = 'participant' WHERE organization_id = $1 AND user_id = $2`, org, u)
			step("from timekeeper to participant", "member")
			k.exec(`DELETE FROM organization_users WHERE user_id = $1`, u)
			step("in no organisation", "staff")
		})

		t.Run("renaming a role of the triple away and back gives everyone theirs", func(t *testing.T) {
			k := keys{t, k.db}
			u := k.user(&member)
			k.exec(`UPDATE directus_roles SET name = 'keys-away' WHERE id = $1`, staff)
			k.exec(`UPDATE directus_users SET role = $2 WHERE id = $1`, u, member)
			if got := k.roleOf(u); got != "member" {
				t.Errorf("given member while the triple is incomplete: %q, want member (untouched)", got)
			}
			k.exec(`UPDATE directus_roles SET name = 'staff' WHERE id = $1`, staff)
			if got := k.roleOf(u); got != "staff" {
				t.Errorf("after the triple is complete again: %q, want staff", got)
			}
		})

		t.Run("a name held by two roles leaves everyone untouched", func(t *testing.T) {
			k := keys{t, k.db}
			u := k.user(&member)
			twin := k.id(`INSERT INTO directus_roles (id, name) VALUES (gen_random_uuid(), 'non-participant') RETURNING id::text`)
			k.exec(`UPDATE directus_users SET role = $2 WHERE id = $1`, u, member)
			k.member(org, u, "viewer")
			if got := k.roleOf(u); got != "member" {
				t.Errorf("a viewer given member while non-participant names two roles: %q, want member (untouched)", got)
			}
			k.exec(`UPDATE directus_roles SET name = 'keys-twin-' || id WHERE id = $1`, twin)
			k.exec(`DELETE FROM organization_users WHERE user_id = $1`, u)
			if got := k.roleOf(u); got != "staff" {
				t.Errorf("in no organisation once the triple is unambiguous again: %q, want staff", got)
			}
		})

		t.Run("a person of another role or none is never touched", func(t *testing.T) {
			k := keys{t, k.db}
			u, none := k.user(&other), k.user(nil)
			k.member(org, u, "participant")
			k.member(org, none, "viewer")
			k.exec(`UPDATE organization_users SET role = 'viewer' WHERE user_id = $1`, u)
			k.exec(`DELETE FROM organization_users WHERE user_id IN ($1, $2)`, u, none)
			// A rename that completes the triple again syncs everyone of it.
			k.exec(`UPDATE directus_roles SET name = 'keys-away' WHERE id = $1`, member)
			k.exec(`UPDATE directus_roles SET name = 'member' WHERE id = $1`, member)
			if got, want := k.roleOf(u), k.id(`SELECT name FROM directus_roles WHERE id = $1`, other); got != want {
				t.Errorf("person of another role: %q, want %q", got, want)
			}
			if got := k.roleOf(none); got != "" {
				t.Errorf("person without a role: %q, want none", got)
			}
		})
	})

	t.Run("concurrent writes", func(t *testing.T) {
		k := keys{t, k.db}
		member := k.roleID("member")
		k.roleID("non-participant")
		k.roleID("staff")
		org, org2 := k.org(), k.org()
		event, class := k.event(org)
		entry := k.entry(event, class)

		t.Run("a crew seat added while the person becomes a participant", func(t *testing.T) {
			k := keys{t, k.db}
			p := k.user(nil)
			k.member(org, p, "viewer")
			concurrently(t, dbURL, k.db,
				[]string{`UPDATE organization_users SET role = 'participant' WHERE organization_id = '` + org + `' AND user_id = '` + p + `'`},
				`INSERT INTO entry_crew (id, entry_id, user_id, role) VALUES (gen_random_uuid(), '`+entry+`', '`+p+`', 'pilot')`)
			if got := k.crewOf(entry); got != p {
				t.Errorf("access_crew: %q, want %s", got, p)
			}
		})

		t.Run("two memberships of the organisation change at once", func(t *testing.T) {
			k := keys{t, k.db}
			a, b := k.user(nil), k.user(nil)
			concurrently(t, dbURL, k.db,
				[]string{`INSERT INTO organization_users (id, organization_id, user_id, role) VALUES (gen_random_uuid(), '` + org2 + `', '` + a + `', 'marshal')`},
				`INSERT INTO organization_users (id, organization_id, user_id, role) VALUES (gen_random_uuid(), '`+org2+`', '`+b+`', 'timekeeper')`)
			if got := k.lists(org2).staff; got != list(a, b) {
				t.Errorf("access_staff: %q, want %q", got, list(a, b))
			}
		})

		t.Run("a person gains a participation while losing another", func(t *testing.T) {
			k := keys{t, k.db}
			u := k.user(&member)
			k.member(org2, u, "participant")
			concurrently(t, dbURL, k.db,
				[]string{`INSERT INTO organization_users (id, organization_id, user_id, role) VALUES (gen_random_uuid(), '` + org + `', '` + u + `', 'participant')`},
				`DELETE FROM organization_users WHERE organization_id = '`+org2+`' AND user_id = '`+u+`'`)
			if got := k.roleOf(u); got != "member" {
				t.Errorf("role: %q, want member (participant in %s)", got, org)
			}
		})
	})

	t.Run("the file runs again and changes nothing", func(t *testing.T) {
		k := keys{t, k.db}
		const state = `SELECT md5(string_agg(x, '|' ORDER BY x)) FROM (
			SELECT id || coalesce(access_staff, '') || coalesce(access_viewers, '') || coalesce(access_org_admins, '')
			       || coalesce(access_race_directors, '') || coalesce(access_participants, '') AS x FROM organizations
			UNION ALL SELECT id || coalesce(access_crew, '') FROM entries
			UNION ALL SELECT id || coalesce(role::text, '') FROM directus_users
			UNION ALL SELECT tgrelid::regclass || tgname FROM pg_trigger WHERE tgname LIKE 'access_keys_%') s`
		before := k.id(state)
		file, err := os.ReadFile(testenv.Path(t, "db-init/post/008_access_keys.sql"))
		if err != nil {
			t.Fatal(err)
		}
		k.exec(string(file))
		if after := k.id(state); after != before {
			t.Error("running db-init/post/008_access_keys.sql again changed keys, roles or triggers")
		}
	})
}

// concurrently runs first in a transaction on db and, before it commits,
// second on a connection of its own; it commits first once second waits
// for a lock (or has finished, when nothing makes it wait), then waits
// for second.
func concurrently(t *testing.T, dbURL string, db *pgx.Conn, first []string, second string) {
	t.Helper()
	tx, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	for _, sql := range first {
		if _, err := tx.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	other := connect(t, dbURL)
	var pid int
	if err := other.QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := other.Exec(ctx, second)
		done <- err
	}()
	deadline := time.Now().Add(10 * time.Second)
	for waiting := ""; waiting != "Lock" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if len(done) > 0 {
			break
		}
		if err := db.QueryRow(ctx, `SELECT coalesce((SELECT wait_event_type FROM pg_stat_activity WHERE pid = $1), '')`, pid).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("%s: %v", second, err)
	}
}

// bulkTimes is how long each of bulkWorld's statements took, commit
// (and the deferred constraint triggers of db-init/post/006) included.
type bulkTimes struct{ users, memberships, entries, crew time.Duration }

// bulkWorld writes, each in one statement: n people of the Directus role
// role (nil: none), n memberships in org (every other one a participant,
// the others spread over the other roles), n/2 entries in event and two
// crew seats per entry (n in all, a person of each role among them).
func bulkWorld(t testing.TB, db *pgx.Conn, org, event, class string, n int, role *string) bulkTimes {
	t.Helper()
	tag := unique()
	var times bulkTimes
	for _, step := range []struct {
		took *time.Duration
		sql  string
		args []any
	}{
		{&times.users, `INSERT INTO directus_users (id, email, role)
		 SELECT gen_random_uuid(), 'bulk-` + tag + `-' || lpad(i::text, 6, '0') || '@example.com', $2::uuid FROM generate_series(1, $1::int) i`, []any{n, role}},
		{&times.memberships, `INSERT INTO organization_users (id, organization_id, user_id, role)
		 SELECT gen_random_uuid(), $2, u.id,
		        (ARRAY['participant', 'marshal', 'participant', 'org-admin', 'participant', 'race-director', 'participant', 'timekeeper', 'participant', 'viewer'])[1 + (row_number() OVER (ORDER BY u.email)) % 10]
		   FROM directus_users u WHERE u.email LIKE 'bulk-` + tag + `-%' AND $1::int > 0`, []any{n, org}},
		{&times.entries, `INSERT INTO entries (id, event_id, class_id, race_number) SELECT gen_random_uuid(), $2, $3, i FROM generate_series(1, $1::int / 2) i`, []any{n, event, class}},
		{&times.crew, `INSERT INTO entry_crew (id, entry_id, user_id, role)
		 SELECT gen_random_uuid(), e.ids[(i + 1) / 2], u.ids[i], CASE WHEN i % 2 = 1 THEN 'pilot' ELSE 'co-pilot' END
		   FROM (SELECT array_agg(id ORDER BY email) AS ids FROM directus_users WHERE email LIKE 'bulk-` + tag + `-%') u,
		        (SELECT array_agg(id ORDER BY race_number) AS ids FROM entries WHERE event_id = $2) e,
		        generate_series(1, $1::int) i`, []any{n, event}},
	} {
		start := time.Now()
		if _, err := db.Exec(ctx, step.sql, step.args...); err != nil {
			t.Fatalf("%s: %v", step.sql, err)
		}
		*step.took = time.Since(start)
	}
	return times
}

// BenchmarkAccessKeysBulk measures the bulk statements of issue 13's
// world in one organisation: 20,000 people (of the role member, the
// triple complete), their 20,000 memberships in one INSERT … SELECT, 10,000
// entries, then their 20,000 crew seats in one INSERT … SELECT; with the
// access keys' upkeep, and without it (its statement triggers disabled)
// for the figure it adds. Each statement is timed with its commit, so
// with the deferred constraint triggers of db-init/post/006 too.
func BenchmarkAccessKeysBulk(b *testing.B) {
	const n = 20000
	dbURL := pg.New(b)
	testdirectus.Provision(b, dbURL)
	k := keys{b, connect(b, dbURL)}
	member := k.roleID("member")
	k.roleID("non-participant")
	k.roleID("staff")
	for _, c := range []struct {
		name string
		keys bool
	}{{"with-keys", true}, {"without-keys", false}} {
		b.Run(c.name, func(b *testing.B) {
			k := keys{b, k.db}
			state := "ENABLE"
			if !c.keys {
				state = "DISABLE"
			}
			for _, tbl := range []string{"organization_users", "entry_crew"} {
				k.exec(`ALTER TABLE ` + tbl + ` ` + state + ` TRIGGER access_keys_after_insert`)
			}
			k.exec(`ALTER TABLE directus_users ` + state + ` TRIGGER access_keys_role_kept_on_insert`)
			var sum bulkTimes
			for b.Loop() {
				org := k.org()
				event, class := k.event(org)
				t := bulkWorld(b, k.db, org, event, class, n, &member)
				sum.users += t.users
				sum.memberships += t.memberships
				sum.entries += t.entries
				sum.crew += t.crew
			}
			per := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(b.N) }
			b.ReportMetric(per(sum.users), "ms/20k-users")
			b.ReportMetric(per(sum.memberships), "ms/20k-memberships")
			b.ReportMetric(per(sum.entries), "ms/10k-entries")
			b.ReportMetric(per(sum.crew), "ms/20k-crew")
		})
	}
}
