package main

import "git.dev.trmtracking.org/trm/directus/internal/catalog"

// The Phase 1 data model, as docs/data-model-phase1.md decides it. This is
// a development tool's input: once the collections exist, the snapshot
// Directus writes (snapshots/schema.yaml) is the source of truth, and
// later changes are made through Directus, not here.

const (
	userTemplate    = "{{first_name}} {{last_name}}"
	orgTemplate     = "{{name}}"
	vehicleTemplate = "{{make}} {{model}}"
	deviceTemplate  = "{{model}} {{imei}}"
	eventTemplate   = "{{name}}"
	classTemplate   = "{{code}} {{name}}"
	entryTemplate   = "#{{race_number}} — {{class_id.code}} — {{vehicle_id.make}} {{vehicle_id.model}}"
)

// Patterns of the field validations.
const (
	slugPattern        = `^[a-z0-9]+(-[a-z0-9]+)*$`
	imeiPattern        = `^[0-9]{15}$`
	nationalityPattern = `^[A-Z]{2}$`
)

func str(name, note string, required bool, width string) field {
	return field{name: name, kind: "string", required: required, iface: "input", width: width, note: note}
}

func integer(name, note string, required bool) field {
	return field{name: name, kind: "integer", required: required, iface: "input", width: "half", note: note}
}

func timestamp(name, note string, required bool, def any) field {
	return field{name: name, kind: "timestamp", required: required, def: def, iface: "datetime",
		display: "datetime", dispOpts: map[string]any{"format": "long"}, width: "half", note: note}
}

func slug(note string) field {
	f := str("slug", note, true, "half")
	f.options = map[string]any{"slug": true, "trim": true}
	f.validate = regex("slug", slugPattern, false)
	f.validMsg = "Lower-case letters and digits in words joined by single hyphens, e.g. msc-albania."
	return f
}

// userFields are the custom fields of directus_users.
func userFields() []field {
	phone := str("phone", "International format (E.164), e.g. +355691234567.", false, "half")
	phone.options = map[string]any{"placeholder": "+355691234567", "trim": true}
	birth := field{name: "birth_date", kind: "date", iface: "datetime", display: "datetime",
		dispOpts: map[string]any{"format": "short"}, width: "half", note: "Age classes need it."}
	nat := str("nationality", "ISO 3166-1 alpha-2 country code, e.g. AL.", false, "half")
	nat.maxLen = 2
	nat.options = map[string]any{"placeholder": "AL", "trim": true, "font": "monospace"}
	nat.validate = regex("nationality", nationalityPattern, true)
	nat.validMsg = "Two capital letters (ISO 3166-1 alpha-2), e.g. AL, IT, DE."
	return []field{phone, birth, nat}
}

// collections returns the Phase 1 collections in creation order: every
// collection after those its fields reference.
func collections() []collection {
	orgRef := func(note string) field {
		return m2o("organization_id", "organizations", orgTemplate, note, true, relation{})
	}

	imei := str("imei", "15 digits, printed on the device.", true, "half")
	imei.maxLen, imei.unique = 15, true
	imei.options = map[string]any{"placeholder": "356307042441013", "trim": true, "font": "monospace"}
	imei.validate = regex("imei", imeiPattern, false)
	imei.validMsg = "An IMEI is exactly 15 digits."
	model := str("model", "Tracker model; other values are allowed.", true, "half")
	model.iface, model.options = "select-dropdown", map[string]any{"choices": choices(catalog.DeviceModels().Choices), "allowOther": catalog.DeviceModels().Open}

	orgSlug := slug("Used in URLs; unique.")
	orgSlug.unique = true

	return []collection{
		{
			name: "organizations", icon: "corporate_fare", displayTemplate: orgTemplate,
			note:   "Clubs and federations that run events.",
			fields: []field{idField(), str("name", "", true, "half"), orgSlug},
		},
		{
			name: "vehicles", icon: "directions_car", displayTemplate: vehicleTemplate,
			note: "Competing vehicles; one vehicle can be registered with several organizations.",
			fields: []field{
				idField(), str("make", "e.g. KTM, Toyota.", true, "half"), str("model", "e.g. 450 Rally, Hilux.", true, "half"),
				integer("year", "Model year.", false), integer("cc", "Engine displacement in cm³.", false),
				str("vin", "Vehicle identification number.", false, "half"), str("plate", "Registration plate.", false, "half"),
			},
		},
		{
			name: "devices", icon: "gps_fixed", displayTemplate: deviceTemplate,
			note:   "GPS trackers and panic buttons, identified by IMEI.",
			fields: []field{idField(), imei, model},
		},
		{
			name: "organization_users", icon: "badge", displayTemplate: "{{user_id.first_name}} {{user_id.last_name}} — {{role}}",
			note: "Members of an organization and their role in it (one role per user and organization).",
			fields: []field{
				idField(), orgRef(""),
				m2o("user_id", "directus_users", userTemplate, "", true, relation{}),
				enum("What the member may do in this organization (Phase 4 policies).", catalog.OrganizationRoles()),
			},
		},
		{
			name: "organization_vehicles", icon: "garage", displayTemplate: "{{vehicle_id.make}} {{vehicle_id.model}}",
			note: "Vehicles registered with an organization (once each).",
			fields: []field{
				idField(), orgRef(""),
				m2o("vehicle_id", "vehicles", vehicleTemplate, "", true, relation{}),
				timestamp("registered_at", "", false, "CURRENT_TIMESTAMP"),
			},
		},
		{
			name: "organization_devices", icon: "inventory_2", displayTemplate: "{{device_id.model}} {{device_id.imei}}",
			note: "Trackers an organization owns or rents (once each).",
			fields: []field{
				idField(), orgRef(""),
				m2o("device_id", "devices", deviceTemplate, "", true, relation{}),
				timestamp("registered_at", "", false, "CURRENT_TIMESTAMP"),
			},
		},
		{
			name: "events", icon: "flag", displayTemplate: eventTemplate,
			note: "A race or outing of an organization, e.g. Rally Albania 2026.",
			fields: []field{
				idField(), orgRef("The organizer."),
				str("name", "", true, "half"), slug("Used in URLs; unique within the organization."),
				enum("", catalog.Disciplines()),
				timestamp("starts_at", "", true, nil), timestamp("ends_at", "Not before the start.", true, nil),
				o2m("classes", classTemplate, "Classes of this event."),
				o2m("entries", "#{{race_number}} — {{class_id.code}}", "Entries of this event."),
			},
		},
		{
			name: "classes", icon: "category", displayTemplate: classTemplate, sortField: "sort",
			note: "Competition classes of an event, e.g. M-1 or C-2 (code unique within the event).",
			fields: []field{
				idField(),
				m2o("event_id", "events", eventTemplate, "", true, relation{oneField: "classes", sortField: "sort", deselect: "delete"}),
				str("code", "Short code, e.g. C-2; unique within the event.", true, "half"), str("name", "", true, "half"),
				enum("Vehicle category (foot for runners and hikers).", catalog.Categories()),
				func() field {
					f := integer("sort", "Order in lists.", false)
					f.hidden = true
					return f
				}(),
			},
		},
		{
			name: "entries", icon: "sports_score", displayTemplate: entryTemplate,
			archive: &archive{field: "status", value: "withdrawn", unarchive: "registered"},
			note:    "A vehicle (or a runner) entered in an event: race number, class, crew and trackers.",
			fields: []field{
				idField(),
				m2o("event_id", "events", eventTemplate, "", true, relation{oneField: "entries", deselect: "delete"}),
				m2o("class_id", "classes", classTemplate, "A class of the same event.", true, relation{}),
				integer("race_number", "Unique within the event.", true),
				m2o("vehicle_id", "vehicles", vehicleTemplate, "Empty for foot races.", false, relation{}),
				enum("Withdrawn entries are archived.", catalog.EntryStatuses()),
				o2m("crew", userTemplateOf("user_id")+" ({{role}})", "Who is on board (or running)."),
				o2m("devices", "{{device_id.model}} {{device_id.imei}}", "Trackers and their assignment windows."),
			},
		},
		{
			name: "entry_crew", icon: "groups", displayTemplate: userTemplateOf("user_id") + " ({{role}})",
			note: "The people of an entry and their racing role (once each).",
			fields: []field{
				idField(),
				m2o("entry_id", "entries", "#{{race_number}} — {{class_id.code}}", "", true, relation{oneField: "crew", deselect: "delete"}),
				m2o("user_id", "directus_users", userTemplate, "", true, relation{}),
				enum("", catalog.CrewRoles()),
			},
		},
		{
			name: "entry_devices", icon: "share_location", displayTemplate: "{{device_id.model}} {{device_id.imei}}",
			note: "Tracker assignments: which device reports for which entry, and when. A device is on one entry at a time.",
			fields: []field{
				idField(),
				m2o("entry_id", "entries", "#{{race_number}} — {{class_id.code}}", "", true, relation{oneField: "devices", deselect: "delete"}),
				m2o("device_id", "devices", deviceTemplate, "", true, relation{}),
				m2o("assigned_user_id", "directus_users", userTemplate, "The crew member wearing it (a panic button); empty for a vehicle tracker.", false, relation{onDelete: "SET NULL"}),
				timestamp("valid_from", "Start of the assignment.", true, "CURRENT_TIMESTAMP"),
				timestamp("valid_until", "End of the assignment; empty while it lasts. Set it when the tracker is swapped.", false, nil),
			},
		},
	}
}

func userTemplateOf(field string) string {
	return "{{" + field + ".first_name}} {{" + field + ".last_name}}"
}
