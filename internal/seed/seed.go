// Package seed reads seed files, reference data for the Phase 1
// collections written as YAML (an organiser's club, its people, vehicles,
// trackers, events, classes and entries), and applies them through
// Directus's REST API, so that every write passes Directus's validation,
// hooks and activity log exactly as a person's would.
//
// A file is validated whole before anything is sent: each problem is
// reported with the file, the line and the path of the value, and the
// enumerations are those of internal/catalog. Applying looks every record
// up by its natural key and creates only what is missing, so a file can be
// applied any number of times; records that exist are left as they are,
// even where their other fields differ.
//
// The format, by example (seed/rally-albania-2026/seed.yaml is a whole
// one):
//
//	seed: rally-albania-2026           # the data set's name, a slug
//	people:                            # directus_users, by email
//	  - {email: arta.marku@example.com, first_name: Arta, last_name: Marku,
//	     phone: "+355691000002", birth_date: 1986-09-02, nationality: AL}
//	vehicles:                          # by plate
//	  - {plate: AA-001-AA, make: Toyota, model: Land Cruiser 70, year: 1998, cc: 4500}
//	devices:                           # by IMEI
//	  - {imei: "352098103001010", model: FMB920}
//	organizations:                     # by slug
//	  - slug: msc-albania
//	    name: Motorsport Club Albania
//	    members: [{person: arta.marku@example.com, role: participant}]
//	    vehicles: [AA-001-AA]          # registered with the organisation
//	    devices: ["352098103001010"]
//	    events:                        # by (organisation, slug)
//	      - slug: rally-albania-2026
//	        name: Rally Albania 2026
//	        discipline: rally
//	        starts_at: 2026-06-06T00:00:00+02:00   # with its UTC offset
//	        ends_at: 2026-06-14T00:00:00+02:00
//	        classes: [{code: C-2, name: Car T2, category: car}]   # by (event, code), sorted as listed
//	        entries:                   # by (event, race number)
//	          - race_number: 301
//	            class: C-2
//	            vehicle: AA-001-AA     # optional (foot races)
//	            status: registered     # optional, default draft
//	            crew: [{person: arta.marku@example.com, role: pilot}]
//	            devices:               # valid_from defaults to the event's start
//	              - {imei: "352098103001010", worn_by: arta.marku@example.com}
//
// Every person, vehicle and device an organisation, entry or crew names is
// declared in the same file. Users are created without a Directus role or
// password: they cannot log in until an administrator invites them.
package seed

import "time"

// MaxFileSize bounds a seed file: reference data, not a bulk import.
const MaxFileSize = 4 << 20

// File is a validated seed file.
type File struct {
	// Source names the file in messages.
	Source string
	// Name is the data set's name (the seed key).
	Name          string
	People        []Person
	Vehicles      []Vehicle
	Devices       []Device
	Organizations []Organization
}

// Person is a directus_users record, keyed by e-mail.
type Person struct {
	Line                                                      int
	Email, FirstName, LastName, Phone, BirthDate, Nationality string
}

// Vehicle is keyed by plate. Year and CC are 0 when not given.
type Vehicle struct {
	Line                    int
	Plate, Make, Model, VIN string
	Year, CC                int
}

// Device is a tracker, keyed by IMEI.
type Device struct {
	Line        int
	IMEI, Model string
}

// Organization is keyed by slug; Vehicles and Devices are the plates and
// IMEIs registered with it.
type Organization struct {
	Line              int
	Slug, Name        string
	Members           []Member
	Vehicles, Devices []Ref
	Events            []Event
}

// Ref names a declared vehicle (plate) or device (IMEI).
type Ref struct {
	Line int
	Key  string
}

// Member is a person's role in an organisation.
type Member struct {
	Line         int
	Person, Role string
}

// Event is keyed by (organisation, slug); it runs over [StartsAt, EndsAt).
type Event struct {
	Line                   int
	Slug, Name, Discipline string
	StartsAt, EndsAt       time.Time
	Classes                []Class
	Entries                []Entry
}

// Class is keyed by (event, code); classes are sorted as listed.
type Class struct {
	Line                 int
	Code, Name, Category string
}

// Entry is keyed by (event, race number). Vehicle and Status may be empty
// (no vehicle; the column's default status).
type Entry struct {
	Line                   int
	RaceNumber             int
	Class, Vehicle, Status string
	Crew                   []CrewMember
	Devices                []EntryDevice
}

// CrewMember is a person on an entry with a racing role.
type CrewMember struct {
	Line         int
	Person, Role string
}

// EntryDevice assigns a tracker to an entry over [ValidFrom, ValidUntil);
// WornBy is the crew member wearing it (a panic button), empty for a
// vehicle tracker; ValidUntil is nil while the assignment lasts.
type EntryDevice struct {
	Line       int
	IMEI       string
	WornBy     string
	ValidFrom  time.Time
	ValidUntil *time.Time
}
