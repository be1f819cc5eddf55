package access

import (
	"slices"
	"sort"
	"strings"

	"git.dev.trmtracking.org/trm/directus/lib/snapshot"
)

// Catalog is what the permissions may name: the collections and fields of
// the committed schema snapshot, their relations, and the system
// collections the model uses.
type Catalog struct {
	colls map[string]*collInfo
}

type collInfo struct {
	name   string
	system bool
	pk     string
	fields map[string]*fieldInfo
	order  []string
}

type fieldInfo struct {
	name  string
	alias bool
	// m2o is the collection a many-to-one field points at.
	m2o string
	// o2mColl and o2mField are the many side an o2m alias lists.
	o2mColl, o2mField string
}

// directusUsersFields are the fields Directus 11.17.4 gives directus_users
// (its system-data package); the snapshot adds the custom ones.
var directusUsersFields = []string{
	"id", "first_name", "last_name", "email", "password", "location", "title", "description", "tags",
	"avatar", "language", "tfa_secret", "status", "role", "token", "last_access", "last_page",
	"provider", "external_identifier", "auth_data", "email_notifications", "appearance",
	"theme_dark", "theme_light", "theme_light_overrides", "theme_dark_overrides", "text_direction",
	"policies",
}

// SupportedSystemCollections are the Directus system collections access
// files may grant: each needs its fields known here.
var SupportedSystemCollections = []string{"directus_users"}

// NewCatalog builds the catalog of a schema snapshot.
func NewCatalog(s *snapshot.Snapshot) *Catalog {
	c := &Catalog{colls: map[string]*collInfo{}}
	users := c.add("directus_users", true)
	users.pk = "id"
	for _, f := range directusUsersFields {
		users.field(f)
	}
	users.fields["role"].m2o = "directus_roles"
	users.fields["avatar"].m2o = "directus_files"
	users.fields["policies"].alias = true
	for _, col := range s.Collections {
		if col.IsFolder() {
			continue
		}
		c.add(col.Name(), false)
	}
	for _, f := range s.Fields {
		ci := c.colls[f.Collection()]
		if ci == nil {
			continue
		}
		fi := ci.field(f.Name())
		fi.alias = f.IsAlias()
		if sch := f.Schema(); sch != nil {
			if v, _ := sch.Get("is_primary_key"); v == true {
				ci.pk = f.Name()
			}
		}
	}
	for _, r := range s.Relations {
		if ci := c.colls[r.Collection()]; ci != nil && r.RelatedCollection() != "" {
			ci.field(r.Field()).m2o = r.RelatedCollection()
		}
		if m := r.Meta(); m != nil {
			if one, _ := m.Get("one_field"); one != nil {
				if name, ok := one.(string); ok && name != "" {
					if ci := c.colls[r.RelatedCollection()]; ci != nil {
						fi := ci.field(name)
						fi.alias, fi.o2mColl, fi.o2mField = true, r.Collection(), r.Field()
					}
				}
			}
		}
	}
	return c
}

func (c *Catalog) add(name string, system bool) *collInfo {
	ci := &collInfo{name: name, system: system, fields: map[string]*fieldInfo{}}
	c.colls[name] = ci
	return ci
}

func (ci *collInfo) field(name string) *fieldInfo {
	if f, ok := ci.fields[name]; ok {
		return f
	}
	f := &fieldInfo{name: name}
	ci.fields[name] = f
	ci.order = append(ci.order, name)
	return f
}

// Collections lists the user collections of the snapshot, sorted: the
// ones every decision is about.
func (c *Catalog) Collections() []string {
	var out []string
	for n, ci := range c.colls {
		if !ci.system {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// Fields lists a collection's fields in snapshot order (nil when unknown).
func (c *Catalog) Fields(collection string) []string {
	if ci := c.colls[collection]; ci != nil {
		return slices.Clone(ci.order)
	}
	return nil
}

// HasCollection reports whether the catalog knows collection.
func (c *Catalog) HasCollection(name string) bool { return c.colls[name] != nil }

// PrimaryKey is the collection's primary key field ("" when unknown).
func (c *Catalog) PrimaryKey(collection string) string {
	if ci := c.colls[collection]; ci != nil {
		return ci.pk
	}
	return ""
}

// Related is where field of collection leads: the related collection of a
// many-to-one, or the many side of an o2m alias; ok is false for a field
// that is not relational.
func (c *Catalog) Related(collection, field string) (target string, o2m, ok bool) {
	ci := c.colls[collection]
	if ci == nil {
		return "", false, false
	}
	f := ci.fields[field]
	switch {
	case f == nil:
		return "", false, false
	case f.m2o != "":
		return f.m2o, false, true
	case f.o2mColl != "":
		return f.o2mColl, true, true
	}
	return "", false, false
}

// IsAlias reports whether the field has no column (an o2m alias).
func (c *Catalog) IsAlias(collection, field string) bool {
	if ci := c.colls[collection]; ci != nil {
		if f := ci.fields[field]; f != nil {
			return f.alias
		}
	}
	return false
}

// Reverse returns the many side of an o2m alias: the collection it lists
// and the field there that points back.
func (c *Catalog) Reverse(collection, field string) (many, manyField string, ok bool) {
	if ci := c.colls[collection]; ci != nil {
		if f := ci.fields[field]; f != nil && f.o2mColl != "" {
			return f.o2mColl, f.o2mField, true
		}
	}
	return "", "", false
}

func (c *Catalog) hasField(collection, field string) bool {
	ci := c.colls[collection]
	return ci != nil && ci.fields[field] != nil
}

func (c *Catalog) suggest(collection string) string {
	ci := c.colls[collection]
	if ci == nil {
		return ""
	}
	return strings.Join(ci.order, ", ")
}
