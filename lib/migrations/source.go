package migrations

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Phase says when a migration runs relative to Directus's schema apply.
type Phase string

const (
	// PhasePre files run before Directus bootstraps and applies its schema:
	// extensions and tables Directus does not manage.
	PhasePre Phase = "pre"
	// PhasePost files run after the schema apply: constraints and indexes on
	// tables Directus created.
	PhasePost Phase = "post"
)

// Phases lists every phase in the order they run.
func Phases() []Phase { return []Phase{PhasePre, PhasePost} }

// ParsePhase accepts "pre" or "post".
func ParsePhase(s string) (Phase, error) {
	switch Phase(s) {
	case PhasePre, PhasePost:
		return Phase(s), nil
	}
	return "", fmt.Errorf("unknown phase %q: want pre or post", s)
}

// Migration is one SQL file of the source.
type Migration struct {
	Phase   Phase
	Version int64
	// Name is the snake_case part of the file name, unique across phases.
	Name string
	// Path is the file's path inside the source fs.FS, e.g. "post/001_x.sql".
	Path string
	// Checksum is the hex SHA-256 of the content with CRLF line ends read
	// as LF, so a Windows checkout does not look like tampering.
	Checksum string
	// NoTransaction is set by the first-line directive
	// "-- migrate: no-transaction".
	NoTransaction bool
	SQL           string
}

// ID names a migration in messages and CLI arguments: "pre/001_extensions".
func (m Migration) ID() string { return fmt.Sprintf("%s/%s", m.Phase, m.file()) }

func (m Migration) file() string { return strings.TrimSuffix(path.Base(m.Path), ".sql") }

// fileName matches NNN_snake_name.sql: three or more digits, an underscore,
// then lowercase words joined by single underscores.
var fileName = regexp.MustCompile(`^([0-9]{3,})_([a-z0-9]+(?:_[a-z0-9]+)*)\.sql$`)

// ParseFileName splits a migration file name into its version and name.
func ParseFileName(base string) (version int64, name string, err error) {
	m := fileName.FindStringSubmatch(base)
	if m == nil {
		return 0, "", fmt.Errorf("%q does not match NNN_name.sql (3+ digits, an underscore, lowercase letters, digits and single underscores)", base)
	}
	v, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil || v <= 0 {
		return 0, "", fmt.Errorf("%q: version %s must be a positive number below 2^63", base, m[1])
	}
	return v, m[2], nil
}

const directivePrefix = "-- migrate:"

// parseDirectives reads the directive on the first line. A directive
// anywhere else is an error: silently running a no-transaction file inside
// a transaction would fail later with a much less helpful message.
func parseDirectives(sql string) (noTx bool, err error) {
	lines := strings.Split(sql, "\n")
	for i, line := range lines {
		trimmed := strings.TrimSpace(strings.TrimSuffix(line, "\r"))
		if !strings.HasPrefix(strings.ToLower(trimmed), directivePrefix) {
			continue
		}
		if i != 0 {
			return false, fmt.Errorf("line %d: directive %q must be on the first line", i+1, trimmed)
		}
		for _, d := range strings.Split(trimmed[len(directivePrefix):], ",") {
			switch strings.TrimSpace(strings.ToLower(d)) {
			case "no-transaction":
				noTx = true
			default:
				return false, fmt.Errorf("line 1: unknown directive %q (known: no-transaction)", strings.TrimSpace(d))
			}
		}
	}
	return noTx, nil
}

// Checksum returns the hex SHA-256 of content with CRLF read as LF.
func Checksum(content []byte) string {
	sum := sha256.Sum256(bytes.ReplaceAll(content, []byte("\r\n"), []byte("\n")))
	return hex.EncodeToString(sum[:])
}

// Layout says where each phase's files live in the source.
type Layout struct {
	// PreDir and PostDir are directories inside the fs.FS; "." is its root.
	PreDir, PostDir string
}

// DefaultLayout is db-init/ for pre-schema files and db-init/post/ for
// post-schema files, with the fs.FS rooted at db-init/.
func DefaultLayout() Layout { return Layout{PreDir: ".", PostDir: "post"} }

// Load reads and validates every migration in fsys. Every problem found is
// reported at once, each naming its file, so one run shows the whole fix.
func Load(fsys fs.FS, layout Layout) ([]Migration, error) {
	if fsys == nil {
		return nil, errors.New("migrations: nil fs.FS")
	}
	dirs := map[string]Phase{path.Clean(layout.PreDir): PhasePre, path.Clean(layout.PostDir): PhasePost}
	if len(dirs) != 2 {
		return nil, fmt.Errorf("migrations: pre and post directories must differ (both %q)", layout.PreDir)
	}
	var (
		out      []Migration
		problems []SourceProblem
	)
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(strings.ToLower(p), ".sql") {
			return nil
		}
		phase, ok := dirs[path.Dir(p)]
		if !ok {
			problems = append(problems, SourceProblem{Path: p, Rule: RuleLocation, Reason: "SQL file outside the phase directories", Fix: fmt.Sprintf("move it to %s (pre-schema) or %s (post-schema), or rename it so it does not end in .sql", layout.PreDir, layout.PostDir)})
			return nil
		}
		version, name, err := ParseFileName(path.Base(p))
		if err != nil {
			problems = append(problems, SourceProblem{Path: p, Rule: RuleFileName, Reason: err.Error(), Fix: "rename it as NNN_name.sql, numbered after the files of its phase, e.g. 004_add_indexes.sql"})
			return nil
		}
		content, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		noTx, err := parseDirectives(string(content))
		if err != nil {
			problems = append(problems, SourceProblem{Path: p, Rule: RuleDirective, Reason: err.Error(), Fix: "put \"-- migrate: no-transaction\" alone on the first line, or remove it"})
			return nil
		}
		if ps := statementProblems(p, string(content), noTx); len(ps) > 0 {
			problems = append(problems, ps...)
			return nil
		}
		out = append(out, Migration{Phase: phase, Version: version, Name: name, Path: p, Checksum: Checksum(content), NoTransaction: noTx, SQL: string(content)})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("migrations: read source: %w", err)
	}
	sortMigrations(out)
	problems = append(problems, duplicates(out)...)
	if len(problems) > 0 {
		return nil, &SourceError{Problems: problems}
	}
	return out, nil
}

func duplicates(ms []Migration) []SourceProblem {
	var problems []SourceProblem
	byVersion := map[Phase]map[int64]string{PhasePre: {}, PhasePost: {}}
	byName := map[string]string{}
	for _, m := range ms {
		if other, ok := byVersion[m.Phase][m.Version]; ok {
			problems = append(problems, SourceProblem{Path: m.Path, Rule: RuleDuplicate, Reason: fmt.Sprintf("version %d is also used by %s in phase %s", m.Version, other, m.Phase), Fix: "renumber the newer file above the highest existing version"})
		} else {
			byVersion[m.Phase][m.Version] = m.Path
		}
		if other, ok := byName[m.Name]; ok {
			problems = append(problems, SourceProblem{Path: m.Path, Rule: RuleDuplicate, Reason: fmt.Sprintf("name %q is also used by %s (names are unique across phases)", m.Name, other), Fix: "give the file a distinct name"})
		} else {
			byName[m.Name] = m.Path
		}
	}
	return problems
}

func sortMigrations(ms []Migration) {
	order := map[Phase]int{PhasePre: 0, PhasePost: 1}
	sort.SliceStable(ms, func(i, j int) bool {
		if ms[i].Phase != ms[j].Phase {
			return order[ms[i].Phase] < order[ms[j].Phase]
		}
		if ms[i].Version != ms[j].Version {
			return ms[i].Version < ms[j].Version
		}
		return ms[i].Path < ms[j].Path
	})
}
