// Opening a stage: who may, what the stage needs first, and its start list
// read, planned (plan.ts) and written in the caller's transaction with one
// statement per kind of change, so that 400 entries × 6 segments take a
// handful of statements (docs/stage-open.md).
import type { Knex } from 'knex';
import { forbidden, invalidPayload } from '../lib/errors.js';
import {
	countPlan,
	overallTimes,
	planStage,
	STRATEGIES,
	type Entry,
	type OrderInput,
	type PlanCounts,
	type Ranked,
	type Segment,
	type SegmentPlan,
	type Start,
	type Strategy,
} from './plan.js';

export interface Caller {
	/** directus_users.id; null for a request without a user. */
	user: string | null;
	admin: boolean;
}

/** The organisation roles that may open their organisation's stages (besides administrators). */
export const OPENING_ROLES = ['race-director', 'org-admin'] as const;

const ROLE_SENTENCE = `the ${OPENING_ROLES.join(' or ')} role in the organisation running its event`;

/** The fields of a stage its start list depends on. */
export const START_SETTINGS = ['starts_at', 'start_interval_seconds', 'start_order_strategy', 'start_order_strategy_params', 'start_order_input_stage_id'] as const;

export interface StageRow {
	id: string;
	code: string;
	status: string;
	sort_order: number;
	event_id: string;
	organization_id: string;
	starts_at: Date | null;
	start_interval_seconds: number | null;
	start_order_strategy: string;
	start_order_strategy_params: unknown;
	start_order_input_stage_id: string | null;
}

/** A start in the answer: times as RFC 3339 UTC text. */
export interface AnsweredStart {
	entry_id: string;
	race_number: number | null;
	start_position: number;
	target_at: string | null;
	manual_override: boolean;
	change: string;
}

export interface OpenResult {
	stage_id: string;
	code: string;
	dry_run: boolean;
	strategy: Strategy;
	starts_at: string;
	start_interval_seconds: number;
	input_stage: string | null;
	counts: PlanCounts;
	segments: { segment_id: string; code: string; starts: AnsweredStart[]; removed: (AnsweredStart & { status: string | null })[] }[];
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** Reads the stage and locks it for the rest of the transaction; undefined when there is none. */
export async function lockStage(trx: Knex, id: string): Promise<StageRow | undefined> {
	const res = await trx.raw<{ rows: StageRow[] }>(
		`SELECT s.id::text AS id, s.code, s.status, s.sort_order, s.event_id::text AS event_id, ev.organization_id::text AS organization_id,
		        s.starts_at, s.start_interval_seconds, s.start_order_strategy, s.start_order_strategy_params,
		        s.start_order_input_stage_id::text AS start_order_input_stage_id
		   FROM stages s JOIN events ev ON ev.id = s.event_id
		  WHERE s.id = ?::uuid
		    FOR UPDATE OF s`,
		[id],
	);
	return res.rows[0];
}

/** Refuses a caller who may not open the stage, with the sentence saying who may. */
export async function authoriseOpen(trx: Knex, caller: Caller, stage: StageRow | undefined, id: string): Promise<StageRow> {
	if (caller.admin) {
		if (!stage) throw invalidPayload(`No stage has the id ${id}.`, { field: 'stage' });
		return stage;
	}
	if (!caller.user) throw forbidden(`Opening a stage needs a signed-in user with ${ROLE_SENTENCE}.`);
	const refused = forbidden(`Opening this stage needs ${ROLE_SENTENCE}.`);
	if (!stage) throw refused;
	const roles = await trx('organization_users')
		.where({ organization_id: stage.organization_id, user_id: caller.user })
		.pluck<string[]>('role');
	if (!roles.some((r) => (OPENING_ROLES as readonly string[]).includes(r))) throw refused;
	return stage;
}

/** The stage's start settings with those of a payload that changes them in the same write. */
export function withSettings(stage: StageRow, payload: Record<string, unknown>): StageRow {
	const out = { ...stage };
	if ('starts_at' in payload) out.starts_at = payload.starts_at === null ? null : new Date(String(payload.starts_at));
	if ('start_interval_seconds' in payload) out.start_interval_seconds = payload.start_interval_seconds === null ? null : Number(payload.start_interval_seconds);
	if ('start_order_strategy' in payload) out.start_order_strategy = String(payload.start_order_strategy);
	if ('start_order_strategy_params' in payload) out.start_order_strategy_params = payload.start_order_strategy_params;
	if ('start_order_input_stage_id' in payload) {
		const v = payload.start_order_input_stage_id;
		out.start_order_input_stage_id = v === null ? null : typeof v === 'object' ? String((v as { id?: unknown }).id) : String(v);
	}
	return out;
}

/** N of {"n": N} (an object, or its JSON text); undefined when there is no whole N ≥ 1. */
export function paramsN(params: unknown): number | undefined {
	let p = params;
	if (typeof p === 'string') {
		try {
			p = JSON.parse(p) as unknown;
		} catch {
			return undefined;
		}
	}
	const n = (p as { n?: unknown } | null | undefined)?.n;
	return typeof n === 'number' && Number.isInteger(n) && n >= 1 ? n : undefined;
}

interface ResultRow {
	stage_id: string;
	code: string;
	entry_id: string;
	elapsed_seconds: number | null;
	total_seconds: number | null;
	status: string;
}

/** Refuses a stage whose results are missing or not all official, naming it and the fix. */
function needOfficial(stage: StageRow, input: { code: string }, rows: ResultRow[]): void {
	if (rows.length === 0) {
		throw invalidPayload(
			`Stage ${stage.code}'s start order comes from the results of stage ${input.code}, which has none: record and publish them, or choose the manual start order.`,
			{ field: 'start_order_input_stage_id' },
		);
	}
	const provisional = rows.filter((r) => r.status !== 'official').length;
	if (provisional > 0) {
		throw invalidPayload(
			`Stage ${stage.code}'s start order comes from the results of stage ${input.code}, and ${provisional} of them ${provisional === 1 ? 'is' : 'are'} still provisional: publish them (official) first.`,
			{ field: 'start_order_input_stage_id' },
		);
	}
}

/** What the order of the stage is built from, checked: its prerequisites refused with the sentence naming what to fix. */
async function orderInput(trx: Knex, stage: StageRow): Promise<{ order: OrderInput; input: string | null }> {
	const strategy = stage.start_order_strategy as Strategy;
	if (!STRATEGIES.includes(strategy)) {
		throw invalidPayload(`Stage ${stage.code} has the start order ${JSON.stringify(stage.start_order_strategy)}, which is none of ${STRATEGIES.join(', ')}.`, {
			field: 'start_order_strategy',
		});
	}
	if (strategy === 'manual') return { order: { strategy }, input: null };
	if (!stage.start_order_input_stage_id) {
		throw invalidPayload(`Stage ${stage.code}'s start order (${strategy}) needs the stage it comes from: set "Start order from".`, {
			field: 'start_order_input_stage_id',
		});
	}
	const input = await trx('stages')
		.where({ id: stage.start_order_input_stage_id, event_id: stage.event_id })
		.first<{ id: string; code: string; sort_order: number } | undefined>('id', 'code', 'sort_order');
	if (!input || input.sort_order >= stage.sort_order) {
		throw invalidPayload(`Stage ${stage.code}'s start order must come from an earlier stage of its event: correct "Start order from".`, {
			field: 'start_order_input_stage_id',
		});
	}
	const stages = strategy === 'inverse_of_overall' ? await overallStages(trx, stage, input.sort_order) : [{ id: input.id, code: input.code }];
	const rows = (
		await trx.raw<{ rows: ResultRow[] }>(
			`SELECT r.stage_id::text AS stage_id, s.code, r.entry_id::text AS entry_id, r.elapsed_seconds, r.total_seconds, r.status
			   FROM stage_results r JOIN stages s ON s.id = r.stage_id
			  WHERE r.stage_id = ANY(?::uuid[])`,
			[stages.map((s) => s.id)],
		)
	).rows;
	for (const s of stages) needOfficial(stage, s, rows.filter((r) => r.stage_id === s.id));
	const ranked = (pick: (r: ResultRow) => number | null): Ranked[] => rows.map((r) => ({ entry_id: r.entry_id, seconds: pick(r) }));
	switch (strategy) {
		case 'previous_stage_clean_result':
			return { order: { strategy, clean: ranked((r) => r.elapsed_seconds) }, input: input.code };
		case 'inverse_top_n_then_natural': {
			const n = paramsN(stage.start_order_strategy_params);
			if (n === undefined) {
				throw invalidPayload(`Stage ${stage.code}'s start order (inverse top N) needs N: set its parameters to {"n": 10}, for instance.`, {
					field: 'start_order_strategy_params',
				});
			}
			return { order: { strategy, n, total: ranked((r) => r.total_seconds) }, input: input.code };
		}
		case 'inverse_of_overall':
			return {
				order: { strategy, overall: overallTimes(stages.map((s) => s.id), rows) },
				input: input.code,
			};
	}
}

/**
 * The stages the overall standing after the input stage adds up: those of
 * the event up to the input stage (by sort order), not cancelled, with
 * results; the input stage always (needOfficial refuses it without).
 */
async function overallStages(trx: Knex, stage: StageRow, upTo: number): Promise<{ id: string; code: string }[]> {
	const res = await trx.raw<{ rows: { id: string; code: string }[] }>(
		`SELECT s.id::text AS id, s.code FROM stages s
		  WHERE s.event_id = ?::uuid AND s.sort_order <= ? AND s.status <> 'cancelled'
		    AND (s.sort_order = ? OR EXISTS (SELECT 1 FROM stage_results r WHERE r.stage_id = s.id))
		  ORDER BY s.sort_order`,
		[stage.event_id, upTo, upTo],
	);
	return res.rows;
}

/** The stage's start list as planned from the database's state, its prerequisites checked. */
export async function planOpen(trx: Knex, stage: StageRow): Promise<{ plan: SegmentPlan[]; result: OpenResult }> {
	if (stage.status === 'cancelled') throw invalidPayload(`Stage ${stage.code} is cancelled: a cancelled stage does not open.`, { field: 'status' });
	if (stage.starts_at === null || Number.isNaN(stage.starts_at.getTime())) {
		throw invalidPayload(`Stage ${stage.code} has no start time: set starts_at (when its first entry starts), then open it.`, { field: 'starts_at' });
	}
	if (stage.start_interval_seconds === null) {
		throw invalidPayload(`Stage ${stage.code} has no start interval: set start_interval_seconds (the seconds between two starters), then open it.`, {
			field: 'start_interval_seconds',
		});
	}
	if (!Number.isInteger(stage.start_interval_seconds) || stage.start_interval_seconds < 0) {
		throw invalidPayload(`Stage ${stage.code}'s start interval must be a whole number of seconds, 0 or more, not ${stage.start_interval_seconds}.`, {
			field: 'start_interval_seconds',
		});
	}
	const segments = await trx('segments')
		.where('stage_id', stage.id)
		.orderBy('sort_order')
		.select<Segment[]>(trx.raw('id::text AS id'), 'code', 'sort_order', 'target_duration_seconds');
	if (segments.length === 0) throw invalidPayload(`Stage ${stage.code} has no segments: import or add its course, then open it.`, { field: 'segments' });
	const { order, input } = await orderInput(trx, stage);
	const entries = await trx('entries').where('event_id', stage.event_id).select<Entry[]>(trx.raw('id::text AS id'), 'race_number', 'status');
	const existing = (
		await trx.raw<{ rows: (Omit<Start, 'target_at'> & { target_at: Date | null })[] }>(
			`SELECT x.id::text AS id, x.entry_id::text AS entry_id, x.segment_id::text AS segment_id, x.start_position, x.target_at, x.manual_override
			   FROM entry_segment_starts x JOIN segments g ON g.id = x.segment_id
			  WHERE g.stage_id = ?::uuid`,
			[stage.id],
		)
	).rows.map((r) => ({ ...r, target_at: r.target_at === null ? null : r.target_at.getTime() }));

	const startsAt = stage.starts_at.getTime();
	const plan = planStage({ starts_at: startsAt, interval_seconds: stage.start_interval_seconds, segments, entries, existing, order });
	const answer = (s: { entry_id: string; race_number: number | null; start_position: number; target_at: number | null; manual_override: boolean }) => ({
		entry_id: s.entry_id,
		race_number: s.race_number,
		start_position: s.start_position,
		target_at: iso(s.target_at),
		manual_override: s.manual_override,
	});
	const targetOf = new Map(existing.map((r) => [r.id, r.target_at]));
	const result: OpenResult = {
		stage_id: stage.id,
		code: stage.code,
		dry_run: true,
		strategy: order.strategy,
		starts_at: new Date(startsAt).toISOString(),
		start_interval_seconds: stage.start_interval_seconds,
		input_stage: input,
		counts: countPlan(plan),
		segments: plan.map((p) => ({
			segment_id: p.segment_id,
			code: p.code,
			starts: p.starts.map((s) => ({ ...answer(s), change: s.change })),
			removed: p.removed.map((r) => ({ ...answer({ ...r, target_at: targetOf.get(r.id) ?? null }), change: 'remove', status: r.status })),
		})),
	};
	return { plan, result };
}

/** Writes the plan: one DELETE, one UPDATE and one INSERT for the whole stage. */
export async function writePlan(trx: Knex, plan: SegmentPlan[]): Promise<void> {
	const removed = plan.flatMap((p) => p.removed.map((r) => r.id));
	const updates = plan.flatMap((p) => p.starts.filter((s) => s.change === 'update').map((s) => ({ id: s.id, p: s.start_position, t: iso(s.target_at) })));
	const inserts = plan.flatMap((p) =>
		p.starts.filter((s) => s.change === 'insert').map((s) => ({ e: s.entry_id, s: p.segment_id, p: s.start_position, t: iso(s.target_at) })),
	);
	if (removed.length > 0) await trx.raw(`DELETE FROM entry_segment_starts WHERE id = ANY(?::uuid[])`, [removed]);
	if (updates.length > 0) {
		await trx.raw(
			`UPDATE entry_segment_starts x SET start_position = v.p, target_at = v.t
			   FROM jsonb_to_recordset(?::jsonb) AS v(id uuid, p integer, t timestamptz)
			  WHERE x.id = v.id`,
			[JSON.stringify(updates)],
		);
	}
	if (inserts.length > 0) {
		await trx.raw(
			`INSERT INTO entry_segment_starts (id, entry_id, segment_id, start_position, target_at, manual_override)
			 SELECT gen_random_uuid(), v.e, v.s, v.p, v.t, false
			   FROM jsonb_to_recordset(?::jsonb) AS v(e uuid, s uuid, p integer, t timestamptz)`,
			[JSON.stringify(inserts)],
		);
	}
}

/**
 * Opens a locked stage whose caller was authorised: plans its start list
 * and, unless dryRun, writes it in trx (the caller commits it with the
 * status change).
 */
export async function materialise(trx: Knex, stage: StageRow, dryRun: boolean): Promise<OpenResult> {
	const { plan, result } = await planOpen(trx, stage);
	if (dryRun) return result;
	await writePlan(trx, plan);
	return { ...result, dry_run: false };
}
