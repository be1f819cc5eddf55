package main

import (
	"strings"

	"git.dev.trmtracking.org/trm/directus/internal/catalog"
	"git.dev.trmtracking.org/trm/directus/tools/internal/schemaapi"
)

// The model and payloads are tools/internal/schemaapi's, shared with
// phase2schema and phase3schema. Phase 1's own conventions are here:
// enumerations straight from internal/catalog, relations labelled as
// organisers speak, validations that may allow null.

type (
	collection = schemaapi.Collection
	field      = schemaapi.Field
	relation   = schemaapi.Relation
	archive    = schemaapi.Archive
	step       = schemaapi.Step
)

// enum is the field of a catalog enumeration: required, edited with a
// dropdown of labelled choices and shown as labels, under the name
// Directus gives it. The database's CHECK (e.Constraint, db-init/post)
// refuses any other value.
func enum(note string, e catalog.Enum) field {
	var def any
	if e.Default != "" {
		def = e.Default
	}
	f := schemaapi.Enum(e.Field, note, def, choicesOf(e.Choices))
	f.Label = ""
	return f
}

// choicesOf are catalog choices as dropdown choices.
func choicesOf(cs []catalog.Choice) []schemaapi.Choice {
	out := make([]schemaapi.Choice, len(cs))
	for i, c := range cs {
		out[i] = schemaapi.Choice{Value: c.Value, Text: c.Label, Color: c.Color}
	}
	return out
}

// m2o is a many-to-one field labelled by relationLabel.
func m2o(name, related, template, note string, required bool, rel relation) field {
	return schemaapi.M2O(name, related, template, relationLabel(name), note, required, rel)
}

// relationLabel names an m2o field as organisers speak: "event_id" is
// "Event", "assigned_user_id" is "Assigned user".
func relationLabel(name string) string {
	words := strings.Split(strings.TrimSuffix(name, "_id"), "_")
	words[0] = strings.ToUpper(words[0][:1]) + words[0][1:]
	return strings.Join(words, " ")
}

// regex is a field validation: the value matches pattern. A nullable field
// may also be null (Directus's _regex alone refuses null).
func regex(name, pattern string, nullable bool) map[string]any {
	if nullable {
		return map[string]any{"_or": []any{map[string]any{name: map[string]any{"_null": true}}, map[string]any{name: map[string]any{"_regex": pattern}}}}
	}
	return schemaapi.Regex(name, pattern)
}
