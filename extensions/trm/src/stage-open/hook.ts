// stage-open (hook): a stage set to open through Directus (the admin app's
// status field, PATCH /items/stages) gets its start list
// (entry_segment_starts) in the same transaction as its status
// (docs/stage-open.md).
//
// Directus 11.17.4 emits the update filter before it opens the update's
// transaction, except in a batch update (and a write made by an extension
// inside its own transaction, like the stage-open endpoint's), where the
// filter receives that transaction. In a transaction, the start list is
// written there and commits with the status. Outside one, the hook opens
// its own transaction and writes the start list, the status and the
// stage's control closing times there (in a batch, the closing-times hook
// computes them once the status is committed); the
// update Directus makes next then writes the status again (no change) and
// records the activity. A payload that opens a stage and changes its start
// settings at once is refused there: the settings would be written after
// the start list they shape.
import type { HookConfig } from '@directus/types';
import type { Knex } from 'knex';
import { invalidPayload } from '../lib/errors.js';
import { keysOf } from '../lib/hook-meta.js';
import { recomputeClosingTimes } from '../closing-times/recompute.js';
import { authoriseOpen, lockStage, materialise, START_SETTINGS, withSettings, type Caller } from './open.js';
import { wasOpened } from './opened.js';

type Payload = Record<string, unknown>;

interface Context {
	accountability?: { user?: string | null; admin?: boolean } | null;
	database?: Knex;
}

function isObject(v: unknown): v is Payload {
	return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A write without accountability is the system's own (Directus grants it everything). */
function callerOf(context: Context): Caller {
	const acc = context.accountability;
	if (!acc) return { user: null, admin: true };
	return { user: acc.user ?? null, admin: acc.admin === true };
}

const hook: HookConfig = ({ filter }, { database }) => {
	filter<Payload>('stages.items.create', (payload) => {
		if (isObject(payload) && payload.status === 'open') {
			throw invalidPayload('A stage is created closed to entries: create it, then set its status to open (which builds its start list).', {
				collection: 'stages',
				field: 'status',
			});
		}
		return payload;
	});

	filter<Payload>('stages.items.update', async (payload, meta, ctx) => {
		if (!isObject(payload) || payload.status !== 'open') return payload;
		const context = ctx as Context;
		const caller = callerOf(context);
		const db = context.database ?? (database as unknown as Knex);
		for (const key of keysOf(meta).map(String)) {
			if (db.isTransaction) {
				if (wasOpened(db, key)) continue;
				const stage = await lockStage(db, key);
				if (stage?.status === 'open') continue;
				await materialise(db, withSettings(await authoriseOpen(db, caller, stage, key), payload), false);
				continue;
			}
			const changed = START_SETTINGS.filter((f) => f in payload);
			if (changed.length > 0) {
				throw invalidPayload(`Save the start settings (${changed.join(', ')}) first, then set the status to open: the start list is built from the saved settings.`, {
					collection: 'stages',
					field: 'status',
				});
			}
			await db.transaction(async (trx) => {
				const stage = await lockStage(trx, key);
				if (stage?.status === 'open') return;
				await materialise(trx, await authoriseOpen(trx, caller, stage, key), false);
				await trx('stages').where('id', key).update({ status: 'open' });
				await recomputeClosingTimes(trx, key);
			});
		}
		return payload;
	});
};

export default hook;
