// A course import's plan as POST /trm-course/apply takes it, read and
// checked before anything is written.
//
// Body: Content-Type application/vnd.trm.course-plan+json (not
// application/json: Directus's own JSON parser is limited by
// MAX_PAYLOAD_SIZE, 1 MB by default, which a roadbook's track exceeds; the
// endpoint reads its body itself, up to MAX_BODY bytes):
//   {"operations": [{"collection": "waypoints", "action": "create" | "update" | "delete",
//                    "id": "<uuid>", "data": {...}}, ...]}
// id is required for update and delete, and may be given on create (the
// new item's key); data for create and update. Only the course
// collections are accepted.
import { DirectusRuleError } from '../lib/errors.js';

export const CONTENT_TYPE = 'application/vnd.trm.course-plan+json';
export const MAX_BODY = 64 * 1024 * 1024;
export const MAX_OPERATIONS = 100_000;
export const COURSE_COLLECTIONS: ReadonlySet<string> = new Set(['stages', 'segments', 'geofences', 'waypoints', 'speed_limit_zones']);
const ACTIONS: ReadonlySet<string> = new Set(['create', 'update', 'delete']);

export type Operation =
	| { collection: string; action: 'create'; id?: string; data: Record<string, unknown> }
	| { collection: string; action: 'update'; id: string; data: Record<string, unknown> }
	| { collection: string; action: 'delete'; id: string };

/** A readable body: an Express request, or any Node stream. */
export interface BodyStream {
	on(event: 'data', listener: (chunk: Buffer) => void): unknown;
	on(event: 'end', listener: () => void): unknown;
	on(event: 'error', listener: (err: Error) => void): unknown;
	destroy(): unknown;
}

/** The body as text, refused (413) past max bytes, naming what (a plan), without reading the rest. */
export function readBody(req: BodyStream, max = MAX_BODY, what = 'plan'): Promise<string> {
	return new Promise((resolve, reject) => {
		const chunks: Buffer[] = [];
		let size = 0;
		let refused = false;
		req.on('data', (chunk) => {
			if (refused) return;
			size += chunk.length;
			if (size > max) {
				refused = true;
				reject(new DirectusRuleError(413, 'REQUEST_TOO_LARGE', `The ${what} is larger than ${max} bytes.`));
				req.destroy();
				return;
			}
			chunks.push(chunk);
		});
		req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
		req.on('error', reject);
	});
}

function isObject(v: unknown): v is Record<string, unknown> {
	return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The plan's text as its operations, or a 400 naming the first fault. */
export function parsePlan(text: string): Operation[] {
	const bad = (msg: string) => new DirectusRuleError(400, 'INVALID_PAYLOAD', `Invalid course plan: ${msg}`);
	let plan: unknown;
	try {
		plan = JSON.parse(text);
	} catch (err) {
		throw bad(`not JSON (${(err as Error).message}).`);
	}
	if (!isObject(plan) || !Array.isArray(plan.operations)) throw bad('expected {"operations": [...]}.');
	if (plan.operations.length > MAX_OPERATIONS) throw bad(`more than ${MAX_OPERATIONS} operations.`);
	plan.operations.forEach((op: unknown, i) => {
		if (!isObject(op)) throw bad(`operation ${i} is not an object.`);
		if (typeof op.collection !== 'string' || !COURSE_COLLECTIONS.has(op.collection)) {
			throw bad(`operation ${i}: collection ${JSON.stringify(op.collection)} is not a course collection.`);
		}
		if (typeof op.action !== 'string' || !ACTIONS.has(op.action)) {
			throw bad(`operation ${i}: action ${JSON.stringify(op.action)} is not create, update or delete.`);
		}
		if (op.action !== 'create' && typeof op.id !== 'string') throw bad(`operation ${i}: ${op.action} needs the item's id.`);
		if (op.action !== 'delete' && !isObject(op.data)) throw bad(`operation ${i}: ${op.action} needs data.`);
	});
	return plan.operations as Operation[];
}
