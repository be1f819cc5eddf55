import { describe, expect, it } from 'vitest';
import { recordPenalty, recordResult, recordStart, withoutOwned, type Writer } from '../src/timing/record.js';

const w: Writer = { user: 'u-1', now: '2026-05-30T08:00:00.000Z' };
const anonymous: Writer = { user: null, now: w.now };

describe('withoutOwned', () => {
	it("drops what a client sent for the hook's fields, and leaves non-objects alone", () => {
		expect(withoutOwned('stage_results', { status: 'provisional', published_by: 'forged', reopened_at: 'x', reopen_reason: 'r' })).toEqual({
			status: 'provisional',
			reopen_reason: 'r',
		});
		expect(withoutOwned('entry_penalties', [1])).toBeUndefined();
		expect(withoutOwned('entry_penalties', null)).toBeUndefined();
	});
});

describe('recordPenalty', () => {
	it('records who decided a status or an override, whatever the client sent', () => {
		expect(recordPenalty({ status: 'confirmed', decided_by: 'forged', decided_at: '1999-01-01' }, false, w)).toEqual({
			status: 'confirmed',
			decided_by: 'u-1',
			decided_at: w.now,
		});
		expect(recordPenalty({ override_seconds: 30 }, false, w)).toMatchObject({ decided_by: 'u-1' });
		expect(recordPenalty({ status: 'cancelled' }, true, w)).toMatchObject({ decided_by: 'u-1' });
	});
	it('records nothing for a computed penalty created, nor for a write that decides nothing', () => {
		expect(recordPenalty({ status: 'computed', seconds: 60 }, true, w)).toEqual({ status: 'computed', seconds: 60 });
		expect(recordPenalty({ seconds: 60 }, true, w)).toEqual({ seconds: 60 });
		expect(recordPenalty({ notes: 'x', decided_by: 'forged' }, false, w)).toEqual({ notes: 'x' });
	});
	it('leaves the user empty without one, for the database to refuse', () => {
		expect(recordPenalty({ status: 'confirmed' }, false, anonymous)).toMatchObject({ decided_by: null });
	});
	it('returns a non-object payload as it is', () => {
		const arr = [{ status: 'confirmed' }];
		expect(recordPenalty(arr, false, w)).toBe(arr);
	});
});

describe('recordResult', () => {
	it('records who published an official result', async () => {
		expect(await recordResult({ status: 'official', published_by: 'forged' }, w)).toEqual({ status: 'official', published_by: 'u-1', published_at: w.now });
	});
	it('records a reopen only when an updated result is official now', async () => {
		let asked = 0;
		const official = async () => (asked++, true);
		expect(await recordResult({ status: 'provisional', reopen_reason: 'r' }, w, official)).toEqual({
			status: 'provisional',
			reopen_reason: 'r',
			reopened_by: 'u-1',
			reopened_at: w.now,
		});
		expect(await recordResult({ status: 'provisional' }, w, async () => false)).toEqual({ status: 'provisional' });
		expect(await recordResult({ status: 'provisional', reopened_by: 'forged' }, w)).toEqual({ status: 'provisional' });
		expect(await recordResult({ total_seconds: 1 }, w, official)).toEqual({ total_seconds: 1 });
		expect(asked).toBe(1);
	});
});

describe('recordStart', () => {
	it('records who set a start by hand, and drops a forged override_by', () => {
		expect(recordStart({ manual_override: true, override_reason: 'late', override_by: 'forged' }, w)).toEqual({
			manual_override: true,
			override_reason: 'late',
			override_by: 'u-1',
		});
		expect(recordStart({ manual_override: false, override_by: 'forged' }, w)).toEqual({ manual_override: false });
	});
});
