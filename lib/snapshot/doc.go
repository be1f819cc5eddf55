// Package snapshot reads, writes, filters and compares Directus schema
// snapshots (the files `directus schema snapshot` writes and `GET
// /schema/snapshot` returns), and tells which differences can lose data.
//
// # Reading
//
// [Parse], [Read] and [ReadFile] accept every snapshot Directus 9.x, 10.x and
// 11.x writes, in YAML or JSON (told apart by content, not by file name),
// including a JSON envelope {"data": snapshot} as the REST API returns it.
// Each item keeps its raw [Map] beside typed accessors, so keys this package
// does not know (vendor extras of 9.x, keys of later versions) survive a
// read and a write. A version 2 snapshot (Directus 12.2+, partial) is read
// and marked: [Snapshot.Partial]. Plain YAML scalars are typed as js-yaml,
// which Directus reads snapshots with, types them (1_ is a string, 017 the
// number 17), not as the YAML library would.
//
// Reading is one pass over the input, at a few hundred MB/s, and the
// snapshot read takes about twice the input's size in memory (1.6 times
// for YAML). Reading the second snapshot of a pair [WithBase] the first
// shares the items the two have in common: the pair then costs about one
// snapshot. Writing holds no copy of the snapshot, only its output. JSON
// is read by this package's own reader, which accepts exactly what
// encoding/json accepts. YAML as Directus writes it (js-yaml's block
// style) is read by a reader specialised for it, which follows libyaml's
// rules; anything else (flow style, anchors, comments, tags, …) it leaves
// to the general YAML library, which is about fifteen times slower,
// allocates twelve times more and shares nothing with a base. Both read
// every file to the same snapshot: tests prove it on every real snapshot
// at hand, on random documents, and by fuzzing.
//
// An input larger than the size limit, [DefaultMaxSize] (64 MiB) unless
// [WithMaxSize] sets another, is refused with a *[SizeError] before it is
// held in memory: ReadFile checks the file's size first, Read stops one
// byte past the limit.
//
// Snapshots of different database vendors (postgres, mysql, sqlite, …)
// can diff as equal; Directus refuses to compare or apply them. Check with
// [CheckVendor] before [Diff].
//
// # Writing
//
// [Snapshot.WriteYAML] writes Directus's own layout: top-level keys version,
// directus, vendor, collections, fields, systemFields, relations;
// collections sorted by name; fields and relations grouped by collection in
// their original order; system fields by collection and field; meta keys
// sorted (deeply, as Directus sorts them); schema keys in Directus's fixed
// order; scalars quoted and folded as js-yaml, which Directus uses, does. A
// snapshot written by Directus 11.13 or later comes back byte for byte
// (tested on every such file of the corpus). Older files cannot, because
// the layout itself changed: before 11.13 there was no systemFields list
// (an absent list is written as systemFields: [], since an apply payload
// without it is rejected), and in 11.1 and earlier maps inside lists
// (meta.options.choices) were not sorted. Files reformatted by hand or by
// a formatter (double quotes, four-space indents) are rewritten in
// Directus's layout. A partial snapshot is written without its empty lists,
// which there would read as "none" rather than "not included".
// [Snapshot.WriteJSON] writes the same document as indented JSON.
//
// # Diff
//
// [Diff] compares two snapshots as Directus does: collections are keyed by
// name, fields, relations and system fields by (collection, field). The
// order of items and of map keys is not a difference, nor is meta.id, nor
// the directus version header; a key absent on one side and null on the
// other is not a difference either (newer versions write keys as null that
// older ones omitted), except where Directus 11 would delete the object for
// it (see Severity). Every [Change] has a kind, key and operation, and an
// update lists each changed path (schema.max_length, meta.note, …) with its
// old and new value; lists are compared whole. When the second snapshot is
// partial, nothing it omits is reported as deleted; when the first is,
// nothing it omits is reported as created.
//
// # Severity
//
// A change is [SeverityDestructive] when applying it can lose data or fail on
// existing rows. The rules, each with an example:
//
//   - Deleting a collection: delete collection devices (drops the table
//     and its rows; a folder is reported too).
//   - Deleting a field: delete field devices.imei (drops the column; an alias
//     field is reported too).
//   - Deleting a relation: delete relation devices.fleet (drops the foreign
//     key).
//   - Changing a field's type: devices.imei type string → integer.
//   - Changing schema.data_type: devices.notes varchar → text.
//   - Turning a column into an alias (its schema disappears or its type
//     becomes alias), or an alias into a column: devices.tags type json →
//     alias.
//   - Turning a table into a folder (schema becomes null): collection
//     archive.
//   - Shrinking schema.max_length, schema.numeric_precision or
//     schema.numeric_scale, or limiting an unlimited one: devices.name
//     max_length 255 → 100.
//   - Making a column non-nullable: devices.name schema.is_nullable
//     true → false.
//   - Making a column unique: devices.imei schema.is_unique false → true.
//   - Adding a NOT NULL column without a default to a collection that
//     already exists: create field devices.serial with is_nullable false
//     and default_value null (fails when the table has rows).
//   - Re-pointing a foreign key (related_collection,
//     schema.foreign_key_table or schema.foreign_key_column of a relation
//     changes): devices.fleet related_collection fleets → depots.
//   - An update of a collection or relation that Directus 11 applies as a
//     delete: when its deep-diff of the object begins by removing a key
//     (typically a meta key, even a null one, that a snapshot written by an
//     older Directus lacks), schema apply drops the collection's table or
//     the relation's foreign key (directus/directus#27877). Such an update
//     is reported even when the removed key was null, the one case where
//     null and absent differ.
//
// [SeverityWarning] loses no data but removes something: dropping a
// system-field index, that is a systemFields entry deleted, or its
// schema.is_indexed going true → false (directus_activity.timestamp).
// Everything else is [SeveritySafe]. Each rule that a change hits adds a
// sentence to its Reasons.
//
// # Filters
//
// [Snapshot.Exclude] drops collections by name or path.Match pattern,
// with their fields, system fields and every relation from or to them,
// e.g. the tables db-init owns (positions, migrations_applied), so that they
// never appear in a committed snapshot or a plan.
//
// # Rendering
//
// [Result.WriteText] is for a terminal (colour only on request; destructive
// changes marked "!", warnings "*"), [Result.WriteMarkdown] for a pull-request
// comment, [Result.WriteJSON] for programs. The JSON shape is stable: keys
// are never omitted, lists are never null, and new keys may be added but
// none removed or renamed:
//
//	{
//	  "summary": {"create": 1, "update": 1, "delete": 1, "destructive": 1, "warnings": 0},
//	  "changes": [
//	    {
//	      "kind": "field",            // collection | field | relation | systemField
//	      "key": "devices.name",      // collection, or collection.field
//	      "collection": "devices",
//	      "field": "name",            // "" for a collection
//	      "op": "update",             // create | update | delete
//	      "severity": "destructive",  // safe | warning | destructive
//	      "reasons": ["shrinks schema.max_length 255 → 100: …"],
//	      "paths": [{"path": "schema.max_length", "old": 255, "new": 100}]
//	    }
//	  ]
//	}
//
// paths is empty for a create or delete; old or new is null where the key is
// absent. Changes are ordered by kind (collection, field, relation,
// systemField), then by key.
//
// # Errors
//
// A malformed or unreadable input gives a *[ParseError] naming the source,
// the line and column when known, the path inside the snapshot, and a hint.
// Nothing in this package panics on any input.
//
// # Dependencies
//
// Only the standard library and go.yaml.in/yaml/v3, the YAML project's
// maintained continuation of gopkg.in/yaml.v3, for the YAML that is not
// Directus's own: it parses every file of the corpus, gives a node tree
// with line and column for each value (which keeps key order and locates
// errors), and is the one spf13/viper uses, so a command-line program
// built on viper carries one YAML library, not two. Writing does not use
// it: its encoder quotes, folds and indents differently from js-yaml, so
// this package writes YAML itself.
package snapshot
