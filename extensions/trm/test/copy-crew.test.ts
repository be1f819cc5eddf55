import { describe, expect, it } from 'vitest';
import { ALREADY_ASSIGNED, ALREADY_ON_BOARD, planCopy, WEARER_NOT_ON_BOARD } from '../src/copy-crew/plan.js';
import { parseCopyCrewRequest } from '../src/copy-crew/request.js';

const target = '6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b';
const from = '0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d';

function refusal(t: unknown, body: unknown): { status: number; code: string; message: string; field?: unknown } {
	try {
		parseCopyCrewRequest(t, body);
	} catch (err) {
		const e = err as { status: number; code: string; message: string; extensions: { field?: unknown } };
		return { status: e.status, code: e.code, message: e.message, field: e.extensions.field };
	}
	throw new Error(`accepted ${JSON.stringify(body)}`);
}

describe('parseCopyCrewRequest', () => {
	it('reads the target, the source and whether to copy the trackers (not by default)', () => {
		expect(parseCopyCrewRequest(target, { from })).toEqual({ target, from, trackers: false });
		expect(parseCopyCrewRequest(target.toUpperCase(), { from: from.toUpperCase(), trackers: true })).toEqual({ target, from, trackers: true });
		expect(parseCopyCrewRequest(target, { from, trackers: null }).trackers).toBe(false);
	});

	it('refuses each problem with a sentence naming the field and the fix', () => {
		const cases: [unknown, unknown, string, string | undefined][] = [
			['301', { from }, 'The entry in the path must be the id (a UUID) of the entry receiving the crew, not "301": POST /trm/entries/<entry id>/copy-crew.', 'target'],
			[target, [from], 'The body must be a JSON object with the fields from (the id of the entry to copy from) and trackers (true or false).', undefined],
			[target, null, 'The body must be a JSON object with the fields from (the id of the entry to copy from) and trackers (true or false).', undefined],
			[target, { from, crew: true }, 'Unknown field "crew": the fields are from and trackers.', 'crew'],
			[target, {}, "from is required: the id (a UUID) of the entry whose crew is copied, e.g. last year's entry of the team.", 'from'],
			[target, { from: 'last-year' }, 'from must be the id (a UUID) of an entry, not "last-year".', 'from'],
			[target, { from: 7 }, 'from must be the id (a UUID) of an entry, not 7.', 'from'],
			[target, { from, trackers: 'yes' }, 'trackers must be true (copy the trackers too) or false (the crew alone), not "yes".', 'trackers'],
			[target, { from: target.toUpperCase() }, "from names the entry receiving the crew: copy from another entry, e.g. last year's entry of the team.", 'from'],
		];
		for (const [t, body, message, field] of cases) {
			expect(refusal(t, body)).toEqual({ status: 400, code: 'INVALID_PAYLOAD', message, field });
		}
	});

	it('quotes a hostile field name without its control characters', () => {
		expect(refusal(target, { from, 'x\u001b[31m': 1 }).message).toBe('Unknown field "x\\u001b[31m": the fields are from and trackers.');
	});
});

describe('planCopy', () => {
	const window = { starts_at: '2026-06-06T06:00:00.000000Z', ends_at: '2026-06-13T18:00:00.000000Z' };
	const ana = { user_id: 'ana', role: 'pilot' };
	const ben = { user_id: 'ben', role: 'co-pilot' };
	const cleo = { user_id: 'cleo', role: 'mechanic' };

	it('copies the crew with their roles, skipping people already on board', () => {
		const plan = planCopy({ crew: [ana, ben, cleo], trackers: null }, { crew: [{ user_id: 'ben', role: 'navigator' }, { user_id: 'cleo', role: 'mechanic' }], trackers: [] }, window);
		expect(plan.crew.copy).toEqual([ana]);
		expect(plan.crew.skipped).toEqual([
			{ ...ben, reason: `${ALREADY_ON_BOARD} (as navigator)` },
			{ ...cleo, reason: ALREADY_ON_BOARD },
		]);
		expect(plan.trackers).toBeNull();
	});

	it('puts the caller first, so that a participant is on the crew before adding the others', () => {
		expect(planCopy({ crew: [ana, ben, cleo], trackers: null }, { crew: [], trackers: [] }, window, 'cleo').crew.copy).toEqual([cleo, ana, ben]);
		expect(planCopy({ crew: [ana, ben], trackers: null }, { crew: [], trackers: [] }, window, 'zoe').crew.copy).toEqual([ana, ben]);
	});

	it("gives the trackers the target event's time, worn by the same person when that person is on board", () => {
		const plan = planCopy(
			{
				crew: [ana, ben],
				trackers: [
					{ device_id: 'car', assigned_user_id: null },
					{ device_id: 'button-ana', assigned_user_id: 'ana' },
					{ device_id: 'button-cleo', assigned_user_id: 'cleo' },
					{ device_id: 'spare', assigned_user_id: null },
				],
			},
			{ crew: [], trackers: [{ device_id: 'spare', assigned_user_id: null }] },
			window,
		);
		const at = { valid_from: window.starts_at, valid_until: window.ends_at };
		expect(plan.trackers).toEqual({
			copy: [
				{ device_id: 'car', worn_by: null, ...at },
				{ device_id: 'button-ana', worn_by: 'ana', ...at },
				{ device_id: 'button-cleo', worn_by: null, ...at, note: WEARER_NOT_ON_BOARD },
			],
			skipped: [{ device_id: 'spare', reason: ALREADY_ASSIGNED }],
		});
	});

	it('keeps the wearer who was on board already, and copies a device the source had twice once', () => {
		const plan = planCopy(
			{ crew: [ana], trackers: [{ device_id: 'b', assigned_user_id: 'ana' }, { device_id: 'b', assigned_user_id: 'ana' }] },
			{ crew: [ana], trackers: [] },
			{ starts_at: window.starts_at, ends_at: null },
		);
		expect(plan.crew.copy).toEqual([]);
		expect(plan.trackers).toEqual({ copy: [{ device_id: 'b', worn_by: 'ana', valid_from: window.starts_at, valid_until: null }], skipped: [] });
	});
});
