package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"git.dev.trmtracking.org/trm/directus/internal/boot"
	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
	"git.dev.trmtracking.org/trm/directus/lib/snapshot"
)

// The live schema comes from the database through the Directus CLI, or
// from a running instance through REST. Both give Directus's own snapshot.

const sourceHelp = `The live schema comes from the database, through the Directus CLI
(--database-url or TRM_DATABASE_URL, else Directus's DB_* variables; the
runtime from TRM_NODE and TRM_DIRECTUS_CLI, else directus/runtime.env),
which costs a few seconds of Node start-up; or from a running instance
with --directus-url and an admin token (--token or TRM_DIRECTUS_TOKEN),
through GET /schema/snapshot. The token is never printed.

Tables that db-init owns (positions, migrations_applied, trm_boot_state,
and TRM_SNAPSHOT_EXCLUDE) are left out, with their fields and every
relation from or to them.`

// addLiveSourceFlags adds the flags that choose where the live schema
// comes from.
func addLiveSourceFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	settingFlag(f, "TRM_DATABASE_URL")
	settingFlag(f, "TRM_DIRECTUS_URL")
	settingFlag(f, "TRM_DIRECTUS_TOKEN")
	settingFlag(f, "TRM_TIMEOUT")
}

// liveSchema is the live schema as Directus gave it and as read.
type liveSchema struct {
	// raw is Directus's own document: YAML from the CLI, JSON from REST.
	raw []byte
	// yaml says raw is Directus's YAML snapshot, ready to be written.
	yaml bool
	snap *snapshot.Snapshot
	// from names the source for messages, never with a token.
	from string
	// exclude are the db-init-owned table patterns.
	exclude []string
}

// liveSource is where the live schema will come from, checked before any
// work starts so that a usage error costs nothing.
type liveSource struct {
	directusURL string
	token       string
}

func (a *app) liveSourceFromFlags() (*liveSource, error) {
	s := &liveSource{directusURL: a.set.DirectusURL, token: a.set.DirectusToken}
	switch db := a.set.Database.From; {
	case s.directusURL == "" && s.token != "" && a.set.From("TRM_DIRECTUS_TOKEN") == "--token":
		return nil, usageErrorf("--token needs --directus-url (without it the schema is read from the database)")
	case s.directusURL != "" && s.token == "":
		return nil, usageErrorf("--directus-url needs an admin token: --token or TRM_DIRECTUS_TOKEN")
	case s.directusURL != "" && (db == "--database-url" || db == "TRM_DATABASE_URL"):
		return nil, usageErrorf("--database-url (or TRM_DATABASE_URL) and --directus-url both name a source: choose one")
	}
	if s.directusURL != "" {
		// Checks the URL (scheme, host, no credentials) and the token's
		// shape without sending anything.
		if _, err := directusctl.NewClient(s.directusURL, directusctl.WithToken(s.token)); err != nil {
			return nil, usageErrorf("%v", err)
		}
	}
	return s, nil
}

// readLive fetches the live schema.
func (a *app) readLive(ctx context.Context, src *liveSource) (*liveSchema, error) {
	cfg, err := a.bootConfigForSnapshot(src)
	if err != nil {
		return nil, err
	}
	l := &liveSchema{exclude: cfg.exclude}
	if src.directusURL != "" {
		c, err := directusctl.NewClient(src.directusURL, directusctl.WithToken(src.token))
		if err != nil {
			return nil, usageErrorf("%v", err)
		}
		l.from = "Directus at " + c.BaseURL()
		raw, err := c.Snapshot(ctx)
		if err != nil {
			return nil, fmt.Errorf("read the live schema from %s: %w", l.from, explainRESTError(err))
		}
		l.raw = raw
	} else {
		l.from = "the database, through the Directus CLI"
		raw, _, err := cfg.cli.Snapshot(ctx)
		if err != nil {
			return nil, fmt.Errorf("read the live schema from the database: %w", explainCLIError(err))
		}
		l.raw, l.yaml = raw, true
	}
	if l.snap, err = snapshot.Parse(l.from, l.raw, a.snapshotOptions()...); err != nil {
		var tooLarge *snapshot.SizeError
		if errors.As(err, &tooLarge) {
			return nil, err
		}
		return nil, fmt.Errorf("the live schema from %s is not a snapshot: %w", l.from, err)
	}
	return l, nil
}

type snapshotSourceConfig struct {
	cli     *directusctl.CLI
	exclude []string
}

// bootConfigForSnapshot takes the owned-table patterns, and for the CLI
// source the Directus CLI, from the entrypoint's configuration. A REST
// source needs no database settings.
func (a *app) bootConfigForSnapshot(src *liveSource) (*snapshotSourceConfig, error) {
	if src.directusURL != "" {
		return &snapshotSourceConfig{exclude: boot.Excluded(a.set.SnapshotExclude)}, nil
	}
	cfg, err := a.bootConfig()
	if err != nil {
		return nil, err
	}
	return &snapshotSourceConfig{cli: cfg.CLI, exclude: cfg.Exclude}, nil
}

// explainCLIError adds how to get a Directus runtime to a CLI that
// cannot run.
func explainCLIError(err error) error {
	var ni *directusctl.NotInstalledError
	if errors.As(err, &ni) {
		return fmt.Errorf("%w\ninstall Directus with `make directus` (it writes directus/runtime.env), or set TRM_NODE and TRM_DIRECTUS_CLI", err)
	}
	return err
}

// explainRESTError adds what to check to the usual REST failures.
func explainRESTError(err error) error {
	var ae *directusctl.APIError
	if errors.As(err, &ae) {
		switch {
		case ae.Status == 401 || ae.Code == directusctl.CodeInvalidCredentials || ae.Code == directusctl.CodeInvalidToken || ae.Code == directusctl.CodeTokenExpired:
			return fmt.Errorf("%w (check the token: --token or TRM_DIRECTUS_TOKEN)", err)
		case ae.Status == 403 || ae.Code == directusctl.CodeForbidden:
			return fmt.Errorf("%w (the schema endpoints need an admin token)", err)
		}
	}
	return err
}

// excluded returns s without the owned tables, and whether anything was
// left out.
func excluded(s *snapshot.Snapshot, patterns []string) (*snapshot.Snapshot, []string, error) {
	out, err := filtered(s, patterns)
	if err != nil {
		return nil, nil, usageErrorf("TRM_SNAPSHOT_EXCLUDE: %v", err)
	}
	if out == s {
		return s, nil, nil
	}
	kept := map[string]bool{}
	for _, c := range out.Collections {
		kept[c.Name()] = true
	}
	var gone []string
	for _, c := range s.Collections {
		if !kept[c.Name()] {
			gone = append(gone, c.Name())
		}
	}
	changed := len(gone) > 0 || len(out.Fields) != len(s.Fields) || len(out.Relations) != len(s.Relations) ||
		len(out.SystemFields) != len(s.SystemFields)
	if !changed {
		return out, nil, nil
	}
	if len(gone) == 0 {
		gone = []string{"(fields or relations only)"}
	}
	return out, gone, nil
}

func counts(s *snapshot.Snapshot) string {
	return fmt.Sprintf("%d collections, %d fields, %d relations, %d system fields",
		len(s.Collections), len(s.Fields), len(s.Relations), len(s.SystemFields))
}

// --- pull -------------------------------------------------------------

func newSnapshotPullCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "pull [flags]",
		Short: "Write the live schema as the committed snapshot",
		Long: `Write the live schema as Directus's own snapshot (the file boot applies),
without the tables that db-init owns, to --output (default
snapshots/schema.yaml; '-' for standard output). The file is replaced
atomically: a failure leaves the old one as it was.

` + sourceHelp + `

From the CLI, Directus's bytes are written unchanged when nothing is left
out; otherwise, and from REST (JSON), the snapshot is written in Directus's
YAML layout, byte for byte what Directus 11.13+ writes.

What was written (counts of collections, fields, relations) goes to
standard error.`,
		Example: `  # After changing the schema in the Admin app of a local instance
  $ trmctl snapshot pull --database-url postgres://directus@localhost/directus
  $ git diff snapshots/schema.yaml

  # From a running instance
  $ TRM_DIRECTUS_TOKEN=... trmctl snapshot pull --directus-url https://cms.example.org -o -`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runSnapshotPull(cmd.Context())
		},
	}
	addLiveSourceFlags(cmd)
	cmd.Flags().StringP("output", "o", "snapshots/schema.yaml", "write to this `file` ('-': standard output)")
	return cmd
}

func (a *app) runSnapshotPull(ctx context.Context) error {
	src, err := a.liveSourceFromFlags()
	if err != nil {
		return err
	}
	output := a.cfg.GetString("output")
	if output == "" {
		return usageErrorf("--output is empty: name a file, or '-' for standard output")
	}
	ctx, cancel := a.withTimeout(ctx)
	defer cancel()
	live, err := a.readLive(ctx, src)
	if err != nil {
		return err
	}
	snap, gone, err := excluded(live.snap, live.exclude)
	if err != nil {
		return err
	}
	data := live.raw
	if !live.yaml || gone != nil {
		if data, err = snap.YAML(); err != nil {
			return fmt.Errorf("render the snapshot: %w", err)
		}
	}
	where := output
	if output == "-" {
		if _, err := a.io.out.Write(data); err != nil {
			return err
		}
		where = "standard output"
	} else if err := writeFileAtomic(output, data); err != nil {
		return err
	}
	fmt.Fprintf(a.io.err, "Wrote %s: %s, from %s.\n", where, counts(snap), live.from)
	if gone != nil {
		fmt.Fprintf(a.io.err, "Left out, owned by db-init: %s.\n", strings.Join(gone, ", "))
	}
	return nil
}

// writeFileAtomic replaces path with data: a temporary file in the same
// folder, synced, then renamed over it. An existing file keeps its mode.
func writeFileAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	mode := os.FileMode(0o644)
	if st, err := os.Stat(path); err == nil {
		if !st.Mode().IsRegular() {
			return fmt.Errorf("write %s: not a regular file", path)
		}
		mode = st.Mode().Perm()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Chmod(mode); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// --- check ------------------------------------------------------------

func newSnapshotCheckCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "check [flags]",
		Short: "Fail when the live schema drifted from the committed snapshot",
		Long: `Compare the committed snapshot (--snapshot, default snapshots/schema.yaml)
with the live schema, both without the tables that db-init owns, as
'trmctl snapshot diff' compares snapshots. This is the CI drift gate.

` + sourceHelp + `

On drift the report lists what the live schema has that the committed
snapshot lacks (from: committed, to: live), and says what to do: pull the
snapshot from the instance where the change was made and commit it, or
revert the live change. --format json writes the diff alone to standard
output (the 'trmctl snapshot diff' JSON shape) and the advice to standard
error.

Exit status:
  0  no drift
  1  drift: the live schema differs from the committed snapshot
  2  could not compare: bad flag, unreadable snapshot, live schema unavailable`,
		Example: `  # CI, against the database the pipeline just booted
  $ trmctl snapshot check --database-url "$TRM_DATABASE_URL"

  # Against a running instance, as a pull-request comment
  $ TRM_DIRECTUS_TOKEN=... trmctl snapshot check --directus-url https://cms.example.org --format markdown`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runSnapshotCheck(cmd.Context())
		},
	}
	addLiveSourceFlags(cmd)
	f := cmd.Flags()
	settingFlag(f, "TRM_SNAPSHOT")
	f.String("format", "text", "report `format`: "+snapshotDiffFormats)
	settingFlag(f, "TRM_IGNORE_VENDOR")
	return cmd
}

func (a *app) runSnapshotCheck(ctx context.Context) error {
	format := strings.ToLower(strings.TrimSpace(a.cfg.GetString("format")))
	switch format {
	case "text", "markdown", "json":
	default:
		return usageErrorf("invalid --format %q: use %s", a.cfg.GetString("format"), snapshotDiffFormats)
	}
	src, err := a.liveSourceFromFlags()
	if err != nil {
		return err
	}
	path := a.set.Snapshot
	committed, err := snapshot.ReadFile(path, a.snapshotOptions()...)
	if err != nil {
		return a.snapshotTrouble(err)
	}
	ctx, cancel := a.withTimeout(ctx)
	defer cancel()
	live, err := a.readLive(ctx, src)
	if err != nil {
		return a.snapshotTrouble(err)
	}
	if err := a.checkVendor(committed, live.snap, path, "the live schema from "+live.from); err != nil {
		return err
	}
	from, _, err := excluded(committed, live.exclude)
	if err != nil {
		return err
	}
	to, _, err := excluded(live.snap, live.exclude)
	if err != nil {
		return err
	}
	r := snapshot.Diff(from, to)
	if err := a.writeCheckReport(r, format, path, live.from); err != nil {
		return fmt.Errorf("write the report: %w", err)
	}
	if r.Empty() {
		return nil
	}
	return errSilentFailure
}

func (a *app) writeCheckReport(r *snapshot.Result, format, path, from string) error {
	w := a.io.out
	n := len(r.Changes)
	switch {
	case format == "json":
		if err := r.WriteJSON(w); err != nil {
			return err
		}
		if n > 0 {
			fmt.Fprintf(a.io.err, "trmctl: schema drift: %d change(s) between %s and the live schema.\n%s", n, path, driftAdvice(path))
		}
		return nil
	case r.Empty():
		_, err := fmt.Fprintf(w, "No drift: the live schema (%s) matches %s.\n", from, path)
		return err
	case format == "markdown":
		var b bytes.Buffer
		fmt.Fprintf(&b, "### Schema drift\n\nThe live schema (%s) differs from `%s`: what the live schema has that the committed snapshot lacks.\n\n", from, path)
		if err := r.WriteMarkdown(&b); err != nil {
			return err
		}
		fmt.Fprintf(&b, "\n**What to do:**\n\n%s", markdownAdvice(path))
		_, err := w.Write(b.Bytes())
		return err
	default:
		fmt.Fprintf(w, "Schema drift: the live schema (%s) differs from %s.\nChanges from the committed snapshot to the live schema:\n\n", from, path)
		if err := r.WriteText(w, snapshot.TextOptions{Color: a.colour()}); err != nil {
			return err
		}
		_, err := io.WriteString(w, "\n"+driftAdvice(path))
		return err
	}
}

func driftAdvice(path string) string {
	return fmt.Sprintf(`What to do:
  - The live change is wanted: pull the snapshot from the instance where
    the change was made and commit it:
      trmctl snapshot pull --database-url <that database>   (or --directus-url <that instance>)
      git add %s && git commit
  - It is not: revert the live change (in the Admin app, or by applying
    %s, which the next boot does; destructive steps need
    TRM_ALLOW_DESTRUCTIVE).
`, path, path)
}

func markdownAdvice(path string) string {
	return fmt.Sprintf("- The live change is wanted: pull the snapshot from the instance where the change was made "+
		"(`trmctl snapshot pull --database-url <that database>` or `--directus-url <that instance>`) and commit `%s`.\n"+
		"- It is not: revert the live change (in the Admin app, or by applying `%s`, which the next boot does; "+
		"destructive steps need `TRM_ALLOW_DESTRUCTIVE`).\n", path, path)
}
