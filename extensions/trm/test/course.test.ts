import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { applyPlan, type CourseItems } from '../src/course/apply.js';
import type { DeferredAction } from '../src/lib/deferred.js';
import { MAX_OPERATIONS, parsePlan, readBody, type BodyStream } from '../src/course/plan.js';
import { DirectusRuleError } from '../src/lib/errors.js';

function planError(text: string): DirectusRuleError {
	try {
		parsePlan(text);
	} catch (err) {
		return err as DirectusRuleError;
	}
	throw new Error(`accepted ${text}`);
}

describe('parsePlan', () => {
	it('accepts creates, updates and deletes of the course collections', () => {
		const ops = parsePlan(
			JSON.stringify({
				operations: [
					{ collection: 'geofences', action: 'create', id: 'g1', data: { name: 'S1 DSS' } },
					{ collection: 'waypoints', action: 'create', data: { sort_order: 1 } },
					{ collection: 'stages', action: 'update', id: 's1', data: { name: 'S1' } },
					{ collection: 'speed_limit_zones', action: 'delete', id: 'z1' },
					{ collection: 'segments', action: 'delete', id: 'x' },
				],
			}),
		);
		expect(ops.map((o) => `${o.action} ${o.collection}`)).toEqual([
			'create geofences',
			'create waypoints',
			'update stages',
			'delete speed_limit_zones',
			'delete segments',
		]);
	});
	it('refuses each malformed plan with a 400 naming the operation at fault', () => {
		const cases: [unknown, string][] = [
			[{}, 'expected {"operations": [...]}.'],
			[{ operations: {} }, 'expected {"operations": [...]}.'],
			[{ operations: [7] }, 'operation 0 is not an object.'],
			[{ operations: [{ collection: 'entries', action: 'create', data: {} }] }, 'operation 0: collection "entries" is not a course collection.'],
			[{ operations: [{ collection: 'stages', action: 'upsert', data: {} }] }, 'operation 0: action "upsert" is not create, update or delete.'],
			[{ operations: [{ collection: 'stages', action: 'update', data: {} }] }, "operation 0: update needs the item's id."],
			[{ operations: [{ collection: 'stages', action: 'delete', id: 1 }] }, "operation 0: delete needs the item's id."],
			[{ operations: [{ collection: 'stages', action: 'delete', id: 'a' }, { collection: 'stages', action: 'create', data: [] }] }, 'operation 1: create needs data.'],
			[{ operations: [{ collection: 'stages', action: 'update', id: 'a', data: null }] }, 'operation 0: update needs data.'],
		];
		for (const [plan, words] of cases) {
			const err = planError(JSON.stringify(plan));
			expect(err).toMatchObject({ name: 'DirectusError', status: 400, code: 'INVALID_PAYLOAD' });
			expect(err.message).toBe(`Invalid course plan: ${words}`);
		}
		expect(planError('{"operations": [').message).toMatch(/^Invalid course plan: not JSON \(/);
		expect(planError(JSON.stringify({ operations: new Array(MAX_OPERATIONS + 1).fill(0) })).message).toBe(
			`Invalid course plan: more than ${MAX_OPERATIONS} operations.`,
		);
	});
});

describe('readBody', () => {
	it('reads the whole body as UTF-8, across chunks', async () => {
		const body = Readable.from([Buffer.from('{"operations":'), Buffer.from(' ["é"]}')]);
		expect(await readBody(body as unknown as BodyStream)).toBe('{"operations": ["é"]}');
	});
	it('refuses a body over the limit with 413 and stops reading it', async () => {
		let destroyed = false;
		const body = new Readable({ read() {} });
		const destroy = body.destroy.bind(body);
		body.destroy = (err?: Error) => {
			destroyed = true;
			return destroy(err);
		};
		const reading = readBody(body as unknown as BodyStream, 10);
		body.push(Buffer.from('12345'));
		body.push(Buffer.from('678901'));
		await expect(reading).rejects.toMatchObject({ status: 413, code: 'REQUEST_TOO_LARGE', message: 'The plan is larger than 10 bytes.' });
		expect(destroyed).toBe(true);
	});
});

/** Items services over a log, failing on the operation named. */
function world(failOn?: { op: string; err: unknown }) {
	const log: string[] = [];
	let committed = false;
	const itemsOf = (collection: string, trx: string): CourseItems => {
		const run = async (op: string, opts: { bypassEmitAction: (p: DeferredAction) => void }) => {
			if (failOn?.op === op) throw failOn.err;
			log.push(`${trx} ${op}`);
			opts.bypassEmitAction({ event: `${collection}.items.${op.split(' ')[0]}`, meta: {}, context: null });
		};
		return {
			createOne: (data, opts) => run(`create ${collection} ${JSON.stringify(data)}`, opts),
			updateOne: (key, data, opts) => run(`update ${collection} ${key} ${JSON.stringify(data)}`, opts),
			deleteOne: (key, opts) => run(`delete ${collection} ${key}`, opts),
		};
	};
	const transaction = async (work: (trx: string) => Promise<void>) => {
		await work('trx');
		committed = true;
	};
	return { log, itemsOf, transaction, committed: () => committed };
}

describe('applyPlan', () => {
	const ops = parsePlan(
		JSON.stringify({
			operations: [
				{ collection: 'geofences', action: 'create', id: 'g1', data: { name: 'DSS' } },
				{ collection: 'stages', action: 'update', id: 's1', data: { name: 'S1' } },
				{ collection: 'waypoints', action: 'delete', id: 'w1' },
			],
		}),
	);
	it('runs every operation in the one transaction, the id of a create in its data, and defers the actions', async () => {
		const w = world();
		const actions = await applyPlan(w.transaction, w.itemsOf, ops);
		expect(w.log).toEqual(['trx create geofences {"name":"DSS","id":"g1"}', 'trx update stages s1 {"name":"S1"}', 'trx delete waypoints w1']);
		expect(actions.map((a) => a.event)).toEqual(['geofences.items.create', 'stages.items.update', 'waypoints.items.delete']);
		expect(w.committed()).toBe(true);
	});
	it("fails the transaction at the first refusal, a Directus error naming the operation's index", async () => {
		const refusal = new DirectusRuleError(403, 'FORBIDDEN', 'no', { collection: 'stages' });
		const w = world({ op: 'update stages s1 {"name":"S1"}', err: refusal });
		await expect(applyPlan(w.transaction, w.itemsOf, ops)).rejects.toBe(refusal);
		expect(refusal.extensions.operation).toBe(1);
		expect(w.committed()).toBe(false);
		expect(w.log).toEqual(['trx create geofences {"name":"DSS","id":"g1"}']);
	});
	it('passes other errors through unchanged', async () => {
		const boom = new Error('connection lost');
		const w = world({ op: 'delete waypoints w1', err: boom });
		await expect(applyPlan(w.transaction, w.itemsOf, ops)).rejects.toBe(boom);
		expect(boom).not.toHaveProperty('extensions');
	});
});
