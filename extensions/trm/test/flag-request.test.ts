import { describe, expect, it } from 'vitest';
import { MAX_REASON_LENGTH, parseFlagRequest, parseTimestamp, quoted } from '../src/lib/flag-request.js';

const entry = '6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b';
const good = { entry, from: '2026-06-07T09:30:00Z', until: '2026-06-07T09:40:00Z', action: 'flag', reason: 'tracker loose in the cockpit' };

function refusal(body: unknown): { status: number; code: string; message: string; field?: unknown } {
	try {
		parseFlagRequest(body);
	} catch (err) {
		const e = err as { status: number; code: string; message: string; extensions: { field?: unknown } };
		return { status: e.status, code: e.code, message: e.message, field: e.extensions.field };
	}
	throw new Error(`accepted ${JSON.stringify(body)}`);
}

describe('parseTimestamp', () => {
	it('reads RFC 3339 with its offset to the microsecond', () => {
		expect(parseTimestamp('2026-06-07T09:30:00Z')).toBe(Date.UTC(2026, 5, 7, 9, 30) * 1000);
		expect(parseTimestamp('2026-06-07T11:30:00+02:00')).toBe(Date.UTC(2026, 5, 7, 9, 30) * 1000);
		expect(parseTimestamp('2026-06-07T09:30:00.123456-01:30')).toBe(Date.UTC(2026, 5, 7, 11, 0) * 1000 + 123456);
		expect(parseTimestamp('2026-06-07T09:30:00.5Z')).toBe(Date.UTC(2026, 5, 7, 9, 30) * 1000 + 500000);
	});
	it('refuses what is not an instant', () => {
		for (const s of [
			'2026-06-07',
			'2026-06-07T09:30:00',
			'2026-06-07 09:30:00Z',
			'2026-02-30T00:00:00Z',
			'2026-13-01T00:00:00Z',
			'2026-06-07T24:00:00Z',
			'2026-06-07T09:60:00Z',
			'2026-06-07T09:30:00+24:00',
			'0099-06-07T09:30:00Z',
			'2026-06-07T09:30:00.1234567Z',
			'tomorrow',
		]) {
			expect(parseTimestamp(s), s).toBeUndefined();
		}
		expect(parseTimestamp('2028-02-29T00:00:00Z')).toBe(Date.UTC(2028, 1, 29) * 1000);
	});
});

describe('parseFlagRequest', () => {
	it('reads a request for an entry or a device', () => {
		expect(parseFlagRequest(good)).toEqual({ scope: 'entry', id: entry, from: good.from, until: good.until, action: 'flag', reason: good.reason });
		const { entry: _, ...rest } = good;
		expect(parseFlagRequest({ ...rest, device: entry.toUpperCase(), action: 'unflag', reason: '  back in place  ' })).toMatchObject({
			scope: 'device',
			id: entry,
			action: 'unflag',
			reason: 'back in place',
		});
	});
	it('names the field and the fix of each problem', () => {
		const cases: [unknown, string, string?][] = [
			[null, 'The body must be a JSON object with the fields device, entry, from, until, action, reason.'],
			[[good], 'The body must be a JSON object with the fields device, entry, from, until, action, reason.'],
			[{ ...good, faulty: true }, 'Unknown field "faulty": the fields are device or entry, from, until, action and reason.', 'faulty'],
			[{ ...good, device: entry }, 'Name exactly one of device (a devices id: its tracker) or entry (an entries id: its trackers while assigned to it).', 'entry'],
			[{ ...good, entry: undefined }, 'Name exactly one of device (a devices id: its tracker) or entry (an entries id: its trackers while assigned to it).', 'device'],
			[{ ...good, entry: 301 }, 'entry must be the id (a UUID) of an entry, not 301.', 'entry'],
			[{ ...good, from: undefined }, 'from is required: a timestamp with its time zone, e.g. 2026-06-07T09:30:00Z.', 'from'],
			[{ ...good, until: '2026-06-07T09:40:00' }, 'until must be a timestamp with its time zone, e.g. 2026-06-07T09:30:00Z, not "2026-06-07T09:40:00".', 'until'],
			[{ ...good, until: good.from }, 'until must be after from: the window is [from, until).', 'until'],
			[{ ...good, until: '2026-06-08T09:30:00.000001Z' }, 'The window is longer than 24 hours: flag a longer stretch in several requests.', 'until'],
			[{ ...good, action: 'delete' }, 'action must be flag (mark the positions faulty) or unflag (trust them again), not "delete".', 'action'],
			[{ ...good, reason: '   ' }, 'reason is required: say why the positions are (or are no longer) faulty, e.g. "tracker loose in the cockpit".', 'reason'],
			[{ ...good, reason: 'x'.repeat(MAX_REASON_LENGTH + 1) }, `reason is longer than ${MAX_REASON_LENGTH} characters.`, 'reason'],
			[{ ...good, reason: 'bell\u0007' }, 'reason may not hold control characters (tabs and line breaks are allowed).', 'reason'],
		];
		for (const [body, message, field] of cases) {
			const r = refusal(body);
			expect(r, JSON.stringify(body)).toMatchObject({ status: 400, code: 'INVALID_PAYLOAD', message });
			if (field) expect(r.field).toBe(field);
		}
	});
	it('accepts exactly 24 hours, and tabs and line breaks in the reason', () => {
		expect(parseFlagRequest({ ...good, until: '2026-06-08T09:30:00Z', reason: 'a\tb\nc' }).reason).toBe('a\tb\nc');
	});
	it('quotes hostile values in its messages: no control character, no unbounded length', () => {
		const r = refusal({ ...good, ['\u001b[31mred' + 'x'.repeat(200)]: 1 });
		expect(r.message).not.toMatch(/\u001b/);
		expect(r.message.length).toBeLessThan(200);
		expect(quoted('a\nb')).toBe('"a\\nb"');
	});
});
