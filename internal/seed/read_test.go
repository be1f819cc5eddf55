package seed

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"git.dev.trmtracking.org/trm/directus/internal/catalog"
)

const rallyAlbania = "../../seed/rally-albania-2026/seed.yaml"

func TestRallyAlbaniaSeedIsValidAndComplete(t *testing.T) {
	f, err := ReadFile(rallyAlbania)
	if err != nil {
		t.Fatal(err)
	}
	if f.Name != "rally-albania-2026" || len(f.People) != 3 || len(f.Vehicles) != 1 || len(f.Devices) != 3 || len(f.Organizations) != 1 {
		t.Fatalf("unexpected shape: %+v", f)
	}
	luhn := func(s string) bool {
		sum := 0
		for i := range len(s) {
			d := int(s[len(s)-1-i] - '0')
			if i%2 == 1 {
				if d *= 2; d > 9 {
					d -= 9
				}
			}
			sum += d
		}
		return sum%10 == 0
	}
	for _, d := range f.Devices {
		if !luhn(d.IMEI) {
			t.Errorf("IMEI %s has no valid Luhn check digit", d.IMEI)
		}
	}
	for _, p := range f.People {
		if !strings.HasSuffix(p.Email, "@example.com") {
			t.Errorf("%s: seed people live at example.com", p.Email)
		}
	}
	ev := f.Organizations[0].Events[0]
	perCategory := map[string]int{}
	for _, c := range ev.Classes {
		perCategory[c.Category]++
	}
	if len(ev.Classes) != 18 || perCategory["moto"] != 8 || perCategory["quad"] != 3 || perCategory["car"] != 4 || perCategory["ssv"] != 3 {
		t.Errorf("classes %d per category %v; want 18: 8 moto, 3 quad, 4 car, 3 ssv", len(ev.Classes), perCategory)
	}
	tirane := time.FixedZone("CEST", 2*3600)
	if !ev.StartsAt.Equal(time.Date(2026, 6, 6, 0, 0, 0, 0, tirane)) || !ev.EndsAt.Equal(time.Date(2026, 6, 14, 0, 0, 0, 0, tirane)) {
		t.Errorf("the event must run from Tirane midnight 6 June to Tirane midnight ending 13 June: %s .. %s", ev.StartsAt, ev.EndsAt)
	}
	e := ev.Entries[0]
	if e.RaceNumber != 301 || e.Class != "C-2" || len(e.Crew) != 2 || len(e.Devices) != 3 {
		t.Errorf("entry: %+v", e)
	}
	for _, d := range e.Devices {
		if !d.ValidFrom.Equal(ev.StartsAt) || d.ValidUntil != nil {
			t.Errorf("tracker %s: from %s until %v, want the event's start, open-ended", d.IMEI, d.ValidFrom, d.ValidUntil)
		}
	}
}

// Every enumerated value the committed seed uses is one of the catalog's:
// Parse refuses anything else, and this proves each enumeration is
// actually exercised by the file.
func TestRallyAlbaniaSeedUsesCatalogValues(t *testing.T) {
	f, err := ReadFile(rallyAlbania)
	if err != nil {
		t.Fatal(err)
	}
	used := map[string][]string{}
	add := func(e catalog.Enum, v string) {
		if v == "" {
			return
		}
		if !e.Allows(v) {
			t.Errorf("%s: %q is not a catalog value", e.Key(), v)
		}
		used[e.Key()] = append(used[e.Key()], v)
	}
	for _, d := range f.Devices {
		add(catalog.DeviceModels(), d.Model)
	}
	for _, o := range f.Organizations {
		for _, m := range o.Members {
			add(catalog.OrganizationRoles(), m.Role)
		}
		for _, ev := range o.Events {
			add(catalog.Disciplines(), ev.Discipline)
			for _, c := range ev.Classes {
				add(catalog.Categories(), c.Category)
			}
			for _, e := range ev.Entries {
				add(catalog.EntryStatuses(), e.Status)
				for _, c := range e.Crew {
					add(catalog.CrewRoles(), c.Role)
				}
			}
		}
	}
	for _, e := range catalog.Phase1() {
		if len(used[e.Key()]) == 0 {
			t.Errorf("%s: the seed uses none of its values", e.Key())
		}
	}
}

// minimal is a valid file the cases below break one thing of.
const minimal = `seed: demo
people:
  - {email: a@example.com, first_name: A}
vehicles:
  - {plate: P-1, make: KTM, model: "450"}
devices:
  - {imei: "352098103001010", model: FMB920}
organizations:
  - slug: club
    name: Club
    members: [{person: a@example.com, role: participant}]
    vehicles: [P-1]
    devices: ["352098103001010"]
    events:
      - slug: race
        name: Race
        discipline: rally
        starts_at: 2026-06-06T00:00:00+02:00
        ends_at: 2026-06-14T00:00:00+02:00
        classes: [{code: M-1, name: Moto, category: moto}]
        entries:
          - race_number: 1
            class: M-1
            vehicle: P-1
            crew: [{person: a@example.com, role: rider}]
            devices: [{imei: "352098103001010", worn_by: a@example.com}]
`

func TestMinimalFileIsValid(t *testing.T) {
	f, err := Parse("demo.yaml", []byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	if e := f.Organizations[0].Events[0].Entries[0]; e.Status != "" || e.Devices[0].WornBy != "a@example.com" {
		t.Errorf("entry %+v", e)
	}
}

// Each case replaces one line of minimal; the error names the file, the
// line and what is wrong.
func TestProblemsNameTheFileLineAndFix(t *testing.T) {
	cases := []struct {
		name, old, new, want string
	}{
		{"unknown enumeration value", "role: rider", "role: passenger", `demo.yaml:25: organizations[0].events[0].entries[0].crew[0].role: "passenger" is not allowed for entry_crew.role; use one of pilot, co-pilot`},
		{"unknown discipline", "discipline: rally", "discipline: golf", `demo.yaml:17: organizations[0].events[0].discipline: "golf" is not allowed for events.discipline`},
		{"unknown key", "name: Club", "nom: Club", `demo.yaml:10: organizations[0].nom: unknown key "nom" in an organization; the keys are slug, name, members`},
		{"missing required", "name: Club", "", `demo.yaml:9: organizations[0]: name is required`},
		{"bad slug", "slug: club", "slug: Club", `demo.yaml:9: organizations[0].slug: "Club" is not a slug`},
		{"bad imei", `  - {imei: "352098103001010", model: FMB920}`, `  - {imei: "35209810300101", model: FMB920}`, `demo.yaml:7: devices[0].imei: "35209810300101" is not an IMEI (15 digits)`},
		{"time without offset", "starts_at: 2026-06-06T00:00:00+02:00", "starts_at: 2026-06-06 00:00", `demo.yaml:18: organizations[0].events[0].starts_at: "2026-06-06 00:00" is not a time with its UTC offset`},
		{"ends before it starts", "ends_at: 2026-06-14T00:00:00+02:00", "ends_at: 2026-06-01T00:00:00+02:00", `demo.yaml:19: organizations[0].events[0].ends_at: the event ends (2026-06-01T00:00:00+02:00) before it starts`},
		{"undeclared person", "members: [{person: a@example.com, role: participant}]", "members: [{person: b@example.com, role: participant}]", `demo.yaml:11: organizations[0].members[0].person: "b@example.com" is not declared under people in this file`},
		{"class of another event", "class: M-1", "class: C-2", `demo.yaml:22: organizations[0].events[0].entries[0].class: "C-2" is not a class of this event`},
		{"quoted number", "race_number: 1", `race_number: "1"`, `demo.yaml:22: organizations[0].events[0].entries[0].race_number: "1" is not a number; write it without quotes`},
		{"wearer not in the crew", `devices: [{imei: "352098103001010", worn_by: a@example.com}]`, `devices: [{imei: "352098103001010", worn_by: b@example.com}]`, `"b@example.com" is not in this entry's crew`},
		{"a list expected", "vehicles: [P-1]", "vehicles: P-1", `demo.yaml:12: organizations[0].vehicles: expected a list, got "P-1"`},
		{"control characters are quoted", "name: Club", "name: \"Cl\\x1bub\"", `demo.yaml:10: organizations[0].name: "Cl\x1bub" has control characters`},
		{"alias", "name: Club", "name: &n Club", "anchors and aliases"},
		{"syntax", "name: Club", "name: [Club", "demo.yaml:9: not valid YAML"},
		{"bad phone", "{email: a@example.com, first_name: A}", "{email: a@example.com, phone: 0691}", `demo.yaml:3: people[0].phone: "0691" is not an international phone number (E.164)`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(minimal, c.old) {
				t.Fatalf("the case's line %q is not in the file", c.old)
			}
			_, err := Parse("demo.yaml", []byte(strings.Replace(minimal, c.old, c.new, 1)))
			var e *Error
			if err == nil || !asError(err, &e) {
				t.Fatalf("got %v, want an *Error", err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("got\n%s\nwant it to contain\n%s", err, c.want)
			}
			if strings.ContainsFunc(err.Error(), func(r rune) bool { return r < ' ' && r != '\n' }) {
				t.Errorf("a control character reached the message: %q", err)
			}
		})
	}
}

func asError(err error, target **Error) bool {
	e, ok := err.(*Error)
	*target = e
	return ok
}

func TestEveryProblemIsReported(t *testing.T) {
	broken := strings.NewReplacer("role: rider", "role: passenger", "discipline: rally", "discipline: golf", "slug: club", "slug: Club").Replace(minimal)
	_, err := Parse("demo.yaml", []byte(broken))
	if err == nil {
		t.Fatal("accepted")
	}
	if n := len(regexp.MustCompile(`(?m)^demo\.yaml:\d+: `).FindAllString(err.Error(), -1)); n != 3 {
		t.Errorf("%d problems reported, want 3:\n%s", n, err)
	}
}

func TestDuplicatesAndOverlapsAreRefused(t *testing.T) {
	two := strings.Replace(minimal, `            devices: [{imei: "352098103001010", worn_by: a@example.com}]
`, `            devices: [{imei: "352098103001010", worn_by: a@example.com}]
          - race_number: 1
            class: M-1
            devices: [{imei: "352098103001010", valid_from: 2026-06-10T00:00:00Z}]
`, 1)
	_, err := Parse("demo.yaml", []byte(two))
	if err == nil || !strings.Contains(err.Error(), `a second entry of this event with race_number "1"`) ||
		!strings.Contains(err.Error(), "tracker 352098103001010 is already assigned to race #1 (line 26) over an overlapping window") {
		t.Errorf("got %v", err)
	}
	closed := strings.Replace(two, `devices: [{imei: "352098103001010", worn_by: a@example.com}]`, `devices: [{imei: "352098103001010", worn_by: a@example.com, valid_until: 2026-06-10T00:00:00Z}]`, 1)
	closed = strings.Replace(closed, "          - race_number: 1\n            class: M-1\n            devices", "          - race_number: 2\n            class: M-1\n            devices", 1)
	if _, err := Parse("demo.yaml", []byte(closed)); err != nil {
		t.Errorf("a swap at the instant the first window ends is allowed: %v", err)
	}
}

func TestEmptyAndHugeInputs(t *testing.T) {
	for _, in := range []string{"", "   \n", "---\n", "[]", "seed: demo\n---\nseed: other\n"} {
		if _, err := Parse("x.yaml", []byte(in)); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
	if _, err := Parse("x.yaml", make([]byte, MaxFileSize+1)); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("an oversized file: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(minimal))
	f.Add([]byte("seed: x\norganizations: [{slug: a, name: b, events: [{slug: c}]}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse("fuzz.yaml", data)
		if err != nil {
			if strings.ContainsFunc(err.Error(), func(r rune) bool { return r < ' ' && r != '\n' }) {
				t.Fatalf("a control character reached the message: %q", err)
			}
			return
		}
		if file.Name == "" {
			t.Fatal("a valid file without a name")
		}
	})
}
