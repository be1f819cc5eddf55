// course: POST /trm-course/apply applies the plan of a course import
// (trmctl course import) in one database transaction, so that an import
// changes everything it planned or nothing at all (plan.ts: the request;
// apply.ts: the transaction).
//
// Answer: 200 {"data": {"applied": <n>}}; an error as Directus answers
// one, a Directus error carrying extensions.operation (its index).
//
// Express 4 does not catch a rejected promise: every handler passes its
// errors to next().
import type { EndpointConfig } from '@directus/types';
import type { NextFunction, Request, Response } from 'express';
import type { Knex } from 'knex';
import { DirectusRuleError } from '../lib/errors.js';
import { applyPlan, type CourseItems } from './apply.js';
import { CONTENT_TYPE, parsePlan, readBody } from './plan.js';

interface DirectusRequest {
	accountability?: { user?: string | null } | null;
	schema?: unknown;
}

type ItemsServiceClass = new (collection: string, options: { knex: Knex; schema: unknown; accountability: unknown }) => CourseItems;

const endpoint: EndpointConfig = {
	id: 'trm-course',
	handler: (router, { services, database, emitter }) => {
		const ItemsService = services.ItemsService as unknown as ItemsServiceClass;
		router.post('/apply', (req: Request, res: Response, next: NextFunction) => {
			const run = async () => {
				const { accountability, schema } = req as Request & DirectusRequest;
				if (!accountability?.user) {
					throw new DirectusRuleError(401, 'INVALID_CREDENTIALS', 'Applying a course plan needs an authenticated user.');
				}
				if (!req.is(CONTENT_TYPE)) throw new DirectusRuleError(415, 'UNSUPPORTED_MEDIA_TYPE', `Send the plan as ${CONTENT_TYPE}.`);
				const operations = parsePlan(await readBody(req));
				const deferred = await applyPlan<Knex.Transaction>(
					(work) => database.transaction(work),
					(collection, trx) => new ItemsService(collection, { knex: trx, schema, accountability }),
					operations,
				);
				for (const a of deferred) emitter.emitAction(a.event, a.meta, a.context);
				res.json({ data: { applied: operations.length } });
			};
			run().catch(next);
		});
	},
};

export default endpoint;
