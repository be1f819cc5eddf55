package main

import (
	"git.dev.trmtracking.org/trm/directus/internal/catalog"
	"git.dev.trmtracking.org/trm/directus/tools/internal/schemaapi"
)

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

func timestamp(name, note string, required bool, def any) field {
	return field{Name: name, Kind: "timestamp", Required: required, Def: def, Iface: "datetime",
		Display: "datetime", DispOpts: map[string]any{"format": "long"}, Width: "half", Note: note}
}

func slug(note string) field {
	f := schemaapi.Str("slug", note, true, "half")
	f.Options = map[string]any{"slug": true, "trim": true}
	f.Validate = regex("slug", slugPattern, false)
	f.ValidMsg = "Lower-case letters and digits in words joined by single hyphens, e.g. msc-albania."
	return f
}

// userFields are the custom fields of directus_users.
func userFields() []field {
	phone := schemaapi.Str("phone", "International format (E.164), e.g. +355691234567.", false, "half")
	phone.Options = map[string]any{"placeholder": "+355691234567", "trim": true}
	birth := field{Name: "birth_date", Kind: "date", Iface: "datetime", Display: "datetime",
		DispOpts: map[string]any{"format": "short"}, Width: "half", Note: "Age classes need it."}
	nat := schemaapi.Str("nationality", "ISO 3166-1 alpha-2 country code, e.g. AL.", false, "half")
	nat.MaxLen = 2
	nat.Options = map[string]any{"placeholder": "AL", "trim": true, "font": "monospace"}
	nat.Validate = regex("nationality", nationalityPattern, true)
	nat.ValidMsg = "Two capital letters (ISO 3166-1 alpha-2), e.g. AL, IT, DE."
	return []field{phone, birth, nat}
}

// collections returns the Phase 1 collections in creation order: every
// collection after those its fields reference.
func collections() []collection {
	orgRef := func(note string) field {
		return m2o("organization_id", "organizations", orgTemplate, note, true, relation{})
	}

	imei := schemaapi.Str("imei", "15 digits, printed on the device.", true, "half")
	imei.MaxLen, imei.Unique = 15, true
	imei.Options = map[string]any{"placeholder": "356307042441013", "trim": true, "font": "monospace"}
	imei.Validate = regex("imei", imeiPattern, false)
	imei.ValidMsg = "An IMEI is exactly 15 digits."
	model := schemaapi.Str("model", "Tracker model; other values are allowed.", true, "half")
	model.Iface, model.Options = "select-dropdown", map[string]any{"choices": schemaapi.Choices(choicesOf(catalog.DeviceModels().Choices)), "allowOther": catalog.DeviceModels().Open}

	orgSlug := slug("Used in URLs; unique.")
	orgSlug.Unique = true

	return []collection{
		{
			Name: "organizations", Icon: "corporate_fare", DisplayTemplate: orgTemplate,
			Note:   "Clubs and federations that run events.",
			Fields: []field{schemaapi.IDField(), schemaapi.Str("name", "", true, "half"), orgSlug},
		},
		{
			Name: "vehicles", Icon: "directions_car", DisplayTemplate: vehicleTemplate,
			Note: "Competing vehicles; one vehicle can be registered with several organizations.",
			Fields: []field{
				schemaapi.IDField(), schemaapi.Str("make", "e.g. KTM, Toyota.", true, "half"), schemaapi.Str("model", "e.g. 450 Rally, Hilux.", true, "half"),
				schemaapi.Integer("year", "Model year.", false), schemaapi.Integer("cc", "Engine displacement in cm³.", false),
				schemaapi.Str("vin", "Vehicle identification number.", false, "half"), schemaapi.Str("plate", "Registration plate.", false, "half"),
			},
		},
		{
			Name: "devices", Icon: "gps_fixed", DisplayTemplate: deviceTemplate,
			Note:   "GPS trackers and panic buttons, identified by IMEI.",
			Fields: []field{schemaapi.IDField(), imei, model},
		},
		{
			Name: "organization_users", Icon: "badge", DisplayTemplate: "{{user_id.first_name}} {{user_id.last_name}} — {{role}}",
			Note: "Members of an organization and their role in it (one role per user and organization).",
			Fields: []field{
				schemaapi.IDField(), orgRef(""),
				m2o("user_id", "directus_users", userTemplate, "", true, relation{}),
				enum("What the member may do in this organization (Phase 4 policies).", catalog.OrganizationRoles()),
			},
		},
		{
			Name: "organization_vehicles", Icon: "garage", DisplayTemplate: "{{vehicle_id.make}} {{vehicle_id.model}}",
			Note: "Vehicles registered with an organization (once each).",
			Fields: []field{
				schemaapi.IDField(), orgRef(""),
				m2o("vehicle_id", "vehicles", vehicleTemplate, "", true, relation{}),
				timestamp("registered_at", "", false, "CURRENT_TIMESTAMP"),
			},
		},
		{
			Name: "organization_devices", Icon: "inventory_2", DisplayTemplate: "{{device_id.model}} {{device_id.imei}}",
			Note: "Trackers an organization owns or rents (once each).",
			Fields: []field{
				schemaapi.IDField(), orgRef(""),
				m2o("device_id", "devices", deviceTemplate, "", true, relation{}),
				timestamp("registered_at", "", false, "CURRENT_TIMESTAMP"),
			},
		},
		{
			Name: "events", Icon: "flag", DisplayTemplate: eventTemplate,
			Note: "A race or outing of an organization, e.g. Rally Albania 2026.",
			Fields: []field{
				schemaapi.IDField(), orgRef("The organizer."),
				schemaapi.Str("name", "", true, "half"), slug("Used in URLs; unique within the organization."),
				enum("", catalog.Disciplines()),
				timestamp("starts_at", "", true, nil), timestamp("ends_at", "Not before the start.", true, nil),
				schemaapi.O2M("classes", classTemplate, "Classes of this event."),
				schemaapi.O2M("entries", "#{{race_number}} — {{class_id.code}}", "Entries of this event."),
			},
		},
		{
			Name: "classes", Icon: "category", DisplayTemplate: classTemplate, SortField: "sort",
			Note: "Competition classes of an event, e.g. M-1 or C-2 (code unique within the event).",
			Fields: []field{
				schemaapi.IDField(),
				m2o("event_id", "events", eventTemplate, "", true, relation{OneField: "classes", SortField: "sort", Deselect: "delete"}),
				schemaapi.Str("code", "Short code, e.g. C-2; unique within the event.", true, "half"), schemaapi.Str("name", "", true, "half"),
				enum("Vehicle category (foot for runners and hikers).", catalog.Categories()),
				func() field {
					f := schemaapi.Integer("sort", "Order in lists.", false)
					f.Hidden = true
					return f
				}(),
			},
		},
		{
			Name: "entries", Icon: "sports_score", DisplayTemplate: entryTemplate,
			Archive: &archive{Field: "status", Value: "withdrawn", Unarchive: "registered"},
			Note:    "A vehicle (or a runner) entered in an event: race number, class, crew and trackers.",
			Fields: []field{
				schemaapi.IDField(),
				m2o("event_id", "events", eventTemplate, "", true, relation{OneField: "entries", Deselect: "delete"}),
				m2o("class_id", "classes", classTemplate, "A class of the same event.", true, relation{}),
				schemaapi.Integer("race_number", "Unique within the event.", true),
				m2o("vehicle_id", "vehicles", vehicleTemplate, "Empty for foot races.", false, relation{}),
				enum("Withdrawn entries are archived.", catalog.EntryStatuses()),
				schemaapi.O2M("crew", userTemplateOf("user_id")+" ({{role}})", "Who is on board (or running)."),
				schemaapi.O2M("devices", "{{device_id.model}} {{device_id.imei}}", "Trackers and their assignment windows."),
			},
		},
		{
			Name: "entry_crew", Icon: "groups", DisplayTemplate: userTemplateOf("user_id") + " ({{role}})",
			Note: "The people of an entry and their racing role (once each).",
			Fields: []field{
				schemaapi.IDField(),
				m2o("entry_id", "entries", "#{{race_number}} — {{class_id.code}}", "", true, relation{OneField: "crew", Deselect: "delete"}),
				m2o("user_id", "directus_users", userTemplate, "", true, relation{}),
				enum("", catalog.CrewRoles()),
			},
		},
		{
			Name: "entry_devices", Icon: "share_location", DisplayTemplate: "{{device_id.model}} {{device_id.imei}}",
			Note: "Tracker assignments: which device reports for which entry, and when. A device is on one entry at a time.",
			Fields: []field{
				schemaapi.IDField(),
				m2o("entry_id", "entries", "#{{race_number}} — {{class_id.code}}", "", true, relation{OneField: "devices", Deselect: "delete"}),
				m2o("device_id", "devices", deviceTemplate, "", true, relation{}),
				m2o("assigned_user_id", "directus_users", userTemplate, "The crew member wearing it (a panic button); empty for a vehicle tracker.", false, relation{OnDelete: "SET NULL"}),
				timestamp("valid_from", "Start of the assignment.", true, "CURRENT_TIMESTAMP"),
				timestamp("valid_until", "End of the assignment; empty while it lasts. Set it when the tracker is swapped.", false, nil),
			},
		},
	}
}

func userTemplateOf(field string) string {
	return "{{" + field + ".first_name}} {{" + field + ".last_name}}"
}
