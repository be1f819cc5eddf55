package boot

import (
	"context"

	"git.dev.trmtracking.org/trm/directus/lib/migrations"
	"git.dev.trmtracking.org/trm/directus/lib/snapshot"
)

// Plan is what a boot would do now.
type Plan struct {
	FastPath bool
	// Reason says why the full path would be taken.
	Reason     string
	Pending    []migrations.Migration
	Violations []migrations.Violation
	Bootstrap  bool
	// Schema is the schema plan: nil on the fast path or with apply mode
	// skip; every create when Directus is not installed yet.
	Schema *snapshot.Result
	// Refused are the destructive changes not allowed by
	// TRM_ALLOW_DESTRUCTIVE: the boot would stop on them.
	Refused []snapshot.Change
}

// WouldFail says whether the boot would stop before starting Directus.
func (p *Plan) WouldFail() bool { return len(p.Violations) > 0 || len(p.Refused) > 0 }

// Plan says what Run would do, changing nothing and taking no lock. The
// schema plan costs one Directus CLI snapshot.
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
	fast, reason, recorded, err := b.unchanged(ctx, pool, prov)
	if err != nil {
		return nil, err
	}
	if fast {
		return &Plan{FastPath: true}, nil
	}
	rep, err := prov.Status(ctx)
	if err != nil {
		return nil, err
	}
	installed := b.directusInstalled(ctx, pool)
	p := &Plan{Reason: reason, Pending: rep.Pending, Violations: rep.Violations,
		Bootstrap: recorded.DirectusVersion != b.state.DirectusVersion || !installed}
	if b.cfg.ApplyMode == ApplySkip {
		return p, nil
	}
	if installed {
		if _, _, p.Schema, err = b.livePlan(ctx); err != nil {
			return nil, &StepError{Step: "schema-plan", Err: err, Fix: "read Directus's error above"}
		}
	} else {
		p.Schema = snapshot.Diff(&snapshot.Snapshot{}, b.committed)
	}
	p.Refused = b.refused(p.Schema)
	return p, nil
}
