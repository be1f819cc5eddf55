package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// version is a semantic version vMAJOR.MINOR.PATCH.
type version struct{ major, minor, patch int }

func parseVersion(s string) (version, bool) {
	parts := strings.Split(strings.TrimPrefix(s, "v"), ".")
	if len(parts) != 3 || !strings.HasPrefix(s, "v") {
		return version{}, false
	}
	var n [3]int
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 || (len(p) > 1 && p[0] == '0') {
			return version{}, false
		}
		n[i] = v
	}
	return version{n[0], n[1], n[2]}, true
}

func (v version) String() string { return fmt.Sprintf("v%d.%d.%d", v.major, v.minor, v.patch) }

// nextVersion applies the rules of the README ("Versions"): a removed or
// changed line is incompatible (the next major; the next minor while v0),
// an added line the next minor, anything else the next patch.
func nextVersion(last version, removed, added int) (version, string) {
	switch {
	case removed > 0 && last.major == 0:
		return version{0, last.minor + 1, 0}, fmt.Sprintf("%d line(s) removed or changed: incompatible, the next minor while v0", removed)
	case removed > 0:
		return version{last.major + 1, 0, 0}, fmt.Sprintf("%d line(s) removed or changed: incompatible, the next major", removed)
	case added > 0:
		return version{last.major, last.minor + 1, 0}, fmt.Sprintf("%d line(s) added: compatible, the next minor", added)
	}
	return version{last.major, last.minor, last.patch + 1}, "the API is unchanged: the next patch"
}

// printNext prints, for each library, its latest tag and the next one.
func printNext(ctx context.Context, root string, mods []string, stdout, stderr io.Writer) int {
	for _, mod := range mods {
		dir := filepath.Dir(mod)
		rel, err := filepath.Rel(root, dir)
		if err != nil {
			rel = dir
		}
		rel = filepath.ToSlash(rel)
		current, err := os.ReadFile(filepath.Join(dir, fileName))
		if err != nil {
			fmt.Fprintf(stderr, "apidump: %v (make api writes it)\n", err)
			return 2
		}
		last, tag, err := latestTag(ctx, root, rel)
		if err != nil {
			fmt.Fprintf(stderr, "apidump: %v\n", err)
			return 2
		}
		if tag == "" {
			fmt.Fprintf(stdout, "%s: no tag yet; the first is %s/v0.1.0\n", rel, rel)
			continue
		}
		show := exec.CommandContext(ctx, "git", "show", tag+":"+rel+"/"+fileName)
		show.Dir = root
		old, err := show.Output()
		if err != nil {
			fmt.Fprintf(stdout, "%s: %s has no %s: compare by hand, then tag\n", rel, tag, fileName)
			continue
		}
		removed, added := compare(parse(string(old)), parse(string(current)))
		v, why := nextVersion(last, len(removed), len(added))
		fmt.Fprintf(stdout, "%s: %s → %s/%s (%s)\n", rel, tag, rel, v, why)
	}
	return 0
}

// latestTag returns the highest version tagged prefix/vX.Y.Z, or "" when
// there is none.
func latestTag(ctx context.Context, root, prefix string) (version, string, error) {
	cmd := exec.CommandContext(ctx, "git", "tag", "--list", prefix+"/v*")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return version{}, "", fmt.Errorf("git tag --list %s/v*: %v", prefix, err)
	}
	var best version
	tag := ""
	for _, t := range strings.Fields(string(out)) {
		v, ok := parseVersion(strings.TrimPrefix(t, prefix+"/"))
		if ok && (tag == "" || less(best, v)) {
			best, tag = v, t
		}
	}
	return best, tag, nil
}

func less(a, b version) bool {
	if a.major != b.major {
		return a.major < b.major
	}
	if a.minor != b.minor {
		return a.minor < b.minor
	}
	return a.patch < b.patch
}
