package access

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The files: MainFile in the folder, one file per policy in PoliciesDir.
const (
	MainFile    = "access.yaml"
	PoliciesDir = "policies"
)

// maxFileSize bounds what Read accepts: access files are a few kilobytes,
// and a huge file is a mistake, not a policy.
const maxFileSize = 1 << 20

// ReadDir reads the access files in dir (access.yaml and policies/*.yaml).
// Messages name the files as dir joined with their names.
func ReadDir(dir string) (*Set, error) {
	return Read(os.DirFS(dir), dir)
}

// Read reads the access files from fsys. label is prefixed to file names in
// messages. Every problem found is reported, as a *ProblemsError; the files
// are only read here, Validate checks what they say.
func Read(fsys fs.FS, label string) (*Set, error) {
	r := &reader{set: &Set{pos: positions{}}, label: label}
	if data, ok := r.readFile(fsys, MainFile); ok {
		r.main(data)
	}
	entries, err := fs.ReadDir(fsys, PoliciesDir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		r.problems = append(r.problems, Problem{File: r.name(PoliciesDir), Msg: err.Error()})
	}
	for _, e := range entries {
		name := e.Name()
		switch {
		case e.IsDir() || strings.HasPrefix(name, "."):
			continue
		case !strings.HasSuffix(name, ".yaml"):
			r.problems = append(r.problems, Problem{File: r.name(path.Join(PoliciesDir, name)),
				Msg: "not a policy file: policy files end in .yaml (rename it, or move it out of " + PoliciesDir + "/)"})
			continue
		}
		if data, ok := r.readFile(fsys, path.Join(PoliciesDir, name)); ok {
			r.policy(path.Join(PoliciesDir, name), strings.TrimSuffix(name, ".yaml"), data)
		}
	}
	if len(r.problems) > 0 {
		return nil, &ProblemsError{Problems: r.problems}
	}
	r.set.Sort()
	return r.set, nil
}

type reader struct {
	set      *Set
	label    string
	problems []Problem
}

func (r *reader) name(p string) string {
	if r.label == "" {
		return p
	}
	return filepath.Join(r.label, filepath.FromSlash(p))
}

func (r *reader) readFile(fsys fs.FS, p string) ([]byte, bool) {
	f, err := fsys.Open(p)
	if err != nil {
		msg := err.Error()
		if errors.Is(err, fs.ErrNotExist) {
			msg = "missing: the access folder needs " + MainFile + " (see docs/access-model.md)"
		}
		r.problems = append(r.problems, Problem{File: r.name(p), Msg: msg})
		return nil, false
	}
	defer f.Close()
	buf, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	switch {
	case err != nil:
		r.problems = append(r.problems, Problem{File: r.name(p), Msg: err.Error()})
		return nil, false
	case len(buf) > maxFileSize:
		r.problems = append(r.problems, Problem{File: r.name(p), Msg: fmt.Sprintf("larger than %d bytes: not an access file", maxFileSize)})
		return nil, false
	}
	return buf, true
}

// doc parses one YAML document into its top mapping.
func (r *reader) doc(file string, data []byte) *yaml.Node {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		r.problems = append(r.problems, Problem{File: r.name(file), Msg: "not YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")})
		return nil
	}
	if root.Kind == 0 || len(root.Content) == 0 {
		r.problems = append(r.problems, Problem{File: r.name(file), Msg: "empty file"})
		return nil
	}
	top := root.Content[0]
	if top.Kind != yaml.MappingNode {
		r.errAt(file, top, "want a mapping of keys to values at the top of the file")
		return nil
	}
	return top
}

func (r *reader) errAt(file string, n *yaml.Node, format string, a ...any) {
	r.problems = append(r.problems, Problem{File: r.name(file), Line: n.Line, Column: n.Column, Msg: fmt.Sprintf(format, a...)})
}

func (r *reader) mark(key, file string, n *yaml.Node) {
	r.set.pos[key] = pos{File: r.name(file), Line: n.Line, Column: n.Column}
}

// members returns a mapping's keys and values in order, reporting keys that
// are not strings, duplicated or not in known (nil: any key).
func (r *reader) members(file string, n *yaml.Node, what string, known ...string) [][2]*yaml.Node {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind != yaml.MappingNode {
		r.errAt(file, n, "%s: want a mapping", what)
		return nil
	}
	seen := map[string]bool{}
	var out [][2]*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.Tag == "!!merge" {
			r.errAt(file, k, "%s: keys must be plain names (no merge keys or complex keys)", what)
			continue
		}
		if seen[k.Value] {
			r.errAt(file, k, "%s: %q is given twice", what, k.Value)
			continue
		}
		seen[k.Value] = true
		if known != nil && !slices.Contains(known, k.Value) {
			r.errAt(file, k, "%s: unknown key %q (known: %s)", what, k.Value, strings.Join(known, ", "))
			continue
		}
		out = append(out, [2]*yaml.Node{k, v})
	}
	return out
}

func (r *reader) str(file string, n *yaml.Node, what string) (string, bool) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		r.errAt(file, n, "%s: want a text value", what)
		return "", false
	}
	return n.Value, true
}

func (r *reader) boolean(file string, n *yaml.Node, what string) (bool, bool) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
		r.errAt(file, n, "%s: want true or false", what)
		return false, false
	}
	return n.Value == "true", true
}

func (r *reader) strs(file string, n *yaml.Node, what string) ([]string, bool) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind != yaml.SequenceNode {
		r.errAt(file, n, "%s: want a list, e.g. [a, b]", what)
		return nil, false
	}
	out := []string{}
	ok := true
	seen := map[string]bool{}
	for _, c := range n.Content {
		s, good := r.str(file, c, what)
		if !good {
			ok = false
			continue
		}
		if seen[s] {
			r.errAt(file, c, "%s: %q is listed twice", what, s)
			ok = false
			continue
		}
		seen[s] = true
		out = append(out, s)
	}
	return out, ok
}

// value converts a node into a JSON value.
func (r *reader) value(file string, n *yaml.Node, what string) (any, bool) {
	switch n.Kind {
	case yaml.AliasNode:
		return r.value(file, n.Alias, what)
	case yaml.MappingNode:
		m := map[string]any{}
		ok := true
		for _, kv := range r.members(file, n, what) {
			v, good := r.value(file, kv[1], what)
			ok = ok && good
			m[kv[0].Value] = v
		}
		return m, ok
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		ok := true
		for _, c := range n.Content {
			v, good := r.value(file, c, what)
			ok = ok && good
			out = append(out, v)
		}
		return out, ok
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return nil, true
		case "!!str":
			return n.Value, true
		case "!!bool", "!!int", "!!float":
			var v any
			if err := n.Decode(&v); err != nil {
				r.errAt(file, n, "%s: %v", what, err)
				return nil, false
			}
			return v, true
		}
	}
	r.errAt(file, n, "%s: %q is not a JSON value (tag %s)", what, n.Value, n.Tag)
	return nil, false
}

func (r *reader) main(data []byte) {
	top := r.doc(MainFile, data)
	if top == nil {
		return
	}
	r.mark("access", MainFile, top)
	seen := map[string]bool{}
	for _, kv := range r.members(MainFile, top, MainFile, "administrator", "public", "admin_only", "roles") {
		k, v := kv[0], kv[1]
		seen[k.Value] = true
		switch k.Value {
		case "administrator":
			r.mark("access#administrator", MainFile, k)
			for _, m := range r.members(MainFile, v, "administrator", "role", "policy") {
				s, _ := r.str(MainFile, m[1], "administrator."+m[0].Value)
				if m[0].Value == "role" {
					r.set.Administrator.Role = s
				} else {
					r.set.Administrator.Policy = s
				}
			}
		case "public":
			r.mark("policy/public", MainFile, k)
			for _, m := range r.members(MainFile, v, "public", "permissions") {
				r.set.Public = r.permissions(MainFile, "public", m[1])
			}
		case "admin_only":
			r.mark("access#admin_only", MainFile, k)
			r.set.AdminOnly, _ = r.strs(MainFile, v, "admin_only")
		case "roles":
			for _, m := range r.members(MainFile, v, "roles") {
				r.role(m[0], m[1])
			}
		}
	}
	for _, k := range []string{"administrator", "public", "admin_only", "roles"} {
		if !seen[k] {
			r.errAt(MainFile, top, "%s is missing: every part of the model is decided explicitly (see docs/access-model.md)", k)
		}
	}
}

func (r *reader) role(k, v *yaml.Node) {
	role := Role{Name: k.Value}
	key := "role/" + role.Name
	r.mark(key, MainFile, k)
	for _, m := range r.members(MainFile, v, "role "+role.Name, "description", "icon", "parent", "policies") {
		what := "role " + role.Name + ": " + m[0].Value
		r.mark(key+"#"+m[0].Value, MainFile, m[1])
		switch m[0].Value {
		case "description":
			role.Description, _ = r.str(MainFile, m[1], what)
		case "icon":
			role.Icon, _ = r.str(MainFile, m[1], what)
		case "parent":
			role.Parent, _ = r.str(MainFile, m[1], what)
		case "policies":
			role.Policies, _ = r.strs(MainFile, m[1], what)
		}
	}
	r.set.Roles = append(r.set.Roles, role)
}

func (r *reader) policy(file, stem string, data []byte) {
	top := r.doc(file, data)
	if top == nil {
		return
	}
	p := Policy{}
	var nameNode *yaml.Node
	var perms *yaml.Node
	for _, m := range r.members(file, top, file, "name", "description", "icon", "app_access", "admin_access", "enforce_tfa", "ip_access", "permissions") {
		what := m[0].Value
		switch m[0].Value {
		case "name":
			p.Name, _ = r.str(file, m[1], what)
			nameNode = m[1]
		case "description":
			p.Description, _ = r.str(file, m[1], what)
		case "icon":
			p.Icon, _ = r.str(file, m[1], what)
		case "app_access":
			p.AppAccess, _ = r.boolean(file, m[1], what)
		case "admin_access":
			p.AdminAccess, _ = r.boolean(file, m[1], what)
		case "enforce_tfa":
			p.EnforceTFA, _ = r.boolean(file, m[1], what)
		case "ip_access":
			p.IPAccess, _ = r.strs(file, m[1], what)
		case "permissions":
			perms = m[1]
		}
	}
	switch {
	case nameNode == nil:
		r.errAt(file, top, "name is missing: a policy file names its policy (name: %s)", stem)
		return
	case p.Name != stem:
		r.errAt(file, nameNode, "the policy is named %q but its file is %s.yaml: name the file after the policy", p.Name, stem)
		return
	}
	key := "policy/" + p.Name
	r.mark(key, file, top)
	if perms != nil {
		p.Permissions = r.permissions(file, p.Name, perms)
	}
	r.set.Policies = append(r.set.Policies, p)
}

// permissions reads `collection: {action: {filter, validation, presets,
// fields}}`.
func (r *reader) permissions(file, policy string, n *yaml.Node) []Permission {
	var out []Permission
	for _, c := range r.members(file, n, "permissions") {
		coll := c[0].Value
		for _, a := range r.members(file, c[1], "permissions of "+coll, Actions...) {
			p := Permission{Collection: coll, Action: a[0].Value}
			key := permKey(policy, p)
			r.mark(key, file, a[0])
			what := coll + " " + p.Action
			if a[1].Tag == "!!null" {
				// `read:` alone: everything, no field list.
				r.errAt(file, a[1], "%s: give at least fields (or filter: {} for a delete)", what)
				continue
			}
			for _, m := range r.members(file, a[1], what, "filter", "validation", "presets", "fields") {
				r.mark(key+"#"+m[0].Value, file, m[1])
				switch m[0].Value {
				case "filter":
					p.Filter, _ = r.value(file, m[1], what+" filter")
				case "validation":
					p.Validation, _ = r.value(file, m[1], what+" validation")
				case "presets":
					p.Presets, _ = r.value(file, m[1], what+" presets")
				case "fields":
					p.Fields, _ = r.strs(file, m[1], what+" fields")
				}
			}
			out = append(out, p)
		}
	}
	return out
}

// Load reads the access files in dir and validates them against the
// catalog of the committed snapshot: what boot and trmctl apply.
func Load(dir string, cat *Catalog) (*Set, error) {
	s, err := ReadDir(dir)
	if err != nil {
		return nil, err
	}
	if err := Validate(s, cat); err != nil {
		return nil, err
	}
	return s, nil
}
