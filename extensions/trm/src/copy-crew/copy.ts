// Copying a crew (and its trackers) onto an entry, in one transaction,
// with the caller's rights decided by Directus's own permission machinery:
// every read of what is copied and every write goes through an
// ItemsService under the caller's accountability (permissions, field
// lists, validations, the access guard's create rules, filter hooks,
// activity and revisions), exactly as the same reads and creates through
// /items would. This code only refuses with sentences saying what the
// caller lacks.
//
// What the target holds already (its crew, its trackers) is read as the
// system: whom to skip must not depend on what the caller happens to see.
// It shows in the answer only once the caller has proved they may change
// the target's crew.
import type { Knex } from 'knex';
import type { DeferredAction, MutationOptions } from '../lib/deferred.js';
import { DirectusRuleError, forbidden, isDirectusError } from '../lib/errors.js';
import { planCopy, type Assignment, type CopiedTracker, type CrewMember, type SkippedMember, type SkippedTracker } from './plan.js';
import type { CopyCrewRequest } from './request.js';

export interface CopyItems {
	readOne(key: string, query: { fields: string[] }): Promise<Record<string, unknown>>;
	readByQuery(query: { filter: Record<string, unknown>; fields: string[]; sort: string[]; limit: number }): Promise<Record<string, unknown>[]>;
	createOne(data: Record<string, unknown>, opts: MutationOptions): Promise<unknown>;
}

export interface Caller {
	user: string | null;
	admin: boolean;
}

export interface CopyResult {
	target: string;
	from: string;
	crew: { copied: CrewMember[]; skipped: SkippedMember[] };
	/** null when the trackers were not asked for. */
	trackers: { copied: CopiedTracker[]; skipped: SkippedTracker[] } | null;
}

/** The role of the probe's crew member (probeCrewRight): any the CHECK allows. */
const PROBE_ROLE = 'pilot';

const UTC = (expr: string) => `to_char((${expr}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

function isForbidden(err: unknown): boolean {
	return isDirectusError(err) && (err.status === 403 || err.code === 'FORBIDDEN');
}

export function cannotRead(entry: string, which: 'source' | 'target'): DirectusRuleError {
	const what = which === 'source' ? 'copying a crew needs read access to the entry it comes from' : 'copying a crew onto an entry needs access to that entry';
	return forbidden(`Entry ${entry} does not exist or you may not read it: ${what}.`);
}

export function cannotReadCrew(entry: string, part: 'crew' | 'trackers'): DirectusRuleError {
	if (part === 'crew') return forbidden(`You may not read the crew of entry ${entry}: copying it needs read access to its crew.`);
	return forbidden(`You may not read the trackers of entry ${entry}: copy its crew alone ("trackers": false), or ask a race director of its organisation.`);
}

export function cannotChangeCrew(entry: string): DirectusRuleError {
	return forbidden(
		`You may not add crew members to entry ${entry}: copying a crew onto it needs that right (a race director or org-admin of its event's organisation; a participant on its crew while the event has not started).`,
	);
}

export function cannotAssignTrackers(entry: string): DirectusRuleError {
	return forbidden(
		`You may not assign trackers to entry ${entry}: copy the crew alone ("trackers": false), or ask a race director or org-admin of its event's organisation.`,
	);
}

/** A 400 from a write, with the row it was about in front of its sentence. */
function about(err: unknown, what: string): unknown {
	if (!isDirectusError(err) || err.status !== 400) return err;
	const e = err as unknown as { message: string; code: string; extensions?: Record<string, unknown> };
	return new DirectusRuleError(400, e.code, `Copying ${what}: ${e.message}`, { ...(e.extensions ?? {}), copying: what });
}

async function refusing<T>(work: () => Promise<T>, refusal: DirectusRuleError, what?: string): Promise<T> {
	try {
		return await work();
	} catch (err) {
		if (isForbidden(err)) throw refusal;
		throw what === undefined ? err : about(err, what);
	}
}

/**
 * Copies req.from's crew (and trackers) onto req.target inside transaction;
 * itemsOf(collection, trx) is an ItemsService under the caller's
 * accountability. Returns the result and the actions to emit after the
 * commit.
 */
export async function copyCrew<Trx extends Knex.Transaction>(
	transaction: <T>(work: (trx: Trx) => Promise<T>) => Promise<T>,
	itemsOf: (collection: string, trx: Trx) => CopyItems,
	caller: Caller,
	req: CopyCrewRequest,
): Promise<{ result: CopyResult; deferred: DeferredAction[] }> {
	if (!caller.admin && !caller.user) {
		throw forbidden('Copying a crew needs a signed-in user who may read the entry it comes from and add crew members to the entry it goes to.');
	}
	const deferred: DeferredAction[] = [];
	const opts: MutationOptions = { bypassEmitAction: (a) => deferred.push(a) };
	const result = await transaction(async (trx) => {
		// Readable by the caller, both of them, before anything else: a
		// refusal says the same whether the entry exists or not.
		const target = await refusing(() => itemsOf('entries', trx).readOne(req.target, { fields: ['id', 'event_id'] }), cannotRead(req.target, 'target'));
		await refusing(() => itemsOf('entries', trx).readOne(req.from, { fields: ['id'] }), cannotRead(req.from, 'source'));
		const sourceCrew = (
			await refusing(
				() => itemsOf('entry_crew', trx).readByQuery({ filter: { entry_id: { _eq: req.from } }, fields: ['user_id', 'role'], sort: ['id'], limit: -1 }),
				cannotReadCrew(req.from, 'crew'),
			)
		).map((r) => ({ user_id: String(r.user_id), role: typeof r.role === 'string' ? r.role : null }));
		const sourceTrackers = req.trackers
			? (
					await refusing(
						() =>
							itemsOf('entry_devices', trx).readByQuery({
								filter: { entry_id: { _eq: req.from } },
								fields: ['device_id', 'assigned_user_id'],
								sort: ['valid_from', 'id'],
								limit: -1,
							}),
						cannotReadCrew(req.from, 'trackers'),
					)
				).map((r) => ({ device_id: String(r.device_id), assigned_user_id: typeof r.assigned_user_id === 'string' ? r.assigned_user_id : null }))
			: null;

		const targetCrew: CrewMember[] = await trx('entry_crew').select('user_id', 'role').where('entry_id', req.target);
		const targetTrackers: Assignment[] = await trx('entry_devices').select('device_id', 'assigned_user_id').where('entry_id', req.target);
		const event = await trx('events')
			.select(trx.raw(`${UTC('starts_at')} AS starts_at`), trx.raw(`${UTC('ends_at')} AS ends_at`))
			.where('id', String(target.event_id))
			.first<{ starts_at: string; ends_at: string | null }>();
		if (!event) throw new Error(`entry ${req.target} has no event`);

		const plan = planCopy({ crew: sourceCrew, trackers: sourceTrackers }, { crew: targetCrew, trackers: targetTrackers }, event, caller.user);

		if (plan.crew.copy.length === 0 && !caller.admin) await probeCrewRight(trx, itemsOf, caller, req.target, targetCrew);

		// The organisation rules (db-init/post/006) are checked at each
		// insert rather than at the commit: a refusal then names the row.
		await trx.raw('SET CONSTRAINTS ALL IMMEDIATE');
		for (const m of plan.crew.copy) {
			await refusing(
				() => itemsOf('entry_crew', trx).createOne({ entry_id: req.target, user_id: m.user_id, role: m.role }, opts),
				cannotChangeCrew(req.target),
				`crew member ${m.user_id} (${m.role ?? 'no role'})`,
			);
		}
		for (const t of plan.trackers?.copy ?? []) {
			await refusing(
				() =>
					itemsOf('entry_devices', trx).createOne(
						{ entry_id: req.target, device_id: t.device_id, assigned_user_id: t.worn_by, valid_from: t.valid_from, valid_until: t.valid_until },
						opts,
					),
				cannotAssignTrackers(req.target),
				`tracker ${t.device_id}`,
			);
		}
		const out: CopyResult = {
			target: req.target,
			from: req.from,
			crew: { copied: plan.crew.copy, skipped: plan.crew.skipped },
			trackers: plan.trackers ? { copied: plan.trackers.copy, skipped: plan.trackers.skipped } : null,
		};
		return out;
	});
	return { result, deferred };
}

/**
 * Nothing of the crew is left to copy: whether the caller may add crew
 * members to the target is still asked of Directus, with a crew member
 * created in a savepoint and rolled back (the caller, or anyone not on
 * the crew). The organisation rules are deferred to the commit, so they
 * do not judge the probe.
 */
async function probeCrewRight<Trx extends Knex.Transaction>(
	trx: Trx,
	itemsOf: (collection: string, trx: Trx) => CopyItems,
	caller: Caller,
	target: string,
	crew: CrewMember[],
): Promise<void> {
	let probe = caller.user;
	if (probe === null || crew.some((m) => m.user_id === probe)) {
		const other = await trx('directus_users')
			.select('id')
			.whereNotIn('id', trx('entry_crew').select('user_id').where('entry_id', target))
			.first<{ id: string } | undefined>();
		probe = other?.id ?? null;
	}
	// Everyone is on this crew already: there is no row to try.
	if (probe === null) throw cannotChangeCrew(target);
	const rolledBack = new Error('probe rolled back');
	try {
		await trx.transaction(async (sp) => {
			await itemsOf('entry_crew', sp as Trx).createOne({ entry_id: target, user_id: probe, role: PROBE_ROLE }, { bypassEmitAction: () => {} });
			throw rolledBack;
		});
	} catch (err) {
		if (isForbidden(err)) throw cannotChangeCrew(target);
		// Anything else failed after the permission checks passed (a row
		// written meanwhile): the caller has the right; the probe is gone.
		if (err !== rolledBack && !isDirectusError(err)) throw err;
	}
}
