package seed

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"

	"git.dev.trmtracking.org/trm/directus/internal/catalog"
)

// Problem is one thing wrong with a seed file.
type Problem struct {
	// Line is 1-based; 0 when the problem is the file as a whole.
	Line int
	// Path locates the value, e.g. organizations[0].events[0].discipline.
	Path string
	Msg  string
}

// Error is a seed file that cannot be applied: every problem found, in
// the order of the file.
type Error struct {
	Source   string
	Problems []Problem
}

func (e *Error) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Source)
		if p.Line > 0 {
			b.WriteString(":" + strconv.Itoa(p.Line))
		}
		b.WriteString(": ")
		if p.Path != "" {
			b.WriteString(p.Path + ": ")
		}
		b.WriteString(p.Msg)
	}
	return b.String()
}

// maxProblems bounds the report: past it, the file is not what its author
// thinks it is.
const maxProblems = 50

// maxDepth bounds nesting: a seed file is seven levels deep
// (organizations, organisation, events, event, entries, entry, crew).
const maxDepth = 12

// Patterns of what Directus or the database refuse (the snapshot's field
// validations), and of the formats the fields' notes ask for.
var (
	slugPattern        = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	imeiPattern        = regexp.MustCompile(`^[0-9]{15}$`)
	nationalityPattern = regexp.MustCompile(`^[A-Z]{2}$`)
	phonePattern       = regexp.MustCompile(`^\+[1-9][0-9]{7,14}$`)
	emailPattern       = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
)

// maxString is the length of Directus's string columns (varchar(255)).
const maxString = 255

// ReadFile reads and validates the seed file at path.
func ReadFile(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		cause := err
		var pe *fs.PathError
		if errors.As(err, &pe) {
			cause = pe.Err
		}
		return nil, &Error{Source: path, Problems: []Problem{{Msg: "cannot read the file: " + cause.Error()}}}
	}
	return Parse(path, b)
}

// Read reads at most MaxFileSize bytes of r and validates them; name is
// used in messages.
func Read(name string, r io.Reader) (*File, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, &Error{Source: name, Problems: []Problem{{Msg: "cannot read the input: " + err.Error()}}}
	}
	return Parse(name, b)
}

// Parse validates a seed file; name is used in messages. Anything wrong is
// an *Error listing every problem found. Parse never panics.
func Parse(name string, data []byte) (f *File, err error) {
	defer func() {
		// The YAML library is third-party code: whatever it does, the
		// caller gets an error rather than a crash.
		if r := recover(); r != nil {
			f, err = nil, &Error{Source: name, Problems: []Problem{{Msg: fmt.Sprintf("unreadable input (%v)", r)}}}
		}
	}()
	p := &parser{file: &File{Source: name}}
	p.parse(data)
	if len(p.problems) > 0 {
		return nil, &Error{Source: name, Problems: p.problems}
	}
	return p.file, nil
}

type parser struct {
	file     *File
	problems []Problem
}

func (p *parser) add(n *yaml.Node, path, format string, args ...any) {
	if len(p.problems) == maxProblems {
		p.problems = append(p.problems, Problem{Msg: "too many problems; fix these first"})
	}
	if len(p.problems) > maxProblems {
		return
	}
	line := 0
	if n != nil {
		line = n.Line
	}
	p.problems = append(p.problems, Problem{Line: line, Path: path, Msg: fmt.Sprintf(format, args...)})
}

func (p *parser) parse(data []byte) {
	if len(data) > MaxFileSize {
		p.add(nil, "", "larger than %d bytes, the limit for a seed file", MaxFileSize)
		return
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if len(bytes.TrimSpace(data)) == 0 {
		p.add(nil, "", "empty; a seed file starts with seed: <name>")
		return
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		p.syntax(err)
		return
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err != io.EOF {
		p.add(&extra, "", "more than one YAML document; a seed file holds one")
		return
	}
	if len(doc.Content) != 1 {
		p.add(&doc, "", "empty document")
		return
	}
	root := doc.Content[0]
	if !p.plain(root, 0) {
		return
	}
	p.root(root)
	if len(p.problems) == 0 {
		p.crossCheck()
	}
}

// syntax reports the YAML library's error at the line it names
// ("yaml: line 3: …").
func (p *parser) syntax(err error) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if i := strings.IndexByte(rest, ':'); i > 0 {
			if n, convErr := strconv.Atoi(rest[:i]); convErr == nil {
				line, msg = n, strings.TrimSpace(rest[i+1:])
			}
		}
	}
	p.problems = append(p.problems, Problem{Line: line, Msg: "not valid YAML: " + msg})
}

// plain refuses what a seed file never needs and what makes YAML costly
// or ambiguous: anchors and aliases (and so merge keys), custom tags, deep
// nesting.
func (p *parser) plain(n *yaml.Node, depth int) bool {
	if depth > maxDepth {
		p.add(n, "", "nested more than %d levels; a seed file is not that deep", maxDepth)
		return false
	}
	if n.Kind == yaml.AliasNode || n.Anchor != "" {
		p.add(n, "", "anchors and aliases (&, *, <<) are not used in a seed file; write each value out")
		return false
	}
	if n.Tag != "" && !strings.HasPrefix(n.Tag, "!!") {
		p.add(n, "", "custom tag %q; a seed file uses plain values", n.Tag)
		return false
	}
	for _, c := range n.Content {
		if !p.plain(c, depth+1) {
			return false
		}
	}
	return true
}

// object is a mapping whose keys were checked against the allowed ones.
type object struct {
	p      *parser
	node   *yaml.Node
	path   string
	values map[string]*yaml.Node
}

// object checks that n is a mapping of allowed keys, each given once; the
// problems are recorded and ok is false when n is not a mapping.
func (p *parser) object(n *yaml.Node, path, what string, allowed ...string) (object, bool) {
	o := object{p: p, node: n, path: path, values: map[string]*yaml.Node{}}
	if n.Kind != yaml.MappingNode {
		p.add(n, path, "expected %s (a mapping of %s), got %s", what, strings.Join(allowed, ", "), describe(n))
		return o, false
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch {
		case k.Kind != yaml.ScalarNode || k.ShortTag() != "!!str":
			p.add(k, path, "the keys of %s are names such as %s", what, allowed[0])
		case !slices.Contains(allowed, k.Value):
			p.add(k, join(path, k.Value), "unknown key %q in %s; the keys are %s", k.Value, what, strings.Join(allowed, ", "))
		case o.values[k.Value] != nil:
			p.add(k, join(path, k.Value), "%s given twice", k.Value)
		default:
			o.values[k.Value] = v
		}
	}
	return o, true
}

// str returns the text of a scalar key ("" when absent), as written: an
// unquoted +355… or 1986-09-02 keeps its text.
func (o object) str(key string, required bool) string {
	n := o.values[key]
	if n == nil || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null") {
		if required {
			o.p.add(o.node, o.path, "%s is required", key)
		}
		return ""
	}
	if n.Kind != yaml.ScalarNode {
		o.p.add(n, join(o.path, key), "expected a value, got %s", describe(n))
		return ""
	}
	v := n.Value
	switch {
	case v == "" || strings.TrimSpace(v) != v:
		o.p.add(n, join(o.path, key), "%q is empty or has spaces around it", v)
		return ""
	case !printable(v):
		o.p.add(n, join(o.path, key), "%q has control characters", v)
		return ""
	case len(v) > maxString:
		o.p.add(n, join(o.path, key), "%d bytes, more than the %d a Directus string holds", len(v), maxString)
		return ""
	}
	return v
}

// matching is str checked against a pattern.
func (o object) matching(key string, required bool, re *regexp.Regexp, want string) string {
	v := o.str(key, required)
	if v != "" && !re.MatchString(v) {
		o.p.add(o.values[key], join(o.path, key), "%q is not %s", v, want)
		return ""
	}
	return v
}

// enum is str checked against a catalog enumeration.
func (o object) enum(key string, required bool, e catalog.Enum) string {
	v := o.str(key, required)
	if v != "" && !e.Allows(v) {
		o.p.add(o.values[key], join(o.path, key), "%q is not allowed for %s; use one of %s", v, e.Key(), strings.Join(e.Values(), ", "))
		return ""
	}
	return v
}

// integer returns a positive integer key (0 when absent).
func (o object) integer(key string, required bool) int {
	v := o.str(key, required)
	if v == "" {
		return 0
	}
	if o.values[key].ShortTag() != "!!int" {
		o.p.add(o.values[key], join(o.path, key), "%q is not a number; write it without quotes", v)
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 || n > 1<<31-1 {
		o.p.add(o.values[key], join(o.path, key), "%q is not a positive whole number", v)
		return 0
	}
	return n
}

// instant returns a time with its UTC offset, e.g. 2026-06-06T00:00:00+02:00.
func (o object) instant(key string, required bool) *time.Time {
	v := o.str(key, required)
	if v == "" {
		return nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		o.p.add(o.values[key], join(o.path, key), "%q is not a time with its UTC offset, e.g. 2026-06-06T00:00:00+02:00", v)
		return nil
	}
	return &t
}

// list returns the items of a list key (nil when absent).
func (o object) list(key string) ([]*yaml.Node, string) {
	n, path := o.values[key], join(o.path, key)
	if n == nil || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null") {
		return nil, path
	}
	if n.Kind != yaml.SequenceNode {
		o.p.add(n, path, "expected a list, got %s", describe(n))
		return nil, path
	}
	return n.Content, path
}

// refs returns a list of names, e.g. the plates of an organisation.
func (o object) refs(key string) []Ref {
	items, path := o.list(key)
	var out []Ref
	for i, n := range items {
		if n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" || n.Value == "" || !printable(n.Value) {
			o.p.add(n, index(path, i), "expected a name, got %s", describe(n))
			continue
		}
		out = append(out, Ref{Line: n.Line, Key: n.Value})
	}
	return out
}

func (p *parser) root(n *yaml.Node) {
	o, ok := p.object(n, "", "a seed file", "seed", "people", "vehicles", "devices", "organizations")
	if !ok {
		return
	}
	f := p.file
	f.Name = o.matching("seed", true, slugPattern, "a slug (lower-case words joined by hyphens, e.g. rally-albania-2026)")
	items, path := o.list("people")
	for i, n := range items {
		if x, ok := p.object(n, index(path, i), "a person", "email", "first_name", "last_name", "phone", "birth_date", "nationality"); ok {
			f.People = append(f.People, Person{
				Line: n.Line, Email: x.matching("email", true, emailPattern, "an e-mail address"),
				FirstName: x.str("first_name", false), LastName: x.str("last_name", false),
				Phone:       x.matching("phone", false, phonePattern, "an international phone number (E.164), e.g. +355691234567"),
				BirthDate:   x.date("birth_date"),
				Nationality: x.matching("nationality", false, nationalityPattern, "an ISO 3166-1 alpha-2 country code, e.g. AL"),
			})
		}
	}
	items, path = o.list("vehicles")
	for i, n := range items {
		if x, ok := p.object(n, index(path, i), "a vehicle", "plate", "make", "model", "year", "cc", "vin"); ok {
			f.Vehicles = append(f.Vehicles, Vehicle{
				Line: n.Line, Plate: x.str("plate", true), Make: x.str("make", true), Model: x.str("model", true),
				VIN: x.str("vin", false), Year: x.integer("year", false), CC: x.integer("cc", false),
			})
		}
	}
	items, path = o.list("devices")
	for i, n := range items {
		if x, ok := p.object(n, index(path, i), "a device", "imei", "model"); ok {
			f.Devices = append(f.Devices, Device{
				Line: n.Line, IMEI: x.matching("imei", true, imeiPattern, "an IMEI (15 digits)"),
				Model: x.enum("model", true, catalog.DeviceModels()),
			})
		}
	}
	items, path = o.list("organizations")
	for i, n := range items {
		if x, ok := p.object(n, index(path, i), "an organization", "slug", "name", "members", "vehicles", "devices", "events"); ok {
			f.Organizations = append(f.Organizations, p.organization(x))
		}
	}
}

// date returns a calendar date, e.g. 1986-09-02.
func (o object) date(key string) string {
	v := o.str(key, false)
	if v == "" {
		return ""
	}
	if _, err := time.Parse(time.DateOnly, v); err != nil {
		o.p.add(o.values[key], join(o.path, key), "%q is not a date, e.g. 1986-09-02", v)
		return ""
	}
	return v
}

func (p *parser) organization(o object) Organization {
	org := Organization{
		Line: o.node.Line, Name: o.str("name", true),
		Slug: o.matching("slug", true, slugPattern, "a slug (lower-case words joined by hyphens, e.g. msc-albania)"),
	}
	items, path := o.list("members")
	for i, n := range items {
		if x, ok := p.object(n, index(path, i), "a member", "person", "role"); ok {
			org.Members = append(org.Members, Member{Line: n.Line, Person: x.str("person", true), Role: x.enum("role", true, catalog.OrganizationRoles())})
		}
	}
	org.Vehicles = o.refs("vehicles")
	org.Devices = o.refs("devices")
	items, path = o.list("events")
	for i, n := range items {
		x, ok := p.object(n, index(path, i), "an event", "slug", "name", "discipline", "starts_at", "ends_at", "classes", "entries")
		if !ok {
			continue
		}
		ev := Event{
			Line: n.Line, Name: x.str("name", true), Discipline: x.enum("discipline", true, catalog.Disciplines()),
			Slug: x.matching("slug", true, slugPattern, "a slug (lower-case words joined by hyphens, e.g. rally-albania-2026)"),
		}
		starts, ends := x.instant("starts_at", true), x.instant("ends_at", true)
		if starts != nil && ends != nil {
			ev.StartsAt, ev.EndsAt = *starts, *ends
			if ends.Before(*starts) {
				p.add(x.values["ends_at"], join(x.path, "ends_at"), "the event ends (%s) before it starts (%s)", ends.Format(time.RFC3339), starts.Format(time.RFC3339))
			}
		}
		classes, cpath := x.list("classes")
		for j, cn := range classes {
			if c, ok := p.object(cn, index(cpath, j), "a class", "code", "name", "category"); ok {
				ev.Classes = append(ev.Classes, Class{Line: cn.Line, Code: c.str("code", true), Name: c.str("name", true), Category: c.enum("category", true, catalog.Categories())})
			}
		}
		entries, epath := x.list("entries")
		for j, en := range entries {
			if e, ok := p.object(en, index(epath, j), "an entry", "race_number", "class", "vehicle", "status", "crew", "devices"); ok {
				ev.Entries = append(ev.Entries, p.entry(e, starts))
			}
		}
		org.Events = append(org.Events, ev)
	}
	return org
}

func (p *parser) entry(o object, eventStart *time.Time) Entry {
	e := Entry{
		Line: o.node.Line, RaceNumber: o.integer("race_number", true), Class: o.str("class", true),
		Vehicle: o.str("vehicle", false), Status: o.enum("status", false, catalog.EntryStatuses()),
	}
	items, path := o.list("crew")
	for i, n := range items {
		if x, ok := p.object(n, index(path, i), "a crew member", "person", "role"); ok {
			e.Crew = append(e.Crew, CrewMember{Line: n.Line, Person: x.str("person", true), Role: x.enum("role", true, catalog.CrewRoles())})
		}
	}
	items, path = o.list("devices")
	for i, n := range items {
		x, ok := p.object(n, index(path, i), "a tracker assignment", "imei", "worn_by", "valid_from", "valid_until")
		if !ok {
			continue
		}
		d := EntryDevice{Line: n.Line, IMEI: x.str("imei", true), WornBy: x.str("worn_by", false)}
		switch from := x.instant("valid_from", false); {
		case from != nil:
			d.ValidFrom = *from
		case eventStart != nil:
			d.ValidFrom = *eventStart
		}
		if d.ValidUntil = x.instant("valid_until", false); d.ValidUntil != nil && !d.ValidUntil.After(d.ValidFrom) {
			p.add(x.values["valid_until"], join(x.path, "valid_until"), "the assignment must end after it starts (%s)", d.ValidFrom.Format(time.RFC3339))
		}
		e.Devices = append(e.Devices, d)
	}
	return e
}

// crossCheck refuses what the database would: duplicates of a natural
// key, references to what the file does not declare, a class of another
// event, a tracker on two entries at once.
func (p *parser) crossCheck() {
	f := p.file
	people := map[string]bool{}
	for i, x := range f.People {
		p.once(people, x.Email, x.Line, index("people", i), "person", "email")
	}
	vehicles := map[string]bool{}
	for i, x := range f.Vehicles {
		p.once(vehicles, x.Plate, x.Line, index("vehicles", i), "vehicle", "plate")
	}
	devices := map[string]bool{}
	for i, x := range f.Devices {
		p.once(devices, x.IMEI, x.Line, index("devices", i), "device", "imei")
	}
	orgs := map[string]bool{}
	type window struct {
		from  time.Time
		until *time.Time
		where string
	}
	windows := map[string][]window{}
	for i, org := range f.Organizations {
		at := index("organizations", i)
		p.once(orgs, org.Slug, org.Line, at, "organization", "slug")
		members := map[string]bool{}
		for j, m := range org.Members {
			mat := index(at+".members", j)
			p.declared(people, m.Person, m.Line, mat+".person", "people")
			p.once(members, m.Person, m.Line, mat, "member of this organization (one role per person)", "person")
		}
		p.registrations(org.Vehicles, vehicles, at+".vehicles", "vehicles", "plate")
		p.registrations(org.Devices, devices, at+".devices", "devices", "IMEI")
		events := map[string]bool{}
		for j, ev := range org.Events {
			eat := index(at+".events", j)
			p.once(events, ev.Slug, ev.Line, eat, "event of this organization", "slug")
			classes := map[string]bool{}
			for k, c := range ev.Classes {
				p.once(classes, c.Code, c.Line, index(eat+".classes", k), "class of this event", "code")
			}
			numbers := map[string]bool{}
			for k, e := range ev.Entries {
				entryAt := index(eat+".entries", k)
				p.once(numbers, strconv.Itoa(e.RaceNumber), e.Line, entryAt, "entry of this event", "race_number")
				if e.Class != "" && !classes[e.Class] {
					p.problems = append(p.problems, Problem{Line: e.Line, Path: entryAt + ".class", Msg: fmt.Sprintf("%q is not a class of this event; its classes are listed under classes", e.Class)})
				}
				if e.Vehicle != "" {
					p.declared(vehicles, e.Vehicle, e.Line, entryAt+".vehicle", "vehicles")
				}
				crew := map[string]bool{}
				for l, c := range e.Crew {
					cat := index(entryAt+".crew", l)
					p.declared(people, c.Person, c.Line, cat+".person", "people")
					p.once(crew, c.Person, c.Line, cat, "crew member of this entry", "person")
				}
				assigned := map[string]bool{}
				for l, d := range e.Devices {
					dat := index(entryAt+".devices", l)
					p.declared(devices, d.IMEI, d.Line, dat+".imei", "devices")
					p.once(assigned, d.IMEI, d.Line, dat, "tracker of this entry (extend its window instead)", "imei")
					if d.WornBy != "" && !crew[d.WornBy] {
						p.problems = append(p.problems, Problem{Line: d.Line, Path: dat + ".worn_by", Msg: fmt.Sprintf("%q is not in this entry's crew", d.WornBy)})
					}
					for _, w := range windows[d.IMEI] {
						if overlaps(w.from, w.until, d.ValidFrom, d.ValidUntil) {
							p.problems = append(p.problems, Problem{Line: d.Line, Path: dat, Msg: fmt.Sprintf("tracker %s is already assigned to %s over an overlapping window: a device is on one entry at a time", d.IMEI, w.where)})
						}
					}
					windows[d.IMEI] = append(windows[d.IMEI], window{d.ValidFrom, d.ValidUntil, fmt.Sprintf("%s #%d (line %d)", ev.Slug, e.RaceNumber, d.Line)})
				}
			}
		}
	}
	if len(p.problems) > maxProblems {
		p.problems = append(p.problems[:maxProblems], Problem{Msg: "too many problems; fix these first"})
	}
}

// once records key in seen, reporting a second occurrence.
func (p *parser) once(seen map[string]bool, key string, line int, path, what, field string) {
	if seen[key] {
		p.problems = append(p.problems, Problem{Line: line, Path: path, Msg: fmt.Sprintf("a second %s with %s %q", what, field, key)})
	}
	seen[key] = true
}

// declared reports a reference to something the file does not declare.
func (p *parser) declared(set map[string]bool, key string, line int, path, list string) {
	if !set[key] {
		p.problems = append(p.problems, Problem{Line: line, Path: path, Msg: fmt.Sprintf("%q is not declared under %s in this file", key, list)})
	}
}

// registrations checks an organisation's registered plates or IMEIs.
func (p *parser) registrations(refs []Ref, set map[string]bool, path, list, field string) {
	seen := map[string]bool{}
	for i, r := range refs {
		p.declared(set, r.Key, r.Line, index(path, i), list)
		p.once(seen, r.Key, r.Line, index(path, i), "registration", field)
	}
}

// overlaps reports whether [a, aEnd) and [b, bEnd) meet; a nil end is
// open.
func overlaps(a time.Time, aEnd *time.Time, b time.Time, bEnd *time.Time) bool {
	return (aEnd == nil || b.Before(*aEnd)) && (bEnd == nil || a.Before(*bEnd))
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

func printable(s string) bool {
	return !strings.ContainsFunc(s, func(r rune) bool { return r < ' ' || r == 0x7f || r == '\u2028' || r == '\u2029' || r == '\ufffd' })
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			return "nothing (null)"
		}
		return strconv.Quote(n.Value)
	}
	return "something else"
}
