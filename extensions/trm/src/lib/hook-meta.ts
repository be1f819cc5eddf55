// What a hook learns from Directus's meta about the items a write touches.

/** A primary key as Directus passes it: a UUID or an integer id. */
export type ItemKey = string | number;

export function isKey(v: unknown): v is ItemKey {
	return typeof v === 'string' || typeof v === 'number';
}

/** The keys of a hook's meta: `keys` (update, delete) or `key` (a create's action). */
export function keysOf(meta: unknown): ItemKey[] {
	const m = (meta ?? {}) as { key?: unknown; keys?: unknown };
	const all = Array.isArray(m.keys) ? m.keys : m.key !== undefined ? [m.key] : [];
	return all.filter(isKey);
}
