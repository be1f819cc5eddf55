import { describe, expect, it } from 'vitest';
import { FIELD_ORDER, MESSAGE_VERSION, requestFields, streamEntry } from '../src/lib/recompute-message.js';

const input = {
	action: 'flag' as const,
	scope: 'device' as const,
	from: '2026-06-07T09:30:00.000000Z',
	until: '2026-06-07T09:40:00.000000Z',
	deviceIds: ['352098103001010'],
	entryIds: ['e2', 'e1', 'e2'],
	spans: [{ entry_id: 'e1', device_id: '352098103001010', from: '2026-06-07T09:30:00.000000Z', until: '2026-06-07T09:35:00.000000Z' }],
	positions: 600,
	reason: 'tracker loose',
	requestedBy: 'u1',
};

describe('the recompute message', () => {
	it('keeps every value a string, lists as JSON, entries once and sorted', () => {
		const f = requestFields(input);
		expect(f).toEqual({
			version: MESSAGE_VERSION,
			action: 'flag',
			scope: 'device',
			from: input.from,
			until: input.until,
			device_ids: '["352098103001010"]',
			entry_ids: '["e1","e2"]',
			spans: JSON.stringify(input.spans),
			positions: '600',
			reason: 'tracker loose',
			requested_by: 'u1',
		});
		for (const v of Object.values(f)) expect(typeof v).toBe('string');
	});
	it('writes the fields in the documented order, request_id first', () => {
		const entry = streamEntry('r1', '2026-06-07T09:41:00.000000Z', { ...requestFields(input) });
		const names = entry.filter((_, i) => i % 2 === 0);
		expect(names).toEqual([...FIELD_ORDER]);
		expect(entry.slice(0, 2)).toEqual(['request_id', 'r1']);
		expect(entry.slice(-2)).toEqual(['requested_at', '2026-06-07T09:41:00.000000Z']);
	});
	it('keeps a field a newer writer added, after the known ones', () => {
		const entry = streamEntry('r1', 't', { ...requestFields(input), zeta: 1, alpha: 'a' });
		expect(entry.slice(-4)).toEqual(['alpha', 'a', 'zeta', '1']);
	});
	it('the request id and time come from the row, whatever the fields say', () => {
		const entry = streamEntry('r1', 't', { request_id: 'forged', requested_at: 'x' });
		expect(entry).toEqual(['request_id', 'r1', 'requested_at', 't']);
	});
});
