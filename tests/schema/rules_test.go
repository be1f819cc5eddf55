package schema

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
)

// Directus alone answers 400 RECORD_NOT_UNIQUE naming the columns
// "event_id, race_number"; the extension names the rule and points the
// admin UI at race_number.
func (a *api) raceNumberOncePerEvent(t *testing.T) {
	f := a.fixture(t)
	a.create(t, "entries", map[string]any{"event_id": f.event, "class_id": f.class, "race_number": 7})
	err := a.c.CreateItem(ctx, "entries", map[string]any{"event_id": f.event, "class_id": f.class, "race_number": 7}, nil)
	refused(t, err, http.StatusBadRequest, directusctl.CodeRecordNotUnique, "entries_race_number_unique_per_event", "race number")
	if got := field(err); got != "race_number" {
		t.Errorf("extensions.field = %q, want race_number", got)
	}

	// The same number in another event of the same organization is fine.
	other := a.event(t, f.org, "other-"+unique())
	cl := a.create(t, "classes", map[string]any{"event_id": other, "code": "C-2", "name": "Cars", "category": "car"})
	a.create(t, "entries", map[string]any{"event_id": other, "class_id": cl, "race_number": 7})
}

// Directus alone answers 400 INVALID_FOREIGN_KEY for "class_id, event_id".
func (a *api) classOfTheSameEvent(t *testing.T) {
	f := a.fixture(t)
	other := a.event(t, f.org, "other-"+unique())
	foreign := a.create(t, "classes", map[string]any{"event_id": other, "code": "M-1", "name": "Moto", "category": "moto"})

	err := a.c.CreateItem(ctx, "entries", map[string]any{"event_id": f.event, "class_id": foreign, "race_number": 1}, nil)
	refused(t, err, http.StatusBadRequest, "INVALID_FOREIGN_KEY", "entries_class_of_same_event", "class of the entry's event")
	if got := field(err); got != "class_id" {
		t.Errorf("extensions.field = %q, want class_id", got)
	}

	// Moving an entry to another event without changing its class is the
	// same mistake.
	entry := a.create(t, "entries", map[string]any{"event_id": f.event, "class_id": f.class, "race_number": 1})
	err = a.c.UpdateItem(ctx, "entries", entry, map[string]any{"event_id": other}, nil)
	refused(t, err, http.StatusBadRequest, "INVALID_FOREIGN_KEY", "entries_class_of_same_event", "class of the entry's event")
	// With a class of the new event it moves.
	if err := a.c.UpdateItem(ctx, "entries", entry, map[string]any{"event_id": other, "class_id": foreign}, nil); err != nil {
		t.Fatalf("moving the entry with a class of its new event: %v", err)
	}
}

// Directus alone answers 500 INTERNAL_SERVER_ERROR for the exclusion
// constraint (an admin reads the SQL, anyone else "An unexpected error
// occurred.").
func (a *api) trackerWindows(t *testing.T) {
	f := a.fixture(t)
	e1 := a.create(t, "entries", map[string]any{"event_id": f.event, "class_id": f.class, "race_number": 101})
	e2 := a.create(t, "entries", map[string]any{"event_id": f.event, "class_id": f.class, "race_number": 102})
	e3 := a.create(t, "entries", map[string]any{"event_id": f.event, "class_id": f.class, "race_number": 103})
	tracker := a.create(t, "devices", map[string]any{"imei": "35630704244" + pad4(unique()), "model": "FMB920"})
	spare := a.create(t, "devices", map[string]any{"imei": "35630704245" + pad4(unique()), "model": "FMB920"})
	// A tracker is assigned only within the organisation it is registered
	// with (db-init/post/006).
	for _, d := range []string{tracker, spare} {
		a.create(t, "organization_devices", map[string]any{"organization_id": f.org, "device_id": d})
	}

	// Day 1: the tracker is on e1, open-ended.
	first := a.create(t, "entry_devices", map[string]any{"entry_id": e1, "device_id": tracker, "valid_from": "2026-06-06T06:00:00Z"})

	// Giving it to e2 while e1's assignment is open overlaps.
	err := a.c.CreateItem(ctx, "entry_devices", map[string]any{"entry_id": e2, "device_id": tracker, "valid_from": "2026-06-08T06:00:00Z"}, nil)
	refused(t, err, http.StatusBadRequest, directusctl.CodeInvalidPayload, "entry_devices_no_overlapping_assignment", "already assigned", "overlapping")
	if got := field(err); got != "device_id" {
		t.Errorf("extensions.field = %q, want device_id", got)
	}

	// The swap: close e1's window, give e1 the spare, and the tracker to e2
	// from the moment e1's window closed (windows are half-open).
	if err := a.c.UpdateItem(ctx, "entry_devices", first, map[string]any{"valid_until": "2026-06-08T06:00:00Z"}, nil); err != nil {
		t.Fatalf("closing the first window: %v", err)
	}
	a.create(t, "entry_devices", map[string]any{"entry_id": e1, "device_id": spare, "valid_from": "2026-06-08T06:00:00Z"})
	second := a.create(t, "entry_devices", map[string]any{"entry_id": e2, "device_id": tracker, "valid_from": "2026-06-08T06:00:00Z"})

	// Re-opening e1's window over e2's is refused as well (an update).
	err = a.c.UpdateItem(ctx, "entry_devices", first, map[string]any{"valid_until": "2026-06-09T06:00:00Z"}, nil)
	refused(t, err, http.StatusBadRequest, directusctl.CodeInvalidPayload, "entry_devices_no_overlapping_assignment", "already assigned")

	// e3 may have it once e2's window is closed, not before.
	err = a.c.CreateItem(ctx, "entry_devices", map[string]any{"entry_id": e3, "device_id": tracker, "valid_from": "2026-06-10T06:00:00Z", "valid_until": "2026-06-11T06:00:00Z"}, nil)
	refused(t, err, http.StatusBadRequest, directusctl.CodeInvalidPayload, "entry_devices_no_overlapping_assignment", "already assigned")
	if err := a.c.UpdateItem(ctx, "entry_devices", second, map[string]any{"valid_until": "2026-06-10T06:00:00Z"}, nil); err != nil {
		t.Fatalf("closing the second window: %v", err)
	}
	a.create(t, "entry_devices", map[string]any{"entry_id": e3, "device_id": tracker, "valid_from": "2026-06-10T06:00:00Z", "valid_until": "2026-06-11T06:00:00Z"})

	// Back to e1 in a second window: UNIQUE (entry_id, device_id).
	err = a.c.CreateItem(ctx, "entry_devices", map[string]any{"entry_id": e1, "device_id": tracker, "valid_from": "2026-06-12T06:00:00Z"}, nil)
	refused(t, err, http.StatusBadRequest, directusctl.CodeRecordNotUnique, "entry_devices_assigned_once", "assigned to this entry already")

	// A window that ends before it starts.
	err = a.c.CreateItem(ctx, "entry_devices", map[string]any{"entry_id": e3, "device_id": spare, "valid_from": "2026-06-12T06:00:00Z", "valid_until": "2026-06-12T05:00:00Z"}, nil)
	refused(t, err, http.StatusBadRequest, directusctl.CodeInvalidPayload, "entry_devices_window_valid", "must end after it starts")
}

// pad4 left-pads a counter to four digits (IMEIs are 15 digits).
func pad4(s string) string {
	for len(s) < 4 {
		s = "0" + s
	}
	return s
}

// Directus alone answers 500 INTERNAL_SERVER_ERROR for the CHECK.
func (a *api) eventEndsAfterStart(t *testing.T) {
	f := a.fixture(t)
	s := unique()
	err := a.c.CreateItem(ctx, "events", map[string]any{"organization_id": f.org, "name": "Backwards", "slug": "backwards-" + s,
		"discipline": "rally", "starts_at": "2026-06-13T18:00:00Z", "ends_at": "2026-06-06T06:00:00Z"}, nil)
	refused(t, err, http.StatusBadRequest, directusctl.CodeInvalidPayload, "events_ends_after_starts", "cannot end before it starts")

	err = a.c.UpdateItem(ctx, "events", f.event, map[string]any{"ends_at": "2026-06-01T00:00:00Z"}, nil)
	refused(t, err, http.StatusBadRequest, directusctl.CodeInvalidPayload, "events_ends_after_starts", "cannot end before it starts")

	// A one-moment event (ends == starts) is allowed.
	a.create(t, "events", map[string]any{"organization_id": f.org, "name": "Instant", "slug": "instant-" + s,
		"discipline": "hike", "starts_at": "2026-06-06T06:00:00Z", "ends_at": "2026-06-06T06:00:00Z"})
}

// Deletes skip Directus's error translation: alone it answers 500
// INTERNAL_SERVER_ERROR. ON DELETE RESTRICT everywhere but
// entry_devices.assigned_user_id.
func (a *api) restrictDelete(t *testing.T) {
	f := a.fixture(t)
	err := a.c.DeleteItem(ctx, "organizations", f.org)
	refused(t, err, http.StatusBadRequest, "INVALID_FOREIGN_KEY", "events_organization_id_foreign", "still referenced by events")
	var org map[string]any
	if err := a.c.GetItem(ctx, "organizations", f.org, nil, &org); err != nil {
		t.Fatalf("the organization is gone: %v", err)
	}

	// A class with entries, through either foreign key.
	a.create(t, "entries", map[string]any{"event_id": f.event, "class_id": f.class, "race_number": 1})
	err = a.c.DeleteItem(ctx, "classes", f.class)
	var ae *directusctl.APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusBadRequest || !strings.Contains(ae.Message, "still referenced by entries") {
		t.Errorf("deleting a class with entries: want 400 still referenced by entries, got %v", err)
	}

	// Nothing refers to an organization without events: it goes.
	s := unique()
	empty := a.create(t, "organizations", map[string]any{"name": "Empty " + s, "slug": "empty-" + s})
	if err := a.c.DeleteItem(ctx, "organizations", empty); err != nil {
		t.Errorf("deleting an organization nothing refers to: %v", err)
	}
}

func (a *api) compositeUniques(t *testing.T) {
	f := a.fixture(t)
	err := a.c.CreateItem(ctx, "events", map[string]any{"organization_id": f.org, "name": "Again", "slug": a.slugOf(t, f.event),
		"discipline": "rally", "starts_at": "2026-06-06T06:00:00Z", "ends_at": "2026-06-13T18:00:00Z"}, nil)
	refused(t, err, http.StatusBadRequest, directusctl.CodeRecordNotUnique, "events_slug_unique_per_organization", "slug")
	if got := field(err); got != "slug" {
		t.Errorf("extensions.field = %q, want slug", got)
	}

	err = a.c.CreateItem(ctx, "classes", map[string]any{"event_id": f.event, "code": "C-2", "name": "Cars again", "category": "car"}, nil)
	refused(t, err, http.StatusBadRequest, directusctl.CodeRecordNotUnique, "classes_code_unique_per_event", "class with this code")

	user := a.user(t)
	a.create(t, "organization_users", map[string]any{"organization_id": f.org, "user_id": user, "role": "marshal"})
	err = a.c.CreateItem(ctx, "organization_users", map[string]any{"organization_id": f.org, "user_id": user, "role": "viewer"}, nil)
	refused(t, err, http.StatusBadRequest, directusctl.CodeRecordNotUnique, "organization_users_one_role_per_user", "one role per organization")

	vehicle := a.create(t, "vehicles", map[string]any{"make": "Toyota", "model": "Hilux"})
	a.create(t, "organization_vehicles", map[string]any{"organization_id": f.org, "vehicle_id": vehicle})
	err = a.c.CreateItem(ctx, "organization_vehicles", map[string]any{"organization_id": f.org, "vehicle_id": vehicle}, nil)
	refused(t, err, http.StatusBadRequest, directusctl.CodeRecordNotUnique, "organization_vehicles_registered_once", "registered with this organization already")

	device := a.create(t, "devices", map[string]any{"imei": "35630704246" + pad4(unique()), "model": "FMB003"})
	a.create(t, "organization_devices", map[string]any{"organization_id": f.org, "device_id": device})
	err = a.c.CreateItem(ctx, "organization_devices", map[string]any{"organization_id": f.org, "device_id": device}, nil)
	refused(t, err, http.StatusBadRequest, directusctl.CodeRecordNotUnique, "organization_devices_registered_once", "registered with this organization already")

	entry := a.create(t, "entries", map[string]any{"event_id": f.event, "class_id": f.class, "race_number": 1})
	a.create(t, "entry_crew", map[string]any{"entry_id": entry, "user_id": user, "role": "pilot"})
	err = a.c.CreateItem(ctx, "entry_crew", map[string]any{"entry_id": entry, "user_id": user, "role": "navigator"}, nil)
	refused(t, err, http.StatusBadRequest, directusctl.CodeRecordNotUnique, "entry_crew_member_once", "crew of this entry already")

	// Directus's own single-column UNIQUE keeps Directus's message.
	s := unique()
	a.create(t, "organizations", map[string]any{"name": "Twin", "slug": "twin-" + s})
	err = a.c.CreateItem(ctx, "organizations", map[string]any{"name": "Twin", "slug": "twin-" + s}, nil)
	refused(t, err, http.StatusBadRequest, directusctl.CodeRecordNotUnique, "", `field "slug"`, "has to be unique")
}

func (a *api) enumerations(t *testing.T) {
	f := a.fixture(t)
	cases := []struct {
		collection, constraint string
		item                   map[string]any
	}{
		{"events", "events_discipline_allowed", map[string]any{"organization_id": f.org, "name": "Golf", "slug": "golf-" + unique(),
			"discipline": "golf", "starts_at": "2026-06-06T06:00:00Z", "ends_at": "2026-06-07T06:00:00Z"}},
		{"classes", "classes_category_allowed", map[string]any{"event_id": f.event, "code": "B-1", "name": "Bikes", "category": "bicycle"}},
		{"entries", "entries_status_allowed", map[string]any{"event_id": f.event, "class_id": f.class, "race_number": 900, "status": "disqualified"}},
		{"organization_users", "organization_users_role_allowed", map[string]any{"organization_id": f.org, "user_id": a.user(t), "role": "owner"}},
	}
	for _, c := range cases {
		err := a.c.CreateItem(ctx, c.collection, c.item, nil)
		refused(t, err, http.StatusBadRequest, directusctl.CodeInvalidPayload, c.constraint, "must be one of")
	}
	entry := a.create(t, "entries", map[string]any{"event_id": f.event, "class_id": f.class, "race_number": 901})
	err := a.c.CreateItem(ctx, "entry_crew", map[string]any{"entry_id": entry, "user_id": a.user(t), "role": "passenger"}, nil)
	refused(t, err, http.StatusBadRequest, directusctl.CodeInvalidPayload, "entry_crew_role_allowed", "must be one of")

	// A new entry is a draft.
	var got struct {
		Status string `json:"status"`
	}
	if err := a.c.GetItem(ctx, "entries", entry, nil, &got); err != nil || got.Status != "draft" {
		t.Errorf("a new entry's status = %q (%v), want draft", got.Status, err)
	}
}

// Field validations are Directus's own (FAILED_VALIDATION, before the
// database).
func (a *api) fieldValidations(t *testing.T) {
	var ae *directusctl.APIError
	err := a.c.CreateItem(ctx, "devices", map[string]any{"imei": "35630704244101", "model": "FMB920"}, nil)
	if !errors.As(err, &ae) || ae.Code != directusctl.CodeFailedValidation || field(err) != "imei" {
		t.Errorf("a 14-digit IMEI: want FAILED_VALIDATION on imei, got %v", err)
	}
	err = a.c.CreateItem(ctx, "organizations", map[string]any{"name": "Bad", "slug": "Bad Slug"}, nil)
	if !errors.As(err, &ae) || ae.Code != directusctl.CodeFailedValidation || field(err) != "slug" {
		t.Errorf("slug 'Bad Slug': want FAILED_VALIDATION on slug, got %v", err)
	}
	// Another model than the two listed is allowed.
	a.create(t, "devices", map[string]any{"imei": "35630704247" + pad4(unique()), "model": "FMC130"})

	user := a.user(t)
	err = a.c.Do(ctx, http.MethodPatch, "/users/"+user, nil, map[string]any{"nationality": "al"}, nil)
	if !errors.As(err, &ae) || ae.Code != directusctl.CodeFailedValidation || field(err) != "nationality" {
		t.Errorf("nationality 'al': want FAILED_VALIDATION on nationality, got %v", err)
	}
	for _, ok := range []any{"AL", nil} {
		if err := a.c.Do(ctx, http.MethodPatch, "/users/"+user, nil, map[string]any{"nationality": ok, "phone": "+355691234567", "birth_date": "1990-05-17"}, nil); err != nil {
			t.Errorf("nationality %v: %v", ok, err)
		}
	}
}

// entry_devices.assigned_user_id is the one ON DELETE SET NULL.
func (a *api) assignedUserSetNull(t *testing.T) {
	f := a.fixture(t)
	entry := a.create(t, "entries", map[string]any{"event_id": f.event, "class_id": f.class, "race_number": 1})
	button := a.create(t, "devices", map[string]any{"imei": "35630704248" + pad4(unique()), "model": "FMB003"})
	wearer := a.user(t)
	// Trackers and the people carrying them are the organisation's
	// (db-init/post/006).
	a.create(t, "organization_devices", map[string]any{"organization_id": f.org, "device_id": button})
	membership := a.create(t, "organization_users", map[string]any{"organization_id": f.org, "user_id": wearer, "role": "participant"})
	assignment := a.create(t, "entry_devices", map[string]any{"entry_id": entry, "device_id": button, "assigned_user_id": wearer})
	if err := a.c.DeleteItem(ctx, "organization_users", membership); err != nil {
		t.Fatalf("removing the wearer from the organisation (their membership restricts deleting them): %v", err)
	}
	if err := a.c.Do(ctx, http.MethodDelete, "/users/"+wearer, nil, nil, nil); err != nil {
		t.Fatalf("deleting the wearer: %v", err)
	}
	var got struct {
		AssignedUserID *string `json:"assigned_user_id"`
		ValidFrom      string  `json:"valid_from"`
	}
	if err := a.c.GetItem(ctx, "entry_devices", assignment, nil, &got); err != nil {
		t.Fatal(err)
	}
	if got.AssignedUserID != nil {
		t.Errorf("assigned_user_id = %v after the user was deleted, want null", *got.AssignedUserID)
	}
	if got.ValidFrom == "" {
		t.Error("valid_from did not default to now")
	}
}

// The point of the extension for everyone who is not an admin: without
// it they read "An unexpected error occurred." (HTTP 500).
func (a *api) nonAdminReadsTheRule(t *testing.T) {
	f := a.fixture(t)
	policy, err := a.c.CreatePolicy(ctx, directusctl.Policy{Name: "schema test organiser " + unique()})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []struct{ collection, action string }{
		{"events", directusctl.ActionCreate}, {"events", directusctl.ActionRead},
		{"organizations", directusctl.ActionRead}, {"organizations", directusctl.ActionDelete},
	} {
		if _, err := a.c.CreatePermission(ctx, directusctl.Permission{Policy: policy.ID, Collection: p.collection, Action: p.action,
			Permissions: json.RawMessage(`{}`), Fields: []string{"*"}}); err != nil {
			t.Fatal(err)
		}
	}
	s := unique()
	token := "schema-test-organiser-token-" + s
	var user struct {
		ID string `json:"id"`
	}
	if err := a.c.Do(ctx, http.MethodPost, "/users", nil, map[string]any{"email": "organiser" + s + "@example.com",
		"password": "organiser-password", "token": token}, &user); err != nil {
		t.Fatal(err)
	}
	if _, err := a.c.CreateAccess(ctx, directusctl.Access{User: user.ID, Policy: policy.ID}); err != nil {
		t.Fatal(err)
	}
	organiser, err := directusctl.NewClient(a.url, directusctl.WithToken(token))
	if err != nil {
		t.Fatal(err)
	}
	err = organiser.CreateItem(ctx, "events", map[string]any{"organization_id": f.org, "name": "Backwards", "slug": "backwards-" + s,
		"discipline": "rally", "starts_at": "2026-06-13T18:00:00Z", "ends_at": "2026-06-06T06:00:00Z"}, nil)
	refused(t, err, http.StatusBadRequest, directusctl.CodeInvalidPayload, "events_ends_after_starts", "cannot end before it starts")
	err = organiser.DeleteItem(ctx, "organizations", f.org)
	refused(t, err, http.StatusBadRequest, "INVALID_FOREIGN_KEY", "events_organization_id_foreign", "still referenced by events")
}

func (a *api) user(t testing.TB) string {
	t.Helper()
	s := unique()
	var u struct {
		ID string `json:"id"`
	}
	if err := a.c.Do(ctx, http.MethodPost, "/users", nil, map[string]any{"email": "crew" + s + "@example.com",
		"first_name": "Crew", "last_name": s}, &u); err != nil {
		t.Fatal(err)
	}
	return u.ID
}

func (a *api) slugOf(t testing.TB, event string) string {
	t.Helper()
	var ev struct {
		Slug string `json:"slug"`
	}
	if err := a.c.GetItem(ctx, "events", event, nil, &ev); err != nil {
		t.Fatal(err)
	}
	return ev.Slug
}
