package main

import "strings"

// The shapes of Directus's REST payloads, as tools/phase1schema makes them
// (this tool follows its conventions: uuid keys, labelled dropdowns with a
// labels display, relations created with their on_delete), plus what
// Phase 2 adds: geometry fields on the map interface, decimals, JSON,
// booleans, text, and folders.

// collection is one collection: its meta and its fields in the order the
// admin UI shows them (meta.sort follows this order).
type collection struct {
	name            string
	icon            string
	note            string
	displayTemplate string
	// label replaces the name Directus shows ("speed_limit_zones" would be
	// "Speed Limit Zones").
	label string
	// sortField enables manual ordering (drag and drop) on that field.
	sortField string
	// group is the folder the collection is in; sort its place there.
	group  string
	sort   int
	fields []field
}

// field is one field. kind is the Directus type: string, text, integer,
// decimal, boolean, json, uuid, timestamp, geometry.Point,
// geometry.LineString, geometry.Polygon or alias.
type field struct {
	name     string
	kind     string
	maxLen   int
	required bool
	// precision and scale of a decimal.
	precision, scale int
	// def is the column default (nil: none).
	def      any
	iface    string
	options  map[string]any
	display  string
	dispOpts map[string]any
	special  []string
	width    string
	note     string
	hidden   bool
	readonly bool
	pk       bool
	validate map[string]any
	validMsg string
	// label replaces the name Directus shows.
	label    string
	relation *relation
}

// relation is the relation of an m2o field: the column references
// related's primary key with ON DELETE onDelete; oneField names the o2m
// alias on the related side, if any.
type relation struct {
	related  string
	onDelete string
	// oneField, sortField and deselect describe the o2m side.
	oneField  string
	sortField string
	deselect  string
}

// choice is one value of an enumeration with its label; color is used by
// the labels display.
type choice struct{ value, text, color string }

func choices(cs []choice) []map[string]any {
	out := make([]map[string]any, len(cs))
	for i, c := range cs {
		out[i] = map[string]any{"text": c.text, "value": c.value}
	}
	return out
}

func labelChoices(cs []choice) []map[string]any {
	out := make([]map[string]any, len(cs))
	for i, c := range cs {
		m := map[string]any{"text": c.text, "value": c.value}
		if c.color != "" {
			m["foreground"] = "#FFFFFF"
			m["background"] = c.color
		}
		out[i] = m
	}
	return out
}

// enum is a required string field edited with a dropdown of labelled
// choices and shown as labels. The database's CHECK (*_allowed,
// db-init/post/002) refuses any other value.
func enum(name, note string, def any, cs []choice) field {
	return field{
		name: name, kind: "string", required: true, def: def,
		iface: "select-dropdown", options: map[string]any{"choices": choices(cs)},
		display: "labels", dispOpts: map[string]any{"choices": labelChoices(cs), "showAsDot": false},
		width: "half", note: note, label: words(name),
	}
}

func str(name, note string, required bool, width string) field {
	return field{name: name, kind: "string", required: required, iface: "input", width: width, note: note}
}

func integer(name, note string, required bool) field {
	return field{name: name, kind: "integer", required: required, iface: "input", width: "half", note: note}
}

// decimal is a number of the given scale, shown with a unit suffix.
func decimal(name, label, note, suffix string, precision, scale int) field {
	return field{name: name, kind: "decimal", precision: precision, scale: scale, iface: "input", width: "half", note: note,
		display: "formatted-value", dispOpts: map[string]any{"format": true, "suffix": suffix}, label: label}
}

func boolean(name, note string) field {
	return field{name: name, kind: "boolean", required: true, def: false, iface: "boolean",
		display: "boolean", width: "half", note: note, special: []string{"cast-boolean"}, label: words(name)}
}

func timestamp(name, note string) field {
	return field{name: name, kind: "timestamp", iface: "datetime",
		display: "datetime", dispOpts: map[string]any{"format": "long"}, width: "half", note: note, label: words(name)}
}

// albania is where the map interface opens: the country of the first
// event (a field's option, changed in the admin UI per event if need be).
var albania = map[string]any{"center": map[string]any{"lng": 20.0, "lat": 41.15}, "zoom": 7, "bearing": 0, "pitch": 0}

// geometry is a PostGIS geometry of SRID 4326 edited on Directus's map.
func geometry(name, kind, note string, required bool) field {
	return field{name: name, kind: "geometry." + kind, required: required, iface: "map",
		options: map[string]any{"geometryType": kind, "defaultView": albania}, width: "full", note: note, label: words(name)}
}

// m2o is a many-to-one field: a uuid column referencing related, edited
// with a dropdown that shows template.
func m2o(name, related, template, label, note string, required bool, rel relation) field {
	rel.related = related
	if rel.onDelete == "" {
		rel.onDelete = "RESTRICT"
	}
	return field{
		name: name, kind: "uuid", required: required,
		iface: "select-dropdown-m2o", options: map[string]any{"template": template},
		display: "related-values", dispOpts: map[string]any{"template": template},
		special: []string{"m2o"}, width: "half", note: note, relation: &rel, label: label,
	}
}

// o2m is the alias listing the items of a child collection whose field
// points here.
func o2m(name, template, note string) field {
	return field{
		name: name, kind: "alias", iface: "list-o2m",
		options: map[string]any{"template": template, "enableSelect": false},
		display: "related-values", dispOpts: map[string]any{"template": template},
		special: []string{"o2m"}, width: "full", note: note,
	}
}

func idField() field {
	return field{name: "id", kind: "uuid", pk: true, hidden: true, readonly: true, iface: "input", special: []string{"uuid"}, width: "full"}
}

// regex is a field validation: the value matches pattern.
func regex(name, pattern string) map[string]any {
	return map[string]any{"_and": []any{map[string]any{name: map[string]any{"_regex": pattern}}}}
}

// words turns a field name into the label organisers read:
// "start_interval_seconds" is "Start interval seconds".
func words(name string) string {
	w := strings.ReplaceAll(name, "_", " ")
	return strings.ToUpper(w[:1]) + w[1:]
}

func translations(label string) []any {
	return []any{map[string]any{"language": "en-US", "translation": label}}
}

// fieldPayload is the body of POST /fields/{collection} (or one element of
// POST /collections' fields).
func fieldPayload(coll string, f field, sort int) map[string]any {
	meta := map[string]any{
		"collection": coll, "field": f.name,
		"interface": nilIfEmpty(f.iface), "options": nilIfEmptyMap(f.options),
		"display": nilIfEmpty(f.display), "display_options": nilIfEmptyMap(f.dispOpts),
		"special": nilIfEmptySlice(f.special), "width": nilIfEmpty(f.width), "note": nilIfEmpty(f.note),
		"hidden": f.hidden, "readonly": f.readonly, "required": f.required, "sort": sort,
		"validation": nilIfEmptyMap(f.validate), "validation_message": nilIfEmpty(f.validMsg),
		"searchable": true,
	}
	if f.label != "" {
		meta["translations"] = translations(f.label)
	}
	p := map[string]any{"collection": coll, "field": f.name, "type": f.kind, "meta": meta}
	if f.kind == "alias" {
		return p
	}
	schema := map[string]any{"is_nullable": !f.required && !f.pk}
	if f.pk {
		schema = map[string]any{"is_primary_key": true, "is_nullable": false, "has_auto_increment": false, "length": 36}
	}
	if f.maxLen > 0 {
		schema["max_length"] = f.maxLen
	}
	if f.precision > 0 {
		schema["numeric_precision"], schema["numeric_scale"] = f.precision, f.scale
	}
	if f.def != nil {
		schema["default_value"] = f.def
	}
	p["schema"] = schema
	return p
}

// collectionPayload is the body of POST /collections: the table with every
// non-alias field (alias fields need their relation's other side first).
func collectionPayload(c collection) map[string]any {
	meta := map[string]any{
		"collection": c.name, "icon": c.icon, "note": nilIfEmpty(c.note),
		"display_template": nilIfEmpty(c.displayTemplate), "hidden": false, "singleton": false,
		"sort": c.sort, "sort_field": nilIfEmpty(c.sortField), "accountability": "all",
		"collapse": "open", "versioning": false, "group": nilIfEmpty(c.group),
	}
	if c.label != "" {
		meta["translations"] = []any{map[string]any{"language": "en-US", "translation": c.label, "singular": c.label, "plural": c.label}}
	}
	var fields []any
	for i, f := range c.fields {
		if f.kind != "alias" {
			fields = append(fields, fieldPayload(c.name, f, i+1))
		}
	}
	return map[string]any{"collection": c.name, "meta": meta, "schema": map[string]any{}, "fields": fields}
}

// folder is a collection without a table that groups others in the
// navigation.
type folder struct {
	name, label, icon, note string
	sort                    int
}

func folderPayload(f folder) map[string]any {
	return map[string]any{"collection": f.name, "schema": nil, "meta": map[string]any{
		"collection": f.name, "icon": f.icon, "note": f.note, "sort": f.sort, "collapse": "open",
		"hidden": false, "singleton": false, "accountability": "all", "versioning": false,
		"translations": []any{map[string]any{"language": "en-US", "translation": f.label, "singular": f.label, "plural": f.label}},
	}}
}

// relationPayload is the body of POST /relations. on_delete is set here,
// at creation: a later meta-only PATCH would reset it to NO ACTION.
func relationPayload(coll string, f field) map[string]any {
	r := f.relation
	deselect := r.deselect
	if deselect == "" {
		deselect = "nullify"
	}
	return map[string]any{
		"collection": coll, "field": f.name, "related_collection": r.related,
		"schema": map[string]any{"on_delete": r.onDelete, "on_update": "NO ACTION"},
		"meta": map[string]any{
			"many_collection": coll, "many_field": f.name, "one_collection": r.related,
			"one_field": nilIfEmpty(r.oneField), "sort_field": nilIfEmpty(r.sortField),
			"one_deselect_action": deselect, "junction_field": nil, "one_collection_field": nil,
			"one_allowed_collections": nil,
		},
	}
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nilIfEmptyMap(m map[string]any) any {
	if len(m) == 0 {
		return nil
	}
	return m
}

func nilIfEmptySlice(s []string) any {
	if len(s) == 0 {
		return nil
	}
	return s
}
