package migrations

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Baseline records the files of the given phases (all when none) numbered
// up to through as applied, without running them: for a database where
// they were applied by hand before the ledger existed. Their current
// checksums are recorded. Files already in the ledger are left alone.
func (p *Provider) Baseline(ctx context.Context, through int64, phases ...Phase) ([]Migration, error) {
	if through < 1 {
		return nil, fmt.Errorf("baseline: version %d: must be 1 or more", through)
	}
	var done []Migration
	err := p.locked(ctx, func(s *session) error {
		rows, err := p.readLedger(ctx, s.conn)
		if err != nil {
			return err
		}
		rep := p.compare(rows, phases)
		var blocking []Violation
		for _, v := range rep.Violations {
			// Baselining is how an out-of-order file that was applied by
			// hand gets into the ledger.
			if v.Kind == OutOfOrder && v.Version <= through && phaseSet(phases)[v.Phase] {
				continue
			}
			blocking = append(blocking, v)
		}
		if len(blocking) > 0 {
			return &GuardError{Violations: blocking}
		}
		selected := phaseSet(phases)
		recorded := map[string]bool{}
		for _, r := range rows {
			recorded[r.name] = true
		}
		batch := &pgx.Batch{}
		for _, m := range p.migrations {
			if !selected[m.Phase] || m.Version > through || recorded[m.Name] {
				continue
			}
			batch.Queue("INSERT INTO "+p.ledger+" (phase, version, name, path, checksum, state, applied_by) VALUES ($1, $2, $3, $4, $5, 'baselined', $6)",
				string(m.Phase), m.Version, m.Name, m.Path, m.Checksum, p.appliedBy)
			done = append(done, m)
		}
		if len(done) == 0 {
			return nil
		}
		if err := pgx.BeginFunc(ctx, s.conn, func(tx pgx.Tx) error {
			return tx.SendBatch(ctx, batch).Close()
		}); err != nil {
			return p.dbError(ctx, "write the ledger", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return done, nil
}

// RepairRequest says what to repair. Files are named as "pre/001_name",
// "001_name" or "name".
type RepairRequest struct {
	// RetryStarted forgets every started (never finished) no-transaction
	// file not listed in MarkApplied, so that the next run executes it
	// again. Such files must be idempotent, as every db-init file is.
	RetryStarted bool
	// MarkApplied lists started files that did finish: they are recorded
	// as applied.
	MarkApplied []string
	// AcceptChecksum lists changed files whose edit is known to be
	// harmless: their current checksum is recorded.
	AcceptChecksum []string
	// Forget lists ledger rows of files removed from the source on purpose.
	Forget []string
}

// RepairAction is one change Repair made to the ledger.
type RepairAction struct {
	Path   string
	Action string
}

// Repair fixes the ledger as the request says, in one transaction under
// the migration lock. A target in the wrong state is a *RepairError and
// nothing is changed.
func (p *Provider) Repair(ctx context.Context, req RepairRequest) ([]RepairAction, error) {
	var actions []RepairAction
	err := p.locked(ctx, func(s *session) error {
		rows, err := p.readLedger(ctx, s.conn)
		if err != nil {
			return err
		}
		rep := p.compare(rows, nil)
		find := func(target string, want State) (FileStatus, error) {
			for _, f := range rep.Files {
				stem := strings.TrimSuffix(path.Base(f.Path), ".sql")
				if target == f.Name || target == stem || target == string(f.Phase)+"/"+stem {
					if f.State != want {
						return f, &RepairError{Target: target, Reason: fmt.Sprintf("it is %s, not %s", f.State, want)}
					}
					return f, nil
				}
			}
			return FileStatus{}, &RepairError{Target: target, Reason: "no such file in the source or the ledger (name it as pre/001_name, 001_name or name)"}
		}
		batch := &pgx.Batch{}
		handled := map[string]bool{}
		add := func(f FileStatus, action, sql string, args ...any) {
			batch.Queue(sql, args...)
			actions = append(actions, RepairAction{Path: f.Path, Action: action})
			handled[f.Path] = true
		}
		where := " WHERE phase = $1 AND version = $2"
		for _, t := range req.MarkApplied {
			f, err := find(t, StateStarted)
			if err != nil {
				return err
			}
			add(f, "marked applied", "UPDATE "+p.ledger+" SET state = 'applied', applied_by = applied_by || ' (repaired by ' || $3 || ')'"+where, string(f.Phase), f.Version, p.appliedBy)
		}
		for _, t := range req.AcceptChecksum {
			f, err := find(t, StateChanged)
			if err != nil {
				return err
			}
			add(f, fmt.Sprintf("accepted checksum %.12s (was %.12s)", f.Checksum, f.LedgerChecksum), "UPDATE "+p.ledger+" SET checksum = $3"+where, string(f.Phase), f.Version, f.Checksum)
		}
		for _, t := range req.Forget {
			f, err := find(t, StateMissing)
			if err != nil {
				return err
			}
			add(f, "forgotten", "DELETE FROM "+p.ledger+where, string(f.Phase), f.Version)
		}
		if req.RetryStarted {
			for _, f := range rep.Files {
				if f.State == StateStarted && !handled[f.Path] {
					add(f, "will run again", "DELETE FROM "+p.ledger+where+" AND state = 'started'", string(f.Phase), f.Version)
				}
			}
		}
		if batch.Len() == 0 {
			return nil
		}
		if err := pgx.BeginFunc(ctx, s.conn, func(tx pgx.Tx) error {
			return tx.SendBatch(ctx, batch).Close()
		}); err != nil {
			return p.dbError(ctx, "write the ledger", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return actions, nil
}
