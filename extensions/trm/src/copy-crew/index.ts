// The copy-crew endpoint (docs/copy-crew.md):
//
//   POST /trm/entries/:target/copy-crew  {"from": <entry id>, "trackers": true|false}
//
// copies the crew (and, if asked, the trackers) of entry from onto entry
// target, typically last year's entry of the same team, skipping people
// (and trackers) already on board; in one transaction; only when
// Directus's permissions let the caller read the source and add crew
// members (and trackers) to the target (copy.ts).
//
// It shares the id trm with the positions endpoint: Directus mounts each
// endpoint's router at /<id>, and Express passes a request the first
// router does not match on to the next.
//
// Express 4 does not catch a rejected promise: the handler passes its
// errors to next().
import type { EndpointConfig } from '@directus/types';
import type { NextFunction, Request, Response } from 'express';
import type { Knex } from 'knex';
import { copyCrew, type CopyItems } from './copy.js';
import { parseCopyCrewRequest } from './request.js';

interface DirectusRequest {
	accountability?: { user?: string | null; admin?: boolean } | null;
	schema?: unknown;
}

type ItemsServiceClass = new (collection: string, options: { knex: Knex; schema: unknown; accountability: unknown }) => CopyItems;

const endpoint: EndpointConfig = {
	id: 'trm',
	handler: (router, { services, database, emitter, getSchema }) => {
		const ItemsService = services.ItemsService as unknown as ItemsServiceClass;
		router.post('/entries/:target/copy-crew', (req: Request, res: Response, next: NextFunction) => {
			const run = async () => {
				const request = parseCopyCrewRequest(req.params.target, req.body);
				const { accountability, schema: reqSchema } = req as Request & DirectusRequest;
				const schema = reqSchema ?? (await getSchema());
				// Without an accountability Directus would read as the system:
				// an anonymous caller is one with no user.
				const acc = accountability ?? { user: null, admin: false, role: null, roles: [] };
				const { result, deferred } = await copyCrew<Knex.Transaction>(
					(work) => database.transaction(work),
					(collection, trx) => new ItemsService(collection, { knex: trx, schema, accountability: acc }),
					{ user: acc.user ?? null, admin: acc.admin === true },
					request,
				);
				for (const a of deferred) emitter.emitAction(a.event, a.meta, a.context);
				res.json({ data: result });
			};
			run().catch(next);
		});
	},
};

export default endpoint;
