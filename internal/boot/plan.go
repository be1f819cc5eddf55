package boot

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"

	"git.dev.trmtracking.org/trm/directus/internal/access"
	"git.dev.trmtracking.org/trm/directus/internal/settings"
	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
	"git.dev.trmtracking.org/trm/directus/lib/migrations"
	"git.dev.trmtracking.org/trm/directus/lib/snapshot"
)

// Plan is what a boot does, decided before it changes anything. Run
// executes it; Plan returns it, and trmctl boot plan prints it: both come
// from one decision (decide), so the preview is the boot.
type Plan struct {
	// FastPath: nothing changed since the last boot; Directus starts at
	// once.
	FastPath bool
	// Reason says why the full path is taken.
	Reason     string
	Pending    []migrations.Migration
	Violations []migrations.Violation
	// Bootstrap says whether `directus bootstrap` runs, and BootstrapReason
	// why (or why not).
	Bootstrap       bool
	BootstrapReason string
	// Schema is the schema plan: nil on the fast path or with
	// TRM_SCHEMA_APPLY=skip; on a database without Directus, every create
	// of the committed snapshot against an empty schema.
	Schema *snapshot.Result
	// Refused are the destructive changes TRM_ALLOW_DESTRUCTIVE does not
	// allow: the boot stops on them before changing anything.
	Refused []snapshot.Change
	// Unplanned are deletions in Directus's own diff (what its apply would
	// execute) that Schema does not show as destructive: the boot stops on
	// them before changing anything. Known only when the plan was made
	// from the live schema.
	Unplanned []directusctl.DiffEntry
	// Access is the access plan: the access files against the live model
	// (nil on the fast path or with TRM_SCHEMA_APPLY=skip). The boot makes
	// it again inside its transaction, after the schema apply.
	Access *access.Plan
	// AccessRefused are the access changes that take a role or a policy
	// from people who hold it and TRM_ALLOW_ACCESS_REMOVAL does not allow:
	// the boot stops on them before changing anything.
	AccessRefused []access.Change

	recorded State
	// fresh: Directus is not installed, so Schema was made without asking
	// Directus; its diff is made after bootstrap.
	fresh bool
	// directus is Directus's diff of the live schema Schema was made from,
	// without db-init's tables: what the apply executes while nothing has
	// changed the database since.
	directus *directusctl.SchemaDiff
}

// WouldFail says whether the boot stops before starting Directus.
func (p *Plan) WouldFail() bool {
	return len(p.Violations) > 0 || len(p.Refused) > 0 || len(p.Unplanned) > 0 || len(p.AccessRefused) > 0
}

// Plan says what Run would do now, changing nothing and taking no lock.
// The schema plan needs Directus's view of the live schema when Directus
// is installed: it starts the Directus process the boot would use (a
// few seconds) and asks it for its diff.
func (b *Booter) Plan(ctx context.Context) (*Plan, error) {
	pool, err := b.connect(ctx)
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	prov, err := b.provider(pool)
	if err != nil {
		return nil, err
	}
	n := newNode(b.cfg.CLI)
	defer n.close()
	return b.decide(ctx, pool, prov, n)
}

// decide is the boot's one decision: fast path or not and why, the
// pending db-init files and guard violations, bootstrap or not and why,
// the schema plan and what it would refuse.
func (b *Booter) decide(ctx context.Context, pool *pgxpool.Pool, prov *migrations.Provider, n *node) (*Plan, error) {
	p, err := b.fastPath(ctx, pool, prov)
	if err != nil || p.FastPath {
		return p, err
	}
	installed := b.directusInstalled(ctx, pool)
	switch {
	case !installed:
		p.Bootstrap, p.BootstrapReason = true, "Directus is not installed in this database"
	case p.recorded.DirectusVersion == "":
		p.Bootstrap, p.BootstrapReason = true, "no record of the Directus release that installed it"
	case p.recorded.DirectusVersion != b.state.DirectusVersion:
		p.Bootstrap, p.BootstrapReason = true, fmt.Sprintf("Directus changed from %s to %s", p.recorded.DirectusVersion, b.state.DirectusVersion)
	default:
		p.BootstrapReason = "same Directus release, tables installed"
	}
	if b.cfg.SchemaApply == settings.ApplySkip {
		return p, nil
	}
	if installed {
		if p.Schema, p.directus, err = b.livePlan(ctx, n); err != nil {
			return nil, err
		}
		if p.Unplanned, err = unplanned(p.Schema, p.directus); err != nil {
			return nil, &StepError{Step: "schema-plan", Err: err, Fix: b.stepFix("schema-plan", err)}
		}
	} else {
		// Nothing of Directus exists yet: everything is created, and the
		// plan needs no snapshot.
		p.fresh = true
		p.Schema = snapshot.Diff(&snapshot.Snapshot{}, b.committed)
	}
	p.Refused = b.refused(p.Schema)
	if p.Access, p.AccessRefused, err = b.accessPlan(ctx, pool, installed); err != nil {
		return nil, err
	}
	return p, nil
}

// fastPath proves, with two catalog queries, that nothing has changed
// since the last successful boot: no db-init file pending, the same
// Directus release, the same committed snapshot, and a live schema with
// the fingerprint that boot left. Any doubt is a reason for a full boot.
func (b *Booter) fastPath(ctx context.Context, pool *pgxpool.Pool, prov *migrations.Provider) (*Plan, error) {
	rep, err := prov.Status(ctx)
	if err != nil {
		return nil, &StepError{Step: "check", Err: err, Fix: b.checkFix(err)}
	}
	recorded, live, ok, err := readState(ctx, pool)
	if err != nil {
		return nil, &StepError{Step: "check", Err: err, Fix: b.checkFix(err)}
	}
	p := &Plan{Pending: rep.Pending, Violations: rep.Violations, recorded: recorded}
	switch {
	case len(rep.Violations) > 0:
		p.Reason = "db-init guard violations"
	case len(rep.Pending) > 0:
		p.Reason = fmt.Sprintf("%d db-init file(s) pending", len(rep.Pending))
	case !ok:
		p.Reason = "no record of an earlier boot"
	case b.cfg.SchemaApply != settings.ApplyAuto:
		p.Reason = "schema apply mode " + string(b.cfg.SchemaApply)
	case recorded.DirectusVersion != b.state.DirectusVersion:
		p.Reason = fmt.Sprintf("Directus changed from %s to %s", recorded.DirectusVersion, b.state.DirectusVersion)
	case recorded.SnapshotSHA256 != b.state.SnapshotSHA256:
		p.Reason = "committed snapshot changed"
	case recorded.Fingerprint != live.Schema:
		p.Reason = "live schema changed since the last boot"
	case recorded.AccessSHA256 != b.state.AccessSHA256:
		p.Reason = "access files changed"
	case b.access != nil && recorded.AccessFingerprint != live.Access:
		p.Reason = "live access model changed since the last boot"
	default:
		ready, err := b.processorRoleReady(ctx, pool)
		if err != nil {
			return nil, &StepError{Step: "check", Err: err, Fix: b.checkFix(err)}
		}
		if !ready {
			p.Reason = "the processor's role " + b.cfg.ProcessorUser + " is not provisioned"
		} else {
			p.FastPath = true
		}
	}
	return p, nil
}
