import { describe, expect, it } from 'vitest';
import { parseDryRun } from '../src/stage-open/endpoint.js';
import { paramsN, withSettings, type StageRow } from '../src/stage-open/open.js';
import {
	countPlan,
	manualOrder,
	overallTimes,
	planStage,
	ranking,
	segmentOffsets,
	startOrder,
	type Entry,
	type Ranked,
	type Segment,
	type Start,
} from '../src/stage-open/plan.js';

const entry = (n: number, status = 'registered'): Entry => ({ id: `e${n}`, race_number: n, status });
const res = (n: number, seconds: number | null): Ranked => ({ entry_id: `e${n}`, seconds });
const numbers = (es: { race_number: number | null }[]) => es.map((e) => e.race_number);

// Five entries; #4 and #2 tie; #5 has no time (DNF), #6 no result at all.
const field = [1, 2, 3, 4, 5, 6].map((n) => entry(n));
const times = [res(1, 300), res(2, 200), res(3, 100), res(4, 200), res(5, null)];

describe('ranking', () => {
	it('ranks by seconds, a tie by the lower race number, then those without a time by race number', () => {
		const r = ranking(field, times);
		expect(numbers(r.ranked)).toEqual([3, 2, 4, 1]);
		expect(numbers(r.unranked)).toEqual([5, 6]);
	});
});

describe('startOrder', () => {
	it('previous stage clean result: the fastest first', () => {
		expect(numbers(startOrder(field, { strategy: 'previous_stage_clean_result', clean: times }))).toEqual([3, 2, 4, 1, 5, 6]);
	});
	it('inverse top N then natural: the top N reversed, then the rest as ranked, then the unranked', () => {
		expect(numbers(startOrder(field, { strategy: 'inverse_top_n_then_natural', n: 3, total: times }))).toEqual([4, 2, 3, 1, 5, 6]);
		// N larger than the ranked field reverses all of it.
		expect(numbers(startOrder(field, { strategy: 'inverse_top_n_then_natural', n: 10, total: times }))).toEqual([1, 4, 2, 3, 5, 6]);
	});
	it('inverse of overall: the whole ranking reversed, ties included, then the unranked', () => {
		expect(numbers(startOrder(field, { strategy: 'inverse_of_overall', overall: times }))).toEqual([1, 4, 2, 3, 5, 6]);
	});
});

describe('overallTimes', () => {
	it('sums the totals of every stage, and has none for an entry missing one', () => {
		const got = overallTimes(
			['P', 'S1'],
			[
				{ stage_id: 'P', entry_id: 'e1', total_seconds: 100 },
				{ stage_id: 'S1', entry_id: 'e1', total_seconds: 1000 },
				{ stage_id: 'P', entry_id: 'e2', total_seconds: 90 },
				{ stage_id: 'S1', entry_id: 'e2', total_seconds: null },
				{ stage_id: 'P', entry_id: 'e3', total_seconds: 80 },
			],
		);
		expect(got).toEqual([
			{ entry_id: 'e1', seconds: 1100 },
			{ entry_id: 'e2', seconds: null },
			{ entry_id: 'e3', seconds: null },
		]);
	});
});

describe('segmentOffsets', () => {
	it('adds the target durations of the segments before; unknown after a segment without one', () => {
		const seg = (d: number | null, i: number): Segment => ({ id: `g${i}`, code: `G${i}`, sort_order: i, target_duration_seconds: d });
		expect(segmentOffsets([3600, null, 1800, 600].map(seg))).toEqual([0, 3600, null, null]);
		expect(segmentOffsets([600, 1200, null].map(seg))).toEqual([0, 600, 1800]);
	});
});

describe('manualOrder', () => {
	it('keeps the stored positions and adds the entries without one by race number', () => {
		const rows: Start[] = [
			{ id: 'x', entry_id: 'e5', segment_id: 'g', start_position: 1, target_at: null, manual_override: false },
			{ id: 'y', entry_id: 'e2', segment_id: 'g', start_position: 7, target_at: null, manual_override: false },
		];
		expect(numbers(manualOrder(field, rows))).toEqual([5, 2, 1, 3, 4, 6]);
	});
});

describe('planStage', () => {
	const T = Date.parse('2026-06-07T06:00:00Z');
	const segments: Segment[] = [
		{ id: 'L1', code: 'L1', sort_order: 1, target_duration_seconds: 3600 },
		{ id: 'SS1', code: 'SS1', sort_order: 2, target_duration_seconds: null },
		{ id: 'L2', code: 'L2', sort_order: 3, target_duration_seconds: 1800 },
	];
	const at = (iso: string) => Date.parse(iso);
	const base = { starts_at: T, interval_seconds: 120, segments };

	it('gives each starting entry a position and a time in every segment', () => {
		const entries = [entry(7), entry(12), entry(301), entry(44, 'withdrawn'), entry(50, 'draft'), entry(60, 'racing')];
		const plan = planStage({ ...base, entries, existing: [], order: { strategy: 'manual' } });
		expect(plan.map((p) => p.code)).toEqual(['L1', 'SS1', 'L2']);
		expect(plan[0]!.starts.map((s) => [s.race_number, s.start_position, s.target_at, s.change])).toEqual([
			[7, 1, at('2026-06-07T06:00:00Z'), 'insert'],
			[12, 2, at('2026-06-07T06:02:00Z'), 'insert'],
			[60, 3, at('2026-06-07T06:04:00Z'), 'insert'],
			[301, 4, at('2026-06-07T06:06:00Z'), 'insert'],
		]);
		expect(plan[1]!.starts.map((s) => s.target_at)).toEqual([
			at('2026-06-07T07:00:00Z'),
			at('2026-06-07T07:02:00Z'),
			at('2026-06-07T07:04:00Z'),
			at('2026-06-07T07:06:00Z'),
		]);
		expect(plan[2]!.starts.map((s) => s.target_at)).toEqual([null, null, null, null]);
		expect(countPlan(plan)).toEqual({ insert: 12, update: 0, unchanged: 0, kept: 0, remove: 0 });
	});

	it('planned again on its own result changes nothing', () => {
		const entries = [entry(7), entry(12), entry(301)];
		const first = planStage({ ...base, entries, existing: [], order: { strategy: 'previous_stage_clean_result', clean: [res(301, 10)] } });
		const existing: Start[] = first.flatMap((p) =>
			p.starts.map((s, i) => ({ id: `${p.segment_id}-${i}`, entry_id: s.entry_id, segment_id: p.segment_id, start_position: s.start_position, target_at: s.target_at, manual_override: false })),
		);
		const again = planStage({ ...base, entries, existing, order: { strategy: 'previous_stage_clean_result', clean: [res(301, 10)] } });
		expect(countPlan(again)).toEqual({ insert: 0, update: 0, unchanged: 9, kept: 0, remove: 0 });
	});

	it('keeps a start set by hand, fills the free positions around it, and removes entries that no longer start', () => {
		const entries = [entry(7), entry(12), entry(301), entry(44, 'withdrawn'), entry(45, 'withdrawn')];
		const existing: Start[] = [
			{ id: 'm', entry_id: 'e7', segment_id: 'L1', start_position: 2, target_at: at('2026-06-07T06:30:00Z'), manual_override: true },
			{ id: 'a', entry_id: 'e12', segment_id: 'L1', start_position: 1, target_at: at('2026-06-07T06:00:00Z'), manual_override: false },
			{ id: 'w', entry_id: 'e44', segment_id: 'L1', start_position: 3, target_at: at('2026-06-07T06:04:00Z'), manual_override: false },
			{ id: 'v', entry_id: 'e45', segment_id: 'L1', start_position: 4, target_at: at('2026-06-07T06:06:00Z'), manual_override: true },
		];
		const plan = planStage({ ...base, segments: [segments[0]!], entries, existing, order: { strategy: 'manual' } });
		expect(plan[0]!.starts.map((s) => [s.race_number, s.start_position, s.target_at, s.manual_override, s.change, s.id])).toEqual([
			[12, 1, at('2026-06-07T06:00:00Z'), false, 'unchanged', 'a'],
			[7, 2, at('2026-06-07T06:30:00Z'), true, 'kept', 'm'],
			[301, 3, at('2026-06-07T06:04:00Z'), false, 'insert', null],
		]);
		expect(plan[0]!.removed.map((r) => [r.race_number, r.status, r.manual_override])).toEqual([
			[44, 'withdrawn', false],
			[45, 'withdrawn', true],
		]);
	});

	it('moves a start that is not set by hand when the order changes', () => {
		const entries = [entry(7), entry(12)];
		const existing: Start[] = [
			{ id: 'a', entry_id: 'e7', segment_id: 'L1', start_position: 1, target_at: T, manual_override: false },
			{ id: 'b', entry_id: 'e12', segment_id: 'L1', start_position: 2, target_at: T + 120_000, manual_override: false },
		];
		const plan = planStage({ ...base, segments: [segments[0]!], entries, existing, order: { strategy: 'previous_stage_clean_result', clean: [res(12, 1), res(7, 2)] } });
		expect(plan[0]!.starts.map((s) => [s.id, s.start_position, s.change])).toEqual([
			['b', 1, 'update'],
			['a', 2, 'update'],
		]);
	});
});

describe('parseDryRun', () => {
	it('reads ?dry-run, ?dry-run=true and false, and refuses anything else', () => {
		expect(parseDryRun({})).toBe(false);
		expect(parseDryRun({ 'dry-run': '' })).toBe(true);
		expect(parseDryRun({ 'dry-run': 'true' })).toBe(true);
		expect(parseDryRun({ 'dry-run': 'false' })).toBe(false);
		expect(() => parseDryRun({ 'dry-run': 'yes' })).toThrow('dry-run is true (answer the plan, write nothing) or false, not "yes".');
	});
});

describe('withSettings and paramsN', () => {
	const stored: StageRow = {
		id: 's',
		code: 'S1',
		status: 'published',
		sort_order: 2,
		event_id: 'ev',
		organization_id: 'org',
		starts_at: new Date('2026-06-07T06:00:00Z'),
		start_interval_seconds: 60,
		start_order_strategy: 'manual',
		start_order_strategy_params: null,
		start_order_input_stage_id: null,
	};
	it('takes the start settings a payload changes along with the status', () => {
		const got = withSettings(stored, {
			status: 'open',
			starts_at: '2026-06-07T07:00:00Z',
			start_interval_seconds: 120,
			start_order_strategy: 'inverse_top_n_then_natural',
			start_order_strategy_params: { n: 10 },
			start_order_input_stage_id: { id: 'p' },
		});
		expect(got).toEqual({
			...stored,
			starts_at: new Date('2026-06-07T07:00:00Z'),
			start_interval_seconds: 120,
			start_order_strategy: 'inverse_top_n_then_natural',
			start_order_strategy_params: { n: 10 },
			start_order_input_stage_id: 'p',
		});
		expect(withSettings(stored, { status: 'open' })).toEqual(stored);
		expect(withSettings(stored, { starts_at: null, start_interval_seconds: null }).starts_at).toBeNull();
	});
	it('reads N from the parameters, as an object or JSON text', () => {
		expect(paramsN({ n: 10 })).toBe(10);
		expect(paramsN('{"n": 3}')).toBe(3);
		for (const bad of [null, {}, { n: 0 }, { n: 2.5 }, '{', 'null']) expect(paramsN(bad)).toBeUndefined();
	});
});
