// discipline-rules: an event's discipline, its classes' categories and its
// entries' vehicles agree (lib/discipline.ts has the rules). Every write
// through Directus that would break them is refused with a sentence: a
// class or an entry that does not fit its event, and a change of
// discipline its classes or entries would not fit. Nested writes (an
// event's classes and entries in the same request, as the admin UI sends
// them) are judged as they will be after the request.
//
// The processor writes to PostgreSQL directly: its writes are not judged
// here (it writes neither events, classes nor entries).
//
// An update is judged only when the caller may make it (may-update.ts):
// the sentence names what only those who may change it should read.
import type { HookConfig } from '@directus/types';
import type { Knex } from 'knex';
import {
	applyNested,
	checkClass,
	checkDisciplineChange,
	checkEntry,
	referencedKeys,
	type EventFacts,
	type Row,
} from '../lib/discipline.js';
import { invalidPayload } from '../lib/errors.js';
import { isKey, keysOf, type ItemKey } from '../lib/hook-meta.js';
import { mayUpdate, type PermissionsServiceClass } from './may-update.js';
import { disciplineStore, type DisciplineStore } from './store.js';

type Payload = Record<string, unknown>;
type Key = ItemKey;

function isObject(v: unknown): v is Payload {
	return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The event an event_id value designates: a key, or a nested event (with
 * its key: an update of it; without: created in the same request).
 * undefined when there is none to judge against (Directus refuses a
 * missing or unknown event itself).
 */
async function eventOf(store: DisciplineStore, ref: unknown): Promise<EventFacts | undefined> {
	if (isKey(ref)) return store.event(ref);
	if (!isObject(ref)) return undefined;
	const stored = isKey(ref.id) ? await store.event(ref.id) : undefined;
	const discipline = typeof ref.discipline === 'string' ? ref.discipline : stored?.discipline;
	if (discipline === undefined) return undefined;
	const name = typeof ref.name === 'string' ? ref.name : (stored?.name ?? 'the new event');
	return { name, discipline };
}

function refuse(message: string | undefined, collection: string, field: string): void {
	if (message) throw invalidPayload(message, { collection, field, rule: 'discipline' });
}

async function withKnown(existing: Row[], nested: unknown, fetch: (ids: Key[]) => Promise<Row[]>): Promise<Row[]> {
	if (nested === undefined) return existing;
	const known = new Map<Key, Row>();
	for (const row of existing) if (row.id !== undefined) known.set(row.id, row);
	const missing = referencedKeys(nested).filter((k) => !known.has(k));
	for (const row of await fetch(missing)) if (row.id !== undefined) known.set(row.id, row);
	return applyNested(existing, nested, known);
}

const hook: HookConfig = ({ filter }, { services }) => {
	const storeOf = (db: Knex) => disciplineStore(db);
	const PermissionsService = services.PermissionsService as unknown as PermissionsServiceClass;

	filter<Payload>('classes.items.create', async (payload, _meta, { database }) => {
		if (!isObject(payload)) return payload;
		const event = await eventOf(storeOf(database), payload.event_id);
		if (event) refuse(checkClass(event, payload), 'classes', 'category');
		return payload;
	});

	filter<Payload>('classes.items.update', async (payload, meta, context) => {
		if (!isObject(payload) || !('category' in payload || 'event_id' in payload)) return payload;
		if (!(await mayUpdate(PermissionsService, context, 'classes', keysOf(meta)))) return payload;
		const store = storeOf(context.database);
		for (const key of keysOf(meta)) {
			const current = await store.classOne(key);
			if (!current) continue;
			const merged = { ...current, ...payload };
			const event = await eventOf(store, merged.event_id);
			if (event) refuse(checkClass(event, merged), 'classes', 'category');
		}
		return payload;
	});

	filter<Payload>('entries.items.create', async (payload, _meta, { database }) => {
		if (!isObject(payload)) return payload;
		const event = await eventOf(storeOf(database), payload.event_id);
		if (event) refuse(checkEntry(event, { ...payload, status: payload.status ?? 'draft' }), 'entries', 'vehicle_id');
		return payload;
	});

	filter<Payload>('entries.items.update', async (payload, meta, context) => {
		if (!isObject(payload) || !('vehicle_id' in payload || 'status' in payload || 'event_id' in payload)) return payload;
		if (!(await mayUpdate(PermissionsService, context, 'entries', keysOf(meta)))) return payload;
		const store = storeOf(context.database);
		for (const key of keysOf(meta)) {
			const current = await store.entryOne(key);
			if (!current) continue;
			const merged = { ...current, ...payload };
			const event = await eventOf(store, merged.event_id);
			if (event) refuse(checkEntry(event, merged), 'entries', 'vehicle_id');
		}
		return payload;
	});

	filter<Payload>('events.items.update', async (payload, meta, context) => {
		if (!isObject(payload) || typeof payload.discipline !== 'string') return payload;
		if (!(await mayUpdate(PermissionsService, context, 'events', keysOf(meta)))) return payload;
		const discipline = payload.discipline;
		const store = storeOf(context.database);
		for (const key of keysOf(meta)) {
			const current = await store.event(key);
			// Same discipline: nested classes and entries are judged one by one.
			if (!current || current.discipline === discipline) continue;
			const classes = await withKnown(await store.classesOf(key), payload.classes, store.classes);
			const entries = await withKnown(await store.entriesOf(key), payload.entries, store.entries);
			const name = typeof payload.name === 'string' ? payload.name : current.name;
			refuse(checkDisciplineChange({ name, discipline: current.discipline }, discipline, classes, entries), 'events', 'discipline');
		}
		return payload;
	});
};

export default hook;
