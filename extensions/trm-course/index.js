// trm-course: POST /trm-course/apply applies the plan of a course import
// (trmctl course import) in ONE database transaction, so that an import
// changes everything it planned or nothing at all.
//
// Each operation goes through Directus's ItemsService with the caller's
// accountability, exactly as POST/PATCH/DELETE /items would: permissions,
// field validation, filter hooks, activity and revisions apply. What
// differs is that all of them share one transaction: the first failure
// (or a deferred constraint at commit, db-init/post/002) rolls back every
// operation before it. Action hooks are emitted after the commit only, as
// Directus does for nested writes.
//
// Request: Content-Type application/vnd.trm.course-plan+json (not
// application/json: Directus's own JSON parser is limited by
// MAX_PAYLOAD_SIZE, 1 MB by default, which a roadbook's track exceeds;
// this endpoint reads its body itself, up to MAX_BODY bytes):
//   {"operations": [{"collection": "waypoints", "action": "create" | "update" | "delete",
//                    "id": "<uuid>", "data": {...}}, ...]}
// id is required for update and delete, and may be given on create (the
// new item's key); data for create and update. Only the course
// collections are accepted.
// Answer: 200 {"data": {"applied": <n>}}; an error as Directus answers
// one, a Directus error carrying extensions.operation (its index).

const COLLECTIONS = new Set(['stages', 'segments', 'geofences', 'waypoints', 'speed_limit_zones']);
const ACTIONS = new Set(['create', 'update', 'delete']);
const CONTENT_TYPE = 'application/vnd.trm.course-plan+json';
const MAX_BODY = 64 * 1024 * 1024;
const MAX_OPERATIONS = 100000;

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
				reject(new PlanError(413, 'REQUEST_TOO_LARGE', `The plan is larger than ${MAX_BODY} bytes.`));
				req.destroy();
				return;
			}
			chunks.push(chunk);
		});
		req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
		req.on('error', reject);
	});
}

function checkPlan(plan) {
	const bad = (msg) => new PlanError(400, 'INVALID_PAYLOAD', `Invalid course plan: ${msg}`);
	if (!plan || typeof plan !== 'object' || !Array.isArray(plan.operations)) throw bad('expected {"operations": [...]}.');
	if (plan.operations.length > MAX_OPERATIONS) throw bad(`more than ${MAX_OPERATIONS} operations.`);
	plan.operations.forEach((op, i) => {
		if (!op || typeof op !== 'object') throw bad(`operation ${i} is not an object.`);
		if (!COLLECTIONS.has(op.collection)) throw bad(`operation ${i}: collection ${JSON.stringify(op.collection)} is not a course collection.`);
		if (!ACTIONS.has(op.action)) throw bad(`operation ${i}: action ${JSON.stringify(op.action)} is not create, update or delete.`);
		if (op.action !== 'create' && typeof op.id !== 'string') throw bad(`operation ${i}: ${op.action} needs the item's id.`);
		if (op.action !== 'delete' && (!op.data || typeof op.data !== 'object' || Array.isArray(op.data))) throw bad(`operation ${i}: ${op.action} needs data.`);
	});
	return plan.operations;
}

export default {
	id: 'trm-course',
	handler: (router, { services, database, emitter }) => {
		router.post('/apply', async (req, res, next) => {
			try {
				if (!req.accountability?.user) throw new PlanError(401, 'INVALID_CREDENTIALS', 'Applying a course plan needs an authenticated user.');
				if (!req.is(CONTENT_TYPE)) throw new PlanError(415, 'UNSUPPORTED_MEDIA_TYPE', `Send the plan as ${CONTENT_TYPE}.`);
				let plan;
				try {
					plan = JSON.parse(await readBody(req));
				} catch (err) {
					if (err instanceof PlanError) throw err;
					throw new PlanError(400, 'INVALID_PAYLOAD', `Invalid course plan: not JSON (${err.message}).`);
				}
				const operations = checkPlan(plan);
				const deferred = [];
				await database.transaction(async (trx) => {
					for (const [i, op] of operations.entries()) {
						const items = new services.ItemsService(op.collection, { knex: trx, schema: req.schema, accountability: req.accountability });
						const opts = { bypassEmitAction: (params) => deferred.push(params) };
						try {
							if (op.action === 'create') {
								await items.createOne(op.id === undefined ? op.data : { ...op.data, id: op.id }, opts);
							} else if (op.action === 'update') {
								await items.updateOne(op.id, op.data, opts);
							} else {
								await items.deleteOne(op.id, opts);
							}
						} catch (err) {
							if (err?.name === 'DirectusError' && err.extensions && typeof err.extensions === 'object') {
								err.extensions.operation = i;
							}
							throw err;
						}
					}
				});
				for (const params of deferred) emitter.emitAction(params.event, params.meta, params.context);
				res.json({ data: { applied: operations.length } });
			} catch (err) {
				next(err);
			}
		});
	},
};
