package boot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"git.dev.trmtracking.org/trm/directus/internal/access"
	"git.dev.trmtracking.org/trm/directus/internal/settings"
	"git.dev.trmtracking.org/trm/directus/lib/snapshot"
)

// loadAccess reads the access files and validates them against the
// committed snapshot (s, before db-init's tables are left out, as trmctl
// access reads it), and hashes their canonical form: a reformatted file
// does not force a full boot, a changed rule does.
func (b *Booter) loadAccess(s *snapshot.Snapshot) error {
	dir := b.cfg.AccessDir
	set, err := access.Load(dir, access.NewCatalog(s))
	if err != nil {
		return &StepError{Step: "access", Err: err, Fix: "fix the access files named above (TRM_ACCESS_DIR=" + dir + "; docs/access-model.md describes them, `trmctl access fmt` and `trmctl access diff --from` check them); the image copies access/ to /directus/access/"}
	}
	files, err := access.Files(set)
	if err != nil {
		return &StepError{Step: "access", Err: err, Fix: "fix the access files in " + dir}
	}
	h := sha256.New()
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		fmt.Fprintf(h, "%s\x00%d\x00", n, len(files[n]))
		h.Write(files[n])
	}
	b.access = set
	b.state.AccessSHA256 = hex.EncodeToString(h.Sum(nil))
	return nil
}

// accessPlan is the access part of the decision, made from the live model
// read in SQL (no Directus process needed), or, on a database without
// Directus, against what bootstrap creates (the administrator's role and
// policy, the public policy): nobody holds anything there.
func (b *Booter) accessPlan(ctx context.Context, pool *pgxpool.Pool, installed bool) (*access.Plan, []access.Change, error) {
	if b.access == nil {
		return nil, nil, nil
	}
	live := access.LiveOf(&access.Set{Administrator: b.access.Administrator})
	if installed {
		tx, err := pool.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
		if err != nil {
			return nil, nil, &StepError{Step: "access-plan", Err: err, Fix: "check the database connection and rerun"}
		}
		defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
		if live, err = access.SQL(tx).Load(ctx); err != nil {
			return nil, nil, &StepError{Step: "access-plan", Err: err, Fix: "check the database connection and rerun"}
		}
	}
	plan, err := access.MakePlan(b.access, live)
	if err != nil {
		return nil, nil, &StepError{Step: "access-plan", Err: err, Fix: "nothing was changed; " + accessFix(err)}
	}
	return plan, plan.Refused(b.cfg.AllowAccessRemoval), nil
}

func accessFix(err error) string {
	var amb *access.AmbiguousError
	if errors.As(err, &amb) {
		return "the files name roles and policies, so names must be unique on the instance"
	}
	return "check the access files against the instance with `trmctl access diff`"
}

// accessRefused stops a boot whose access plan takes a role or a policy
// from people who hold it, unless TRM_ALLOW_ACCESS_REMOVAL names it.
func (b *Booter) accessRefused(step string, refused []access.Change) error {
	re := &access.RefusedError{Changes: refused}
	for _, c := range refused {
		b.log.Error("access removal refused", "step", step, "change", c.String(), "holders", c.Holders, "allow_with", access.AllowVar+"="+strings.Join(c.Allowances(), " or "))
	}
	return &StepError{Step: step, Err: re,
		Fix: "nothing was applied. If the access files are stale, rebuild the image with access/ pulled from this instance (`trmctl access pull`); if the removal is intended, set " + access.AllowVar + "=" + re.AllowValue()}
}

// applyAccess applies the access files in SQL, in one transaction: the
// live model is read, planned against the files, refused if it takes what
// people hold without an allowance, applied, read again and compared with
// the files; the transaction commits only when they are equal. The
// Directus process then flushes Directus's caches (a shared Redis cache
// could still hold the old permissions).
func (b *Booter) applyAccess(ctx context.Context, pool *pgxpool.Pool, n *node, out *Outcome) error {
	if b.access == nil {
		return nil
	}
	t := time.Now()
	tx, err := pool.Begin(ctx)
	if err != nil {
		return &StepError{Step: "access-apply", Err: err, Fix: "check the database connection and rerun"}
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	// Nobody else changes the access model between the plan and the
	// check (a running replica's administrator); reads go on.
	if _, err := tx.Exec(ctx, `LOCK TABLE directus_roles, directus_policies, directus_access, directus_permissions IN SHARE ROW EXCLUSIVE MODE`); err != nil {
		return &StepError{Step: "access-apply", Err: err, Fix: "nothing was applied; check the database and rerun"}
	}
	res, err := access.Reconcile(ctx, access.SQL(tx), b.access, access.ReconcileOptions{
		Allow: b.cfg.AllowAccessRemoval, DryRun: b.cfg.SchemaApply == settings.ApplyDryRun,
	})
	if res != nil {
		out.Access = res.Plan
	}
	var refused *access.RefusedError
	var notConverged *access.NotConvergedError
	switch {
	case errors.As(err, &refused):
		return b.accessRefused("access-plan", refused.Changes)
	case errors.As(err, &notConverged):
		return &StepError{Step: "access-verify", Err: err, Fix: "nothing was applied (rolled back); the files describe something Directus's tables cannot hold as written: compare with `trmctl access diff` on a running instance"}
	case err != nil:
		return &StepError{Step: "access-apply", Err: err, Fix: "nothing was applied (rolled back); " + accessFix(err)}
	}
	if b.cfg.SchemaApply == settings.ApplyDryRun || res.Plan.Empty() {
		b.step("access", t, "result", "dry run or nothing to do", "changes", len(res.Plan.Changes))
		return nil
	}
	if err := tx.Commit(ctx); err != nil {
		return &StepError{Step: "access-commit", Err: err, Fix: "the commit may not have happened; the next boot plans again from the live access model"}
	}
	out.AccessApplied = res.Applied
	if n.started {
		d, err := b.process(ctx, n)
		if err == nil {
			err = d.FlushCaches(ctx)
		}
		if err != nil {
			return &StepError{Step: "access-flush", Err: err, Fix: "the access model was applied; Directus's caches may hold the old permissions: flush the cache store (Redis) or restart once more"}
		}
	}
	c, u, d, _ := res.Plan.Counts()
	b.step("access", t, "applied", res.Applied, "create", c, "update", u, "delete", d)
	return nil
}
