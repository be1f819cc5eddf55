// What a create permission's item rule means for a new item (index.ts says
// why TRM applies it itself).
//
// The rule's grammar is what the access files allow for a create
// (internal/access checks it): conditions joined by _and and _or, each
// starting at a many-to-one field of the new item; such a condition holds
// when the item it points at matches the rest of the condition, looked up
// in the database. Dynamic variables: $CURRENT_USER and $NOW. Anything
// else does not match, so a rule this cannot read refuses rather than
// allows.

export type Filter = Record<string, unknown>;

/** A create permission as directus_permissions stores it. */
export interface CreatePermission {
	/** The item rule: JSON text, an object, or null (no rule). */
	permissions: unknown;
	/** The allowed fields: "a,b,c", an array, "*", or null (none). */
	fields: unknown;
}

/** The lookups matches needs: the schema's relations and the database. */
export interface RuleContext {
	/**
	 * The collection a many-to-one field points at, and its primary key
	 * (undefined when the schema does not know it); undefined when field is
	 * not a many-to-one field.
	 */
	relatedOf(collection: string, field: string): { collection: string; primary: string | undefined } | undefined;
	/** Whether the item key of collection matches filter. */
	exists(collection: string, primary: string, key: unknown, filter: Filter): Promise<boolean>;
	/** Told of a rule that can never match. */
	warn(message: string): void;
	user: string | null;
	now: string;
}

/** JSON text as a value; undefined when it is not JSON. */
export function parseJSON(v: unknown): unknown {
	if (v === null || v === undefined) return null;
	if (typeof v !== 'string') return v;
	try {
		return JSON.parse(v);
	} catch {
		return undefined;
	}
}

function isObject(v: unknown): v is Filter {
	return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function isEmpty(filter: unknown): boolean {
	return filter === null || (isObject(filter) && Object.keys(filter).length === 0);
}

/** value with $CURRENT_USER and $NOW replaced, at any depth. */
export function resolveVariables(value: unknown, user: string | null, now: string): unknown {
	if (Array.isArray(value)) return value.map((v) => resolveVariables(v, user, now));
	if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveVariables(v, user, now)]));
	if (value === '$CURRENT_USER') return user;
	if (value === '$NOW') return now;
	return value;
}

/**
 * filter in the form Directus gives permission filters before it queries
 * with them (@directus/utils parseFilter): one key per object, several
 * keys becoming an _and, and an _and or _or below a field moved up above
 * it. Directus's query builder reads only the first key of an object below
 * a relation, so a raw {members: {role: ..., user_id: ...}} would check the
 * role alone; normalised, both conditions apply to the same related row, as
 * in a permission.
 */
export function normalise(filter: unknown): unknown {
	if (!isObject(filter)) return filter;
	const parts = Object.entries(filter).map(([key, value]): unknown => {
		if ((key === '_and' || key === '_or') && Array.isArray(value)) return { [key]: value.map(normalise) };
		if (key.startsWith('_') || !isObject(value)) return { [key]: value };
		return shiftUp(key, normalise(value));
	});
	return parts.length === 1 ? parts[0] : { _and: parts };
}

function shiftUp(key: string, inner: unknown): unknown {
	if (!isObject(inner)) return { [key]: inner };
	const [childKey] = Object.keys(inner);
	const child = childKey === undefined ? undefined : inner[childKey];
	if ((childKey === '_and' || childKey === '_or') && Array.isArray(child)) {
		return { [childKey]: child.map((sub) => shiftUp(key, sub)) };
	}
	return { [key]: inner };
}

/** Whether rule holds for the item of collection to be created from payload. */
export async function matches(rule: unknown, collection: string, payload: Filter, ctx: RuleContext): Promise<boolean> {
	if (isEmpty(rule)) return true;
	if (!isObject(rule)) return false;
	for (const [key, cond] of Object.entries(rule)) {
		if (key === '_and' || key === '_or') {
			if (!Array.isArray(cond) || cond.length === 0) return false;
			const results: boolean[] = [];
			for (const sub of cond) results.push(await matches(sub, collection, payload, ctx));
			if (!(key === '_and' ? results.every(Boolean) : results.some(Boolean))) return false;
			continue;
		}
		const related = ctx.relatedOf(collection, key);
		if (!related) {
			ctx.warn(`trm-access-guard: a create rule of ${collection} starts at ${key}, which is not a many-to-one field: it never matches`);
			return false;
		}
		const primary = related.primary;
		let ref = payload[key];
		if (isObject(ref) && primary !== undefined) ref = ref[primary];
		if (ref === null || ref === undefined || primary === undefined) return false;
		if (!(await ctx.exists(related.collection, primary, ref, normalise(resolveVariables(cond, ctx.user, ctx.now)) as Filter))) {
			return false;
		}
	}
	return true;
}

/** A permission's field list as names ("*": all). */
export function fieldsOf(fields: unknown): string[] {
	if (typeof fields === 'string') return fields.split(',');
	return Array.isArray(fields) ? fields.filter((f): f is string => typeof f === 'string') : [];
}

/**
 * Whether one of permissions both lists every field of payload and has an
 * item rule the new item satisfies.
 */
export async function allowed(permissions: CreatePermission[], collection: string, payload: Filter, ctx: RuleContext): Promise<boolean> {
	const keys = Object.keys(payload);
	for (const p of permissions) {
		const fields = fieldsOf(p.fields);
		if (!fields.includes('*') && !keys.every((k) => fields.includes(k))) continue;
		const rule = parseJSON(p.permissions);
		if (rule === undefined) continue;
		if (await matches(rule, collection, payload, ctx)) return true;
	}
	return false;
}
