// Package catalog defines the Phase 1 enumerations once: the values a
// field may hold, their labels and colours, the default and the database
// CHECK that enforces them.
//
// Everything else that lists the values is checked against this package
// rather than edited beside it: tools/phase1schema builds the Directus
// dropdowns from it; tests compare it with the committed snapshot's
// choices (snapshots/schema.yaml), the CHECK constraints of db-init/post
// on a provisioned database (tests/schema), the seed files
// (trmctl seed check) and docs/data-model-phase1.md.
//
// Changing an enumeration is therefore: this file, then the snapshot
// through Directus (phase1schema's README), then a new db-init/post file
// replacing the CHECK, then the documentation; the tests name whichever
// is left behind.
package catalog

import "slices"

// Choice is one value of an enumeration.
type Choice struct {
	// Value is what the database stores.
	Value string
	// Label is what people read in the admin UI.
	Label string
	// Color is the label's background in lists (#RRGGBB); empty for a
	// plain label.
	Color string
}

// Enum is the set of values of one field.
type Enum struct {
	Collection, Field string
	// Choices are in the order the admin UI lists them.
	Choices []Choice
	// Default is the column default; empty when there is none.
	Default string
	// Constraint is the CHECK constraint (db-init/post) that refuses any
	// other value; empty when other values are allowed (Open).
	Constraint string
	// Open lets users type a value that is not listed (the dropdown's
	// allowOther): the choices are suggestions.
	Open bool
}

// Key is "collection.field".
func (e Enum) Key() string { return e.Collection + "." + e.Field }

// Values lists the values in order.
func (e Enum) Values() []string {
	out := make([]string, len(e.Choices))
	for i, c := range e.Choices {
		out[i] = c.Value
	}
	return out
}

// Allows reports whether v may be stored: one of the values, or anything
// for an open enumeration.
func (e Enum) Allows(v string) bool {
	return e.Open || slices.Contains(e.Values(), v)
}

// OrganizationRoles is what a member may do in an organisation (Phase 4
// policies build on it).
func OrganizationRoles() Enum {
	return Enum{
		Collection: "organization_users", Field: "role", Constraint: "organization_users_role_allowed",
		Choices: []Choice{
			{"org-admin", "Org admin", "#6644FF"},
			{"race-director", "Race director", "#E35169"},
			{"marshal", "Marshal", "#FFA439"},
			{"timekeeper", "Timekeeper", "#3399FF"},
			{"participant", "Participant", "#2ECDA7"},
			{"viewer", "Viewer", "#A2B5CD"},
		},
	}
}

// Disciplines are the kinds of event.
func Disciplines() Enum {
	return Enum{
		Collection: "events", Field: "discipline", Constraint: "events_discipline_allowed",
		Choices: []Choice{
			{"rally", "Rally", ""},
			{"time-trial", "Time trial", ""},
			{"regatta", "Regatta", ""},
			{"trail-run", "Trail run", ""},
			{"hike", "Hike", ""},
		},
	}
}

// Categories are the vehicle categories of a class (foot for runners and
// hikers).
func Categories() Enum {
	return Enum{
		Collection: "classes", Field: "category", Constraint: "classes_category_allowed",
		Choices: []Choice{
			{"moto", "Moto", ""},
			{"quad", "Quad", ""},
			{"car", "Car", ""},
			{"ssv", "SSV", ""},
			{"truck", "Truck", ""},
			{"foot", "Foot", ""},
		},
	}
}

// EntryStatuses are the stages of an entry; withdrawn entries are
// archived (restored as registered).
func EntryStatuses() Enum {
	return Enum{
		Collection: "entries", Field: "status", Constraint: "entries_status_allowed", Default: "draft",
		Choices: []Choice{
			{"draft", "Draft", "#A2B5CD"},
			{"submitted", "Submitted", "#3399FF"},
			{"registered", "Registered", "#6644FF"},
			{"scrutineered", "Scrutineered", "#2ECDA7"},
			{"racing", "Racing", "#FFA439"},
			{"finished", "Finished", "#2ECDA7"},
			{"retired", "Retired", "#E35169"},
			{"withdrawn", "Withdrawn", "#18222F"},
		},
	}
}

// CrewRoles are the racing roles of the people of an entry.
func CrewRoles() Enum {
	return Enum{
		Collection: "entry_crew", Field: "role", Constraint: "entry_crew_role_allowed",
		Choices: []Choice{
			{"pilot", "Pilot", ""},
			{"co-pilot", "Co-pilot", ""},
			{"navigator", "Navigator", ""},
			{"mechanic", "Mechanic", ""},
			{"rider", "Rider", ""},
			{"runner", "Runner", ""},
			{"hiker", "Hiker", ""},
		},
	}
}

// DeviceModels are the tracker models offered; other models are allowed.
func DeviceModels() Enum {
	return Enum{
		Collection: "devices", Field: "model", Open: true,
		Choices: []Choice{
			{"FMB920", "Teltonika FMB920 (vehicle tracker)", ""},
			{"FMB003", "Teltonika FMB003 (body-worn panic button)", ""},
		},
	}
}

// Phase1 lists every Phase 1 enumeration, in the order of
// docs/data-model-phase1.md.
func Phase1() []Enum {
	return []Enum{DeviceModels(), OrganizationRoles(), Disciplines(), Categories(), EntryStatuses(), CrewRoles()}
}
