package boot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
	"sync"
	"time"

	"git.dev.trmtracking.org/trm/directus/internal/settings"
	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
	"git.dev.trmtracking.org/trm/directus/lib/snapshot"
)

// node is the boot's one Directus process (docs/boot-provisioner.md): it
// bootstraps, snapshots, diffs and applies for the whole boot, so that a
// boot pays Directus's start-up once. It starts when first needed, or
// ahead of need so that loading Directus overlaps the boot's own work.
type node struct {
	cli    *directusctl.CLI
	once   sync.Once
	done   chan struct{}
	cancel context.CancelFunc
	p      *directusctl.Provisioner
	err    error
	// loaded is how long the process took to load Directus; logged says
	// whether the boot has reported it.
	loaded time.Duration
	logged bool
	// started says whether start ran (close without start does not).
	started bool
	// handed says that the process belongs to the caller of Run now.
	handed bool
}

func newNode(cli *directusctl.CLI) *node {
	return &node{cli: cli, done: make(chan struct{}), cancel: func() {}}
}

// start starts the process in the background; only the first call does.
func (n *node) start(ctx context.Context) {
	n.once.Do(func() {
		n.started = true
		ctx, n.cancel = context.WithCancel(ctx)
		go func() {
			defer close(n.done)
			t := time.Now()
			n.p, n.err = n.cli.StartProvisioner(ctx)
			n.loaded = time.Since(t)
		}()
	})
}

// get waits for the process, starting it if need be.
func (n *node) get(ctx context.Context) (*directusctl.Provisioner, error) {
	n.start(ctx)
	select {
	case <-n.done:
		if n.err != nil {
			return nil, &StepError{Step: "directus", Err: n.err, Fix: nodeFix(n.err)}
		}
		return n.p, nil
	case <-ctx.Done():
		return nil, &StepError{Step: "directus", Err: context.Cause(ctx), Fix: "stopped before Directus was loaded; nothing was changed"}
	}
}

// process waits for the Directus process and, the first time, logs how
// long it took to load and how much of that the boot waited for (the rest
// overlapped the boot's own work): the figures behind a slow boot.
func (b *Booter) process(ctx context.Context, n *node) (*directusctl.Provisioner, error) {
	t := time.Now()
	p, err := n.get(ctx)
	if err != nil || n.logged {
		return p, err
	}
	n.logged = true
	info := p.Info()
	b.log.Info("directus", "step", "directus", "ms", n.loaded.Milliseconds(), "waited_ms", time.Since(t).Milliseconds(),
		"directus", info.Directus, "node", info.Node)
	return p, nil
}

// handOver gives the process to Run's caller: close leaves it running.
func (n *node) handOver() { n.handed = true }

// close ends the process, rolling back an apply nobody committed, or
// stops it loading. Closing twice does nothing more.
func (n *node) close() {
	if n.handed {
		return
	}
	n.once.Do(func() { close(n.done) })
	n.cancel()
	<-n.done
	if n.p != nil {
		_ = n.p.Close()
	}
}

// nodeFix says what to do when the Directus process cannot be started.
func nodeFix(err error) string {
	var ni *directusctl.NotInstalledError
	if errors.As(err, &ni) {
		return "set TRM_DIRECTUS_CLI to @directus/api/dist/cli/run.js of the installed Directus"
	}
	return "Directus could not be loaded with TRM_NODE: it needs Node 22 or later and an installed Directus at TRM_DIRECTUS_CLI; read the output above. Nothing was changed"
}

// stepFix says what to do after the Directus process failed a step: what
// the failure left behind depends on the step.
func (b *Booter) stepFix(step string, err error) string {
	var (
		pe *directusctl.ProvisionError
		ee *directusctl.ProvisionerExitError
		xe *directusctl.ProvisionerProtocolError
	)
	lost := errors.As(err, &ee) || errors.As(err, &xe)
	var size *snapshot.SizeError
	if errors.As(err, &size) {
		undone := ""
		if step == "schema-verify" {
			undone = " (an apply it had made was rolled back)"
		}
		return "the live schema is larger than TRM_SNAPSHOT_MAX_SIZE; nothing was changed" + undone +
			". If the schema really is this large, raise TRM_SNAPSHOT_MAX_SIZE (e.g. 200MiB)"
	}
	switch step {
	case "bootstrap":
		if lost {
			return "the Directus process ended during bootstrap: Directus records each migration as it completes and the next boot runs the rest; if the database had no Directus tables before, an install cut short in its first step leaves a partial one: drop the directus_* tables (they hold nothing yet) and boot again"
		}
		return "read Directus's error above; check " + b.cfg.Database.Fix() + " and that the database user may create tables"
	case "schema-plan":
		return "nothing was changed; read the error above and boot again"
	case "schema-apply", "schema-verify":
		switch {
		case errors.As(err, &pe) && pe.Kind == directusctl.ProvisionStale:
			return "the live schema changed while the boot planned (someone changed it through Directus meanwhile): nothing was applied; boot again to plan from the schema as it is now"
		case lost:
			return "the Directus process was stopped before the apply was committed: its transaction was rolled back, nothing was applied; boot again"
		}
		return "the apply ran in one transaction and was rolled back: nothing was applied; read Directus's error above"
	case "schema-commit":
		return "the Directus process ended while committing the apply: the commit may or may not have happened; boot again: the next boot plans from what the database holds"
	}
	return "read the error above"
}

// directusDiff is Directus's own diff of the live schema against the
// committed snapshot, without entries about db-init's tables (what the
// CLI's --ignoreRules does): an apply never touches them.
func (b *Booter) directusDiff(ctx context.Context, n *node, withLive bool) (*directusctl.LiveDiff, *directusctl.SchemaDiff, error) {
	p, err := b.process(ctx, n)
	if err != nil {
		return nil, nil, err
	}
	d, err := p.Diff(ctx, b.committedJSON, withLive)
	if err != nil {
		return nil, nil, &StepError{Step: "schema-plan", Err: err, Fix: b.stepFix("schema-plan", err)}
	}
	if d.Diff == nil {
		return d, nil, nil
	}
	kept, err := d.SchemaDiff.Without(func(e directusctl.DiffEntry) bool {
		return b.excluded(e.Collection) || (e.RelatedCollection != "" && b.excluded(e.RelatedCollection))
	})
	if err != nil {
		return nil, nil, &StepError{Step: "schema-plan", Err: err, Fix: b.stepFix("schema-plan", err)}
	}
	return d, kept, nil
}

func (b *Booter) excluded(collection string) bool {
	for _, p := range b.cfg.Exclude {
		if ok, _ := path.Match(p, collection); ok {
			return true
		}
	}
	return false
}

// livePlan is the plan against the live schema: lib/snapshot's diff of
// the live snapshot against the committed one, both without db-init's
// tables, and Directus's own diff, which the apply would execute.
func (b *Booter) livePlan(ctx context.Context, n *node) (*snapshot.Result, *directusctl.SchemaDiff, error) {
	d, kept, err := b.directusDiff(ctx, n, true)
	if err != nil {
		return nil, nil, err
	}
	full, err := b.parseLive(d.Live)
	if err != nil {
		return nil, nil, &StepError{Step: "schema-plan", Err: err, Fix: b.stepFix("schema-plan", err)}
	}
	live, err := full.Exclude(b.cfg.Exclude...)
	if err != nil {
		return nil, nil, &StepError{Step: "schema-plan", Err: err, Fix: b.stepFix("schema-plan", err)}
	}
	return snapshot.Diff(live, b.committed), kept, nil
}

// parseLive reads a live schema the Directus process returned, within the
// limit the operator set for the committed snapshot: the live schema it is
// applied to is about as large.
func (b *Booter) parseLive(raw []byte) (*snapshot.Snapshot, error) {
	return snapshot.Parse("live schema", raw, snapshot.WithMaxSize(b.cfg.SnapshotMaxSize))
}

// unplanned lists what Directus's diff would delete that the plan does
// not show as a destructive change: a deletion the operator was never
// asked about. Directus applies some updates as deletions
// (directus/directus#27877); the plan marks those destructive too.
func unplanned(plan *snapshot.Result, d *directusctl.SchemaDiff) ([]directusctl.DiffEntry, error) {
	if d == nil {
		return nil, nil
	}
	entries, err := d.Entries()
	if err != nil {
		return nil, err
	}
	kinds := map[string]snapshot.Kind{"collections": snapshot.KindCollection, "fields": snapshot.KindField,
		"systemFields": snapshot.KindSystemField, "relations": snapshot.KindRelation}
	destructive := map[string]bool{}
	for _, c := range plan.Destructive() {
		destructive[string(c.Kind)+":"+c.Key.String()] = true
	}
	var out []directusctl.DiffEntry
	for _, e := range entries {
		key := snapshot.Key{Collection: e.Collection, Field: e.Field}
		if e.Op == directusctl.DiffDelete && !destructive[string(kinds[e.List])+":"+key.String()] {
			out = append(out, e)
		}
	}
	return out, nil
}

// UnplannedError stops a boot whose Directus diff would delete what the
// plan does not show as destructive.
type UnplannedError struct {
	Entries []directusctl.DiffEntry
}

func (e *UnplannedError) Error() string {
	what := make([]string, len(e.Entries))
	for i, x := range e.Entries {
		what[i] = x.String()
	}
	return fmt.Sprintf("Directus's own diff would %s, which the plan does not show as destructive", strings.Join(what, ", "))
}

func (b *Booter) unplannedStop(entries []directusctl.DiffEntry) error {
	return &StepError{Step: "schema-plan", Err: &UnplannedError{Entries: entries},
		Fix: "nothing was applied. lib/snapshot and Directus disagree about this snapshot: report it with the lines above; pull the snapshot again from a running Directus (`trmctl snapshot pull`) and compare"}
}

// schema executes the plan's schema part with the Directus process. A
// plan decided without a live snapshot (Directus not installed) is checked
// against Directus's diff after bootstrap; one decided from the live
// schema is made again when db-init or bootstrap changed the database
// since. The apply commits only when the schema it leaves equals the
// committed snapshot.
func (b *Booter) schema(ctx context.Context, n *node, p *Plan, changed bool, out *Outcome) error {
	if b.cfg.SchemaApply == settings.ApplySkip {
		b.log.Info("schema", "step", "schema", "result", "skipped (TRM_SCHEMA_APPLY=skip)")
		return nil
	}
	t := time.Now()
	plan, d := p.Schema, p.directus
	var err error
	switch {
	case p.fresh:
		if _, d, err = b.directusDiff(ctx, n, false); err != nil {
			return err
		}
	case changed:
		if plan, d, err = b.livePlan(ctx, n); err != nil {
			return err
		}
	}
	out.Schema = plan
	sum := plan.Summary()
	b.step("schema-plan", t, "create", sum.Create, "update", sum.Update, "delete", sum.Delete, "destructive", sum.Destructive)
	if plan.Empty() {
		return nil
	}
	if refused := b.refused(plan); len(refused) > 0 {
		return b.destructive(refused)
	}
	bad, err := unplanned(plan, d)
	if err != nil {
		return &StepError{Step: "schema-plan", Err: err, Fix: b.stepFix("schema-plan", err)}
	}
	if len(bad) > 0 {
		return b.unplannedStop(bad)
	}
	if b.cfg.SchemaApply == settings.ApplyDryRun {
		var buf bytes.Buffer
		_ = plan.WriteText(&buf, snapshot.TextOptions{})
		for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
			b.log.Info("schema plan", "step", "schema-plan", "change", line)
		}
		b.log.Info("schema", "step", "schema-apply", "result", "not applied (TRM_SCHEMA_APPLY=dry-run)")
		return nil
	}
	prov, err := b.process(ctx, n)
	if err != nil {
		return err
	}
	t = time.Now()
	pending, err := prov.ApplyDiff(ctx, d)
	if err != nil {
		return &StepError{Step: "schema-apply", Err: err, Fix: b.stepFix("schema-apply", err)}
	}
	b.step("schema-apply", t, "result", map[bool]string{true: "applied, not yet committed", false: "Directus found nothing to apply"}[pending != nil])
	t = time.Now()
	var after []byte
	if pending != nil {
		after = pending.Live.Snapshot
	} else {
		s, err := prov.Snapshot(ctx)
		if err != nil {
			return &StepError{Step: "schema-verify", Err: err, Fix: b.stepFix("schema-verify", err)}
		}
		after = s.Snapshot
	}
	if differs, err := b.differences(after); err != nil {
		_ = pending.Rollback(ctx)
		return &StepError{Step: "schema-verify", Err: err, Fix: b.stepFix("schema-verify", err)}
	} else if differs != "" {
		fix := "Directus found nothing to apply, yet lib/snapshot sees differences: the committed snapshot is one Directus does not reproduce (edited by hand?); pull it again from a running Directus (`trmctl snapshot pull`), or report this with the lines above"
		if pending != nil {
			if err := pending.Rollback(ctx); err != nil {
				return &StepError{Step: "schema-verify", Err: err, Fix: b.stepFix("schema-verify", err)}
			}
			fix = "the apply was rolled back: nothing was applied. Directus does not reproduce the committed snapshot (edited by hand?); pull it again from a running Directus (`trmctl snapshot pull`), or report this with the lines above. Boot stops rather than run on a schema it did not expect"
		}
		return &StepError{Step: "schema-verify", Err: fmt.Errorf("after the apply the live schema still differs from the committed snapshot:\n%s", differs), Fix: fix}
	}
	b.step("schema-verify", t, "result", "the live schema equals the committed snapshot")
	if pending != nil {
		t = time.Now()
		if err := pending.Commit(ctx); err != nil {
			return &StepError{Step: "schema-commit", Err: err, Fix: b.stepFix("schema-commit", err)}
		}
		out.Applied = true
		b.step("schema-commit", t)
	}
	return nil
}

// differences compares a live snapshot with the committed one, both
// without db-init's tables, and describes what differs ("" when nothing).
func (b *Booter) differences(raw []byte) (string, error) {
	full, err := b.parseLive(raw)
	if err != nil {
		return "", err
	}
	live, err := full.Exclude(b.cfg.Exclude...)
	if err != nil {
		return "", err
	}
	after := snapshot.Diff(live, b.committed)
	if after.Empty() {
		return "", nil
	}
	var buf bytes.Buffer
	_ = after.WriteText(&buf, snapshot.TextOptions{})
	return buf.String(), nil
}
