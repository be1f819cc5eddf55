package main

import (
	"maps"
	"strings"

	"git.dev.trmtracking.org/trm/directus/internal/catalog"
)

// collection is one Phase 1 collection: its meta and its fields in the
// order the admin UI shows them (meta.sort follows this order).
type collection struct {
	name            string
	icon            string
	note            string
	displayTemplate string
	// sortField enables manual ordering (drag and drop) on that field.
	sortField string
	archive   *archive
	fields    []field
}

// archive makes the admin UI hide items whose field has value (Directus
// "archive"), and sets it back to unarchive on restore.
type archive struct{ field, value, unarchive string }

// field is one field. kind is the Directus type: string, integer, uuid,
// date, timestamp or alias.
type field struct {
	name     string
	kind     string
	maxLen   int
	required bool
	unique   bool
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
	// label replaces the name Directus shows (it would title-case
	// "event_id" into "Event ID").
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

func choices(cs []catalog.Choice) []map[string]any {
	out := make([]map[string]any, len(cs))
	for i, c := range cs {
		out[i] = map[string]any{"text": c.Label, "value": c.Value}
	}
	return out
}

func labelChoices(cs []catalog.Choice) []map[string]any {
	out := make([]map[string]any, len(cs))
	for i, c := range cs {
		m := map[string]any{"text": c.Label, "value": c.Value}
		if c.Color != "" {
			m["foreground"] = "#FFFFFF"
			m["background"] = c.Color
		}
		out[i] = m
	}
	return out
}

// enum is the field of a catalog enumeration: required, edited with a
// dropdown of labelled choices and shown as labels. The database's CHECK
// (e.Constraint, db-init/post) refuses any other value.
func enum(note string, e catalog.Enum) field {
	var def any
	if e.Default != "" {
		def = e.Default
	}
	return field{
		name: e.Field, kind: "string", required: true, def: def,
		iface: "select-dropdown", options: map[string]any{"choices": choices(e.Choices)},
		display: "labels", dispOpts: map[string]any{"choices": labelChoices(e.Choices), "showAsDot": false},
		width: "half", note: note,
	}
}

// m2o is a many-to-one field: a uuid column referencing related, edited
// with a dropdown that shows template.
func m2o(name, related, template, note string, required bool, rel relation) field {
	rel.related = related
	if rel.onDelete == "" {
		rel.onDelete = "RESTRICT"
	}
	return field{
		name: name, kind: "uuid", required: required,
		iface: "select-dropdown-m2o", options: map[string]any{"template": template},
		display: "related-values", dispOpts: map[string]any{"template": template},
		special: []string{"m2o"}, width: "half", note: note, relation: &rel,
		label: relationLabel(name),
	}
}

// relationLabel names an m2o field as organisers speak: "event_id" is
// "Event", "assigned_user_id" is "Assigned user".
func relationLabel(name string) string {
	words := strings.Split(strings.TrimSuffix(name, "_id"), "_")
	words[0] = strings.ToUpper(words[0][:1]) + words[0][1:]
	return strings.Join(words, " ")
}

// o2m is the alias listing the items of child whose field points here.
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

// regex is a field validation: the value matches pattern. A nullable field
// may also be null (Directus's _regex alone refuses null).
func regex(name, pattern string, nullable bool) map[string]any {
	match := map[string]any{name: map[string]any{"_regex": pattern}}
	if nullable {
		return map[string]any{"_or": []any{map[string]any{name: map[string]any{"_null": true}}, match}}
	}
	return map[string]any{"_and": []any{match}}
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
		meta["translations"] = []any{map[string]any{"language": "en-US", "translation": f.label}}
	}
	p := map[string]any{"collection": coll, "field": f.name, "type": f.kind, "meta": meta}
	if f.kind == "alias" {
		return p
	}
	schema := map[string]any{"is_nullable": !f.required && !f.pk}
	switch {
	case f.pk:
		schema = map[string]any{"is_primary_key": true, "is_nullable": false, "has_auto_increment": false, "length": 36}
	case f.unique:
		schema["is_unique"] = true
	}
	if f.maxLen > 0 {
		schema["max_length"] = f.maxLen
	}
	if f.def != nil {
		schema["default_value"] = f.def
	}
	p["schema"] = schema
	return p
}

// collectionPayload is the body of POST /collections: the table with every
// non-alias field (alias fields need their relation's other side first).
func collectionPayload(c collection, sort int) map[string]any {
	meta := map[string]any{
		"collection": c.name, "icon": c.icon, "note": nilIfEmpty(c.note),
		"display_template": nilIfEmpty(c.displayTemplate), "hidden": false, "singleton": false,
		"sort": sort, "sort_field": nilIfEmpty(c.sortField), "accountability": "all",
		"collapse": "open", "versioning": false,
	}
	if c.archive != nil {
		maps.Copy(meta, map[string]any{
			"archive_field": c.archive.field, "archive_value": c.archive.value,
			"unarchive_value": c.archive.unarchive, "archive_app_filter": true,
		})
	}
	var fields []any
	for i, f := range c.fields {
		if f.kind != "alias" {
			fields = append(fields, fieldPayload(c.name, f, i+1))
		}
	}
	return map[string]any{"collection": c.name, "meta": meta, "schema": map[string]any{}, "fields": fields}
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
