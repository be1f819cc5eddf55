// timing: records who made the decisions of timing (record.ts says which
// and why) on every create and update through Directus (REST, GraphQL,
// the admin app, nested o2m edits). The processor writes straight to
// PostgreSQL and never decides: it inserts computed penalties and
// provisional results only (row-level security, db-init/post/003).
import type { HookConfig } from '@directus/types';
import type { Knex } from 'knex';
import { keysOf } from '../lib/hook-meta.js';
import { recordPenalty, recordResult, recordStart, type Writer } from './record.js';

interface Context {
	accountability?: { user?: string | null } | null;
	database?: Knex;
}

function writer(context: unknown): Writer {
	return { user: (context as Context | undefined)?.accountability?.user ?? null, now: new Date().toISOString() };
}

const hook: HookConfig = ({ filter }, { database }) => {
	filter('entry_penalties.items.create', (payload, _meta, context) => recordPenalty(payload, true, writer(context)));
	filter('entry_penalties.items.update', (payload, _meta, context) => recordPenalty(payload, false, writer(context)));

	filter('stage_results.items.create', (payload, _meta, context) => recordResult(payload, writer(context)));
	filter('stage_results.items.update', (payload, meta, context) => {
		const keys = keysOf(meta);
		// The lookup runs in the request's transaction when there is one.
		const db = (context as Context | undefined)?.database ?? (database as unknown as Knex);
		const wasOfficial =
			keys.length === 0
				? undefined
				: async () => (await db('stage_results').whereIn('id', keys).andWhere('status', 'official').first('id')) !== undefined;
		return recordResult(payload, writer(context), wasOfficial);
	});

	filter('entry_segment_starts.items.create', (payload, _meta, context) => recordStart(payload, writer(context)));
	filter('entry_segment_starts.items.update', (payload, _meta, context) => recordStart(payload, writer(context)));
};

export default hook;
