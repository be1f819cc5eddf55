// trm-access-guard: makes a create permission's item rule mean what it says.
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
// transaction) by someone who is not an administrator. It lets the create
// through when at least one create permission of the person's policies
// both lists every field of the payload and has an item rule the new item
// satisfies. The rule's grammar is what the access files allow for a create
// (internal/access checks it): conditions joined by _and and _or, each
// starting at a many-to-one field of the new item; such a condition holds
// when the item it points at matches the rest of the condition, looked up
// in the database. Dynamic variables: $CURRENT_USER and $NOW. Anything
// else does not match, so a rule the hook cannot read refuses rather than
// allows.

class ForbiddenError extends Error {
	constructor(collection) {
		super(
			`You don't have permission to create this item in "${collection}": ` +
				'it is outside every create rule of your role (the item it belongs to is not yours to add to, or a field is not allowed).',
		);
		// Directus's error handler recognises an error by this name and uses
		// its code, status and extensions.
		this.name = 'DirectusError';
		this.code = 'FORBIDDEN';
		this.status = 403;
		this.extensions = { reason: this.message, collection, guard: 'trm-access-guard' };
	}
}

// The policies Directus gives an accountability (its fetchPolicies without
// IP limits, which TRM's access files refuse): those of the user and of
// their roles; the public policy when there is no role.
async function policiesOf(db, acc) {
	const roles = acc.roles ?? [];
	const rows = await db('directus_access')
		.select('policy')
		.where((q) => {
			if (roles.length > 0) q.whereIn('role', roles);
			else q.whereNull('role').whereNull('user');
			if (acc.user) q.orWhere('user', acc.user);
		});
	return [...new Set(rows.map((r) => r.policy))];
}

function parseJSON(v) {
	if (v === null || v === undefined) return null;
	if (typeof v !== 'string') return v;
	try {
		return JSON.parse(v);
	} catch {
		return undefined;
	}
}

function isEmpty(filter) {
	return filter === null || (typeof filter === 'object' && !Array.isArray(filter) && Object.keys(filter).length === 0);
}

function resolveVariables(value, acc, now) {
	if (Array.isArray(value)) return value.map((v) => resolveVariables(v, acc, now));
	if (value && typeof value === 'object') {
		return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveVariables(v, acc, now)]));
	}
	if (value === '$CURRENT_USER') return acc.user ?? null;
	if (value === '$NOW') return now;
	return value;
}

// normalise puts a filter in the form Directus gives permission filters
// before it queries with them (@directus/utils parseFilter): one key per
// object, several keys becoming an _and, and an _and or _or below a field
// moved up above it. Directus's query builder reads only the first key of
// an object below a relation, so a raw {members: {role: ..., user_id: ...}}
// would check the role alone; normalised, both conditions apply to the same
// related row, as in a permission.
function normalise(filter) {
	if (!filter || typeof filter !== 'object' || Array.isArray(filter)) return filter;
	const parts = Object.entries(filter).map(([key, value]) => {
		if (key === '_and' || key === '_or') return { [key]: value.map(normalise) };
		if (key.startsWith('_') || !value || typeof value !== 'object' || Array.isArray(value)) return { [key]: value };
		return shiftUp(key, normalise(value));
	});
	return parts.length === 1 ? parts[0] : { _and: parts };
}

function shiftUp(key, inner) {
	const [childKey] = Object.keys(inner);
	if (childKey === '_and' || childKey === '_or') {
		return { [childKey]: inner[childKey].map((sub) => shiftUp(key, sub)) };
	}
	return { [key]: inner };
}

export default ({ filter }, { services, logger }) => {
	const { ItemsService } = services;

	// Whether the rule holds for the item to be created from payload.
	async function matches(rule, collection, payload, ctx) {
		if (isEmpty(rule)) return true;
		if (typeof rule !== 'object' || Array.isArray(rule)) return false;
		for (const [key, cond] of Object.entries(rule)) {
			if (key === '_and' || key === '_or') {
				if (!Array.isArray(cond) || cond.length === 0) return false;
				const results = [];
				for (const sub of cond) results.push(await matches(sub, collection, payload, ctx));
				const ok = key === '_and' ? results.every(Boolean) : results.some(Boolean);
				if (!ok) return false;
				continue;
			}
			const relation = ctx.schema.relations.find(
				(r) => r.collection === collection && r.field === key && r.related_collection,
			);
			if (!relation) {
				logger.warn(`trm-access-guard: a create rule of ${collection} starts at ${key}, which is not a many-to-one field: it never matches`);
				return false;
			}
			const related = relation.related_collection;
			const pk = ctx.schema.collections[related]?.primary;
			let ref = payload?.[key];
			if (ref && typeof ref === 'object') ref = ref[pk];
			if (ref === null || ref === undefined || pk === undefined) return false;
			const items = new ItemsService(related, { knex: ctx.database, schema: ctx.schema });
			const found = await items.readByQuery({
				filter: { _and: [{ [pk]: { _eq: ref } }, normalise(resolveVariables(cond, ctx.accountability, ctx.now))] },
				fields: [pk],
				limit: 1,
			});
			if (found.length === 0) return false;
		}
		return true;
	}

	filter('items.create', async (payload, meta, context) => {
		const acc = context.accountability;
		if (!acc || acc.admin === true) return payload;
		const collection = meta.collection;
		const db = context.database;
		const policies = await policiesOf(db, acc);
		if (policies.length === 0) return payload;
		const permissions = await db('directus_permissions')
			.select('permissions', 'fields')
			.whereIn('policy', policies)
			.andWhere({ collection, action: 'create' });
		// No create permission at all: Directus refuses on its own.
		if (permissions.length === 0) return payload;
		const keys = Object.keys(payload ?? {});
		const ctx = { database: db, schema: context.schema, accountability: acc, now: new Date().toISOString() };
		for (const p of permissions) {
			const fields = typeof p.fields === 'string' ? p.fields.split(',') : (p.fields ?? []);
			if (!fields.includes('*') && !keys.every((k) => fields.includes(k))) continue;
			const rule = parseJSON(p.permissions);
			if (rule === undefined) continue;
			if (await matches(rule, collection, payload, ctx)) return payload;
		}
		throw new ForbiddenError(collection);
	});
};
