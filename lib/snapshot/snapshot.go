package snapshot

// Snapshot is a Directus schema snapshot.
//
// The four lists hold every item as read, each with its raw [Map] so that
// keys this package does not know are written back unchanged.
type Snapshot struct {
	// Version is the snapshot format: 1, or 2 for a partial snapshot
	// (Directus 12.2+), which lists only some collections.
	Version int
	// Directus is the version header. During part of 10.x it held the API
	// package version (12.x–14.x), so nothing may depend on it.
	Directus string
	// Vendor is the database client (postgres, mysql, sqlite, …); empty in
	// snapshots older than Directus 9.23, which did not write it.
	Vendor string

	Collections  []*Collection
	Fields       []*Field
	SystemFields []*SystemField
	Relations    []*Relation

	// Extra holds top-level keys this package does not know, in input order.
	// They are written after relations.
	Extra *Map

	// textSize is the length of the text s was read from (0 when built by
	// hand): what MarshalJSON reserves for its output, which a snapshot's
	// compact JSON seldom exceeds, rather than grow a buffer to it through
	// copies that together take more than the output.
	textSize int
}

// Partial reports whether s is a partial (version 2) snapshot: what it does
// not list is unknown, not absent, so [Diff] never reports it as deleted.
func (s *Snapshot) Partial() bool { return s != nil && s.Version >= 2 }

// Clone returns a deep copy of s.
func (s *Snapshot) Clone() *Snapshot {
	if s == nil {
		return nil
	}
	c := &Snapshot{
		Version:      s.Version,
		textSize:     s.textSize,
		Directus:     s.Directus,
		Vendor:       s.Vendor,
		Extra:        s.Extra.Clone(),
		Collections:  make([]*Collection, len(s.Collections)),
		Fields:       make([]*Field, len(s.Fields)),
		SystemFields: make([]*SystemField, len(s.SystemFields)),
		Relations:    make([]*Relation, len(s.Relations)),
	}
	for i, x := range s.Collections {
		c.Collections[i] = &Collection{Raw: x.Raw.Clone()}
	}
	for i, x := range s.Fields {
		c.Fields[i] = &Field{Raw: x.Raw.Clone()}
	}
	for i, x := range s.SystemFields {
		c.SystemFields[i] = &SystemField{Raw: x.Raw.Clone()}
	}
	for i, x := range s.Relations {
		c.Relations[i] = &Relation{Raw: x.Raw.Clone()}
	}
	return c
}

// Collection is one entry of collections: a table, or a folder (schema null)
// that only groups other collections in the app.
type Collection struct {
	// Raw holds every key as read: collection, meta, schema and any other.
	Raw *Map
}

// Name returns the collection name (the table name).
func (c *Collection) Name() string { return getString(c.Raw, "collection") }

// Meta returns the Directus settings of the collection, or nil.
func (c *Collection) Meta() *Map { return getMap(c.Raw, "meta") }

// Schema returns the database side of the collection, or nil for a folder.
func (c *Collection) Schema() *Map { return getMap(c.Raw, "schema") }

// IsFolder reports whether the collection has no table.
func (c *Collection) IsFolder() bool { return c.Schema() == nil }

// Field is one entry of fields: a column, or an alias (o2m, m2m, m2a,
// presentation) that has no column and no schema.
type Field struct {
	// Raw holds every key as read: collection, field, type, meta, schema and
	// any other.
	Raw *Map
}

// Collection returns the collection the field belongs to.
func (f *Field) Collection() string { return getString(f.Raw, "collection") }

// Name returns the field (column) name.
func (f *Field) Name() string { return getString(f.Raw, "field") }

// Type returns the Directus type (string, integer, alias, geometry.Point, …).
func (f *Field) Type() string { return getString(f.Raw, "type") }

// Meta returns the Directus settings of the field, or nil.
func (f *Field) Meta() *Map { return getMap(f.Raw, "meta") }

// Schema returns the column description, or nil for an alias.
func (f *Field) Schema() *Map { return getMap(f.Raw, "schema") }

// IsAlias reports whether the field has no column.
func (f *Field) IsAlias() bool { return f.Type() == "alias" || f.Schema() == nil }

// Relation is one entry of relations, keyed by its many side (collection,
// field).
type Relation struct {
	// Raw holds every key as read: collection, field, related_collection,
	// meta, schema and any other.
	Raw *Map
}

// Collection returns the many side's collection.
func (r *Relation) Collection() string { return getString(r.Raw, "collection") }

// Field returns the many side's field.
func (r *Relation) Field() string { return getString(r.Raw, "field") }

// RelatedCollection returns the one side's collection, or "" for a
// many-to-any relation.
func (r *Relation) RelatedCollection() string { return getString(r.Raw, "related_collection") }

// Meta returns the Directus settings of the relation, or nil.
func (r *Relation) Meta() *Map { return getMap(r.Raw, "meta") }

// Schema returns the foreign key, or nil when there is none.
func (r *Relation) Schema() *Map { return getMap(r.Raw, "schema") }

// SystemField is one entry of systemFields (Directus 11.13+): a field of a
// Directus system collection that carries an index.
type SystemField struct {
	// Raw holds every key as read: collection, field, schema and any other.
	Raw *Map
}

// Collection returns the system collection (directus_*).
func (s *SystemField) Collection() string { return getString(s.Raw, "collection") }

// Field returns the field name.
func (s *SystemField) Field() string { return getString(s.Raw, "field") }

// Schema returns the index description, or nil.
func (s *SystemField) Schema() *Map { return getMap(s.Raw, "schema") }

// IsIndexed reports whether schema.is_indexed is true.
func (s *SystemField) IsIndexed() bool {
	v, _ := s.Schema().Get("is_indexed")
	b, _ := v.(bool)
	return b
}
