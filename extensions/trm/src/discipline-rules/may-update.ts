// Whether the rules should judge an update at all. Directus 11.17.4 runs
// an update's filter hooks before it checks the caller may update the
// items (ItemsService.updateMany: emitFilter, then validateAccess), so a
// rule judging first would answer anyone, another organisation's users and
// anonymous callers included, with a sentence naming the event, its
// classes and its entries (measured: tests/extensions,
// TestDisciplineRulesByRole). The rules judge only what the caller may
// update, as Directus decides it (PermissionsService.getItemPermissions
// runs the same validateAccess on each item); otherwise they stay silent
// and Directus refuses with its own 403 right after.
//
// Creates need nothing here: the access guard runs before every create
// filter and refuses what the caller may not create.
import type { Knex } from 'knex';
import { forbidden } from '../lib/errors.js';

type Key = string | number;

interface Acc {
	user?: string | null;
	admin?: boolean;
}

export type PermissionsServiceClass = new (options: { knex: Knex; schema: unknown; accountability: unknown }) => {
	getItemPermissions(collection: string, key: string): Promise<{ update?: { access?: boolean } }>;
};

/** Directus's own refusal, word for word. */
export const NO_PERMISSION = "You don't have permission to access this.";

/**
 * True when accountability may update every key of collection (the
 * system, without an accountability, and administrators always may).
 * Without a user there is nothing Directus could check item by item
 * (getItemPermissions refuses): refused at once, as TRM's public policy
 * updates nothing.
 */
export async function mayUpdate(
	Service: PermissionsServiceClass,
	context: { database: Knex; schema: unknown; accountability: unknown },
	collection: string,
	keys: Key[],
): Promise<boolean> {
	const acc = context.accountability as Acc | null | undefined;
	if (!acc || acc.admin === true) return true;
	if (!acc.user) throw forbidden(NO_PERMISSION);
	const permissions = new Service({ knex: context.database, schema: context.schema, accountability: acc });
	for (const key of keys) {
		const item = await permissions.getItemPermissions(collection, String(key));
		if (item.update?.access !== true) return false;
	}
	return true;
}
