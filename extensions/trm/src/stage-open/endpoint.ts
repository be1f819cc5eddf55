// stage-open (endpoint): POST /trm/stages/:id/open opens a stage and
// answers its start list; with ?dry-run (or ?dry-run=true) it answers the
// plan, the start list and what it changes, and writes nothing
// (docs/stage-open.md).
//
// The start list and the status change are one transaction: the status is
// set through ItemsService with the caller's accountability on that
// transaction (Directus's permissions, activity and cache), after the
// start list; the first refusal rolls both back. An open stage is planned
// again (entries registered since get a start), its status left as it is.
//
// Express 4 does not catch a rejected promise: every handler passes its
// errors to next().
import type { EndpointConfig } from '@directus/types';
import type { NextFunction, Request, Response } from 'express';
import type { Knex } from 'knex';
import type { DeferredAction, MutationOptions } from '../lib/deferred.js';
import { invalidPayload } from '../lib/errors.js';
import { recomputeClosingTimes } from '../closing-times/recompute.js';
import { authoriseOpen, lockStage, materialise, type OpenResult } from './open.js';
import { markOpened } from './opened.js';

interface DirectusRequest {
	accountability?: { user?: string | null; admin?: boolean } | null;
	schema?: unknown;
}

type ItemsServiceClass = new (
	collection: string,
	options: { knex: Knex; schema: unknown; accountability: unknown },
) => { updateOne(key: string, data: Record<string, unknown>, opts: MutationOptions): Promise<unknown> };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** ?dry-run, ?dry-run=true: a plan; absent or false: open. */
export function parseDryRun(query: Record<string, unknown>): boolean {
	const v = query['dry-run'];
	if (v === undefined || v === 'false') return false;
	if (v === '' || v === 'true') return true;
	throw invalidPayload(`dry-run is true (answer the plan, write nothing) or false, not ${JSON.stringify(v)}.`, { field: 'dry-run' });
}

const endpoint: EndpointConfig = {
	id: 'trm',
	handler: (router, { services, database, emitter }) => {
		const ItemsService = services.ItemsService as unknown as ItemsServiceClass;
		const db = database as unknown as Knex;
		router.post('/stages/:id/open', (req: Request, res: Response, next: NextFunction) => {
			const run = async () => {
				const { accountability, schema } = req as Request & DirectusRequest;
				const caller = { user: accountability?.user ?? null, admin: accountability?.admin === true };
				const id = String(req.params.id);
				const dryRun = parseDryRun(req.query as Record<string, unknown>);
				if (!UUID.test(id)) throw invalidPayload(`The stage must be named by its id (a UUID), not ${JSON.stringify(id)}.`, { field: 'stage' });
				const deferred: DeferredAction[] = [];
				let result: OpenResult | undefined;
				const work = async (trx: Knex.Transaction) => {
					const stage = await authoriseOpen(trx, caller, await lockStage(trx, id), id);
					result = await materialise(trx, stage, dryRun);
					// A dry run wrote nothing: its commit ends the lock.
					if (dryRun) return;
					markOpened(trx, id);
					if (stage.status !== 'open') {
						await new ItemsService('stages', { knex: trx, schema, accountability }).updateOne(
							id,
							{ status: 'open' },
							{ bypassEmitAction: (a) => deferred.push(a) },
						);
					}
					// The closing times commit with the start list they come from.
					await recomputeClosingTimes(trx, id);
				};
				await db.transaction(work);
				for (const a of deferred) emitter.emitAction(a.event, a.meta, a.context);
				res.json({ data: result });
			};
			run().catch(next);
		});
	},
};

export default endpoint;
