package snapshot

import "path"

// Exclude returns a copy of s without the collections whose name matches
// one of patterns (path.Match syntax: "positions", "migrations_*"), their
// fields and system fields, and every relation from or to them. It is how
// tables that something other than Directus owns (db-init's positions and
// migrations_applied) are kept out of committed snapshots and plans.
//
// s is not changed. A malformed pattern gives a *PatternError.
func (s *Snapshot) Exclude(patterns ...string) (*Snapshot, error) {
	excluded, err := matcher(patterns)
	if err != nil {
		return nil, err
	}
	out := &Snapshot{Version: s.Version, Directus: s.Directus, Vendor: s.Vendor, Extra: s.Extra.Clone(), textSize: s.textSize}
	for _, c := range s.Collections {
		if !excluded(c.Name()) {
			out.Collections = append(out.Collections, &Collection{Raw: c.Raw.Clone()})
		}
	}
	for _, f := range s.Fields {
		if !excluded(f.Collection()) {
			out.Fields = append(out.Fields, &Field{Raw: f.Raw.Clone()})
		}
	}
	for _, f := range s.SystemFields {
		if !excluded(f.Collection()) {
			out.SystemFields = append(out.SystemFields, &SystemField{Raw: f.Raw.Clone()})
		}
	}
	for _, r := range s.Relations {
		if excluded(r.Collection()) || (r.RelatedCollection() != "" && excluded(r.RelatedCollection())) {
			continue
		}
		out.Relations = append(out.Relations, &Relation{Raw: r.Raw.Clone()})
	}
	return out, nil
}

// Excludes reports whether [Snapshot.Exclude] with the same patterns
// would leave anything out, without copying anything: a caller that only
// needs s filtered can keep s itself when nothing matches.
func (s *Snapshot) Excludes(patterns ...string) (bool, error) {
	excluded, err := matcher(patterns)
	if err != nil {
		return false, err
	}
	for _, c := range s.Collections {
		if excluded(c.Name()) {
			return true, nil
		}
	}
	for _, f := range s.Fields {
		if excluded(f.Collection()) {
			return true, nil
		}
	}
	for _, f := range s.SystemFields {
		if excluded(f.Collection()) {
			return true, nil
		}
	}
	for _, r := range s.Relations {
		if excluded(r.Collection()) || (r.RelatedCollection() != "" && excluded(r.RelatedCollection())) {
			return true, nil
		}
	}
	return false, nil
}

// matcher checks patterns and returns the test of a collection name.
func matcher(patterns []string) (func(string) bool, error) {
	for _, p := range patterns {
		if _, err := path.Match(p, ""); err != nil {
			return nil, &PatternError{Pattern: p, Err: err}
		}
	}
	return func(name string) bool {
		for _, p := range patterns {
			if ok, _ := path.Match(p, name); ok {
				return true
			}
		}
		return false
	}, nil
}
