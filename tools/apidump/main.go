// Command apidump records the exported API of each library of this
// repository (every lib/*/ folder with a go.mod) in a text file beside it,
// lib/<name>/api.txt, one line per exported identifier with its full
// signature, sorted, in the manner of Go's own api/ files. Without -w it
// checks that every file matches the code and exits 1 when one does not,
// listing the lines removed or changed and those added, and what each
// means for the module's next version (README, "Versions").
//
//	go run ./tools/apidump          # check (make lint)
//	go run ./tools/apidump -w       # rewrite the files (make api)
//	go run ./tools/apidump -next    # each library's next version tag
//
// -next compares each api.txt with the one at the library's latest tag
// (lib/<name>/vX.Y.Z) and prints the tag the next release takes.
//
// The API is read from the compiler's export data (go list -export, run in
// the library's folder with GOWORK=off, as an importer builds it), so
// what is recorded is exactly what an importer can use. Internal packages
// and commands are left out. Exit codes: 0 up to date (or written), 1 a
// file differs, 2 usage or build failure.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
)

// fileName is the API file of a library, in its folder.
const fileName = "api.txt"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("apidump", flag.ContinueOnError)
	fs.SetOutput(stderr)
	write := fs.Bool("w", false, "rewrite each lib/*/"+fileName+" instead of checking it")
	root := fs.String("root", ".", "the repository root (its lib/*/go.mod are the libraries)")
	next := fs.Bool("next", false, "print each library's next version tag, from its API file and its latest tag")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "apidump: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	mods, err := filepath.Glob(filepath.Join(*root, "lib", "*", "go.mod"))
	if err != nil || len(mods) == 0 {
		fmt.Fprintf(stderr, "apidump: no lib/*/go.mod under %s: run it from the repository root or pass -root\n", *root)
		return 2
	}
	slices.Sort(mods)
	if *next {
		return printNext(ctx, *root, mods, stdout, stderr)
	}
	stale := 0
	for _, mod := range mods {
		dir := filepath.Dir(mod)
		lines, err := moduleAPI(ctx, dir)
		if err != nil {
			fmt.Fprintf(stderr, "apidump: %s: %v\n", dir, err)
			return 2
		}
		rel, err := filepath.Rel(*root, dir)
		if err != nil {
			rel = dir
		}
		want := render(rel, lines)
		path := filepath.Join(dir, fileName)
		if *write {
			if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
				fmt.Fprintf(stderr, "apidump: %v\n", err)
				return 2
			}
			fmt.Fprintf(stdout, "wrote %s (%d lines)\n", path, len(lines))
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil && !os.IsNotExist(err) {
			fmt.Fprintf(stderr, "apidump: %v\n", err)
			return 2
		}
		if string(got) == want {
			continue
		}
		stale++
		if got == nil {
			fmt.Fprintf(stderr, "%s is missing: %s's exported API is recorded nowhere.\n", path, dir)
			continue
		}
		removed, added := compare(parse(string(got)), lines)
		fmt.Fprintf(stderr, "%s does not match %s's exported API:\n", path, dir)
		for _, l := range removed {
			fmt.Fprintf(stderr, "  - %s\n", l)
		}
		for _, l := range added {
			fmt.Fprintf(stderr, "  + %s\n", l)
		}
		fmt.Fprintf(stderr, "  %s\n", bump(removed, added))
	}
	if stale > 0 {
		fmt.Fprintf(stderr, "apidump: %d API file(s) out of date. If the change is intended, regenerate them with `make api` (go run ./tools/apidump -w), commit them with the change, and tag the module's next version as README.md (\"Versions\") says.\n", stale)
		return 1
	}
	if !*write {
		fmt.Fprintf(stdout, "apidump: the API files of %d libraries are up to date\n", len(mods))
	}
	return 0
}

// render is the content of an API file: a header, then the lines.
func render(dir string, lines []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# The exported API of %s, one line per identifier; written by\n", filepath.ToSlash(dir))
	b.WriteString("# `go run ./tools/apidump -w` (make api), checked by make lint. A removed or\n")
	b.WriteString("# changed line is a major version (minor while v0), an added line a minor one.\n")
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
	return b.String()
}

// parse returns the API lines of a file, without comments and blanks.
func parse(s string) []string {
	var out []string
	for l := range strings.SplitSeq(s, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

// compare returns the lines of recorded missing from current (removed or
// changed) and those of current missing from recorded (added).
func compare(recorded, current []string) (removed, added []string) {
	for _, l := range recorded {
		if !slices.Contains(current, l) {
			removed = append(removed, l)
		}
	}
	for _, l := range current {
		if !slices.Contains(recorded, l) {
			added = append(added, l)
		}
	}
	return removed, added
}

// bump says what the difference means for the next version.
func bump(removed, added []string) string {
	switch {
	case len(removed) > 0:
		return "lines removed or changed: an incompatible change (the next major version; the next minor while v0)"
	case len(added) > 0:
		return "lines added only: a compatible change (the next minor version)"
	}
	return "only the file's layout differs: regenerate it"
}
