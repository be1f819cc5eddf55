// Applying a checked rules plan: the new formula versions, then the
// rulebook's marker on the event, each through Directus's ItemsService
// with the caller's accountability, exactly as POST /items/penalty_formulas
// and PATCH /items/events/<id> would (permissions, field validation,
// filter hooks, activity and revisions), all in ONE transaction: the
// database's rules (db-init/post/003: no overlapping brackets, versions
// that supersede existing ones) are checked in it, the deferred ones at
// commit, and an import adds every version it planned or none. Action
// hooks are emitted after the commit only (course/apply.ts does the same).
import type { DeferredAction, MutationOptions } from '../lib/deferred.js';
import { isDirectusError } from '../lib/errors.js';
import type { RulesPlan } from './plan.js';

/**
 * What apply needs of an ItemsService: creating and updating one item.
 * Nothing here can delete a row or update a formula.
 */
export interface RulesItems {
	createOne(data: Record<string, unknown>, opts: MutationOptions): Promise<unknown>;
	updateOne(key: string, data: Record<string, unknown>, opts: MutationOptions): Promise<unknown>;
}

export interface RulesApplied {
	created: number;
	eventUpdated: boolean;
	deferred: DeferredAction[];
}

/**
 * Creates the plan's formulas and updates the event's rulebook marker
 * inside transaction, through the items service itemsOf(collection, trx)
 * gives. A Directus error about a formula carries extensions.formula, its
 * index in the plan.
 */
export async function applyRulesPlan<Trx>(
	transaction: (work: (trx: Trx) => Promise<void>) => Promise<unknown>,
	itemsOf: (collection: 'penalty_formulas' | 'events', trx: Trx) => RulesItems,
	plan: RulesPlan,
): Promise<RulesApplied> {
	const deferred: DeferredAction[] = [];
	const opts: MutationOptions = { bypassEmitAction: (params) => deferred.push(params) };
	let eventUpdated = false;
	await transaction(async (trx) => {
		const formulas = itemsOf('penalty_formulas', trx);
		for (const [i, f] of plan.formulas.entries()) {
			try {
				await formulas.createOne(f, opts);
			} catch (err) {
				if (isDirectusError(err)) {
					const ext = (err as { extensions?: unknown }).extensions;
					if (typeof ext === 'object' && ext !== null && !Array.isArray(ext)) (ext as Record<string, unknown>).formula = i;
				}
				throw err;
			}
		}
		if (plan.rulebook) {
			await itemsOf('events', trx).updateOne(plan.event, { ...plan.rulebook }, opts);
			eventUpdated = true;
		}
	});
	return { created: plan.formulas.length, eventUpdated, deferred };
}
