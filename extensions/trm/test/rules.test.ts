import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { DeferredAction } from '../src/lib/deferred.js';
import { readBody, type BodyStream } from '../src/course/plan.js';
import { DirectusRuleError } from '../src/lib/errors.js';
import { applyRulesPlan, type RulesItems } from '../src/rules/apply.js';
import { MAX_FORMULAS, parseRulesPlan } from '../src/rules/plan.js';

const EVENT = '0b6f3c1e-9a51-4f57-8a66-3d0c5e1f2a4b';
const OTHER = '7d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6';
const formula = (over: Record<string, unknown> = {}) => ({ event_id: EVENT, rule_key: 'lateness', version: 1, ...over });

function planError(text: string): DirectusRuleError {
	try {
		parseRulesPlan(text);
	} catch (err) {
		return err as DirectusRuleError;
	}
	throw new Error(`accepted ${text}`);
}

describe('parseRulesPlan', () => {
	it('accepts formulas of the event, with a rulebook marker or without one', () => {
		const plan = parseRulesPlan(JSON.stringify({ event: EVENT, rulebook: { rules_placeholder: false, rules_note: null }, formulas: [formula()] }));
		expect(plan).toEqual({ event: EVENT, rulebook: { rules_placeholder: false, rules_note: null }, formulas: [formula()] });
		expect(parseRulesPlan(JSON.stringify({ event: EVENT, rulebook: null, formulas: [] })).rulebook).toBeNull();
		expect(parseRulesPlan(JSON.stringify({ event: EVENT, formulas: [] })).rulebook).toBeNull();
	});
	it('refuses each malformed plan with a 400 naming the fault', () => {
		const cases: [unknown, string][] = [
			[[], 'expected {"event": "<id>", "rulebook": {...} | null, "formulas": [...]}.'],
			[{ event: EVENT }, 'expected {"event": "<id>", "rulebook": {...} | null, "formulas": [...]}.'],
			[{ event: 7, formulas: [] }, 'expected {"event": "<id>", "rulebook": {...} | null, "formulas": [...]}.'],
			[{ event: "x' OR 1=1", formulas: [] }, 'event is not an id.'],
			[{ event: EVENT, rulebook: { rules_placeholder: true, status: 'archived' }, formulas: [] }, 'rulebook holds rules_placeholder and rules_note only.'],
			[{ event: EVENT, rulebook: [], formulas: [] }, 'rulebook holds rules_placeholder and rules_note only.'],
			[{ event: EVENT, rulebook: false, formulas: [] }, 'rulebook holds rules_placeholder and rules_note only.'],
			[{ event: EVENT, formulas: [formula(), 'x'] }, 'formula 1 is not an object.'],
			[{ event: EVENT, formulas: [formula({ id: 'f1' })] }, 'formula 0 has an id: the endpoint creates new rows, it never writes an existing one.'],
			[{ event: EVENT, formulas: [formula({ event_id: OTHER })] }, `formula 0 is not of the event ${EVENT}.`],
		];
		for (const [plan, words] of cases) {
			const err = planError(JSON.stringify(plan));
			expect(err).toMatchObject({ name: 'DirectusError', status: 400, code: 'INVALID_PAYLOAD' });
			expect(err.message).toBe(`Invalid rules plan: ${words}`);
		}
		expect(planError('{"event": ').message).toMatch(/^Invalid rules plan: not JSON \(/);
		expect(planError(JSON.stringify({ event: EVENT, formulas: new Array(MAX_FORMULAS + 1).fill(0) })).message).toBe(
			`Invalid rules plan: more than ${MAX_FORMULAS} formulas.`,
		);
	});
});

describe('readBody for a rules plan', () => {
	it('names the rules plan when it refuses a body over the limit', async () => {
		const body = Readable.from([Buffer.from('0123456789ab')]);
		await expect(readBody(body as unknown as BodyStream, 10, 'rules plan')).rejects.toMatchObject({
			status: 413,
			code: 'REQUEST_TOO_LARGE',
			message: 'The rules plan is larger than 10 bytes.',
		});
	});
});

/** Items services over a log, failing on the write named. */
function world(failOn?: { op: string; err: unknown }) {
	const log: string[] = [];
	let committed = false;
	const itemsOf = (collection: string, trx: string): RulesItems => {
		const run = async (op: string, opts: { bypassEmitAction: (p: DeferredAction) => void }) => {
			if (failOn?.op === op) throw failOn.err;
			log.push(`${trx} ${op}`);
			opts.bypassEmitAction({ event: `${collection}.items.${op.split(' ')[0]}`, meta: {}, context: null });
		};
		return {
			createOne: (data, opts) => run(`create ${collection} ${JSON.stringify(data)}`, opts),
			updateOne: (key, data, opts) => run(`update ${collection} ${key} ${JSON.stringify(data)}`, opts),
		};
	};
	const transaction = async (work: (trx: string) => Promise<void>) => {
		await work('trx');
		committed = true;
	};
	return { log, itemsOf, transaction, committed: () => committed };
}

describe('applyRulesPlan', () => {
	const plan = parseRulesPlan(
		JSON.stringify({ event: EVENT, rulebook: { rules_placeholder: false }, formulas: [formula(), formula({ rule_key: 'speeding' })] }),
	);
	it('creates every formula, then marks the event, in the one transaction, and defers the actions', async () => {
		const w = world();
		const applied = await applyRulesPlan(w.transaction, w.itemsOf, plan);
		expect(w.log).toEqual([
			`trx create penalty_formulas ${JSON.stringify(formula())}`,
			`trx create penalty_formulas ${JSON.stringify(formula({ rule_key: 'speeding' }))}`,
			`trx update events ${EVENT} {"rules_placeholder":false}`,
		]);
		expect(applied.created).toBe(2);
		expect(applied.eventUpdated).toBe(true);
		expect(applied.deferred.map((a) => a.event)).toEqual(['penalty_formulas.items.create', 'penalty_formulas.items.create', 'events.items.update']);
		expect(w.committed()).toBe(true);
	});
	it('leaves the event alone without a rulebook', async () => {
		const w = world();
		const applied = await applyRulesPlan(w.transaction, w.itemsOf, { ...plan, rulebook: null });
		expect(applied.eventUpdated).toBe(false);
		expect(w.log.some((l) => l.includes('events'))).toBe(false);
	});
	it("fails the transaction at the first refusal, a Directus error naming the formula's index", async () => {
		const refusal = new DirectusRuleError(400, 'INVALID_PAYLOAD', 'overlap', { constraint: 'penalty_formulas_no_overlap' });
		const w = world({ op: `create penalty_formulas ${JSON.stringify(formula({ rule_key: 'speeding' }))}`, err: refusal });
		await expect(applyRulesPlan(w.transaction, w.itemsOf, plan)).rejects.toBe(refusal);
		expect(refusal.extensions.formula).toBe(1);
		expect(w.committed()).toBe(false);
	});
	it('passes other errors through unchanged', async () => {
		const boom = new Error('connection lost');
		const w = world({ op: `update events ${EVENT} {"rules_placeholder":false}`, err: boom });
		await expect(applyRulesPlan(w.transaction, w.itemsOf, plan)).rejects.toBe(boom);
		expect(boom).not.toHaveProperty('extensions');
	});
});
