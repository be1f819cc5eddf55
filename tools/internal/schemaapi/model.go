// Package schemaapi is what the tools that build a phase of the schema
// through Directus's REST API (tools/phase1schema, phase2schema,
// phase3schema) share: the model of a collection and its fields, the
// payloads Directus's REST API takes for them, and the run of a list of
// requests against an instance ([Main]). The tools keep their own data
// model and the checks of the instance they build on.
package schemaapi

import "strings"

// Collection is one collection: its meta and its fields in the order the
// admin UI shows them (meta.sort follows this order).
type Collection struct {
	Name            string
	Icon            string
	Note            string
	DisplayTemplate string
	// Label replaces the name Directus shows ("speed_limit_zones" would be
	// "Speed Limit Zones").
	Label string
	// SortField enables manual ordering (drag and drop) on that field.
	SortField string
	// Group is the folder the collection is in; Sort its place there (or
	// in the navigation).
	Group   string
	Sort    int
	Archive *Archive
	Fields  []Field
}

// Archive makes the admin UI hide items whose field has value (Directus
// "archive"), and sets it back to unarchive on restore.
type Archive struct{ Field, Value, Unarchive string }

// Field is one field. Kind is the Directus type: string, text, integer,
// decimal, boolean, json, uuid, date, timestamp, geometry.Point,
// geometry.LineString, geometry.Polygon or alias.
type Field struct {
	Name     string
	Kind     string
	MaxLen   int
	Required bool
	Unique   bool
	// Precision and Scale of a decimal.
	Precision, Scale int
	// Def is the column default (nil: none).
	Def      any
	Iface    string
	Options  map[string]any
	Display  string
	DispOpts map[string]any
	Special  []string
	Width    string
	Note     string
	Hidden   bool
	Readonly bool
	PK       bool
	Validate map[string]any
	ValidMsg string
	// Label replaces the name Directus shows (it would title-case
	// "event_id" into "Event ID").
	Label    string
	Relation *Relation
}

// Relation is the relation of an m2o field: the column references
// Related's primary key with ON DELETE OnDelete; OneField names the o2m
// alias on the related side, if any.
type Relation struct {
	Related  string
	OnDelete string
	// OneField, SortField and Deselect describe the o2m side.
	OneField  string
	SortField string
	Deselect  string
}

// Choice is one value of an enumeration with its label; Color is used by
// the labels display.
type Choice struct{ Value, Text, Color string }

// Folder is a collection without a table that groups others in the
// navigation.
type Folder struct {
	Name, Label, Icon, Note string
	Sort                    int
}

// Choices are the dropdown's choices.
func Choices(cs []Choice) []map[string]any {
	out := make([]map[string]any, len(cs))
	for i, c := range cs {
		out[i] = map[string]any{"text": c.Text, "value": c.Value}
	}
	return out
}

// LabelChoices are the labels display's choices, coloured.
func LabelChoices(cs []Choice) []map[string]any {
	out := make([]map[string]any, len(cs))
	for i, c := range cs {
		m := map[string]any{"text": c.Text, "value": c.Value}
		if c.Color != "" {
			m["foreground"] = "#FFFFFF"
			m["background"] = c.Color
		}
		out[i] = m
	}
	return out
}

// Enum is a required string field edited with a dropdown of labelled
// choices and shown as labels. The database's CHECK (*_allowed,
// db-init/post) refuses any other value.
func Enum(name, note string, def any, cs []Choice) Field {
	return Field{
		Name: name, Kind: "string", Required: true, Def: def,
		Iface: "select-dropdown", Options: map[string]any{"choices": Choices(cs)},
		Display: "labels", DispOpts: map[string]any{"choices": LabelChoices(cs), "showAsDot": false},
		Width: "half", Note: note, Label: Words(name),
	}
}

// OptionalEnum is Enum for a field that may be empty: not required, no
// default; its CHECK allows null.
func OptionalEnum(name, note string, cs []Choice) Field {
	f := Enum(name, note, nil, cs)
	f.Required = false
	return f
}

// Str is a string field.
func Str(name, note string, required bool, width string) Field {
	return Field{Name: name, Kind: "string", Required: required, Iface: "input", Width: width, Note: note}
}

// Integer is an integer field.
func Integer(name, note string, required bool) Field {
	return Field{Name: name, Kind: "integer", Required: required, Iface: "input", Width: "half", Note: note}
}

// Decimal is a number of the given scale, shown with a unit suffix.
func Decimal(name, label, note, suffix string, precision, scale int) Field {
	return Field{Name: name, Kind: "decimal", Precision: precision, Scale: scale, Iface: "input", Width: "half", Note: note,
		Display: "formatted-value", DispOpts: map[string]any{"format": true, "suffix": suffix}, Label: label}
}

// Boolean is a required boolean, false by default.
func Boolean(name, note string) Field {
	return Field{Name: name, Kind: "boolean", Required: true, Def: false, Iface: "boolean",
		Display: "boolean", Width: "half", Note: note, Special: []string{"cast-boolean"}, Label: Words(name)}
}

// Timestamp is a timestamp edited with a date picker.
func Timestamp(name, note string) Field {
	return Field{Name: name, Kind: "timestamp", Iface: "datetime",
		Display: "datetime", DispOpts: map[string]any{"format": "long"}, Width: "half", Note: note, Label: Words(name)}
}

// M2O is a many-to-one field: a uuid column referencing related, edited
// with a dropdown that shows template. ON DELETE is RESTRICT unless rel
// says otherwise.
func M2O(name, related, template, label, note string, required bool, rel Relation) Field {
	rel.Related = related
	if rel.OnDelete == "" {
		rel.OnDelete = "RESTRICT"
	}
	return Field{
		Name: name, Kind: "uuid", Required: required,
		Iface: "select-dropdown-m2o", Options: map[string]any{"template": template},
		Display: "related-values", DispOpts: map[string]any{"template": template},
		Special: []string{"m2o"}, Width: "half", Note: note, Relation: &rel, Label: label,
	}
}

// O2M is the alias listing the items of a child collection whose field
// points here.
func O2M(name, template, note string) Field {
	return Field{
		Name: name, Kind: "alias", Iface: "list-o2m",
		Options: map[string]any{"template": template, "enableSelect": false},
		Display: "related-values", DispOpts: map[string]any{"template": template},
		Special: []string{"o2m"}, Width: "full", Note: note,
	}
}

// IDField is the uuid primary key.
func IDField() Field {
	return Field{Name: "id", Kind: "uuid", PK: true, Hidden: true, Readonly: true, Iface: "input", Special: []string{"uuid"}, Width: "full"}
}

// Words turns a field name into the label organisers read:
// "start_interval_seconds" is "Start interval seconds".
func Words(name string) string {
	w := strings.ReplaceAll(name, "_", " ")
	return strings.ToUpper(w[:1]) + w[1:]
}

// Regex is a field validation: the value matches pattern.
func Regex(name, pattern string) map[string]any {
	return map[string]any{"_and": []any{map[string]any{name: map[string]any{"_regex": pattern}}}}
}
