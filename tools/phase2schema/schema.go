package main

import "git.dev.trmtracking.org/trm/directus/tools/internal/schemaapi"

// The model and payloads are tools/internal/schemaapi's, shared with
// phase1schema and phase3schema; what Phase 2 adds is here: geometry
// fields on the map interface.

type (
	collection = schemaapi.Collection
	field      = schemaapi.Field
	relation   = schemaapi.Relation
	choice     = schemaapi.Choice
	folder     = schemaapi.Folder
	step       = schemaapi.Step
)

// albania is where the map interface opens: the country of the first
// event (a field's option, changed in the admin UI per event if need be).
var albania = map[string]any{"center": map[string]any{"lng": 20.0, "lat": 41.15}, "zoom": 7, "bearing": 0, "pitch": 0}

// geometry is a PostGIS geometry of SRID 4326 edited on Directus's map.
func geometry(name, kind, note string, required bool) field {
	return field{Name: name, Kind: "geometry." + kind, Required: required, Iface: "map",
		Options: map[string]any{"geometryType": kind, "defaultView": albania}, Width: "full", Note: note, Label: schemaapi.Words(name)}
}
