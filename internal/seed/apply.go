package seed

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
)

// State is what happened, or would happen, to one record.
type State string

const (
	// StateCreated: the record was missing and was created.
	StateCreated State = "created"
	// StatePresent: a record with the natural key exists; it is left as
	// it is.
	StatePresent State = "present"
	// StateMissing: a dry run found no record with the natural key; a run
	// would create it.
	StateMissing State = "missing"
)

// Record is one record of the file as applied.
type Record struct {
	// Kind is the collection (directus_users for people).
	Kind string `json:"kind"`
	// Key is the natural key as text.
	Key string `json:"key"`
	// ID is the primary key; empty for a missing record.
	ID    string `json:"id"`
	State State  `json:"state"`
}

// KindCount counts the records of one collection.
type KindCount struct {
	Kind    string `json:"kind"`
	Created int    `json:"created"`
	Present int    `json:"present"`
	Missing int    `json:"missing"`
}

// Report is what Apply did: counts per state, per collection in the
// order of writing, and every record in that order.
type Report struct {
	Seed    string      `json:"seed"`
	DryRun  bool        `json:"dry_run"`
	Created int         `json:"created"`
	Present int         `json:"present"`
	Missing int         `json:"missing"`
	Kinds   []KindCount `json:"kinds"`
	Records []Record    `json:"records"`
}

// Options tune Apply.
type Options struct {
	// DryRun looks every record up and writes nothing.
	DryRun bool
	// Progress, when set, is called after each record.
	Progress func(Record)
}

// Collections lists the collections Apply reads and writes, in the order
// it writes them; a caller checks that they are readable before applying.
func Collections() []string {
	return []string{
		"organizations", "directus_users", "organization_users", "vehicles", "organization_vehicles",
		"devices", "organization_devices", "events", "classes", "entries", "entry_crew", "entry_devices",
	}
}

// Apply ensures every record of f exists in the Directus instance c
// reaches, dependencies first. On failure the report holds what was done
// before it (a new run creates only what is still missing).
func Apply(ctx context.Context, c *directusctl.Client, f *File, opt Options) (*Report, error) {
	w := &writer{c: c, opt: opt, report: &Report{Seed: f.Name, DryRun: opt.DryRun, Kinds: []KindCount{}, Records: []Record{}}}
	return w.report, w.apply(ctx, f)
}

// id is a primary key as Directus returned it (a JSON string for UUIDs),
// sent back verbatim in payloads; nil in a dry run for a record that does
// not exist yet.
type id = json.RawMessage

type writer struct {
	c      *directusctl.Client
	opt    Options
	report *Report
}

func (w *writer) apply(ctx context.Context, f *File) error {
	orgs := make([]id, len(f.Organizations))
	for i, o := range f.Organizations {
		var err error
		if orgs[i], err = w.ensure(ctx, "organizations", o.Slug, naturalKey{{"slug", o.Slug}}, map[string]any{"name": o.Name}); err != nil {
			return err
		}
	}
	people := map[string]id{}
	for _, p := range f.People {
		payload := map[string]any{"email": p.Email}
		for k, v := range map[string]string{"first_name": p.FirstName, "last_name": p.LastName, "phone": p.Phone, "birth_date": p.BirthDate, "nationality": p.Nationality} {
			if v != "" {
				payload[k] = v
			}
		}
		pid, err := w.ensure(ctx, "directus_users", p.Email, naturalKey{{"email", p.Email}}, payload)
		if err != nil {
			return err
		}
		people[p.Email] = pid
	}
	for i, o := range f.Organizations {
		for _, m := range o.Members {
			if _, err := w.ensure(ctx, "organization_users", o.Slug+" + "+m.Person,
				naturalKey{{"organization_id", orgs[i]}, {"user_id", people[m.Person]}}, map[string]any{"role": m.Role}); err != nil {
				return err
			}
		}
	}
	vehicles := map[string]id{}
	for _, v := range f.Vehicles {
		payload := map[string]any{"plate": v.Plate, "make": v.Make, "model": v.Model}
		if v.VIN != "" {
			payload["vin"] = v.VIN
		}
		if v.Year > 0 {
			payload["year"] = v.Year
		}
		if v.CC > 0 {
			payload["cc"] = v.CC
		}
		vid, err := w.ensure(ctx, "vehicles", v.Plate, naturalKey{{"plate", v.Plate}}, payload)
		if err != nil {
			return err
		}
		vehicles[v.Plate] = vid
	}
	for i, o := range f.Organizations {
		for _, r := range o.Vehicles {
			if _, err := w.ensure(ctx, "organization_vehicles", o.Slug+" + "+r.Key,
				naturalKey{{"organization_id", orgs[i]}, {"vehicle_id", vehicles[r.Key]}}, nil); err != nil {
				return err
			}
		}
	}
	devices := map[string]id{}
	for _, d := range f.Devices {
		did, err := w.ensure(ctx, "devices", d.IMEI, naturalKey{{"imei", d.IMEI}}, map[string]any{"model": d.Model})
		if err != nil {
			return err
		}
		devices[d.IMEI] = did
	}
	for i, o := range f.Organizations {
		for _, r := range o.Devices {
			if _, err := w.ensure(ctx, "organization_devices", o.Slug+" + "+r.Key,
				naturalKey{{"organization_id", orgs[i]}, {"device_id", devices[r.Key]}}, nil); err != nil {
				return err
			}
		}
	}

	type eventIDs struct {
		event   id
		classes map[string]id
		entries []id
	}
	events := make([][]eventIDs, len(f.Organizations))
	for i, o := range f.Organizations {
		for _, ev := range o.Events {
			eid, err := w.ensure(ctx, "events", o.Slug+"/"+ev.Slug, naturalKey{{"organization_id", orgs[i]}, {"slug", ev.Slug}}, map[string]any{
				"name": ev.Name, "discipline": ev.Discipline,
				"starts_at": ev.StartsAt.Format(time.RFC3339), "ends_at": ev.EndsAt.Format(time.RFC3339),
			})
			if err != nil {
				return err
			}
			events[i] = append(events[i], eventIDs{event: eid, classes: map[string]id{}})
		}
	}
	for i, o := range f.Organizations {
		for j, ev := range o.Events {
			ids := &events[i][j]
			for k, c := range ev.Classes {
				cid, err := w.ensure(ctx, "classes", ev.Slug+"/"+c.Code, naturalKey{{"event_id", ids.event}, {"code", c.Code}},
					map[string]any{"name": c.Name, "category": c.Category, "sort": k + 1})
				if err != nil {
					return err
				}
				ids.classes[c.Code] = cid
			}
		}
	}
	for i, o := range f.Organizations {
		for j, ev := range o.Events {
			ids := &events[i][j]
			for _, e := range ev.Entries {
				payload := map[string]any{"class_id": ids.classes[e.Class]}
				if e.Vehicle != "" {
					payload["vehicle_id"] = vehicles[e.Vehicle]
				}
				if e.Status != "" {
					payload["status"] = e.Status
				}
				enid, err := w.ensure(ctx, "entries", entryKey(ev, e), naturalKey{{"event_id", ids.event}, {"race_number", e.RaceNumber}}, payload)
				if err != nil {
					return err
				}
				ids.entries = append(ids.entries, enid)
			}
		}
	}
	for i, o := range f.Organizations {
		for j, ev := range o.Events {
			for k, e := range ev.Entries {
				for _, m := range e.Crew {
					if _, err := w.ensure(ctx, "entry_crew", entryKey(ev, e)+" + "+m.Person,
						naturalKey{{"entry_id", events[i][j].entries[k]}, {"user_id", people[m.Person]}}, map[string]any{"role": m.Role}); err != nil {
						return err
					}
				}
			}
		}
	}
	for i, o := range f.Organizations {
		for j, ev := range o.Events {
			for k, e := range ev.Entries {
				for _, d := range e.Devices {
					payload := map[string]any{"assigned_user_id": nil, "valid_from": d.ValidFrom.Format(time.RFC3339)}
					if d.WornBy != "" {
						payload["assigned_user_id"] = people[d.WornBy]
					}
					if d.ValidUntil != nil {
						payload["valid_until"] = d.ValidUntil.Format(time.RFC3339)
					}
					if _, err := w.ensure(ctx, "entry_devices", entryKey(ev, e)+" + "+d.IMEI,
						naturalKey{{"entry_id", events[i][j].entries[k]}, {"device_id", devices[d.IMEI]}}, payload); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

func entryKey(ev Event, e Entry) string { return ev.Slug + " #" + strconv.Itoa(e.RaceNumber) }

// naturalKey is a record's identifying fields, in order: literals, or the
// ids of the records it belongs to.
type naturalKey []field

type field struct {
	name  string
	value any
}

// known reports whether every id of the key exists: in a dry run, the
// parent of a missing record is missing too.
func (k naturalKey) known() bool {
	for _, f := range k {
		if v, ok := f.value.(id); ok && len(v) == 0 {
			return false
		}
	}
	return true
}

// ensure returns the id of the record of collection with the natural key,
// creating it from the key's fields and payload when it is missing (in a
// dry run, reporting it missing).
func (w *writer) ensure(ctx context.Context, collection, key string, natural naturalKey, payload map[string]any) (id, error) {
	found, ok := id(nil), false
	if natural.known() {
		var err error
		if found, ok, err = w.lookup(ctx, collection, key, natural); err != nil {
			return nil, err
		}
	}
	switch {
	case ok:
		w.record(collection, key, found, StatePresent)
		return found, nil
	case w.opt.DryRun:
		w.record(collection, key, nil, StateMissing)
		return nil, nil
	}
	body := map[string]any{}
	for k, v := range payload {
		body[k] = v
	}
	for _, f := range natural {
		body[f.name] = f.value
	}
	var created struct {
		ID id `json:"id"`
	}
	err := w.c.Do(ctx, http.MethodPost, CollectionPath(collection), url.Values{"fields": {"id"}}, body, &created)
	var ae *directusctl.APIError
	switch {
	case err == nil && len(created.ID) > 0:
		w.record(collection, key, created.ID, StateCreated)
		return created.ID, nil
	case err == nil:
		return nil, fmt.Errorf("create %s %s: Directus answered without the new record's id", collection, key)
	case errors.As(err, &ae) && ae.Code == directusctl.CodeRecordNotUnique:
		// Written meanwhile by someone else (another run): take it.
		if found, ok, err = w.lookup(ctx, collection, key, natural); err != nil {
			return nil, err
		}
		if ok {
			w.record(collection, key, found, StatePresent)
			return found, nil
		}
	}
	return nil, fmt.Errorf("create %s %s: %w", collection, key, explain(err))
}

// lookup finds the record of collection matching the natural key. More
// than one match is an error: the key would not identify what the file
// means.
func (w *writer) lookup(ctx context.Context, collection, key string, natural naturalKey) (id, bool, error) {
	filter := map[string]any{}
	for _, f := range natural {
		filter[f.name] = map[string]any{"_eq": f.value}
	}
	fb, err := json.Marshal(filter)
	if err != nil {
		return nil, false, err
	}
	q := url.Values{"filter": {string(fb)}, "fields": {"id"}, "limit": {"2"}}
	var found []struct {
		ID id `json:"id"`
	}
	if err := w.c.Do(ctx, http.MethodGet, CollectionPath(collection), q, nil, &found); err != nil {
		return nil, false, fmt.Errorf("look up %s %s: %w", collection, key, explain(err))
	}
	switch len(found) {
	case 0:
		return nil, false, nil
	case 1:
		return found[0].ID, true, nil
	}
	return nil, false, fmt.Errorf("look up %s %s: more than one record has this key; remove the duplicates in Directus and apply the file again", collection, key)
}

func (w *writer) record(kind, key string, rid id, state State) {
	r := w.report
	rec := Record{Kind: kind, Key: key, ID: idText(rid), State: state}
	r.Records = append(r.Records, rec)
	i := len(r.Kinds) - 1
	if i < 0 || r.Kinds[i].Kind != kind {
		r.Kinds = append(r.Kinds, KindCount{Kind: kind})
		i++
	}
	switch state {
	case StateCreated:
		r.Kinds[i].Created++
		r.Created++
	case StatePresent:
		r.Kinds[i].Present++
		r.Present++
	case StateMissing:
		r.Kinds[i].Missing++
		r.Missing++
	}
	if w.opt.Progress != nil {
		w.opt.Progress(rec)
	}
}

func idText(v id) string {
	if len(v) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	return string(v)
}

// CollectionPath is the REST path of a collection: system collections
// have their own endpoints.
func CollectionPath(collection string) string {
	if rest, ok := strings.CutPrefix(collection, "directus_"); ok {
		return "/" + rest
	}
	return "/items/" + url.PathEscape(collection)
}

// explain spells out every error Directus returned (validation failures
// come one per field), not only the first.
func explain(err error) error {
	var ae *directusctl.APIError
	if !errors.As(err, &ae) || len(ae.Errors) < 2 {
		return err
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "directus %s %s: HTTP %d:", ae.Method, ae.Path, ae.Status)
	for _, d := range ae.Errors {
		fmt.Fprintf(&b, "\n  %s: %s", d.Code, d.Message)
	}
	return errors.New(b.String())
}
