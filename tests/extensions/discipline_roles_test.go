package extensions

import (
	"net/http"
	"strings"
	"testing"

	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testdirectus"
)

// TestDisciplineRulesByRole: the discipline rules with the Phase 4 role
// users. A race director and an org-admin of the event's organisation
// are refused with the discipline's sentence; a participant, a viewer,
// another organisation's race director and an anonymous caller are
// refused by access (403) before the rules judge anything, so that the
// sentence, which names the event, its classes and its entries, never
// reaches someone who may not change them; nothing changes either way.
func TestDisciplineRulesByRole(t *testing.T) {
	inst := testdirectus.StartProvisioned(t, pg.New(t))
	admin := inst.Client()
	d := &disciplines{t: t, c: admin}
	d.org = create(t, admin, "organizations", map[string]any{"name": "Motorsport Club Albania", "slug": "msc-albania"})
	other := create(t, admin, "organizations", map[string]any{"name": "Other club", "slug": "other-club"})

	hike := d.event(t, "Theth Hike", "hike")
	foot := d.class(t, hike, "F-1", "foot")
	rally := d.event(t, "Rally Albania 2026", "rally")
	car := d.class(t, rally, "C-2", "car")
	entry := create(t, admin, "entries", map[string]any{"event_id": rally, "class_id": car, "race_number": 301})

	director := newMember(t, admin, inst.URL, d.org, "race-director")
	orgAdmin := newMember(t, admin, inst.URL, d.org, "org-admin")

	t.Run("a race director is refused with the discipline's sentence", func(t *testing.T) {
		err := director.c.CreateItem(bg, "classes", map[string]any{"event_id": hike, "code": "C-2", "name": "Cars", "category": "car"}, nil)
		refusedWith(t, err, "Class C-2 (car) cannot be in Theth Hike: a hike takes foot classes only.")
		err = director.c.UpdateItem(bg, "classes", foot, map[string]any{"category": "moto"}, nil)
		refusedWith(t, err, "Class F-1 (moto) cannot be in Theth Hike: a hike takes foot classes only.")
		err = director.c.CreateItem(bg, "entries", map[string]any{"event_id": rally, "class_id": car, "race_number": 302, "status": "registered"}, nil)
		refusedWith(t, err, "Entry #302 of Rally Albania 2026 needs a vehicle: a rally is raced in vehicles. Choose its vehicle, or keep the entry as a draft until it is known.")
		err = director.c.UpdateItem(bg, "entries", entry, map[string]any{"status": "registered"}, nil)
		refusedWith(t, err, "Entry #301 of Rally Albania 2026 needs a vehicle: a rally is raced in vehicles. Choose its vehicle, or keep the entry as a draft until it is known.")
		// What fits passes.
		create(t, director.c, "classes", map[string]any{"event_id": hike, "code": "F-2", "name": "Walkers", "category": "foot"})
	})

	t.Run("an org-admin is refused a change of discipline its classes do not fit", func(t *testing.T) {
		err := orgAdmin.c.UpdateItem(bg, "events", rally, map[string]any{"discipline": "hike"}, nil)
		refusedWith(t, err, "Rally Albania 2026 cannot become a hike: its class C-2 (car) does not fit (a hike takes foot classes only). Change or delete those first, or in the same request.")
	})

	anonymous, err := directusctl.NewClient(inst.URL)
	if err != nil {
		t.Fatal(err)
	}
	outsiders := []struct {
		name string
		c    *directusctl.Client
	}{
		{"a participant of the organisation", newMember(t, admin, inst.URL, d.org, "participant").c},
		{"a viewer of the organisation", newMember(t, admin, inst.URL, d.org, "viewer").c},
		{"a marshal of the organisation", newMember(t, admin, inst.URL, d.org, "marshal").c},
		{"another organisation's race director", newMember(t, admin, inst.URL, other, "race-director").c},
		{"another organisation's org-admin", newMember(t, admin, inst.URL, other, "org-admin").c},
		{"an anonymous caller", anonymous},
	}
	for _, o := range outsiders {
		t.Run(o.name+" is refused by access, not told the rule", func(t *testing.T) {
			attempts := []struct {
				what string
				err  error
			}{
				{"a car class in the hike", o.c.CreateItem(bg, "classes", map[string]any{"event_id": hike, "code": "C-9", "name": "Cars", "category": "car"}, nil)},
				{"the hike's class made a moto class", o.c.UpdateItem(bg, "classes", foot, map[string]any{"category": "moto"}, nil)},
				{"a registered entry without a vehicle", o.c.CreateItem(bg, "entries", map[string]any{"event_id": rally, "class_id": car, "race_number": 309, "status": "registered"}, nil)},
				{"the entry registered without a vehicle", o.c.UpdateItem(bg, "entries", entry, map[string]any{"status": "registered"}, nil)},
				{"the rally made a hike", o.c.UpdateItem(bg, "events", rally, map[string]any{"discipline": "hike"}, nil)},
			}
			for _, a := range attempts {
				r := refusalOf(t, a.err)
				if r.Status != http.StatusForbidden && r.Status != http.StatusUnauthorized {
					t.Errorf("%s: %d %s %q, want a refusal by access", a.what, r.Status, r.Code, r.Message)
				}
				for _, name := range []string{"Theth Hike", "Rally Albania 2026", "#301", "F-1", "C-2"} {
					if strings.Contains(r.Message, name) {
						t.Errorf("%s: the refusal names %s: %q", a.what, name, r.Message)
					}
				}
			}
		})
	}

	t.Run("nothing changed", func(t *testing.T) {
		var ev struct {
			Discipline string `json:"discipline"`
		}
		if err := admin.GetItem(bg, "events", rally, nil, &ev); err != nil || ev.Discipline != "rally" {
			t.Errorf("the rally is a %q (%v)", ev.Discipline, err)
		}
		var cl struct {
			Category string `json:"category"`
		}
		if err := admin.GetItem(bg, "classes", foot, nil, &cl); err != nil || cl.Category != "foot" {
			t.Errorf("the hike's class is %q (%v)", cl.Category, err)
		}
		var e struct {
			Status string `json:"status"`
		}
		if err := admin.GetItem(bg, "entries", entry, nil, &e); err != nil || e.Status != "draft" {
			t.Errorf("the entry is %q (%v)", e.Status, err)
		}
	})
}
