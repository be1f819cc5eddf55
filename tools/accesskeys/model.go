package main

import "git.dev.trmtracking.org/trm/directus/tools/internal/schemaapi"

// The access keys, as docs/access-model.md ("Access keys") decides them.
// This is a development tool's input: once the fields exist, the
// snapshot Directus writes (snapshots/schema.yaml) is the source of
// truth.

// key is a collection's access keys and the sort they start at in the
// admin UI (after the collection's own fields).
type key struct {
	collection string
	sort       int
	fields     []schemaapi.Field
}

// list is a key: a comma-separated list of user ids the database keeps
// (db-init/post/008), so read-only and hidden in the admin UI (it is not
// for people to read or type).
func list(name, note string) schemaapi.Field {
	return schemaapi.Field{Name: name, Kind: "text", Iface: "input-multiline", Note: note, Hidden: true, Readonly: true, Width: "full"}
}

func keys() []key {
	const kept = " Kept by the database from the memberships (db-init/post/008); the access rules read it."
	return []key{
		{collection: "organizations", sort: 20, fields: []schemaapi.Field{
			list("access_staff", "Who is marshal, org-admin, race director or timekeeper here."+kept),
			list("access_viewers", "Who is viewer here."+kept),
			list("access_org_admins", "Who is org-admin here."+kept),
			list("access_race_directors", "Who is race director here."+kept),
			list("access_participants", "Who is participant here."+kept),
		}},
		{collection: "entries", sort: 40, fields: []schemaapi.Field{
			list("access_crew", "The crew who are participants of the event's organisation. Kept by the database from the crew and the memberships (db-init/post/008); the access rules read it."),
		}},
	}
}

// crewSeats is the o2m alias of entry_crew.user_id: the seats a person
// holds on entries' crews, which the people's read rules walk (a
// participant reads the names of their own crews).
func crewSeats() schemaapi.Field {
	f := schemaapi.O2M("crew_seats", "#{{entry_id.race_number}} — {{role}}", "Seats on entries' crews.")
	f.Readonly = true
	return f
}
