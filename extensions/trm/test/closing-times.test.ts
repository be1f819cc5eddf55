import { describe, expect, it } from 'vitest';
import { relevant, stagesBindings, stagesQuery, WATCHED, type Write } from '../src/closing-times/triggers.js';

const write = (collection: string, event: Write['event'], payload: unknown, keys: string[] = ['k1']): Write => ({ collection, event, keys, payload });

describe('relevant', () => {
	it("recomputes after a timekeeper's target time, a start created or deleted", () => {
		expect(relevant(write('entry_segment_starts', 'update', { target_at: '2026-06-07T08:01:00Z' }))).toBe(true);
		expect(relevant(write('entry_segment_starts', 'create', { entry_id: 'e', segment_id: 's', start_position: 1 }))).toBe(true);
		expect(relevant(write('entry_segment_starts', 'delete', ['k1']))).toBe(true);
	});
	it('ignores writes that cannot move a closing time', () => {
		expect(relevant(write('entry_segment_starts', 'update', { override_reason: 'typo' }))).toBe(false);
		expect(relevant(write('segments', 'update', { name: 'Liaison 1' }))).toBe(false);
		expect(relevant(write('stages', 'update', { starts_at: '2026-06-07T08:00:00Z' }))).toBe(false);
		expect(relevant(write('entries', 'update', { race_number: 7 }))).toBe(false);
		expect(relevant(write('waypoints', 'update', { notes: 'careful' }))).toBe(false);
		expect(relevant(write('control_closing_times', 'update', { closes_at: 'x' }))).toBe(false);
	});
	it("follows a segment's durations, a waypoint's type or place, a stage's or an entry's status", () => {
		expect(relevant(write('segments', 'update', { allowed_lateness_seconds: 1800 }))).toBe(true);
		expect(relevant(write('segments', 'update', { target_duration_seconds: 3600 }))).toBe(true);
		expect(relevant(write('waypoints', 'update', { type: 'CP' }))).toBe(true);
		expect(relevant(write('waypoints', 'update', { distance_km: 0 }))).toBe(true);
		expect(relevant(write('waypoints', 'create', { type: 'TC' }))).toBe(true);
		expect(relevant(write('waypoints', 'delete', ['w']))).toBe(true);
		expect(relevant(write('stages', 'update', { status: 'open' }))).toBe(true);
		expect(relevant(write('entries', 'update', { status: 'withdrawn' }))).toBe(true);
	});
	it('recomputes when it cannot tell what an update wrote', () => {
		expect(relevant(write('segments', 'update', null))).toBe(true);
	});
});

describe('stagesQuery', () => {
	it('has a query for every watched write, with one binding of the keys per placeholder', () => {
		for (const [collection, events] of Object.entries(WATCHED)) {
			for (const event of events) {
				const w = write(collection, event, {}, ['a', 'b']);
				const q = stagesQuery(w);
				expect(q).toMatch(/stage_id/);
				const bindings = stagesBindings(w);
				expect(bindings.length).toBe((q.match(/\?/g) ?? []).length);
				for (const b of bindings) expect(b).toEqual(['a', 'b']);
			}
		}
	});
	it('after a waypoint is deleted, recomputes the open stages', () => {
		expect(stagesQuery(write('waypoints', 'delete', ['w']))).toMatch(/status = 'open'/);
	});
	it('after a start is deleted, looks for the closing times that lost their last start', () => {
		expect(stagesQuery(write('entry_segment_starts', 'delete', ['k']))).toMatch(/last_start_id IS NULL/);
		expect(stagesBindings(write('entry_segment_starts', 'delete', ['k']))).toEqual([]);
	});
	it('also recomputes the stage a moved start, segment or waypoint left', () => {
		expect(stagesQuery(write('entry_segment_starts', 'update', {}))).toMatch(/last_start_id = ANY\(\?\)/);
		expect(stagesQuery(write('waypoints', 'update', {}))).toMatch(/FROM control_closing_times WHERE waypoint_id = ANY\(\?\)/);
	});
});
