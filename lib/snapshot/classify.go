package snapshot

import (
	"fmt"
	"strings"
)

// classify applies the rules documented in the package doc: it sets the
// change's Severity, Reasons and MissingKey. fromCollections names the
// collections that exist before the change, so that a new NOT NULL column
// is only flagged on a table that may already hold rows.
func classify(c *Change, fromCollections map[string]bool) {
	c.Severity, c.Reasons = classifyRules(*c, fromCollections)
	if c.Op == OpUpdate {
		c.MissingKey, _ = directusDeletesOnUpdate(c.Kind, c.From, c.To)
	}
}

func classifyRules(c Change, fromCollections map[string]bool) (Severity, []string) {
	var reasons []string
	sev := SeveritySafe
	hit := func(s Severity, format string, a ...any) {
		reasons = append(reasons, fmt.Sprintf(format, a...))
		if s.rank() > sev.rank() {
			sev = s
		}
	}
	switch c.Kind {
	case KindCollection:
		switch c.Op {
		case OpDelete:
			if getMap(c.From, "schema") == nil {
				hit(SeverityDestructive, "deletes folder %s", c.Key)
			} else {
				hit(SeverityDestructive, "drops table %s and all its rows", c.Key)
			}
		case OpUpdate:
			if getMap(c.From, "schema") != nil && getMap(c.To, "schema") == nil {
				hit(SeverityDestructive, "turns table %s into a folder (no table): drops its rows", c.Key)
			}
			if path, ok := directusDeletesOnUpdate(c.Kind, c.From, c.To); ok {
				what := "drops table " + c.Key.String() + " and all its rows"
				if getMap(c.From, "schema") == nil {
					what = "deletes folder " + c.Key.String()
				}
				hit(SeverityDestructive, "Directus 11 applies this update as a delete and %s: its diff begins by removing %s, "+
					"which the snapshot lacks (directus/directus#27877); a snapshot written by the running Directus "+
					"has every key", what, path)
			}
		}
	case KindField:
		switch c.Op {
		case OpDelete:
			f := &Field{Raw: c.From}
			if f.IsAlias() {
				hit(SeverityDestructive, "deletes alias field %s", c.Key)
			} else {
				hit(SeverityDestructive, "drops column %s and its data", c.Key)
			}
		case OpCreate:
			f := &Field{Raw: c.To}
			sch := f.Schema()
			if !f.IsAlias() && fromCollections[c.Key.Collection] &&
				isFalse(sch, "is_nullable") && isNull(sch, "default_value") &&
				!isTrue(sch, "is_primary_key") && !isTrue(sch, "has_auto_increment") {
				hit(SeverityDestructive, "adds NOT NULL column %s without a default: fails if the table has rows", c.Key)
			}
		case OpUpdate:
			classifyFieldUpdate(c, hit)
		}
	case KindRelation:
		switch c.Op {
		case OpDelete:
			hit(SeverityDestructive, "deletes relation %s%s", c.Key, constraintNote(c.From))
		case OpUpdate:
			var moved []string
			for _, p := range c.Paths {
				switch p.Path {
				case "related_collection", "schema.foreign_key_table", "schema.foreign_key_column":
					moved = append(moved, fmt.Sprintf("%s %s → %s", p.Path, show(p.Old), show(p.New)))
				}
			}
			if len(moved) > 0 {
				hit(SeverityDestructive, "re-points foreign key %s (%s): fails if existing values do not match",
					c.Key, strings.Join(moved, ", "))
			}
			if path, ok := directusDeletesOnUpdate(c.Kind, c.From, c.To); ok {
				hit(SeverityDestructive, "Directus 11 applies this update as a delete and deletes relation %s%s: its diff begins by removing %s, "+
					"which the snapshot lacks (directus/directus#27877); a snapshot written by the running Directus "+
					"has every key", c.Key, constraintNote(c.From), path)
			}
		}
	case KindSystemField:
		switch c.Op {
		case OpDelete:
			if (&SystemField{Raw: c.From}).IsIndexed() {
				hit(SeverityWarning, "drops the index on %s", c.Key)
			}
		case OpUpdate:
			if (&SystemField{Raw: c.From}).IsIndexed() && !(&SystemField{Raw: c.To}).IsIndexed() {
				hit(SeverityWarning, "drops the index on %s (schema.is_indexed true → false)", c.Key)
			}
		}
	}
	return sev, reasons
}

func classifyFieldUpdate(c Change, hit func(Severity, string, ...any)) {
	from, to := &Field{Raw: c.From}, &Field{Raw: c.To}
	switch {
	case !from.IsAlias() && to.IsAlias():
		hit(SeverityDestructive, "turns column %s into an alias (no column): drops its data", c.Key)
		return
	case from.IsAlias() && !to.IsAlias():
		hit(SeverityDestructive, "turns alias %s into a column", c.Key)
		return
	case from.IsAlias():
		return
	}
	if from.Type() != to.Type() {
		hit(SeverityDestructive, "changes the type of %s %s → %s: converts or loses data", c.Key, show(from.Type()), show(to.Type()))
	}
	if isAutoIncrementPK(c.From) {
		return // Directus never alters the column of an auto-increment primary key
	}
	fs, ts := from.Schema(), to.Schema()
	if a, b := mustGet(fs, "data_type"), mustGet(ts, "data_type"); !Equal(a, b) {
		hit(SeverityDestructive, "changes schema.data_type of %s %s → %s: converts or loses data", c.Key, show(a), show(b))
	}
	for _, k := range []string{"max_length", "numeric_precision", "numeric_scale"} {
		a, b := mustGet(fs, k), mustGet(ts, k)
		if b == nil {
			continue // unbounded or not applicable: nothing shrinks
		}
		if a == nil {
			// Only a limit that replaces "no limit" on the same kind of
			// column shrinks it; a new limit that comes with a type change
			// is already reported as a type change.
			if from.Type() == to.Type() && Equal(mustGet(fs, "data_type"), mustGet(ts, "data_type")) {
				hit(SeverityDestructive, "limits schema.%s to %s (was unlimited): truncates or rejects longer values", k, show(b))
			}
			continue
		}
		if n, ok := compareNumbers(b, a); ok && n < 0 {
			hit(SeverityDestructive, "shrinks schema.%s %s → %s: truncates or rejects longer values", k, show(a), show(b))
		}
	}
	if isTrue(fs, "is_nullable") && isFalse(ts, "is_nullable") {
		hit(SeverityDestructive, "makes %s NOT NULL (schema.is_nullable true → false): fails if a row holds NULL", c.Key)
	}
	if isFalse(fs, "is_unique") && isTrue(ts, "is_unique") {
		hit(SeverityDestructive, "makes %s UNIQUE (schema.is_unique false → true): fails if values repeat", c.Key)
	}
}

func constraintNote(rel *Map) string {
	if name := getString(getMap(rel, "schema"), "constraint_name"); name != "" {
		return " (drops foreign key " + name + ")"
	}
	return ""
}

func isTrue(m *Map, key string) bool {
	v, _ := m.Get(key)
	b, ok := v.(bool)
	return ok && b
}

func isFalse(m *Map, key string) bool {
	v, _ := m.Get(key)
	b, ok := v.(bool)
	return ok && !b
}

func isNull(m *Map, key string) bool {
	v, _ := m.Get(key)
	return v == nil
}

// show renders a value for a message: JSON with map keys sorted (so that
// the output does not depend on the input's key order), shortened.
func show(v any) string {
	b, err := appendJSON(nil, sortDeep(v), "", "")
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	return truncate(string(b), 60)
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
