// rules: POST /trm-rules/apply inserts the new formula versions of a rules
// import (trmctl rules import) and the rulebook's marker on the event in
// ONE database transaction (plan.ts: the request; apply.ts: the
// transaction).
//
// Rules are never edited in place (docs/rules-model.md): this endpoint
// can only create penalty_formulas rows; it has no way to update or
// delete one, whatever the request says.
//
// Answer: 200 {"data": {"created": <n>, "event_updated": bool}}; an error
// as Directus answers one, a Directus error about a formula carrying
// extensions.formula (its index).
//
// Express 4 does not catch a rejected promise: the handler passes its
// errors to next().
import type { EndpointConfig } from '@directus/types';
import type { NextFunction, Request, Response } from 'express';
import type { Knex } from 'knex';
import { readBody } from '../course/plan.js';
import { DirectusRuleError } from '../lib/errors.js';
import { applyRulesPlan, type RulesItems } from './apply.js';
import { CONTENT_TYPE, MAX_BODY, parseRulesPlan } from './plan.js';

interface DirectusRequest {
	accountability?: { user?: string | null } | null;
	schema?: unknown;
}

type ItemsServiceClass = new (collection: string, options: { knex: Knex; schema: unknown; accountability: unknown }) => RulesItems;

const endpoint: EndpointConfig = {
	id: 'trm-rules',
	handler: (router, { services, database, emitter }) => {
		const ItemsService = services.ItemsService as unknown as ItemsServiceClass;
		router.post('/apply', (req: Request, res: Response, next: NextFunction) => {
			const run = async () => {
				const { accountability, schema } = req as Request & DirectusRequest;
				if (!accountability?.user) {
					throw new DirectusRuleError(401, 'INVALID_CREDENTIALS', 'Applying a rules plan needs an authenticated user.');
				}
				if (!req.is(CONTENT_TYPE)) throw new DirectusRuleError(415, 'UNSUPPORTED_MEDIA_TYPE', `Send the plan as ${CONTENT_TYPE}.`);
				const plan = parseRulesPlan(await readBody(req, MAX_BODY, 'rules plan'));
				const applied = await applyRulesPlan<Knex.Transaction>(
					(work) => database.transaction(work),
					(collection, trx) => new ItemsService(collection, { knex: trx, schema, accountability }),
					plan,
				);
				for (const a of applied.deferred) emitter.emitAction(a.event, a.meta, a.context);
				res.json({ data: { created: applied.created, event_updated: applied.eventUpdated } });
			};
			run().catch(next);
		});
	},
};

export default endpoint;
