package schemaapi

import "maps"

// Translations is a field's label in the admin UI.
func Translations(label string) []any {
	return []any{map[string]any{"language": "en-US", "translation": label}}
}

// FieldPayload is the body of POST /fields/{collection} (or one element of
// POST /collections' fields).
func FieldPayload(coll string, f Field, sort int) map[string]any {
	meta := map[string]any{
		"collection": coll, "field": f.Name,
		"interface": nilIfEmpty(f.Iface), "options": nilIfEmptyMap(f.Options),
		"display": nilIfEmpty(f.Display), "display_options": nilIfEmptyMap(f.DispOpts),
		"special": nilIfEmptySlice(f.Special), "width": nilIfEmpty(f.Width), "note": nilIfEmpty(f.Note),
		"hidden": f.Hidden, "readonly": f.Readonly, "required": f.Required, "sort": sort,
		"validation": nilIfEmptyMap(f.Validate), "validation_message": nilIfEmpty(f.ValidMsg),
		"searchable": true,
	}
	if f.Label != "" {
		meta["translations"] = Translations(f.Label)
	}
	p := map[string]any{"collection": coll, "field": f.Name, "type": f.Kind, "meta": meta}
	if f.Kind == "alias" {
		return p
	}
	schema := map[string]any{"is_nullable": !f.Required && !f.PK}
	switch {
	case f.PK:
		schema = map[string]any{"is_primary_key": true, "is_nullable": false, "has_auto_increment": false, "length": 36}
	case f.Unique:
		schema["is_unique"] = true
	}
	if f.MaxLen > 0 {
		schema["max_length"] = f.MaxLen
	}
	if f.Precision > 0 {
		schema["numeric_precision"], schema["numeric_scale"] = f.Precision, f.Scale
	}
	if f.Def != nil {
		schema["default_value"] = f.Def
	}
	p["schema"] = schema
	return p
}

// CollectionPayload is the body of POST /collections: the table with
// every non-alias field (alias fields need their relation's other side
// first).
func CollectionPayload(c Collection) map[string]any {
	meta := map[string]any{
		"collection": c.Name, "icon": c.Icon, "note": nilIfEmpty(c.Note),
		"display_template": nilIfEmpty(c.DisplayTemplate), "hidden": false, "singleton": false,
		"sort": c.Sort, "sort_field": nilIfEmpty(c.SortField), "accountability": "all",
		"collapse": "open", "versioning": false,
	}
	if c.Group != "" {
		meta["group"] = c.Group
	}
	if c.Label != "" {
		meta["translations"] = []any{map[string]any{"language": "en-US", "translation": c.Label, "singular": c.Label, "plural": c.Label}}
	}
	if c.Archive != nil {
		maps.Copy(meta, map[string]any{
			"archive_field": c.Archive.Field, "archive_value": c.Archive.Value,
			"unarchive_value": c.Archive.Unarchive, "archive_app_filter": true,
		})
	}
	var fields []any
	for i, f := range c.Fields {
		if f.Kind != "alias" {
			fields = append(fields, FieldPayload(c.Name, f, i+1))
		}
	}
	return map[string]any{"collection": c.Name, "meta": meta, "schema": map[string]any{}, "fields": fields}
}

// FolderPayload is the body of POST /collections for a folder.
func FolderPayload(f Folder) map[string]any {
	return map[string]any{"collection": f.Name, "schema": nil, "meta": map[string]any{
		"collection": f.Name, "icon": f.Icon, "note": f.Note, "sort": f.Sort, "collapse": "open",
		"hidden": false, "singleton": false, "accountability": "all", "versioning": false,
		"translations": []any{map[string]any{"language": "en-US", "translation": f.Label, "singular": f.Label, "plural": f.Label}},
	}}
}

// RelationPayload is the body of POST /relations. on_delete is set here,
// at creation: a later meta-only PATCH would reset it to NO ACTION.
func RelationPayload(coll string, f Field) map[string]any {
	r := f.Relation
	deselect := r.Deselect
	if deselect == "" {
		deselect = "nullify"
	}
	return map[string]any{
		"collection": coll, "field": f.Name, "related_collection": r.Related,
		"schema": map[string]any{"on_delete": r.OnDelete, "on_update": "NO ACTION"},
		"meta": map[string]any{
			"many_collection": coll, "many_field": f.Name, "one_collection": r.Related,
			"one_field": nilIfEmpty(r.OneField), "sort_field": nilIfEmpty(r.SortField),
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
