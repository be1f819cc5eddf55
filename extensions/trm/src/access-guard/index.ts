// access-guard: makes a create permission's item rule mean what it says.
//
// Directus 11.17.4 checks a create against the collection (some create
// permission exists), the union of the create permissions' field lists and
// every one of their validations; it stores a create permission's item rule
// (the "permissions" filter) but never applies it (measured: a participant
// of one organisation could create events in any organisation). TRM's
// policies all hang on one role, so that union is everyone's: without this
// hook anyone signed in could create anything in any organisation.
//
// This hook runs before each create (nested ones too, inside the same
// transaction) by someone who is not an administrator, and lets it through
// when a create permission of the person's policies allows it (rule.ts).
// Directus runs the filters of 'items.create' before those of
// '<collection>.items.create': a create refused here is never judged by a
// rule that would describe what it refers to.
import type { HookConfig } from '@directus/types';
import type { Knex } from 'knex';
import { DirectusRuleError } from '../lib/errors.js';
import { allowed, type CreatePermission, type Filter, type RuleContext } from './rule.js';

interface Acc {
	user?: string | null;
	roles?: string[];
	admin?: boolean;
}

interface Schema {
	collections: Record<string, { primary: string } | undefined>;
	relations: { collection: string; field: string; related_collection: string | null }[];
}

type ItemsServiceClass = new (
	collection: string,
	options: { knex: Knex; schema: unknown },
) => { readByQuery(query: { filter: Filter; fields: string[]; limit: number }): Promise<unknown[]> };

/** The 403 of a create outside every create rule. */
export function forbiddenCreate(collection: string): DirectusRuleError {
	const message =
		`You don't have permission to create this item in "${collection}": ` +
		'it is outside every create rule of your role (the item it belongs to is not yours to add to, or a field is not allowed).';
	return new DirectusRuleError(403, 'FORBIDDEN', message, { reason: message, collection, guard: 'trm-access-guard' });
}

/**
 * The policies Directus gives an accountability (its fetchPolicies without
 * IP limits, which TRM's access files refuse): those of the user and of
 * their roles; the public policy when there is no role.
 */
async function policiesOf(db: Knex, acc: Acc): Promise<string[]> {
	const roles = acc.roles ?? [];
	const rows: { policy: string }[] = await db('directus_access')
		.select('policy')
		.where((q) => {
			if (roles.length > 0) void q.whereIn('role', roles);
			else void q.whereNull('role').whereNull('user');
			if (acc.user) void q.orWhere('user', acc.user);
		});
	return [...new Set(rows.map((r) => r.policy))];
}

const hook: HookConfig = ({ filter }, { services, logger }) => {
	const ItemsService = services.ItemsService as unknown as ItemsServiceClass;

	filter<Filter>('items.create', async (payload, meta, context) => {
		const acc = context.accountability as Acc | null;
		if (!acc || acc.admin === true) return payload;
		const collection = String(meta.collection);
		const db = context.database;
		const policies = await policiesOf(db, acc);
		const permissions: CreatePermission[] =
			policies.length === 0
				? []
				: await db('directus_permissions').select('permissions', 'fields').whereIn('policy', policies).andWhere({ collection, action: 'create' });
		// No create permission at all: Directus would refuse too, but only
		// after the other create filters ran, and a rule's sentence
		// (discipline-rules) would tell an anonymous caller about the event.
		if (permissions.length === 0) throw forbiddenCreate(collection);
		const schema = context.schema as Schema | null;
		const ctx: RuleContext = {
			relatedOf(from, field) {
				const r = schema?.relations.find((rel) => rel.collection === from && rel.field === field && rel.related_collection);
				if (!r?.related_collection) return undefined;
				return { collection: r.related_collection, primary: schema?.collections[r.related_collection]?.primary };
			},
			async exists(related, primary, key, cond) {
				const items = new ItemsService(related, { knex: db, schema: context.schema });
				const found = await items.readByQuery({ filter: { _and: [{ [primary]: { _eq: key } }, cond] }, fields: [primary], limit: 1 });
				return found.length > 0;
			},
			warn: (message) => logger.warn(message),
			user: acc.user ?? null,
			now: new Date().toISOString(),
		};
		if (await allowed(permissions, collection, payload ?? {}, ctx)) return payload;
		throw forbiddenCreate(collection);
	});
};

export default hook;
