// The closing time of each time control (TC) and checkpoint (CP) of a
// stage, stored in control_closing_times (docs/control-closing-times.md
// has the formula and why):
//
//   due(entry, control) = the entry's target_at for the control's segment
//                           when the control is at the segment's start
//                           (at 0 km; without a distance: the segment's
//                           first waypoint);
//                         target_at + the segment's target_duration_seconds
//                           otherwise (at its end or inside it)
//   closes_at(control)  = max over the starters of due(entry, control)
//                         + the segment's allowed_lateness_seconds
//
// A starter is an entry with a start in the segment, a target time, and
// not withdrawn. No closing time when the segment has no allowed lateness,
// or (for a control past the start) no target duration, or nobody starts.
//
// Only an open stage's closing times are computed; a closed stage keeps
// the ones it closed with; any other status (draft, published, cancelled)
// has none. Set-based SQL, in the caller's transaction (one is opened if
// the caller has none), serialised per stage by an advisory lock so that
// concurrent recomputes of a stage end with the last one's view.
import type { Knex } from 'knex';

/** What a recompute did to the stage's closing times. */
export interface RecomputeResult {
	/** The stage's status, or null when the stage does not exist. */
	status: string | null;
	/** Rows written (new, or with a changed value). */
	written: number;
	/** Rows removed (a control that no longer closes, or a stage no longer open). */
	removed: number;
}

/** Namespace of the per-stage advisory lock (pg_advisory_xact_lock(int, int)). */
export const LOCK_NAMESPACE = 'trm:control_closing_times';

/**
 * The closing time of every control of the stage, as the stage's status,
 * segments, waypoints and start list say now. Controls that no longer
 * close lose their row; a row whose values did not change is left alone
 * (computed_at is when a recompute last changed it).
 */
export async function recomputeClosingTimes(db: Knex, stageId: string): Promise<RecomputeResult> {
	if (!db.isTransaction) return db.transaction((trx) => recomputeClosingTimes(trx, stageId));
	await db.raw('SELECT pg_advisory_xact_lock(hashtext(?), hashtext(?))', [LOCK_NAMESPACE, stageId]);
	const stage = (await db('stages').where('id', stageId).first('status')) as { status: string } | undefined;
	if (!stage) return { status: null, written: 0, removed: 0 };
	if (stage.status === 'closed') return { status: stage.status, written: 0, removed: 0 };
	if (stage.status !== 'open') {
		const removed = await db('control_closing_times').where('stage_id', stageId).delete();
		return { status: stage.status, written: 0, removed };
	}
	const written = await db.raw(UPSERT, { stage: stageId });
	const removed = await db.raw(REMOVE_STALE, { stage: stageId });
	return { status: stage.status, written: written.rowCount ?? 0, removed: removed.rowCount ?? 0 };
}

/**
 * The last starter at each control of the open stage :stage, with its due
 * time and the segment's lateness. A control is at its segment's start
 * when its distance_km is 0, or, without a distance, when it is the
 * segment's first waypoint (by sort order). Ties of the last due time go to the smallest start id, so
 * that a recompute of unchanged data changes nothing.
 */
export const LAST_STARTERS = `
	WITH controls AS (
		SELECT w.id AS waypoint_id, w.segment_id, w.type, sg.target_duration_seconds, sg.allowed_lateness_seconds,
		       coalesce(w.distance_km = 0, w.sort_order = min(w.sort_order) OVER (PARTITION BY w.segment_id)) AS at_start
		  FROM waypoints w
		  JOIN segments sg ON sg.id = w.segment_id
		 WHERE sg.stage_id = :stage
	), due AS (
		SELECT c.waypoint_id, st.id AS start_id, st.entry_id, c.allowed_lateness_seconds,
		       CASE WHEN c.at_start THEN st.target_at
		            ELSE st.target_at + make_interval(secs => c.target_duration_seconds) END AS due_at
		  FROM controls c
		  JOIN entry_segment_starts st ON st.segment_id = c.segment_id
		  JOIN entries e ON e.id = st.entry_id
		 WHERE c.type IN ('TC', 'CP')
		   AND c.allowed_lateness_seconds IS NOT NULL
		   AND (c.at_start OR c.target_duration_seconds IS NOT NULL)
		   AND st.target_at IS NOT NULL
		   AND e.status <> 'withdrawn'
	)
	SELECT DISTINCT ON (waypoint_id) waypoint_id, start_id, entry_id, due_at, allowed_lateness_seconds
	  FROM due
	 ORDER BY waypoint_id, due_at DESC, start_id`;

const UPSERT = `
	INSERT INTO control_closing_times AS c
	       (id, stage_id, waypoint_id, closes_at, due_at, allowed_lateness_seconds, last_entry_id, last_start_id, computed_at)
	SELECT gen_random_uuid(), :stage, l.waypoint_id, l.due_at + make_interval(secs => l.allowed_lateness_seconds), l.due_at,
	       l.allowed_lateness_seconds, l.entry_id, l.start_id, now()
	  FROM (${LAST_STARTERS}) l
	    ON CONFLICT (waypoint_id) DO UPDATE
	   SET stage_id = EXCLUDED.stage_id, closes_at = EXCLUDED.closes_at, due_at = EXCLUDED.due_at,
	       allowed_lateness_seconds = EXCLUDED.allowed_lateness_seconds, last_entry_id = EXCLUDED.last_entry_id,
	       last_start_id = EXCLUDED.last_start_id, computed_at = EXCLUDED.computed_at
	 WHERE (c.stage_id, c.closes_at, c.due_at, c.allowed_lateness_seconds, c.last_entry_id, c.last_start_id)
	       IS DISTINCT FROM (EXCLUDED.stage_id, EXCLUDED.closes_at, EXCLUDED.due_at, EXCLUDED.allowed_lateness_seconds,
	                         EXCLUDED.last_entry_id, EXCLUDED.last_start_id)`;

const REMOVE_STALE = `
	DELETE FROM control_closing_times c
	 WHERE c.stage_id = :stage
	   AND NOT EXISTS (SELECT 1 FROM (${LAST_STARTERS}) l WHERE l.waypoint_id = c.waypoint_id)`;
