// closing-times: keeps control_closing_times (recompute.ts) in step with
// the writes through Directus that move a closing time (triggers.ts): a
// start created, edited (a timekeeper's target time) or deleted; a
// segment's target duration or allowed lateness; a waypoint that becomes
// or stops being a TC or CP, or moves; a stage opened, closed or set
// back; an entry withdrawn or reinstated.
//
// Action hooks, after Directus committed the write, each stage in a
// transaction of its own: Directus 11 runs the filter hooks of an update
// or a delete outside the write's transaction (items service: emitFilter
// with this.knex, then transaction()), before the write, so no hook sees
// the new rows inside the transaction that writes them. A recompute that
// fails is logged and leaves the previous closing times; the next write
// that touches the stage, or the stage's opening, recomputes them all.
// Writes that bypass Directus (stage open's SQL materialisation, the
// processor) call recomputeClosingTimes themselves.
import type { HookConfig } from '@directus/types';
import type { Knex } from 'knex';
import { recomputeClosingTimes } from './recompute.js';
import { keysOf } from '../lib/hook-meta.js';
import { relevant, stagesBindings, stagesQuery, WATCHED, type Write } from './triggers.js';

export { recomputeClosingTimes } from './recompute.js';

const hook: HookConfig = ({ action }, { database, logger }) => {
	const db = database as unknown as Knex;
	for (const [collection, events] of Object.entries(WATCHED)) {
		for (const event of events) {
			action(`${collection}.items.${event}`, async (meta) => {
				const w: Write = { collection, event, keys: keysOf(meta), payload: (meta as { payload?: unknown }).payload };
				if (w.keys.length === 0 || !relevant(w)) return;
				let stages: string[];
				try {
					const rows = await db.raw(stagesQuery(w), stagesBindings(w));
					stages = [...new Set((rows.rows as { stage_id: string }[]).map((r) => r.stage_id))];
				} catch (err) {
					logger.error(`trm closing times: after ${collection}.${event} of ${w.keys.join(', ')}, finding the stages failed: ${(err as Error).message}`);
					return;
				}
				for (const stage of stages) {
					try {
						const r = await recomputeClosingTimes(db, stage);
						logger.debug(`trm closing times: stage ${stage} (${r.status}): ${r.written} written, ${r.removed} removed`);
					} catch (err) {
						logger.error(`trm closing times: recomputing stage ${stage} after ${collection}.${event} failed: ${(err as Error).message}`);
					}
				}
			});
		}
	}
};

export default hook;
