// The start list of a stage as data: which entries start, in which order
// (the stage's start-order strategy), at which position and time in each
// segment, and what that changes in the rows a stage has already
// (docs/stage-open.md). Pure: open.ts reads the database and writes the plan.

/** The strategies of stages.start_order_strategy. */
export const STRATEGIES = ['manual', 'previous_stage_clean_result', 'inverse_top_n_then_natural', 'inverse_of_overall'] as const;
export type Strategy = (typeof STRATEGIES)[number];

/** The entry statuses that start a stage: registered and still in the race. */
export const STARTING_STATUSES: readonly string[] = ['registered', 'scrutineered', 'racing'];

export interface Entry {
	id: string;
	race_number: number;
	status: string;
}

/** An entry's time on the ranking the strategy orders by; null when it has none (not classified). */
export interface Ranked {
	entry_id: string;
	seconds: number | null;
}

export interface Segment {
	id: string;
	code: string;
	sort_order: number;
	target_duration_seconds: number | null;
}

/** A row of entry_segment_starts as stored. */
export interface Start {
	id: string;
	entry_id: string;
	segment_id: string;
	start_position: number;
	/** Milliseconds since the epoch; null when stored without a time. */
	target_at: number | null;
	manual_override: boolean;
}

/** What the order of a stage is built from. */
export type OrderInput =
	| { strategy: 'manual' }
	| { strategy: 'previous_stage_clean_result'; clean: Ranked[] }
	| { strategy: 'inverse_top_n_then_natural'; n: number; total: Ranked[] }
	| { strategy: 'inverse_of_overall'; overall: Ranked[] };

/**
 * The entries in ranking order: the ranked ones by seconds, a tie by race
 * number (the lower first); those without seconds after them, by race
 * number. Entries without a row in ranked count as without seconds.
 */
export function ranking(entries: Entry[], ranked: Ranked[]): { ranked: Entry[]; unranked: Entry[] } {
	const seconds = new Map<string, number>();
	for (const r of ranked) if (r.seconds !== null) seconds.set(r.entry_id, r.seconds);
	const byNumber = (a: Entry, b: Entry) => a.race_number - b.race_number;
	const withTime = entries.filter((e) => seconds.has(e.id));
	withTime.sort((a, b) => seconds.get(a.id)! - seconds.get(b.id)! || byNumber(a, b));
	const without = entries.filter((e) => !seconds.has(e.id)).sort(byNumber);
	return { ranked: withTime, unranked: without };
}

/**
 * The order in which the entries start, first starter first, for the
 * strategies that do not depend on a segment's own rows (all but manual).
 */
export function startOrder(entries: Entry[], input: Exclude<OrderInput, { strategy: 'manual' }>): Entry[] {
	switch (input.strategy) {
		case 'previous_stage_clean_result': {
			const r = ranking(entries, input.clean);
			return [...r.ranked, ...r.unranked];
		}
		case 'inverse_top_n_then_natural': {
			const r = ranking(entries, input.total);
			const top = r.ranked.slice(0, input.n).reverse();
			return [...top, ...r.ranked.slice(input.n), ...r.unranked];
		}
		case 'inverse_of_overall': {
			const r = ranking(entries, input.overall);
			return [...r.ranked.reverse(), ...r.unranked];
		}
	}
}

/**
 * The manual order of one segment: its entries with a row, by their
 * stored position; then those without one, by race number.
 */
export function manualOrder(entries: Entry[], rows: Start[]): Entry[] {
	const position = new Map(rows.map((r) => [r.entry_id, r.start_position]));
	const placed = entries.filter((e) => position.has(e.id)).sort((a, b) => position.get(a.id)! - position.get(b.id)! || a.race_number - b.race_number);
	const rest = entries.filter((e) => !position.has(e.id)).sort((a, b) => a.race_number - b.race_number);
	return [...placed, ...rest];
}

/**
 * How long after a starter's stage start each segment starts: the sum of
 * the target durations of the segments before it; null from the first
 * segment after one without a target duration (its start is the time card's,
 * not the schedule's).
 */
export function segmentOffsets(segments: Segment[]): (number | null)[] {
	const out: (number | null)[] = [];
	let offset: number | null = 0;
	for (const s of segments) {
		out.push(offset);
		offset = offset === null || s.target_duration_seconds === null ? null : offset + s.target_duration_seconds;
	}
	return out;
}

export type Change = 'insert' | 'update' | 'unchanged' | 'kept';

export interface PlannedStart {
	/** The stored row's id; null for a row to insert. */
	id: string | null;
	entry_id: string;
	race_number: number;
	start_position: number;
	target_at: number | null;
	manual_override: boolean;
	/** insert: a new row; update: a stored row gets a new position or time; unchanged; kept: set by hand, left as it is. */
	change: Change;
}

export interface RemovedStart {
	id: string;
	entry_id: string;
	race_number: number | null;
	/** The entry's status now (withdrawn, retired …); null for an entry of another event. */
	status: string | null;
	start_position: number;
	manual_override: boolean;
}

export interface SegmentPlan {
	segment_id: string;
	code: string;
	starts: PlannedStart[];
	removed: RemovedStart[];
}

export interface StagePlanInput {
	/** Milliseconds since the epoch: the first starter's start. */
	starts_at: number;
	interval_seconds: number;
	/** In sort order. */
	segments: Segment[];
	/** Every entry of the event, whatever its status. */
	entries: Entry[];
	/** The stage's stored rows, every segment. */
	existing: Start[];
	order: OrderInput;
}

/**
 * The start list of every segment. The entries that start are those with
 * a starting status. In each segment, a row set by hand (manual_override)
 * of a starting entry is kept as it is; the other starting entries take,
 * in the strategy's order, the positions the kept rows leave free, from 1
 * up; position p starts at starts_at + (p − 1) × interval plus the
 * segment's offset. Rows of entries that no longer start are removed.
 */
export function planStage(input: StagePlanInput): SegmentPlan[] {
	const starting = input.entries.filter((e) => STARTING_STATUSES.includes(e.status));
	const entryById = new Map(input.entries.map((e) => [e.id, e]));
	const startingIds = new Set(starting.map((e) => e.id));
	const common = input.order.strategy === 'manual' ? undefined : startOrder(starting, input.order);
	const offsets = segmentOffsets(input.segments);

	return input.segments.map((segment, k) => {
		const rows = input.existing.filter((r) => r.segment_id === segment.id);
		const rowOf = new Map(rows.map((r) => [r.entry_id, r]));
		const removed: RemovedStart[] = rows
			.filter((r) => !startingIds.has(r.entry_id))
			.map((r) => {
				const e = entryById.get(r.entry_id);
				return {
					id: r.id,
					entry_id: r.entry_id,
					race_number: e?.race_number ?? null,
					status: e?.status ?? null,
					start_position: r.start_position,
					manual_override: r.manual_override,
				};
			})
			.sort((a, b) => a.start_position - b.start_position);

		const kept = rows.filter((r) => r.manual_override && startingIds.has(r.entry_id));
		const taken = new Set(kept.map((r) => r.start_position));
		const order = common ?? manualOrder(starting, rows.filter((r) => startingIds.has(r.entry_id)));
		const offset = offsets[k]!;
		const starts: PlannedStart[] = kept.map((r) => ({
			id: r.id,
			entry_id: r.entry_id,
			race_number: entryById.get(r.entry_id)!.race_number,
			start_position: r.start_position,
			target_at: r.target_at,
			manual_override: true,
			change: 'kept',
		}));
		let next = 1;
		for (const e of order) {
			if (rowOf.get(e.id)?.manual_override) continue;
			while (taken.has(next)) next++;
			const position = next++;
			const target = offset === null ? null : input.starts_at + ((position - 1) * input.interval_seconds + offset) * 1000;
			const stored = rowOf.get(e.id);
			const change: Change = !stored ? 'insert' : stored.start_position === position && stored.target_at === target ? 'unchanged' : 'update';
			starts.push({ id: stored?.id ?? null, entry_id: e.id, race_number: e.race_number, start_position: position, target_at: target, manual_override: false, change });
		}
		starts.sort((a, b) => a.start_position - b.start_position);
		return { segment_id: segment.id, code: segment.code, starts, removed };
	});
}

export interface PlanCounts {
	insert: number;
	update: number;
	unchanged: number;
	kept: number;
	remove: number;
}

export function countPlan(plan: SegmentPlan[]): PlanCounts {
	const c: PlanCounts = { insert: 0, update: 0, unchanged: 0, kept: 0, remove: 0 };
	for (const s of plan) {
		for (const st of s.starts) c[st.change]++;
		c.remove += s.removed.length;
	}
	return c;
}

/**
 * The overall time of each entry after a sequence of stages: the sum of
 * its totals over every stage, for an entry with a total in each of
 * them; null otherwise (not classified in one of them).
 */
export function overallTimes(stages: string[], results: { stage_id: string; entry_id: string; total_seconds: number | null }[]): Ranked[] {
	const totals = new Map<string, Map<string, number>>();
	for (const r of results) {
		if (r.total_seconds === null) continue;
		let m = totals.get(r.entry_id);
		if (!m) totals.set(r.entry_id, (m = new Map()));
		m.set(r.stage_id, r.total_seconds);
	}
	const out: Ranked[] = [];
	for (const [entry_id, m] of totals) {
		const complete = stages.every((s) => m.has(s));
		out.push({ entry_id, seconds: complete ? stages.reduce((sum, s) => sum + m.get(s)!, 0) : null });
	}
	return out;
}
