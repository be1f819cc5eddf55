package main

import (
	"strings"

	"git.dev.trmtracking.org/trm/directus/tools/internal/schemaapi"
)

// The model and payloads are tools/internal/schemaapi's, shared with
// phase1schema and phase2schema; what Phase 3 adds is here: o2m lists
// shown as sorted tables.

type (
	collection = schemaapi.Collection
	field      = schemaapi.Field
	relation   = schemaapi.Relation
	choice     = schemaapi.Choice
	folder     = schemaapi.Folder
	step       = schemaapi.Step
)

// o2mTable is an o2m alias shown as a table of columns, sorted by sort
// ("-ts" descending): a list people read, not reorder (the relation has no
// sort field, so dragging writes nothing).
func o2mTable(name, template, note string, columns []string, sort string) field {
	f := schemaapi.O2M(name, template, note)
	// The whole width of the page, beyond the form's: a timing list has
	// many columns, or long lines.
	f.Width = "fill"
	f.Options["layout"] = "table"
	f.Options["fields"] = columns
	f.Options["enableCreate"] = false
	f.Options["enableLink"] = true
	f.Options["limit"] = 100
	if s, desc := strings.CutPrefix(sort, "-"); desc {
		f.Options["sort"], f.Options["sortDirection"] = s, "-"
	} else {
		f.Options["sort"], f.Options["sortDirection"] = sort, "+"
	}
	return f
}

// o2mList is an o2m alias shown as a list of display templates, sorted by
// sort: for rows whose meaning is a sentence (a penalty's explanation, a
// place in a ranking) that a table's fixed columns would cut.
func o2mList(name, template, note, sort string) field {
	f := o2mTable(name, template, note, nil, sort)
	f.Options["layout"] = "list"
	delete(f.Options, "fields")
	return f
}
