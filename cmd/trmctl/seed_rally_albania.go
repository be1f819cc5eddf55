package main

import (
	"context"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"
)

// Rally Albania 2026: the organiser, the event with its 18 classes, and
// one complete entry (#301, a car with two trackers, pilot and co-pilot,
// and a body-worn panic button) to try the Phase 1 model end to end.
//
// Times: the event runs from local midnight at the start of 6 June to
// local midnight at the end of 13 June, Europe/Tirane time (CEST, UTC+2,
// in June), as a half-open interval [starts_at, ends_at): ends_at is the
// instant the event is over, which is how the processor attributes
// positions to tracker windows too.
const (
	rallyAlbaniaStartsAt = "2026-06-06T00:00:00+02:00" // 2026-06-05T22:00:00Z
	rallyAlbaniaEndsAt   = "2026-06-14T00:00:00+02:00" // 2026-06-13T22:00:00Z
)

var rallyAlbaniaOrg = struct{ name, slug string }{"Motorsport Club Albania", "msc-albania"}

var rallyAlbaniaEvent = struct{ name, slug, discipline string }{"Rally Albania 2026", "rally-albania-2026", "rally"}

// rallyAlbaniaClass is a class of the event.
type rallyAlbaniaClass struct{ code, name, category string }

// rallyAlbaniaClasses are the 18 classes in the order of the regulations
// (their sort order). The codes are the regulations'; M-8 resolves the
// regulations' duplicate M-7 (Veteran and Female). The names are
// placeholders from rally-raid practice until the 2026 supplementary
// regulations are published: correct them in Directus, the seed never
// overwrites a class that exists.
var rallyAlbaniaClasses = []rallyAlbaniaClass{
	{"M-1", "Moto up to 450cc", "moto"},
	{"M-2", "Moto over 450cc", "moto"},
	{"M-3", "Moto Twin-cylinder", "moto"},
	{"M-4", "Moto Original (unassisted)", "moto"},
	{"M-5", "Moto Rally 2", "moto"},
	{"M-6", "Moto Enduro Trophy", "moto"},
	{"M-7", "Moto Veteran (over 50)", "moto"},
	{"M-8", "Moto Female", "moto"},
	{"Q-1", "Quad 2WD", "quad"},
	{"Q-2", "Quad 4WD", "quad"},
	{"Q-3", "Quad Open", "quad"},
	{"C-1", "Car T1 Prototype", "car"},
	{"C-2", "Car T2 Series Production", "car"},
	{"C-A", "Car Adventure", "car"},
	{"C-3", "Car Open", "car"},
	{"S-1", "SSV T3 Prototype", "ssv"},
	{"S-2", "SSV T4 Series Production", "ssv"},
	{"S-3", "SSV Open", "ssv"},
}

var rallyAlbaniaVehicle = struct {
	make, model, plate string
	year, cc           int
}{"Toyota", "Land Cruiser 70", "AA-001-AA", 1998, 4500}

// rallyAlbaniaDevice is a Teltonika tracker; IMEIs are 15 digits with a
// valid Luhn check digit.
type rallyAlbaniaDevice struct{ imei, model string }

var rallyAlbaniaDevices = []rallyAlbaniaDevice{
	{"352098103001010", "FMB920"},
	{"352098103001028", "FMB920"},
	{"350374117001037", "FMB003"},
}

// rallyAlbaniaUser is a person, member of the organisation with orgRole.
// The seed gives users no Directus role and no password: they cannot log
// in until an administrator invites them.
type rallyAlbaniaUser struct {
	first, last, email, orgRole string
	phone, birthDate, nation    string
}

var (
	rallyAlbaniaDirector = rallyAlbaniaUser{"Besnik", "Leka", "besnik.leka@example.com", "race-director", "+355691000001", "1971-03-14", "AL"}
	rallyAlbaniaPilot    = rallyAlbaniaUser{"Arta", "Marku", "arta.marku@example.com", "participant", "+355691000002", "1986-09-02", "AL"}
	rallyAlbaniaCoPilot  = rallyAlbaniaUser{"Dritan", "Shehu", "dritan.shehu@example.com", "participant", "+355691000003", "1990-01-27", "AL"}
	rallyAlbaniaUsers    = []rallyAlbaniaUser{rallyAlbaniaDirector, rallyAlbaniaPilot, rallyAlbaniaCoPilot}
)

// The entry: #301 in C-2 with the vehicle; both FMB920 on the vehicle,
// the FMB003 worn by the pilot.
const (
	rallyAlbaniaRaceNumber = 301
	rallyAlbaniaEntryClass = "C-2"
	rallyAlbaniaEntryState = "registered"
)

var rallyAlbaniaCrew = []struct {
	user rallyAlbaniaUser
	role string
}{{rallyAlbaniaPilot, "pilot"}, {rallyAlbaniaCoPilot, "co-pilot"}}

var rallyAlbaniaEntryDevices = []struct {
	imei string
	// wearer is the user wearing the device; nil for a vehicle tracker.
	wearer *rallyAlbaniaUser
}{
	{rallyAlbaniaDevices[0].imei, nil},
	{rallyAlbaniaDevices[1].imei, nil},
	{rallyAlbaniaDevices[2].imei, &rallyAlbaniaPilot},
}

// rallyAlbaniaCollections are the collections the seed writes, in the
// order it writes them.
var rallyAlbaniaCollections = []string{
	"organizations", "directus_users", "organization_users", "vehicles", "organization_vehicles",
	"devices", "organization_devices", "events", "classes", "entries", "entry_crew", "entry_devices",
}

func newSeedRallyAlbaniaCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "rally-albania-2026",
		Short: "Motorsport Club Albania, Rally Albania 2026 and entry #301",
		Long: `Create, where missing, the Rally Albania 2026 reference data:

  organizations          Motorsport Club Albania (slug msc-albania)
  directus_users         race director Besnik Leka, pilot Arta Marku and
                         co-pilot Dritan Shehu (@example.com; no Directus
                         role, no password)
  organization_users     the director as race-director, the crew as
                         participant
  vehicles               1998 Toyota Land Cruiser 70, plate AA-001-AA, 4500 cc
  devices                2 x FMB920 and 1 x FMB003 (Luhn-valid IMEIs)
  organization_vehicles, organization_devices   all registered to the club
  events                 Rally Albania 2026 (rally-albania-2026), rally,
                         2026-06-06 00:00 to 2026-06-14 00:00 Europe/Tirane
                         (UTC+2): 6 to 13 June inclusive, end exclusive
  classes                the 18 classes M-1..M-8, Q-1..Q-3, C-1, C-2, C-A,
                         C-3, S-1..S-3 (names are placeholders until the
                         supplementary regulations)
  entries                #301 in C-2, registered, with the Land Cruiser
  entry_crew             the pilot and the co-pilot
  entry_devices          both FMB920 on the vehicle, the FMB003 worn by
                         the pilot, valid from the event's start

Natural keys: organisation by slug; event by (organisation, slug); class
by (event, code); vehicle by plate; device by IMEI; user by e-mail;
memberships and registrations by their pair; entry by (event, race
number); crew by (entry, user); entry devices by (entry, device).

` + directusAuthHelp + `

` + seedJSONHelp,
		Example: `  # Against make dev's instance, as its admin
  $ TRM_DIRECTUS_EMAIL=admin@example.com TRM_DIRECTUS_PASSWORD=... trmctl seed rally-albania-2026

  # With a static token, for a script
  $ TRM_DIRECTUS_TOKEN=... trmctl seed rally-albania-2026 --directus-url https://cms.example.org --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runSeed(cmd, "rally-albania-2026", rallyAlbaniaCollections, seedRallyAlbania)
		},
	}
}

// seedRallyAlbania writes the data set; dependencies first.
func seedRallyAlbania(ctx context.Context, s *seeder) error {
	org, err := s.ensure(ctx, "organizations", rallyAlbaniaOrg.slug,
		map[string]any{"slug": rallyAlbaniaOrg.slug},
		map[string]any{"name": rallyAlbaniaOrg.name, "slug": rallyAlbaniaOrg.slug})
	if err != nil {
		return err
	}
	memberKey := func(what string) string { return rallyAlbaniaOrg.slug + " + " + what }

	users := map[string]seedID{}
	for _, u := range rallyAlbaniaUsers {
		id, err := s.ensure(ctx, "directus_users", u.email,
			map[string]any{"email": u.email},
			map[string]any{
				"first_name": u.first, "last_name": u.last, "email": u.email,
				"phone": u.phone, "birth_date": u.birthDate, "nationality": u.nation,
			})
		if err != nil {
			return err
		}
		users[u.email] = id
	}
	for _, u := range rallyAlbaniaUsers {
		if _, err := s.ensure(ctx, "organization_users", memberKey(u.email),
			map[string]any{"organization_id": org, "user_id": users[u.email]},
			map[string]any{"organization_id": org, "user_id": users[u.email], "role": u.orgRole}); err != nil {
			return err
		}
	}

	v := rallyAlbaniaVehicle
	vehicle, err := s.ensure(ctx, "vehicles", v.plate,
		map[string]any{"plate": v.plate},
		map[string]any{"make": v.make, "model": v.model, "year": v.year, "cc": v.cc, "plate": v.plate})
	if err != nil {
		return err
	}
	if _, err := s.ensure(ctx, "organization_vehicles", memberKey(v.plate),
		map[string]any{"organization_id": org, "vehicle_id": vehicle},
		map[string]any{"organization_id": org, "vehicle_id": vehicle}); err != nil {
		return err
	}

	devices := map[string]seedID{}
	for _, d := range rallyAlbaniaDevices {
		id, err := s.ensure(ctx, "devices", d.imei,
			map[string]any{"imei": d.imei},
			map[string]any{"imei": d.imei, "model": d.model})
		if err != nil {
			return err
		}
		devices[d.imei] = id
	}
	for _, d := range rallyAlbaniaDevices {
		if _, err := s.ensure(ctx, "organization_devices", memberKey(d.imei),
			map[string]any{"organization_id": org, "device_id": devices[d.imei]},
			map[string]any{"organization_id": org, "device_id": devices[d.imei]}); err != nil {
			return err
		}
	}

	ev := rallyAlbaniaEvent
	event, err := s.ensure(ctx, "events", rallyAlbaniaOrg.slug+"/"+ev.slug,
		map[string]any{"organization_id": org, "slug": ev.slug},
		map[string]any{
			"organization_id": org, "name": ev.name, "slug": ev.slug, "discipline": ev.discipline,
			"starts_at": rallyAlbaniaStartsAt, "ends_at": rallyAlbaniaEndsAt,
		})
	if err != nil {
		return err
	}
	classes := map[string]seedID{}
	for i, c := range rallyAlbaniaClasses {
		id, err := s.ensure(ctx, "classes", ev.slug+"/"+c.code,
			map[string]any{"event_id": event, "code": c.code},
			map[string]any{"event_id": event, "code": c.code, "name": c.name, "category": c.category, "sort": i + 1})
		if err != nil {
			return err
		}
		classes[c.code] = id
	}

	entryKey := fmt.Sprintf("%s #%d", ev.slug, rallyAlbaniaRaceNumber)
	entry, err := s.ensure(ctx, "entries", entryKey,
		map[string]any{"event_id": event, "race_number": rallyAlbaniaRaceNumber},
		map[string]any{
			"event_id": event, "class_id": classes[rallyAlbaniaEntryClass], "vehicle_id": vehicle,
			"race_number": rallyAlbaniaRaceNumber, "status": rallyAlbaniaEntryState,
		})
	if err != nil {
		return err
	}
	onEntry := func(what string) string { return "#" + strconv.Itoa(rallyAlbaniaRaceNumber) + " + " + what }
	for _, m := range rallyAlbaniaCrew {
		if _, err := s.ensure(ctx, "entry_crew", onEntry(m.user.email),
			map[string]any{"entry_id": entry, "user_id": users[m.user.email]},
			map[string]any{"entry_id": entry, "user_id": users[m.user.email], "role": m.role}); err != nil {
			return err
		}
	}
	for _, d := range rallyAlbaniaEntryDevices {
		payload := map[string]any{"entry_id": entry, "device_id": devices[d.imei], "assigned_user_id": nil, "valid_from": rallyAlbaniaStartsAt}
		if d.wearer != nil {
			payload["assigned_user_id"] = users[d.wearer.email]
		}
		if _, err := s.ensure(ctx, "entry_devices", onEntry(d.imei),
			map[string]any{"entry_id": entry, "device_id": devices[d.imei]}, payload); err != nil {
			return err
		}
	}
	return nil
}
