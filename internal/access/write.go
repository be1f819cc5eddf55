package access

import (
	"bytes"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

const fileHeader = `# Access as code (docs/access-model.md). Written by 'trmctl access pull';
# edit it freely: 'trmctl access diff' shows what applying it changes.
`

// Files renders the set as the files of an access folder: path (slash
// separated, relative to the folder) to content. The layout is canonical:
// a set read back from these files and written again gives the same bytes.
func Files(s *Set) (map[string][]byte, error) {
	c := *s
	c.Roles = append([]Role(nil), s.Roles...)
	c.Policies = append([]Policy(nil), s.Policies...)
	c.Sort()
	out := map[string][]byte{}
	main, err := render(mainNode(&c))
	if err != nil {
		return nil, err
	}
	out[MainFile] = main
	for _, p := range c.Policies {
		b, err := render(policyNode(p))
		if err != nil {
			return nil, fmt.Errorf("policy %s: %w", p.Name, err)
		}
		out[path.Join(PoliciesDir, p.Name+".yaml")] = b
	}
	return out, nil
}

// WriteDir writes the set's files into dir, replacing each file whole, and
// removes policy files of policies the set does not have.
func WriteDir(dir string, s *Set) error {
	files, err := Files(s)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, PoliciesDir), 0o755); err != nil {
		return err
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := writeFileAtomic(filepath.Join(dir, filepath.FromSlash(n)), files[n]); err != nil {
			return err
		}
	}
	entries, err := os.ReadDir(filepath.Join(dir, PoliciesDir))
	if err != nil {
		return err
	}
	for _, e := range entries {
		n := path.Join(PoliciesDir, e.Name())
		if strings.HasSuffix(e.Name(), ".yaml") && files[n] == nil {
			if err := os.Remove(filepath.Join(dir, filepath.FromSlash(n))); err != nil {
				return err
			}
		}
	}
	return nil
}

func writeFileAtomic(p string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(p), "."+filepath.Base(p)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(0o644)
	}
	if err == nil {
		err = f.Close()
	} else {
		f.Close()
	}
	if err == nil {
		err = os.Rename(tmp, p)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", p, err)
	}
	return nil
}

func render(n *yaml.Node) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(fileHeader)
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(n); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func scalar(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Value: s, Tag: "!!str"}
}

func boolNode(v bool) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Value: strconv.FormatBool(v), Tag: "!!bool"}
}

func mapping(flow bool, kv ...any) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	if flow {
		n.Style = yaml.FlowStyle
	}
	for i := 0; i+1 < len(kv); i += 2 {
		n.Content = append(n.Content, scalar(kv[i].(string)), kv[i+1].(*yaml.Node))
	}
	return n
}

func strList(ss []string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle}
	for _, s := range ss {
		n.Content = append(n.Content, scalar(s))
	}
	return n
}

// valueNode renders a JSON value in YAML flow style: one line per rule,
// keys sorted.
func valueNode(v any) *yaml.Node {
	switch t := v.(type) {
	case map[string]any:
		n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Style: yaml.FlowStyle}
		for _, k := range sortedKeys(t) {
			n.Content = append(n.Content, scalar(k), valueNode(t[k]))
		}
		return n
	case []any:
		n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle}
		for _, x := range t {
			n.Content = append(n.Content, valueNode(x))
		}
		return n
	case nil:
		return &yaml.Node{Kind: yaml.ScalarNode, Value: "null", Tag: "!!null"}
	case bool:
		return boolNode(t)
	case string:
		return scalar(t)
	default:
		n := &yaml.Node{}
		if err := n.Encode(t); err != nil {
			return scalar(fmt.Sprint(t))
		}
		return n
	}
}

func mainNode(s *Set) *yaml.Node {
	admin := mapping(false, "role", scalar(s.Administrator.Role), "policy", scalar(s.Administrator.Policy))
	public := mapping(false, "permissions", permissionsNode(s.Public))
	adminOnly := s.AdminOnly
	if adminOnly == nil {
		adminOnly = []string{}
	}
	roles := mapping(false)
	for _, r := range s.Roles {
		rn := mapping(false)
		if r.Description != "" {
			rn.Content = append(rn.Content, scalar("description"), scalar(r.Description))
		}
		rn.Content = append(rn.Content, scalar("icon"), scalar(r.Icon))
		if r.Parent != "" {
			rn.Content = append(rn.Content, scalar("parent"), scalar(r.Parent))
		}
		ps := r.Policies
		if ps == nil {
			ps = []string{}
		}
		rn.Content = append(rn.Content, scalar("policies"), strList(ps))
		roles.Content = append(roles.Content, scalar(r.Name), rn)
	}
	adminOnlyNode := strList(adminOnly)
	adminOnlyNode.Style = 0
	if len(adminOnly) == 0 {
		adminOnlyNode.Style = yaml.FlowStyle
	}
	return mapping(false, "administrator", admin, "public", public, "admin_only", adminOnlyNode, "roles", roles)
}

func policyNode(p Policy) *yaml.Node {
	n := mapping(false, "name", scalar(p.Name))
	if p.Description != "" {
		n.Content = append(n.Content, scalar("description"), scalar(p.Description))
	}
	n.Content = append(n.Content, scalar("icon"), scalar(p.Icon), scalar("app_access"), boolNode(p.AppAccess))
	if p.AdminAccess {
		n.Content = append(n.Content, scalar("admin_access"), boolNode(true))
	}
	if p.EnforceTFA {
		n.Content = append(n.Content, scalar("enforce_tfa"), boolNode(true))
	}
	if len(p.IPAccess) > 0 {
		n.Content = append(n.Content, scalar("ip_access"), strList(p.IPAccess))
	}
	n.Content = append(n.Content, scalar("permissions"), permissionsNode(p.Permissions))
	return n
}

func permissionsNode(ps []Permission) *yaml.Node {
	if len(ps) == 0 {
		return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Style: yaml.FlowStyle}
	}
	out := mapping(false)
	var cur *yaml.Node
	last := ""
	for _, p := range ps {
		if p.Collection != last || cur == nil {
			cur = mapping(false)
			out.Content = append(out.Content, scalar(p.Collection), cur)
			last = p.Collection
		}
		pn := mapping(false)
		if !isNone(p.Filter) || p.Action == "delete" && p.Filter != nil {
			pn.Content = append(pn.Content, scalar("filter"), valueNode(orEmpty(p.Filter)))
		}
		if !isNone(p.Validation) {
			pn.Content = append(pn.Content, scalar("validation"), valueNode(p.Validation))
		}
		if !isNone(p.Presets) {
			pn.Content = append(pn.Content, scalar("presets"), valueNode(p.Presets))
		}
		if fieldsMatter(p.Action) {
			fs := p.Fields
			if fs == nil {
				fs = []string{}
			}
			pn.Content = append(pn.Content, scalar("fields"), strList(fs))
		}
		if len(pn.Content) == 0 {
			// A delete of every item: filter: {} says so.
			pn.Content = append(pn.Content, scalar("filter"), valueNode(map[string]any{}))
		}
		cur.Content = append(cur.Content, scalar(p.Action), pn)
	}
	return out
}

func orEmpty(v any) any {
	if v == nil {
		return map[string]any{}
	}
	return v
}
