package access

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// Filter operators Directus 11.17.4 knows (its filter-rules page).
var filterOperators = []string{
	"_eq", "_neq", "_lt", "_lte", "_gt", "_gte", "_in", "_nin", "_null", "_nnull",
	"_contains", "_ncontains", "_icontains", "_nicontains", "_starts_with", "_istarts_with",
	"_nstarts_with", "_nistarts_with", "_ends_with", "_iends_with", "_nends_with", "_niends_with",
	"_between", "_nbetween", "_empty", "_nempty", "_intersects", "_nintersects",
	"_intersects_bbox", "_nintersects_bbox", "_regex",
}

var boolOperators = []string{"_null", "_nnull", "_empty", "_nempty"}

// dynamicVar matches the dynamic variables Directus resolves in filters,
// validation and presets.
var dynamicVar = regexp.MustCompile(`^\$(CURRENT_USER|CURRENT_ROLE|CURRENT_ROLES|CURRENT_POLICIES)(\.[A-Za-z0-9_.]+)?$|^\$NOW(\([^()]*\))?$`)

// filterKind says which of a permission's rules is walked.
type filterKind int

const (
	kindFilter     filterKind = iota // the item rule: follows relations
	kindValidation                   // checks the payload: no relations
)

// filterWalker checks a filter against the catalog and collects problems.
type filterWalker struct {
	cat  *Catalog
	kind filterKind
	// create: the create guard evaluates the filter (Directus ignores a
	// create's item rule); only its grammar is accepted.
	create bool
	errs   []string
}

func (w *filterWalker) errf(path, format string, a ...any) {
	msg := fmt.Sprintf(format, a...)
	if path != "" {
		msg = path + ": " + msg
	}
	w.errs = append(w.errs, msg)
}

// checkFilter returns what is wrong with a filter (or validation) of
// collection, each message naming the path in the filter.
func checkFilter(cat *Catalog, collection string, v any, kind filterKind, create bool) []string {
	w := &filterWalker{cat: cat, kind: kind, create: create}
	if v == nil {
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return []string{"want a mapping of fields to conditions, e.g. {status: {_eq: draft}}"}
	}
	w.object(collection, m, "", 0)
	return w.errs
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// object walks a mapping whose keys are fields of collection (or _and, _or).
// depth counts the relations followed so far.
func (w *filterWalker) object(collection string, m map[string]any, path string, depth int) {
	for _, k := range sortedKeys(m) {
		v := m[k]
		p := join(path, k)
		switch {
		case k == "_and" || k == "_or":
			w.logical(collection, v, p, depth)
		case strings.HasPrefix(k, "_"):
			w.errf(p, "%s needs a field before it, e.g. {status: {%s: ...}}", k, k)
		default:
			w.field(collection, k, v, p, depth)
		}
	}
}

func (w *filterWalker) logical(collection string, v any, path string, depth int) {
	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		w.errf(path, "want a non-empty list of conditions")
		return
	}
	for i, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			w.errf(fmt.Sprintf("%s[%d]", path, i), "want a mapping of fields to conditions")
			continue
		}
		w.object(collection, m, fmt.Sprintf("%s[%d]", path, i), depth)
	}
}

func (w *filterWalker) field(collection, field string, v any, path string, depth int) {
	if strings.HasPrefix(field, "$FOLLOW") {
		w.errf(path, "$FOLLOW(...) is refused: in a permission Directus 11.17.4 answers every request with a 500 error; add an o2m alias field and follow it instead")
		return
	}
	if !w.cat.hasField(collection, field) {
		w.errf(path, "unknown field %q of %s (it has: %s)", field, collection, w.cat.suggest(collection))
		return
	}
	target, o2m, relational := w.cat.Related(collection, field)
	cond, isMap := v.(map[string]any)
	if !isMap {
		// {field: value} is Directus's shorthand for _eq.
		w.value(path, "_eq", v)
		if o2m {
			w.errf(path, "%s lists items of %s: give conditions on them, e.g. {%s: {id: {_nnull: true}}}", field, target, field)
		}
		return
	}
	if len(cond) == 0 {
		w.errf(path, "empty condition")
		return
	}
	if relational && w.kind == kindValidation {
		// The payload holds the related item's key, nothing behind it.
		for _, k := range sortedKeys(cond) {
			if !strings.HasPrefix(k, "_") {
				w.errf(join(path, k), "validation checks the payload, which holds only %s's key: it cannot follow the relation to %s", field, target)
				return
			}
		}
	}
	for _, k := range sortedKeys(cond) {
		sub := cond[k]
		p := join(path, k)
		switch {
		case k == "_some" || k == "_none":
			switch {
			case !o2m:
				w.errf(p, "%s applies only to an o2m alias field (%s is not one)", k, field)
			case depth > 0:
				w.errf(p, "%s is refused below the first relation: Directus 11.17.4 drops the whole condition there (it then matches every row); write the o2m without %s, e.g. {%s: {user_id: {_eq: $CURRENT_USER}}}, which means the same", k, k, field)
			case w.create:
				w.errf(p, "a create rule cannot look at the new item's own o2m items (they do not exist yet)")
			default:
				if m, ok := sub.(map[string]any); ok {
					w.object(target, m, p, depth+1)
				} else {
					w.errf(p, "want a mapping of conditions on items of %s", target)
				}
			}
		case k == "_and" || k == "_or":
			if !relational {
				w.errf(p, "%s goes at the level of fields; %s is not a relation", k, field)
				continue
			}
			w.logical(target, sub, p, depth+1)
		case strings.HasPrefix(k, "_"):
			if !slices.Contains(filterOperators, k) {
				w.errf(p, "unknown operator %s (known: %s)", k, strings.Join(filterOperators, ", "))
				continue
			}
			if o2m {
				w.errf(p, "%s lists items of %s: put %s on a field of them", field, target, k)
				continue
			}
			w.value(p, k, sub)
		default:
			if !relational {
				w.errf(p, "%s is not a relation: %q cannot follow it (use an operator such as _eq)", field, k)
				continue
			}
			if target == "directus_roles" || target == "directus_files" || !w.cat.HasCollection(target) {
				w.errf(p, "filters cannot follow %s into %s", field, target)
				continue
			}
			w.field(target, k, sub, p, depth+1)
		}
	}
}

// value checks an operator's operand.
func (w *filterWalker) value(path, op string, v any) {
	switch {
	case slices.Contains(boolOperators, op):
		if _, ok := v.(bool); !ok {
			w.errf(path, "%s takes true or false", op)
		}
		return
	case op == "_between" || op == "_nbetween":
		if l, ok := v.([]any); !ok || len(l) != 2 {
			w.errf(path, "%s takes a list of two values", op)
			return
		}
	case op == "_regex":
		if s, ok := v.(string); ok {
			if _, err := regexp.Compile(s); err != nil {
				w.errf(path, "not a regular expression: %v", err)
			}
		}
	}
	w.dynamic(path, v)
}

// dynamic checks the dynamic variables a value uses.
func (w *filterWalker) dynamic(path string, v any) {
	switch t := v.(type) {
	case string:
		if !strings.HasPrefix(t, "$") {
			return
		}
		if !dynamicVar.MatchString(t) {
			w.errf(path, "%q is not a dynamic variable Directus knows ($CURRENT_USER[.field], $CURRENT_ROLE, $CURRENT_ROLES, $CURRENT_POLICIES, $NOW, $NOW(-1 day))", t)
			return
		}
		if w.create && t != "$CURRENT_USER" && t != "$NOW" {
			w.errf(path, "a create rule may use only $CURRENT_USER and $NOW (the create guard resolves no others)")
			return
		}
		if rest, ok := strings.CutPrefix(t, "$CURRENT_USER."); ok {
			w.userPath(path, rest)
		}
	case []any:
		for _, x := range t {
			w.dynamic(path, x)
		}
	case map[string]any:
		w.errf(path, "want a value, not a mapping")
	}
}

// userPath checks $CURRENT_USER.a.b.c against directus_users's fields.
func (w *filterWalker) userPath(path, rest string) {
	coll := "directus_users"
	for _, seg := range strings.Split(rest, ".") {
		if !w.cat.hasField(coll, seg) {
			w.errf(path, "$CURRENT_USER.%s: %s has no field %q", rest, coll, seg)
			return
		}
		next, _, ok := w.cat.Related(coll, seg)
		if !ok {
			coll = ""
			continue
		}
		coll = next
	}
}

// topKeys are the fields a filter's conditions start from at its top level
// (through _and and _or).
func topKeys(v any) []string {
	seen := map[string]bool{}
	var walk func(any)
	walk = func(v any) {
		m, ok := v.(map[string]any)
		if !ok {
			return
		}
		for k, sub := range m {
			if k == "_and" || k == "_or" {
				if l, ok := sub.([]any); ok {
					for _, x := range l {
						walk(x)
					}
				}
				continue
			}
			seen[k] = true
		}
	}
	walk(v)
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
