package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"git.dev.trmtracking.org/trm/directus/lib/course"
	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
)

// courseCollections are the collections course import and export read.
var courseCollections = []string{"events", "stages", "segments", "geofences", "waypoints", "speed_limit_zones"}

const courseApplyPath = "/trm-course/apply"

const courseImportJSONHelp = `JSON shape (--json):
  {"event": {"id", "slug", "organization", "name"},
   "file": "...", "format": "openrally" | "gpx" | "trm-gpx" | "geojson",
   "whole_course": bool, "stage": "S1" | null,
   "dry_run": bool, "applied": bool,
   "summary": {"create": n, "update": n, "delete": n},
   "changes": [{"op": "create" | "update" | "delete", "collection", "key", "fields": [...]}],
   "points": [{"line", "name", "by", "elements": [...], "skipped",
               "waypoints": [{"stage", "segment", "name", "type", "default_radii"}]}],
   "notes": [{"line", "message"}],
   "duration_ms": n}
key is the item as files name it: a stage's code (S1), a segment's (S1/SS1),
a waypoint's or speed zone's name in its segment (S1/SS1/WP12), a
geofence's name. fields lists what an update changes (empty otherwise).
points says what each point of a one-stage file (OpenRally or plain GPX)
became, in file order (by: element, type, name, or "" when skipped);
empty for whole-course files. Lists are never null.`

func newCourseCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "course <command>",
		Short: "Import and export the course of an event (stages, segments, waypoints, speed zones, geofences)",
		Long: `Import an event's course from a roadbook file into Directus, or export it.

Files: OpenRally GPX (v1.0 to v1.0.3) as roadbook software exports it, and
plain GPX whose waypoint names say what each point is (WP12, DSS, CP1, DZ3
…): one stage each. GPX as trmctl course export writes it (OpenRally plus
the TRM course extension) and GeoJSON: the whole course. lib/course reads
them (its documentation says how each element maps).

` + directusAuthHelp,
	}
	f := cmd.PersistentFlags()
	directusFlags(f)
	settingFlag(f, "TRM_EVENT")
	settingFlag(f, "TRM_TIMEOUT", "10m")
	cmd.AddCommand(newCourseImportCmd(a), newCourseExportCmd(a))
	return cmd
}

func newCourseImportCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "import --event SLUG FILE",
		Short: "Make an event's course in Directus the one a file describes",
		Long: `Read FILE ('-' for standard input), compare it with the course Directus stores
for the event, show the plan — what is created, updated (which fields) and
deleted — and apply it through Directus's REST API, so that validation,
hooks and permissions apply as to any write.

All or nothing: the plan goes to Directus in one request
(POST /trm-course/apply, extensions/trm-course) that runs every write in
one database transaction; the first refusal, or a rule checked at commit,
rolls all of them back, and nothing is changed. Idempotent: importing the
same file again finds nothing to do ("no changes"); a changed file changes
exactly what differs. Items are matched as files name them: stages by
code, segments by code in their stage, waypoints and speed zones by name in
their segment, geofences by name in the event.

What is replaced:
  - a whole-course file (trmctl course export's GPX, GeoJSON): the event's
    whole course; stages and geofences the file lacks are deleted. With
    --stage CODE, only that stage of the file, with the geofences its
    segments use.
  - a one-stage file (OpenRally, plain GPX): the stage --stage names
    (default S1). Its segments, waypoints and zones become the file's; an
    existing stage keeps its name, order, role, status, schedule and start
    order (edit those in Directus); a new one is placed after the last.
    Geofences of the file's controls are named "<stage> <waypoint>"; those
    of that stage the file no longer has are deleted.

A file that is not a valid course is refused before Directus is contacted,
each problem with its line. The mapping of a one-stage file's points to
waypoint types is printed (plain GPX is read by names: check it).

` + courseImportJSONHelp,
		Example: `  # Preview, then import a roadbook as stage 1 of Rally Albania 2026
  $ trmctl course import --event rally-albania-2026 --stage S1 stage1.gpx --dry-run
  $ trmctl course import --event rally-albania-2026 --stage S1 stage1.gpx

  # The whole course, as exported
  $ trmctl course import --event msc-albania/rally-albania-2026 course.geojson --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runCourseImport(cmd, args[0])
		},
	}
	cmd.Flags().String("stage", "", "the stage a one-stage file becomes (default S1), or the one stage of a whole-course file to import")
	cmd.Flags().Bool("dry-run", false, "show the plan and change nothing")
	cmd.Flags().Bool("json", false, "print JSON for machines instead of text")
	return cmd
}

func newCourseExportCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "export --event SLUG [--format gpx|geojson] [--output FILE]",
		Short: "Write an event's course as GPX (OpenRally + TRM) or GeoJSON",
		Long: `Write the course Directus stores for the event: GPX that OpenRally readers
understand and that carries the whole course in its TRM extension, or a
GeoJSON FeatureCollection (lib/course documents both). Importing the file
again changes nothing. The course goes to standard output unless --output
names a file (replaced atomically); a summary goes to standard error.`,
		Example: `  $ trmctl course export --event rally-albania-2026 --format geojson --output course.geojson`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runCourseExport(cmd)
		},
	}
	cmd.Flags().String("format", "gpx", "gpx or geojson")
	cmd.Flags().StringP("output", "o", "-", "write to this `file` ('-' for standard output)")
	return cmd
}

// courseSession is a connected client and the resolved event.
type courseSession struct {
	c     *directusctl.Client
	event *courseEvent
}

func (a *app) courseConnect(ctx context.Context) (*courseSession, error) {
	ref := a.set.Event
	if ref == "" {
		return nil, usageErrorf("--event is required: the event's slug, or ORGANISATION/SLUG")
	}
	base, cr, err := a.directusTarget()
	if err != nil {
		return nil, err
	}
	c, err := connectDirectus(ctx, base, cr, courseCollections)
	if err != nil {
		return nil, err
	}
	ev, err := findEvent(ctx, c, ref)
	if err != nil {
		return nil, err
	}
	return &courseSession{c: c, event: ev}, nil
}

// readCourseFile decodes the file ('-': standard input); a file that is not
// a valid course is refused here, before Directus is contacted.
func (a *app) readCourseFile(name, stage string) (*course.Course, *course.Report, error) {
	var r io.Reader
	display := name
	if name == "-" {
		r, display = a.io.in, "<stdin>"
	} else {
		f, err := os.Open(name)
		if err != nil {
			return nil, nil, fmt.Errorf("read the course file: %w", err)
		}
		defer f.Close()
		r = f
	}
	c, rep, err := course.Decode(r, course.DecodeOptions{Name: display, Stage: course.StageOptions{Code: stage}})
	var de *course.DecodeError
	var ve *course.ValidationError
	switch {
	case errors.As(err, &de):
		return nil, nil, fmt.Errorf("%s is not a course file: %s\nnothing was changed", display, de)
	case errors.As(err, &ve):
		return nil, rep, fmt.Errorf("%s\nfix the file; nothing was changed", ve)
	case err != nil:
		return nil, nil, err
	}
	return c, rep, nil
}

type courseImportEvent struct {
	ID           string `json:"id"`
	Slug         string `json:"slug"`
	Organization string `json:"organization"`
	Name         string `json:"name"`
}

type courseImportSummary struct {
	Create int `json:"create"`
	Update int `json:"update"`
	Delete int `json:"delete"`
}

type courseImportPointWaypoint struct {
	Stage        string `json:"stage"`
	Segment      string `json:"segment"`
	Name         string `json:"name"`
	Type         string `json:"type"`
	DefaultRadii bool   `json:"default_radii"`
}

type courseImportPoint struct {
	Line      int                         `json:"line"`
	Name      string                      `json:"name"`
	By        string                      `json:"by"`
	Elements  []string                    `json:"elements"`
	Skipped   string                      `json:"skipped"`
	Waypoints []courseImportPointWaypoint `json:"waypoints"`
}

type courseImportNote struct {
	Line    int    `json:"line"`
	Message string `json:"message"`
}

// courseImportReport is the result; its JSON is courseImportJSONHelp.
type courseImportReport struct {
	Event       courseImportEvent   `json:"event"`
	File        string              `json:"file"`
	Format      string              `json:"format"`
	WholeCourse bool                `json:"whole_course"`
	Stage       *string             `json:"stage"`
	DryRun      bool                `json:"dry_run"`
	Applied     bool                `json:"applied"`
	Summary     courseImportSummary `json:"summary"`
	Changes     []courseChange      `json:"changes"`
	Points      []courseImportPoint `json:"points"`
	Notes       []courseImportNote  `json:"notes"`
	DurationMS  float64             `json:"duration_ms"`
}

func (a *app) runCourseImport(cmd *cobra.Command, file string) error {
	start := time.Now()
	stage := strings.TrimSpace(a.cfg.GetString("stage"))
	dryRun, jsonOut := a.cfg.GetBool("dry-run"), a.cfg.GetBool("json")
	fileCourse, rep, err := a.readCourseFile(file, stage)
	if err != nil {
		return err
	}
	scope := planScope{stage: stage}
	if !rep.Format.WholeCourse() {
		if scope.stage == "" {
			scope.stage = fileCourse.Stages[0].Code
		}
		scope.keepStageAttributes = true
	} else if stage != "" && fileCourse.Stage(stage) == nil {
		var codes []string
		for _, s := range fileCourse.Stages {
			codes = append(codes, s.Code)
		}
		return usageErrorf("--stage %s: %s has no such stage (it has %s)", stage, file, strings.Join(codes, ", "))
	}

	ctx, cancel := a.withTimeout(cmd.Context())
	defer cancel()
	sess, err := a.courseConnect(ctx)
	if err != nil {
		return err
	}
	current, err := readCourse(ctx, sess.c, sess.event)
	if err != nil {
		return err
	}
	plan, err := planImport(sess.event.ID, fileCourse, current, scope)
	if err != nil {
		return fmt.Errorf("%v\nnothing was changed", err)
	}

	out := &courseImportReport{
		Event:       courseImportEvent{ID: sess.event.ID, Slug: sess.event.Slug, Organization: sess.event.Organization.Slug, Name: sess.event.Name},
		File:        file,
		Format:      string(rep.Format),
		WholeCourse: rep.Format.WholeCourse(),
		DryRun:      dryRun,
		Changes:     plan.changes,
		Points:      []courseImportPoint{},
		Notes:       []courseImportNote{},
	}
	if out.Changes == nil {
		out.Changes = []courseChange{}
	}
	if scope.stage != "" {
		out.Stage = &scope.stage
	}
	out.Summary.Create, out.Summary.Update, out.Summary.Delete = plan.counts()
	if !rep.Format.WholeCourse() {
		for _, p := range rep.Points {
			pt := courseImportPoint{Line: p.Src.Line, Name: p.Name, By: p.By, Elements: p.Elements, Skipped: p.Skipped, Waypoints: []courseImportPointWaypoint{}}
			if pt.Elements == nil {
				pt.Elements = []string{}
			}
			for _, w := range p.Waypoints {
				pt.Waypoints = append(pt.Waypoints, courseImportPointWaypoint{w.Stage, w.Segment, w.Name, string(w.Type), w.DefaultRadii})
			}
			out.Points = append(out.Points, pt)
		}
	}
	for _, n := range rep.Notes {
		out.Notes = append(out.Notes, courseImportNote{Line: n.Src.Line, Message: n.Msg})
	}

	var applyErr error
	if len(plan.ops) > 0 && !dryRun {
		applyErr = applyPlan(ctx, sess.c, plan)
		out.Applied = applyErr == nil
	}
	out.DurationMS = ms(time.Since(start))
	if jsonOut {
		if err := writeJSON(a.io.out, out); err != nil {
			return err
		}
	} else {
		a.printCourseImport(out, time.Since(start))
	}
	if applyErr != nil {
		return fmt.Errorf("the import was refused, and nothing was changed (it runs in one transaction): %w", applyErr)
	}
	return nil
}

// applyPlan sends the plan to the trm-course endpoint, which applies it in
// one transaction.
func applyPlan(ctx context.Context, c *directusctl.Client, plan *coursePlan) error {
	body, err := json.Marshal(map[string]any{"operations": plan.ops})
	if err != nil {
		return err
	}
	var res struct {
		Applied int `json:"applied"`
	}
	err = c.DoBody(ctx, http.MethodPost, courseApplyPath, nil, "application/vnd.trm.course-plan+json", body, &res)
	var ae *directusctl.APIError
	switch {
	case err == nil:
		if res.Applied != len(plan.ops) {
			return fmt.Errorf("the plan has %d writes, Directus applied %d", len(plan.ops), res.Applied)
		}
		return nil
	case errors.As(err, &ae) && ae.Status == http.StatusNotFound && ae.Code == directusctl.CodeRouteNotFound:
		return fmt.Errorf("%w\nthe trm-course extension is not loaded: deploy extensions/ (the image ships it; EXTENSIONS_PATH)", err)
	case errors.As(err, &ae):
		return describeApplyError(ae, plan)
	}
	return err
}

// describeApplyError names the write Directus refused, when it says which.
func describeApplyError(ae *directusctl.APIError, plan *coursePlan) error {
	for _, d := range ae.Errors {
		var ext struct {
			Operation *int `json:"operation"`
		}
		if json.Unmarshal(d.Extensions, &ext) == nil && ext.Operation != nil && *ext.Operation >= 0 && *ext.Operation < len(plan.changes) {
			c := plan.changes[*ext.Operation]
			return fmt.Errorf("%s %s %s: %w", c.Op, c.Collection, c.Key, explainAPIError(ae))
		}
	}
	return explainAPIError(ae)
}

func (a *app) printCourseImport(r *courseImportReport, took time.Duration) {
	w := a.io.out
	colour := a.colour()
	fmt.Fprintf(w, "Course of %s (%s/%s) from %s (%s)\n", r.Event.Name, r.Event.Organization, r.Event.Slug, r.File, formatLabel(r))
	if len(r.Points) > 0 {
		fmt.Fprintln(w, "\nPoints of the file:")
		t := newTable(w, "  LINE", "NAME", "BY", "BECAME")
		for _, p := range r.Points {
			became := "skipped: " + p.Skipped
			if p.Skipped == "" {
				var parts []string
				for _, wp := range p.Waypoints {
					s := fmt.Sprintf("%s/%s %s %s", wp.Stage, wp.Segment, wp.Name, wp.Type)
					if wp.DefaultRadii {
						s += " (default radii)"
					}
					parts = append(parts, s)
				}
				became = strings.Join(parts, "; ")
			}
			by := p.By
			if len(p.Elements) > 0 {
				by += " " + strings.Join(p.Elements, "+")
			}
			if by == "" {
				by = "-"
			}
			t.row(fmt.Sprintf("  %d", p.Line), quoteName(p.Name), by, became)
		}
		_ = t.flush()
	}
	if len(r.Notes) > 0 {
		fmt.Fprintln(w, "\nNotes:")
		for _, n := range r.Notes {
			fmt.Fprintf(w, "  line %d: %s\n", n.Line, n.Message)
		}
	}
	if len(r.Changes) == 0 {
		fmt.Fprintf(w, "\nNo changes: the course of %s already matches %s (%s).\n", r.Event.Slug, r.File, round(took))
		return
	}
	fmt.Fprintln(w, "\nPlan:")
	t := newTable(w, "  COLLECTION", "CREATE", "UPDATE", "DELETE")
	for _, coll := range []string{"stages", "segments", "waypoints", "speed_limit_zones", "geofences"} {
		var n [3]int
		for _, c := range r.Changes {
			if c.Collection != coll {
				continue
			}
			switch c.Op {
			case "create":
				n[0]++
			case "update":
				n[1]++
			case "delete":
				n[2]++
			}
		}
		if n != [3]int{} {
			t.row("  "+coll, fmt.Sprint(n[0]), fmt.Sprint(n[1]), fmt.Sprint(n[2]))
		}
	}
	_ = t.flush()
	const maxCreatesListed = 40
	creates := r.Summary.Create
	if creates <= maxCreatesListed || r.Summary.Update+r.Summary.Delete > 0 {
		fmt.Fprintln(w)
		t = newTable(w, "  ", "COLLECTION", "ITEM", "FIELDS")
	}
	for _, c := range r.Changes {
		if c.Op == "create" && creates > maxCreatesListed {
			continue
		}
		sign, code := "+", "32"
		switch c.Op {
		case "update":
			sign, code = "~", "33"
		case "delete":
			sign, code = "-", "31"
		}
		t.row("  "+paint(colour, code, sign), c.Collection, quoteName(c.Key), strings.Join(c.Fields, ", "))
	}
	_ = t.flush()
	if creates > maxCreatesListed {
		fmt.Fprintf(w, "  and %d items to create (--json lists every one)\n", creates)
	}
	summary := fmt.Sprintf("%d to create, %d to update, %d to delete", r.Summary.Create, r.Summary.Update, r.Summary.Delete)
	switch {
	case r.DryRun:
		fmt.Fprintf(w, "\nDry run: %s; nothing was changed (%s).\n", summary, round(took))
	case r.Applied:
		fmt.Fprintf(w, "\nApplied: %d created, %d updated, %d deleted, in one transaction (%s).\n", r.Summary.Create, r.Summary.Update, r.Summary.Delete, round(took))
	}
}

func formatLabel(r *courseImportReport) string {
	label := map[string]string{
		"openrally": "OpenRally GPX, one stage", "gpx": "plain GPX read by names, one stage",
		"trm-gpx": "GPX with the TRM course, whole course", "geojson": "GeoJSON, whole course",
	}[r.Format]
	if r.Stage != nil {
		label += "; stage " + *r.Stage
	}
	return label
}

// quoteName shows a name from a file: as it is when it prints as itself,
// quoted and escaped otherwise (no control character reaches a terminal).
func quoteName(s string) string {
	q := fmt.Sprintf("%q", s)
	if q[1:len(q)-1] == s && !strings.ContainsAny(s, " \t") {
		return s
	}
	return q
}

func (a *app) runCourseExport(cmd *cobra.Command) error {
	format := strings.ToLower(strings.TrimSpace(a.cfg.GetString("format")))
	var write func(io.Writer, *course.Course) error
	switch format {
	case "gpx":
		write = course.WriteGPX
	case "geojson":
		write = course.WriteGeoJSON
	default:
		return usageErrorf("--format %q: want gpx or geojson", format)
	}
	output := a.cfg.GetString("output")
	ctx, cancel := a.withTimeout(cmd.Context())
	defer cancel()
	start := time.Now()
	sess, err := a.courseConnect(ctx)
	if err != nil {
		return err
	}
	c, err := readCourse(ctx, sess.c, sess.event)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := write(&buf, c); err != nil {
		return fmt.Errorf("the course of %s in Directus breaks a rule of lib/course, fix it in Directus first:\n%w", sess.event.Slug, err)
	}
	if output == "-" || output == "" {
		if _, err := a.io.out.Write(buf.Bytes()); err != nil {
			return err
		}
	} else if err := writeFileAtomic(output, buf.Bytes()); err != nil {
		return err
	}
	wps, zones := 0, 0
	for _, s := range c.Stages {
		for _, g := range s.Segments {
			wps += len(g.Waypoints)
			zones += len(g.SpeedZones)
		}
	}
	fmt.Fprintf(a.io.err, "course export: %s of %s: %d stages, %d waypoints, %d speed zones, %d geofences (%s)\n",
		format, sess.event.Slug, len(c.Stages), wps, zones, len(c.Geofences), round(time.Since(start)))
	return nil
}

// explainAPIError spells out every error Directus returned (validation
// failures come one per field), not only the first.
func explainAPIError(err error) error {
	var ae *directusctl.APIError
	if !errors.As(err, &ae) || len(ae.Errors) < 2 {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "directus %s %s: HTTP %d:", ae.Method, ae.Path, ae.Status)
	for _, d := range ae.Errors {
		fmt.Fprintf(&b, "\n  %s: %s", d.Code, d.Message)
	}
	return errors.New(b.String())
}
