package main

import (
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"git.dev.trmtracking.org/trm/directus/lib/snapshot"
)

// newSnapshotCmd groups the snapshot commands. Each subcommand has its own
// constructor (newSnapshotDiffCmd, …) so that more can join the group.
func newSnapshotCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "snapshot <command>",
		Short: "Read, diff and check Directus schema snapshots",
		Long: `Work with Directus schema snapshots: the YAML or JSON files that
'directus schema snapshot' writes and GET /schema/snapshot returns.

A snapshot larger than --snapshot-max-size (TRM_SNAPSHOT_MAX_SIZE,
default 64MiB) is refused before it is read: a real schema is a few
hundred kilobytes, and a mistaken input (a database dump) must not
exhaust the machine's memory.`,
	}
	settingFlag(cmd.PersistentFlags(), "TRM_SNAPSHOT_MAX_SIZE")
	cmd.AddCommand(newSnapshotDiffCmd(a), newSnapshotPullCmd(a), newSnapshotCheckCmd(a))
	return cmd
}

// snapshotOptions are the read options the settings give.
func (a *app) snapshotOptions() []snapshot.Option {
	return []snapshot.Option{snapshot.WithMaxSize(a.set.SnapshotMaxSize)}
}

// checkVendor refuses to compare snapshots of different database vendors,
// as Directus's own diff does, unless --ignore-vendor; then it warns.
func (a *app) checkVendor(from, to *snapshot.Snapshot, fromName, toName string) error {
	err := snapshot.CheckVendor(from, to)
	var ve *snapshot.VendorError
	if !errors.As(err, &ve) {
		return nil
	}
	what := fmt.Sprintf("%s is a snapshot of a %s database and %s of a %s one", fromName, ve.From, toName, ve.To)
	if a.set.IgnoreVendor {
		fmt.Fprintf(a.io.err, "trmctl: warning: %s; comparing them anyway (--ignore-vendor): types, defaults and lengths are written per database, so the diff may show differences that are not, or miss ones that are\n", what)
		return nil
	}
	fmt.Fprintf(a.io.err, "trmctl: %s: Directus refuses to diff or apply a snapshot across database vendors, and so does this command (compare with --ignore-vendor)\n", what)
	return &exitError{code: exitTrouble, err: errors.New("")}
}

// snapshotDiffFormats are the values --format takes.
const snapshotDiffFormats = "text, markdown or json"

func newSnapshotDiffCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "diff <from> <to> [flags]",
		Short: "Show what changes between two schema snapshots",
		Long: `Compare two Directus schema snapshots the way Directus does: collections
by name; fields, relations and system fields by collection and field.
Neither the order of items or keys, nor meta.id, nor the Directus version
header counts as a difference.

Each change is a create, update or delete; an update lists every changed
value. Changes that can lose data or fail on existing rows (dropping a
table, column or relation, changing a type, shrinking a length, making a
column NOT NULL or UNIQUE, ...) are marked destructive with '!'; dropping
a system-field index is marked as a warning with '*'.

Either side may be '-' to read standard input. YAML and JSON are told
apart by content. Snapshots of different database vendors (vendor:
postgres, mysql, sqlite, ...) are refused, as Directus refuses them,
unless --ignore-vendor.

Exit status:
  0  no difference, or differences without --exit-code
  1  differences, with --exit-code
  2  error: unreadable, malformed or too large snapshot, snapshots of
     different database vendors, bad flag or argument`,
		Example: `  # What would applying the committed snapshot change on a live instance?
  $ trmctl snapshot diff live.yaml snapshots/schema.yaml

  # Fail a CI step when the committed snapshot is out of date
  $ trmctl snapshot diff --exit-code snapshots/schema.yaml fresh.yaml

  # Comment on a pull request, leaving out the tables db-init owns
  $ git show main:snapshots/schema.yaml |
      trmctl snapshot diff - snapshots/schema.yaml --format markdown \
        --exclude positions --exclude 'migrations_*'

  # Feed a program
  $ trmctl snapshot diff old.json new.json --format json | jq '.summary'`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runSnapshotDiff(args[0], args[1])
		},
	}
	f := cmd.Flags()
	f.String("format", "text", "output `format`: "+snapshotDiffFormats)
	f.Bool("exit-code", false, "exit 1 when the snapshots differ and 0 when they do not")
	f.StringSlice("exclude", nil, "leave out collections whose name matches `pattern` (path.Match glob; repeat or separate with commas)")
	settingFlag(f, "TRM_IGNORE_VENDOR")
	return cmd
}

func (a *app) runSnapshotDiff(fromArg, toArg string) error {
	format := strings.ToLower(strings.TrimSpace(a.cfg.GetString("format")))
	switch format {
	case "text", "markdown", "json":
	default:
		return usageErrorf("invalid --format %q: use %s", a.cfg.GetString("format"), snapshotDiffFormats)
	}
	if fromArg == "-" && toArg == "-" {
		return usageErrorf("only one of <from> and <to> can be '-' (standard input)")
	}
	patterns := splitPatterns(a.cfg.GetStringSlice("exclude"))
	opts := a.snapshotOptions()

	// The memory of a diff is from's tree: read against it, to shares the
	// items the two have in common, so the pair costs about one snapshot,
	// not two. The collections keep the rest from adding up: after each
	// read its text is garbage, collected at once, so that its memory holds
	// to's text, then the diff. Between them a read makes little garbage,
	// and the collections the default pacing (GOGC=100) would run would only
	// mark a growing tree again: GOGC=400 while reading spares them, and
	// still bounds what a read through the YAML library (which makes
	// garbage) leaves. A GOGC of the caller's own is kept.
	defer a.readPacing()()
	from, err := a.readSnapshot(fromArg, opts)
	if err != nil {
		return a.snapshotTrouble(err)
	}
	runtime.GC()
	to, err := a.readSnapshot(toArg, append(opts, snapshot.WithBase(from)))
	if err != nil {
		return a.snapshotTrouble(err)
	}
	runtime.GC()
	if err := a.checkVendor(from, to, argName(fromArg), argName(toArg)); err != nil {
		return err
	}
	if from, err = filtered(from, patterns); err != nil {
		return usageErrorf("--exclude: %v", err)
	}
	if to, err = filtered(to, patterns); err != nil {
		return usageErrorf("--exclude: %v", err)
	}

	r := snapshot.Diff(from, to)
	switch format {
	case "markdown":
		err = r.WriteMarkdown(a.io.out)
	case "json":
		err = r.WriteJSON(a.io.out)
	default:
		err = r.WriteText(a.io.out, snapshot.TextOptions{Color: a.colour()})
	}
	if err != nil {
		return fmt.Errorf("write the diff: %w", err)
	}
	if n := incompleteUpdates(r); n > 0 {
		fmt.Fprintf(a.io.err, "trmctl: %d update(s) would be applied by Directus 11 as deletes because %s lacks keys the running Directus writes; write it with `trmctl snapshot pull`\n", n, toArg)
	}
	if a.cfg.GetBool("exit-code") && !r.Empty() {
		return errSilentFailure
	}
	return nil
}

// incompleteUpdates counts the changes lib/snapshot found Directus 11
// would apply as deletes (Change.MissingKey): the remedy is this
// repository's command, so it is said here.
func incompleteUpdates(r *snapshot.Result) int {
	n := 0
	for _, c := range r.Changes {
		if c.MissingKey != "" {
			n++
		}
	}
	return n
}

// readPacing collects the start-up's garbage (a small heap: well under a
// millisecond) and sets GOGC=400 for the reads of a diff; the function it
// returns sets GOGC back. With GOGC in the environment it does nothing.
func (a *app) readPacing() (restore func()) {
	if _, set := a.getenv("GOGC"); set {
		return func() {}
	}
	runtime.GC()
	old := debug.SetGCPercent(400)
	return func() { debug.SetGCPercent(old) }
}

func (a *app) readSnapshot(arg string, opts []snapshot.Option) (*snapshot.Snapshot, error) {
	if arg == "-" {
		return snapshot.Read("<stdin>", a.io.in, opts...)
	}
	return snapshot.ReadFile(arg, opts...)
}

// filtered is s without the collections patterns match; s itself, not a
// copy, when there are none, which spares a large snapshot's memory.
func filtered(s *snapshot.Snapshot, patterns []string) (*snapshot.Snapshot, error) {
	if hit, err := s.Excludes(patterns...); err != nil || !hit {
		return s, err
	}
	return s.Exclude(patterns...)
}

func argName(arg string) string {
	if arg == "-" {
		return "<stdin>"
	}
	return arg
}

// snapshotTrouble reports an unreadable, malformed or too large snapshot.
// It exits 2, as diff(1) and git diff --exit-code do for trouble, so that
// a script can tell it from "the snapshots differ" (1); the error already
// names the file and the position, so no usage hint follows it.
func (a *app) snapshotTrouble(err error) error {
	var se *snapshot.SizeError
	if errors.As(err, &se) {
		err = fmt.Errorf("%w (if it really is a snapshot, raise the limit with --snapshot-max-size or TRM_SNAPSHOT_MAX_SIZE)", err)
	}
	return a.trouble(err)
}

// trouble reports that a comparison could not be made (an instance or a
// file unavailable): diff(1)'s exit status 2, without the usage hint that
// a wrong flag gets.
func (a *app) trouble(err error) error {
	fmt.Fprintf(a.io.err, "trmctl: %s\n", err)
	return &exitError{code: exitTrouble, err: errors.New("")}
}

// exitTrouble is diff(1)'s exit status for trouble; it shares its value
// with a usage error.
const exitTrouble = exitUsage

// splitPatterns accepts patterns repeated or comma-separated, as flags, in
// TRM_EXCLUDE or in the config file.
func splitPatterns(values []string) []string {
	var out []string
	for _, v := range values {
		for _, p := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' }) {
			if p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}
