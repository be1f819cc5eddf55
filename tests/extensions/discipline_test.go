package extensions

import (
	"context"
	"net/http"
	"testing"

	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testdirectus"
)

// TestDisciplineRules: through REST as the admin UI and API clients write,
// each rule of an event's discipline refuses, with its sentence, a class
// or an entry that does not fit, and a change of discipline that its
// classes or entries would not fit; what fits passes.
func TestDisciplineRules(t *testing.T) {
	inst := testdirectus.StartProvisioned(t, pg.New(t))
	d := &disciplines{t: t, c: inst.Client()}
	d.org = create(t, d.c, "organizations", map[string]any{"name": "Motorsport Club Albania", "slug": "msc-albania"})

	t.Run("a class must fit its event's discipline", d.classMustFit)
	t.Run("an entry needs a vehicle in a motor discipline once past draft", d.motorEntryNeedsAVehicle)
	t.Run("an entry has no vehicle in a foot race", d.footEntryHasNoVehicle)
	t.Run("a change of discipline its classes or entries break is refused", d.disciplineChangeRefused)
	t.Run("a change of discipline with its classes and entries in one request", d.disciplineChangeNested)
	t.Run("an event created with classes that do not fit is not created", d.nestedCreateRefused)
	t.Run("a batch update is judged item by item", d.batchUpdate)
}

type disciplines struct {
	t   *testing.T
	c   *directusctl.Client
	org string
}

var bg = context.Background()

func (d *disciplines) event(t *testing.T, name, discipline string) string {
	t.Helper()
	return create(t, d.c, "events", map[string]any{"organization_id": d.org, "name": name, "slug": "ev-" + unique(),
		"discipline": discipline, "starts_at": "2026-06-06T06:00:00Z", "ends_at": "2026-06-13T18:00:00Z"})
}

func (d *disciplines) class(t *testing.T, event, code, category string) string {
	t.Helper()
	return create(t, d.c, "classes", map[string]any{"event_id": event, "code": code, "name": code, "category": category})
}

// vehicle is a new vehicle registered with the organisation: an entry's
// vehicle must be (db-init/post/006).
func (d *disciplines) vehicle(t *testing.T) string {
	t.Helper()
	id := create(t, d.c, "vehicles", map[string]any{"make": "Toyota", "model": "Hilux " + unique()})
	create(t, d.c, "organization_vehicles", map[string]any{"organization_id": d.org, "vehicle_id": id})
	return id
}

func (d *disciplines) classMustFit(t *testing.T) {
	hike := d.event(t, "Theth Hike", "hike")
	err := d.c.CreateItem(bg, "classes", map[string]any{"event_id": hike, "code": "C-2", "name": "Cars", "category": "car"}, nil)
	refusedWith(t, err, "Class C-2 (car) cannot be in Theth Hike: a hike takes foot classes only.")
	if r := refusalOf(t, err); r.Extensions["rule"] != "discipline" || r.Extensions["field"] != "category" || r.Extensions["collection"] != "classes" {
		t.Errorf("extensions = %v, want rule discipline, collection classes, field category", r.Extensions)
	}
	foot := d.class(t, hike, "F-1", "foot")

	err = d.c.UpdateItem(bg, "classes", foot, map[string]any{"category": "moto"}, nil)
	refusedWith(t, err, "Class F-1 (moto) cannot be in Theth Hike: a hike takes foot classes only.")

	rally := d.event(t, "Rally Albania 2026", "rally")
	err = d.c.CreateItem(bg, "classes", map[string]any{"event_id": rally, "code": "F-9", "name": "Runners", "category": "foot"}, nil)
	refusedWith(t, err, "Class F-9 (foot) cannot be in Rally Albania 2026: a rally takes classes of the categories moto, quad, car, ssv, truck only.")
	for _, category := range []string{"moto", "quad", "car", "ssv", "truck"} {
		d.class(t, rally, "X-"+category, category)
	}
	// Moving a class to an event of another discipline is judged there.
	err = d.c.UpdateItem(bg, "classes", foot, map[string]any{"event_id": rally}, nil)
	refusedWith(t, err, "Class F-1 (foot) cannot be in Rally Albania 2026: a rally takes classes of the categories moto, quad, car, ssv, truck only.")

	regatta := d.event(t, "Vlora Cup", "regatta")
	err = d.c.CreateItem(bg, "classes", map[string]any{"event_id": regatta, "code": "L-1", "name": "Laser", "category": "car"}, nil)
	refusedWith(t, err, "Class L-1 (car) cannot be in Vlora Cup: a regatta takes no class of the categories moto, quad, car, ssv, truck, foot: none of them fits it yet.")

	// A category outside the catalog is the CHECK's to refuse, with its own sentence.
	err = d.c.CreateItem(bg, "classes", map[string]any{"event_id": hike, "code": "B-1", "name": "Bikes", "category": "bicycle"}, nil)
	if r := refusalOf(t, err); r.Status != 400 || !contains(r.Message, "classes_category_allowed") {
		t.Errorf("an unknown category: %d %s", r.Status, r.Message)
	}
}

func (d *disciplines) motorEntryNeedsAVehicle(t *testing.T) {
	rally := d.event(t, "Rally Albania 2026", "rally")
	car := d.class(t, rally, "C-2", "car")
	err := d.c.CreateItem(bg, "entries", map[string]any{"event_id": rally, "class_id": car, "race_number": 301, "status": "registered"}, nil)
	refusedWith(t, err, "Entry #301 of Rally Albania 2026 needs a vehicle: a rally is raced in vehicles. Choose its vehicle, or keep the entry as a draft until it is known.")
	if r := refusalOf(t, err); r.Extensions["field"] != "vehicle_id" || r.Extensions["rule"] != "discipline" {
		t.Errorf("extensions = %v, want field vehicle_id, rule discipline", r.Extensions)
	}

	// A draft may wait for its vehicle; leaving draft without one is refused.
	draft := create(t, d.c, "entries", map[string]any{"event_id": rally, "class_id": car, "race_number": 302})
	err = d.c.UpdateItem(bg, "entries", draft, map[string]any{"status": "submitted"}, nil)
	refusedWith(t, err, "Entry #302 of Rally Albania 2026 needs a vehicle: a rally is raced in vehicles. Choose its vehicle, or keep the entry as a draft until it is known.")
	if err := d.c.UpdateItem(bg, "entries", draft, map[string]any{"status": "submitted", "vehicle_id": d.vehicle(t)}, nil); err != nil {
		t.Fatalf("submitting with a vehicle: %v", err)
	}
	err = d.c.UpdateItem(bg, "entries", draft, map[string]any{"vehicle_id": nil}, nil)
	refusedWith(t, err, "Entry #302 of Rally Albania 2026 needs a vehicle: a rally is raced in vehicles. Choose its vehicle, or keep the entry as a draft until it is known.")

	// A vehicle created in the same request counts (registered with the
	// organisation in that request too: db-init/post/006).
	create(t, d.c, "entries", map[string]any{"event_id": rally, "class_id": car, "race_number": 303, "status": "registered",
		"vehicle_id": map[string]any{"make": "Can-Am", "model": "Maverick X3", "registrations": []map[string]any{{"organization_id": d.org}}}})
	// A withdrawn entry is archived: it may have none.
	create(t, d.c, "entries", map[string]any{"event_id": rally, "class_id": car, "race_number": 304, "status": "withdrawn"})

	trial := d.event(t, "Korça Time Trial", "time-trial")
	moto := d.class(t, trial, "M-1", "moto")
	err = d.c.CreateItem(bg, "entries", map[string]any{"event_id": trial, "class_id": moto, "race_number": 1, "status": "racing"}, nil)
	refusedWith(t, err, "Entry #1 of Korça Time Trial needs a vehicle: a time trial is raced in vehicles. Choose its vehicle, or keep the entry as a draft until it is known.")
}

func (d *disciplines) footEntryHasNoVehicle(t *testing.T) {
	run := d.event(t, "Prokletije Trail", "trail-run")
	foot := d.class(t, run, "T-1", "foot")
	err := d.c.CreateItem(bg, "entries", map[string]any{"event_id": run, "class_id": foot, "race_number": 9, "vehicle_id": d.vehicle(t)}, nil)
	refusedWith(t, err, "Entry #9 of Prokletije Trail cannot have a vehicle: a trail run is on foot. Remove its vehicle.")
	runner := create(t, d.c, "entries", map[string]any{"event_id": run, "class_id": foot, "race_number": 9, "status": "registered"})
	err = d.c.UpdateItem(bg, "entries", runner, map[string]any{"vehicle_id": d.vehicle(t)}, nil)
	refusedWith(t, err, "Entry #9 of Prokletije Trail cannot have a vehicle: a trail run is on foot. Remove its vehicle.")
}

func (d *disciplines) disciplineChangeRefused(t *testing.T) {
	rally := d.event(t, "Rally Albania 2026", "rally")
	moto := d.class(t, rally, "M-1", "moto")
	car := d.class(t, rally, "C-2", "car")
	create(t, d.c, "entries", map[string]any{"event_id": rally, "class_id": moto, "race_number": 1, "status": "registered", "vehicle_id": d.vehicle(t)})
	create(t, d.c, "entries", map[string]any{"event_id": rally, "class_id": car, "race_number": 2, "status": "registered", "vehicle_id": d.vehicle(t)})
	create(t, d.c, "entries", map[string]any{"event_id": rally, "class_id": car, "race_number": 3})

	err := d.c.UpdateItem(bg, "events", rally, map[string]any{"discipline": "hike"}, nil)
	refusedWith(t, err, "Rally Albania 2026 cannot become a hike: its classes C-2 (car) and M-1 (moto) do not fit (a hike takes foot classes only), and its entries #1 and #2 have a vehicle (a hike is on foot). Change or delete those first, or in the same request.")
	if r := refusalOf(t, err); r.Extensions["field"] != "discipline" || r.Extensions["collection"] != "events" {
		t.Errorf("extensions = %v, want events.discipline", r.Extensions)
	}
	var ev struct {
		Discipline string `json:"discipline"`
	}
	if err := d.c.GetItem(bg, "events", rally, nil, &ev); err != nil || ev.Discipline != "rally" {
		t.Fatalf("after the refusal the event is %q (%v), want rally", ev.Discipline, err)
	}

	// Rally and time trial share their rule.
	if err := d.c.UpdateItem(bg, "events", rally, map[string]any{"discipline": "time-trial"}, nil); err != nil {
		t.Fatalf("rally → time trial: %v", err)
	}

	hike := d.event(t, "Theth Hike", "hike")
	foot := d.class(t, hike, "F-1", "foot")
	create(t, d.c, "entries", map[string]any{"event_id": hike, "class_id": foot, "race_number": 5, "status": "registered"})
	err = d.c.UpdateItem(bg, "events", hike, map[string]any{"discipline": "rally"}, nil)
	refusedWith(t, err, "Theth Hike cannot become a rally: its class F-1 (foot) does not fit (a rally takes classes of the categories moto, quad, car, ssv, truck only), and its entry #5 has no vehicle (a rally is raced in vehicles). Change or delete those first, or in the same request.")
}

// disciplineChangeNested: the admin UI sends an event's edited classes and
// entries with the event: the rules judge the result.
func (d *disciplines) disciplineChangeNested(t *testing.T) {
	rally := d.event(t, "Shkodër Rally", "rally")
	car := d.class(t, rally, "C-2", "car")
	entry := create(t, d.c, "entries", map[string]any{"event_id": rally, "class_id": car, "race_number": 1, "status": "registered", "vehicle_id": d.vehicle(t)})

	// Only the classes: the entry still has its vehicle.
	err := d.c.UpdateItem(bg, "events", rally, map[string]any{"discipline": "hike",
		"classes": map[string]any{"update": []any{map[string]any{"id": car, "category": "foot"}}}}, nil)
	refusedWith(t, err, "Shkodër Rally cannot become a hike: its entry #1 has a vehicle (a hike is on foot). Change or delete those first, or in the same request.")

	err = d.c.UpdateItem(bg, "events", rally, map[string]any{"discipline": "hike", "name": "Shkodër Hike",
		"classes": map[string]any{"update": []any{map[string]any{"id": car, "category": "foot", "code": "F-1"}}},
		"entries": map[string]any{"update": []any{map[string]any{"id": entry, "vehicle_id": nil}}}}, nil)
	if err != nil {
		t.Fatalf("the discipline with its classes and entries in one request: %v", err)
	}
	var cl struct {
		Category string `json:"category"`
	}
	if err := d.c.GetItem(bg, "classes", car, nil, &cl); err != nil || cl.Category != "foot" {
		t.Fatalf("the class after the change: %q, %v", cl.Category, err)
	}
}

func (d *disciplines) nestedCreateRefused(t *testing.T) {
	slug := "ev-" + unique()
	err := d.c.CreateItem(bg, "events", map[string]any{"organization_id": d.org, "name": "Dajti Hike", "slug": slug, "discipline": "hike",
		"starts_at": "2026-07-01T06:00:00Z", "ends_at": "2026-07-01T18:00:00Z",
		"classes": []any{map[string]any{"code": "F-1", "name": "Walkers", "category": "foot"}, map[string]any{"code": "C-1", "name": "Cars", "category": "car"}}}, nil)
	refusedWith(t, err, "Class C-1 (car) cannot be in Dajti Hike: a hike takes foot classes only.")
	var found []struct {
		ID string `json:"id"`
	}
	if err := d.c.ListItems(bg, "events", map[string][]string{"filter[slug][_eq]": {slug}}, &found); err != nil || len(found) != 0 {
		t.Fatalf("the refused event exists: %v %v", found, err)
	}
}

func (d *disciplines) batchUpdate(t *testing.T) {
	rally := d.event(t, "Durrës Rally", "rally")
	car := d.class(t, rally, "C-2", "car")
	withVehicle := create(t, d.c, "entries", map[string]any{"event_id": rally, "class_id": car, "race_number": 10, "vehicle_id": d.vehicle(t)})
	without := create(t, d.c, "entries", map[string]any{"event_id": rally, "class_id": car, "race_number": 11})
	err := d.c.Do(bg, http.MethodPatch, "/items/entries", nil, map[string]any{"keys": []string{withVehicle, without}, "data": map[string]any{"status": "registered"}}, nil)
	refusedWith(t, err, "Entry #11 of Durrës Rally needs a vehicle: a rally is raced in vehicles. Choose its vehicle, or keep the entry as a draft until it is known.")
	var e struct {
		Status string `json:"status"`
	}
	if err := d.c.GetItem(bg, "entries", withVehicle, nil, &e); err != nil || e.Status != "draft" {
		t.Fatalf("a refused batch changed an entry: %q, %v", e.Status, err)
	}
}
