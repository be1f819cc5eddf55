// The stages the endpoint opened in a transaction: the stage update it
// then makes through ItemsService (for Directus's permissions, activity
// and cache) fires the hook, which must not plan the start list again.
import type { Knex } from 'knex';

const openedIn = new WeakMap<Knex, Set<string>>();

export function markOpened(trx: Knex, stageId: string): void {
	let set = openedIn.get(trx);
	if (!set) openedIn.set(trx, (set = new Set()));
	set.add(stageId);
}

export function wasOpened(trx: Knex, stageId: string): boolean {
	return openedIn.get(trx)?.has(stageId) === true;
}
