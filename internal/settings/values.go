package settings

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"

	"git.dev.trmtracking.org/trm/directus/internal/access"
	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
	"git.dev.trmtracking.org/trm/directus/lib/snapshot"
)

// ApplyMode says what the boot does with the committed snapshot.
type ApplyMode string

const (
	// ApplyAuto applies the committed snapshot when the plan is allowed.
	ApplyAuto ApplyMode = "auto"
	// ApplyDryRun computes and logs the plan but applies nothing.
	ApplyDryRun ApplyMode = "dry-run"
	// ApplySkip neither computes nor applies a plan.
	ApplySkip ApplyMode = "skip"
)

// Allowance is the set of destructive changes the operator named in
// TRM_ALLOW_DESTRUCTIVE.
type Allowance struct {
	All  bool
	Keys map[string]bool // "collection:foo", "field:foo.bar", "relation:foo.bar", "systemField:foo.bar"
}

// ParseAllowance reads "all" or a comma-separated list of kind:key.
func ParseAllowance(s string) (Allowance, error) {
	a := Allowance{Keys: map[string]bool{}}
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if item == "all" {
			a.All = true
			continue
		}
		kind, key, ok := strings.Cut(item, ":")
		switch {
		case !ok || key == "":
			return a, fmt.Errorf("%s: want kind:key, e.g. collection:foo or field:foo.bar, or all", show(item))
		case kind != string(snapshot.KindCollection) && kind != string(snapshot.KindField) && kind != string(snapshot.KindRelation) && kind != string(snapshot.KindSystemField):
			return a, fmt.Errorf("%s: unknown kind %s (collection, field, relation, systemField)", show(item), show(kind))
		case kind != string(snapshot.KindCollection) && !strings.Contains(key, "."):
			return a, fmt.Errorf("%s: a %s is named collection.field", show(item), kind)
		}
		a.Keys[item] = true
	}
	return a, nil
}

// Allows says whether a destructive change was named. Naming a collection
// allows what deleting it entails: its fields and its relations.
func (a Allowance) Allows(c snapshot.Change) bool {
	if a.All || a.Keys[AllowKey(c)] {
		return true
	}
	return c.Op == snapshot.OpDelete && a.Keys["collection:"+c.Key.Collection]
}

// AllowKey is how TRM_ALLOW_DESTRUCTIVE names a change.
func AllowKey(c snapshot.Change) string { return string(c.Kind) + ":" + c.Key.String() }

// accessAllowance reads TRM_ALLOW_ACCESS_REMOVAL as internal/access
// does, its message without the variable's name, which the Error adds.
func accessAllowance(v string) (access.Allowance, error) {
	a, err := access.ParseAllowance(v)
	var ae *access.AllowanceError
	if errors.As(err, &ae) {
		return a, fmt.Errorf("%s is not an allowance: use all, or role:NAME and policy:NAME separated by commas", show(ae.Entry))
	}
	return a, err
}

// Patterns reads comma-separated table patterns, checked as
// lib/snapshot's Exclude checks them.
func Patterns(s string) ([]string, error) {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	if _, err := (&snapshot.Snapshot{}).Exclude(out...); err != nil {
		var pe *snapshot.PatternError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("the pattern %s is malformed (path.Match syntax: *, ?, [a-z])", show(pe.Pattern))
		}
		return nil, err
	}
	return out, nil
}

// slugPattern is a slug as Directus's schema and the seed files check it.
var slugPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// checkEventRef accepts an event's slug, or ORGANISATION/SLUG.
func checkEventRef(ref string) error {
	org, slug, scoped := strings.Cut(ref, "/")
	if !scoped {
		org, slug = "", org
	}
	if !slugPattern.MatchString(slug) || (scoped && !slugPattern.MatchString(org)) {
		return errors.New("not an event: want its slug (lower-case words joined by hyphens, e.g. rally-albania-2026), or ORGANISATION/SLUG (msc-albania/rally-albania-2026)")
	}
	return nil
}

// ParseSize reads a size in bytes: a whole number, optionally followed by
// a unit, B, KB, MB, GB (powers of 1000) or KiB, MiB, GiB (powers of
// 1024), in any case, e.g. 64MiB, 200MB, 67108864. Its error does not
// repeat the value, which the settings' Error shows.
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	mult := int64(-1)
	switch strings.ToLower(strings.TrimSpace(t[i:])) {
	case "", "b":
		mult = 1
	case "kb":
		mult = 1000
	case "mb":
		mult = 1000 * 1000
	case "gb":
		mult = 1000 * 1000 * 1000
	case "kib":
		mult = 1 << 10
	case "mib":
		mult = 1 << 20
	case "gib":
		mult = 1 << 30
	}
	n, err := strconv.ParseInt(t[:i], 10, 64)
	if i == 0 || err != nil || mult < 0 || n <= 0 || n > math.MaxInt64/mult {
		return 0, errors.New("not a size such as 64MiB, 200MB or 67108864 (bytes)")
	}
	return n * mult, nil
}

// CheckDatabaseURL accepts a database URL that Directus and pgx both read:
// directusctl.CheckDatabaseURL's checks, then pgx's own. Its error never
// holds any part of the URL.
func CheckDatabaseURL(s string) error {
	if err := directusctl.CheckDatabaseURL(s); err != nil {
		return err
	}
	if _, err := pgxpool.ParseConfig(s); err != nil {
		// pgx's message quotes the URL, its password replaced by a
		// pattern that is not structural: name the parameters instead.
		u, _ := url.Parse(s)
		var keys []string
		for k := range u.Query() {
			keys = append(keys, k)
		}
		if len(keys) == 0 {
			return &directusctl.URLError{Reason: "is refused by the PostgreSQL driver"}
		}
		return &directusctl.URLError{Reason: "is refused by the PostgreSQL driver: check its parameters (" + strings.Join(keys, ", ") + ")"}
	}
	return nil
}

// DirectusRoot is the Directus folder of a CLI script: the folder holding
// the node_modules it is installed in (/directus for
// /directus/node_modules/@directus/api/dist/cli/run.js); "" when the path
// has no node_modules.
func DirectusRoot(script string) string {
	sep := string(filepath.Separator)
	i := strings.Index(script, sep+"node_modules"+sep)
	if i < 0 {
		return ""
	}
	if i == 0 {
		return sep
	}
	return script[:i]
}

// RuntimeEnvPath is where `make directus` writes the runtime's location,
// relative to a checkout.
const RuntimeEnvPath = "directus/runtime.env"

// ReadRuntimeEnv reads an environment file such as directus/runtime.env
// or deploy/scaling.env: KEY=VALUE lines as a shell sources them (blank
// lines and # comments skipped, an "export " prefix and quotes around the
// value dropped). A missing file is an error satisfying
// errors.Is(err, fs.ErrNotExist).
func ReadRuntimeEnv(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	vars, err := ParseRuntimeEnv(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return vars, nil
}

// ParseRuntimeEnv reads runtime.env's lines (see ReadRuntimeEnv).
func ParseRuntimeEnv(r io.Reader) (map[string]string, error) {
	vars := map[string]string{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		k, v, ok := strings.Cut(line, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			return nil, fmt.Errorf("line %d is not KEY=VALUE", n)
		}
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			v = v[1 : len(v)-1]
		}
		vars[k] = v
	}
	return vars, sc.Err()
}

// RuntimeLayer is trmctl's lowest layer for the Directus runtime
// (TRM_NODE, TRM_DIRECTUS_CLI, TRM_DIRECTUS_DIR): directus/runtime.env.
type RuntimeLayer struct {
	Vars map[string]string
	Path string
}

// Lookup implements Layer.
func (l RuntimeLayer) Lookup(s *Spec) (string, string, bool, error) {
	if !s.Runtime {
		return "", "", false, nil
	}
	v, ok := l.Vars[s.Env]
	return v, s.Env + " in " + l.Path, ok, nil
}
