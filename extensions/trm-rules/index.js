// trm-rules: POST /trm-rules/apply inserts the new formula versions of a
// rules import (trmctl rules import) and the rulebook's marker on the
// event in ONE database transaction: an import adds every version it
// planned or none.
//
// Rules are never edited in place (docs/rules-model.md): this endpoint
// can only create penalty_formulas rows; it has no way to update or
// delete one, whatever the request says. Each write goes through
// Directus's ItemsService with the caller's accountability, exactly as
// POST /items/penalty_formulas and PATCH /items/events/<id> would:
// permissions, field validation, filter hooks, activity and revisions
// apply, and the database's rules (db-init/post/003: no overlapping
// brackets, versions that supersede existing ones) are checked in the
// transaction, the deferred ones at commit. Action hooks are emitted after
// the commit only. The transaction is the pattern of trm-course.
//
// Request: Content-Type application/vnd.trm.rules-plan+json (read here,
// up to MAX_BODY bytes: Directus's own JSON parser is capped by
// MAX_PAYLOAD_SIZE, 1 MB by default, which a large rulebook's rows may
// exceed):
//   {"event": "<uuid>",
//    "rulebook": {"rules_placeholder": bool, "rules_note": string | null} | null,
//    "formulas": [{"event_id": "<uuid>", "rule_key": ..., "version": ..., ...}, ...]}
// Every formula must be of the event and carry no id. rulebook null
// leaves the event as it is.
// Answer: 200 {"data": {"created": <n>, "event_updated": bool}}; an error
// as Directus answers one, a Directus error about a formula carrying
// extensions.formula (its index).

const CONTENT_TYPE = 'application/vnd.trm.rules-plan+json';
const MAX_BODY = 16 * 1024 * 1024;
const MAX_FORMULAS = 100000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

// Directus's error handler recognises an error by its name and uses its
// code, status, message and extensions (as in trm-constraint-errors).
class PlanError extends Error {
	constructor(status, code, message, extensions = {}) {
		super(message);
		this.name = 'DirectusError';
		this.status = status;
		this.code = code;
		this.extensions = extensions;
	}
}

function readBody(req) {
	return new Promise((resolve, reject) => {
		const chunks = [];
		let size = 0;
		req.on('data', (chunk) => {
			size += chunk.length;
			if (size > MAX_BODY) {
				reject(new PlanError(413, 'REQUEST_TOO_LARGE', `The rules plan is larger than ${MAX_BODY} bytes.`));
				req.destroy();
				return;
			}
			chunks.push(chunk);
		});
		req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
		req.on('error', reject);
	});
}

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

function checkPlan(plan) {
	const bad = (msg) => new PlanError(400, 'INVALID_PAYLOAD', `Invalid rules plan: ${msg}`);
	if (!isObject(plan) || typeof plan.event !== 'string' || !Array.isArray(plan.formulas)) {
		throw bad('expected {"event": "<id>", "rulebook": {...} | null, "formulas": [...]}.');
	}
	if (!UUID.test(plan.event)) throw bad('event is not an id.');
	if (plan.formulas.length > MAX_FORMULAS) throw bad(`more than ${MAX_FORMULAS} formulas.`);
	if (plan.rulebook !== undefined && plan.rulebook !== null) {
		const keys = Object.keys(plan.rulebook ?? {});
		if (!isObject(plan.rulebook) || keys.some((k) => k !== 'rules_placeholder' && k !== 'rules_note')) {
			throw bad('rulebook holds rules_placeholder and rules_note only.');
		}
	}
	plan.formulas.forEach((f, i) => {
		if (!isObject(f)) throw bad(`formula ${i} is not an object.`);
		if ('id' in f) throw bad(`formula ${i} has an id: the endpoint creates new rows, it never writes an existing one.`);
		if (f.event_id !== plan.event) throw bad(`formula ${i} is not of the event ${plan.event}.`);
	});
	return plan;
}

export default {
	id: 'trm-rules',
	handler: (router, { services, database, emitter }) => {
		router.post('/apply', async (req, res, next) => {
			try {
				if (!req.accountability?.user) throw new PlanError(401, 'INVALID_CREDENTIALS', 'Applying a rules plan needs an authenticated user.');
				if (!req.is(CONTENT_TYPE)) throw new PlanError(415, 'UNSUPPORTED_MEDIA_TYPE', `Send the plan as ${CONTENT_TYPE}.`);
				let plan;
				try {
					plan = JSON.parse(await readBody(req));
				} catch (err) {
					if (err instanceof PlanError) throw err;
					throw new PlanError(400, 'INVALID_PAYLOAD', `Invalid rules plan: not JSON (${err.message}).`);
				}
				checkPlan(plan);
				const deferred = [];
				const opts = { bypassEmitAction: (params) => deferred.push(params) };
				const service = (collection, trx) =>
					new services.ItemsService(collection, { knex: trx, schema: req.schema, accountability: req.accountability });
				let eventUpdated = false;
				await database.transaction(async (trx) => {
					const formulas = service('penalty_formulas', trx);
					for (const [i, f] of plan.formulas.entries()) {
						try {
							await formulas.createOne(f, opts);
						} catch (err) {
							if (err?.name === 'DirectusError' && isObject(err.extensions)) err.extensions.formula = i;
							throw err;
						}
					}
					if (plan.rulebook) {
						await service('events', trx).updateOne(plan.event, plan.rulebook, opts);
						eventUpdated = true;
					}
				});
				for (const params of deferred) emitter.emitAction(params.event, params.meta, params.context);
				res.json({ data: { created: plan.formulas.length, event_updated: eventUpdated } });
			} catch (err) {
				next(err);
			}
		});
	},
};
