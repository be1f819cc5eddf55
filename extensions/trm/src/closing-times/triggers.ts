// Which writes through Directus change closing times, and which stages
// they touch. Pure: the hook (index.ts) runs the queries.

import type { ItemKey as Key } from '../lib/hook-meta.js';

/** A write Directus reported after its commit (an action hook's meta). */
export interface Write {
	collection: string;
	event: 'create' | 'update' | 'delete';
	keys: Key[];
	payload: unknown;
}

/**
 * The fields whose change can move a closing time, per collection: a
 * start's target time, segment or entry; a segment's durations (or its
 * stage); a waypoint's type, place in the segment (first, at 0 km) or
 * segment; a stage's status; an entry's status (withdrawn or not).
 */
export const RELEVANT: Record<string, readonly string[]> = {
	entry_segment_starts: ['target_at', 'segment_id', 'entry_id'],
	segments: ['target_duration_seconds', 'allowed_lateness_seconds', 'stage_id'],
	waypoints: ['type', 'sort_order', 'distance_km', 'segment_id'],
	stages: ['status'],
	entries: ['status'],
};

/** The collections whose writes the hook watches, and for which events. */
export const WATCHED: Record<string, readonly Write['event'][]> = {
	entry_segment_starts: ['create', 'update', 'delete'],
	segments: ['update'],
	waypoints: ['create', 'update', 'delete'],
	stages: ['update'],
	entries: ['update'],
};

/**
 * Whether the write can change a closing time. A create or delete of a
 * start or a waypoint always can (a waypoint deleted may leave another
 * one its segment's first); an update only when it writes a relevant
 * field. A segment or stage deleted takes its closing times with it (ON
 * DELETE CASCADE); an entry with starts cannot be deleted.
 */
export function relevant(w: Write): boolean {
	if (!WATCHED[w.collection]?.includes(w.event)) return false;
	if (w.event !== 'update') return true;
	if (typeof w.payload !== 'object' || w.payload === null || Array.isArray(w.payload)) return true;
	const fields = RELEVANT[w.collection] ?? [];
	return Object.keys(w.payload).some((f) => fields.includes(f));
}

/**
 * The SQL (with the keys as the binding ?) that lists the stages to
 * recompute after the write: the stage the written rows are in now, and
 * the stages whose stored closing times came from them (a start, segment
 * or waypoint moved elsewhere leaves a stage that must lose or change
 * them). After a start is deleted, the stored rows it was the last
 * starter of have lost their start (ON DELETE SET NULL): those stages.
 */
export function stagesQuery(w: Write): string {
	switch (w.collection) {
		case 'entry_segment_starts':
			if (w.event === 'delete') return `SELECT DISTINCT stage_id FROM control_closing_times WHERE last_start_id IS NULL`;
			return `SELECT sg.stage_id FROM entry_segment_starts st JOIN segments sg ON sg.id = st.segment_id WHERE st.id = ANY(?)
				UNION SELECT stage_id FROM control_closing_times WHERE last_start_id = ANY(?)`;
		case 'segments':
			return `SELECT stage_id FROM segments WHERE id = ANY(?)
				UNION SELECT c.stage_id FROM control_closing_times c JOIN waypoints w ON w.id = c.waypoint_id WHERE w.segment_id = ANY(?)`;
		case 'waypoints':
			// A deleted waypoint's segment is gone from the database: every
			// open stage (a handful at most: the stages of the day).
			if (w.event === 'delete') return `SELECT id AS stage_id FROM stages WHERE status = 'open'`;
			return `SELECT sg.stage_id FROM waypoints w JOIN segments sg ON sg.id = w.segment_id WHERE w.id = ANY(?)
				UNION SELECT stage_id FROM control_closing_times WHERE waypoint_id = ANY(?)`;
		case 'stages':
			return `SELECT id AS stage_id FROM stages WHERE id = ANY(?)`;
		case 'entries':
			return `SELECT DISTINCT sg.stage_id FROM entry_segment_starts st JOIN segments sg ON sg.id = st.segment_id
				JOIN stages s ON s.id = sg.stage_id WHERE st.entry_id = ANY(?) AND s.status = 'open'`;
	}
	throw new Error(`closing times: no stage query for ${w.collection}`);
}

/** The bindings of stagesQuery: the keys as one array (node-postgres sends it as a PostgreSQL array, for = ANY(?)), once per ? in it. */
export function stagesBindings(w: Write): Key[][] {
	const n = (stagesQuery(w).match(/\?/g) ?? []).length;
	return Array.from({ length: n }, () => w.keys.map(String));
}
