// What each discipline of an event allows its classes and entries: the
// rule table and the checks, pure (the hook in discipline-rules reads the
// rows and calls these). The enumerations come from internal/catalog
// through catalog.gen.ts: a discipline or category added there fails the
// type check here until it has a rule.

import type { ClassesCategory, EntriesStatus, EventsDiscipline } from './catalog.gen.js';
import { CLASSES_CATEGORY, ENTRIES_STATUS } from './catalog.gen.js';

export interface DisciplineRule {
	/** How a sentence names an event of the discipline: "a rally". */
	noun: string;
	/** required: an entry races in a vehicle; none: an entry has no vehicle. */
	vehicle: 'required' | 'none';
	/** Why, as the end of a sentence: "a rally is raced in vehicles". */
	because: string;
	/** The class categories an event of the discipline may have. */
	categories: readonly ClassesCategory[];
}

const MOTOR: readonly ClassesCategory[] = ['moto', 'quad', 'car', 'ssv', 'truck'];

/**
 * The rules. A regatta races boats: its entries need their boat (a vehicle
 * record), and none of the catalog's categories is a boat, so a regatta
 * takes no class until internal/catalog has one (extensions/README.md).
 */
export const DISCIPLINE_RULES: Readonly<Record<EventsDiscipline, DisciplineRule>> = {
	rally: { noun: 'a rally', vehicle: 'required', because: 'a rally is raced in vehicles', categories: MOTOR },
	'time-trial': { noun: 'a time trial', vehicle: 'required', because: 'a time trial is raced in vehicles', categories: MOTOR },
	regatta: { noun: 'a regatta', vehicle: 'required', because: 'a regatta is raced in boats, each recorded as a vehicle', categories: [] },
	'trail-run': { noun: 'a trail run', vehicle: 'none', because: 'a trail run is on foot', categories: ['foot'] },
	hike: { noun: 'a hike', vehicle: 'none', because: 'a hike is on foot', categories: ['foot'] },
};

/**
 * Statuses in which an entry of a vehicle discipline may still lack its
 * vehicle: a draft is being filled in, a withdrawn entry is archived.
 */
export const VEHICLE_OPTIONAL_STATUSES: readonly EntriesStatus[] = ['draft', 'withdrawn'];

export interface EventFacts {
	name: string;
	discipline: string;
}

export interface ClassFacts {
	id?: string | number;
	code?: unknown;
	category?: unknown;
}

export interface EntryFacts {
	id?: string | number;
	race_number?: unknown;
	/** Anything but null or undefined is a vehicle (an id or a nested vehicle). */
	vehicle_id?: unknown;
	status?: unknown;
}

/** The rule of a discipline; undefined for a value the catalog does not have (its CHECK refuses it). */
export function ruleOf(discipline: string): DisciplineRule | undefined {
	return Object.hasOwn(DISCIPLINE_RULES, discipline) ? DISCIPLINE_RULES[discipline as EventsDiscipline] : undefined;
}

function categoriesSentence(rule: DisciplineRule): string {
	if (rule.categories.length === 0) {
		return `${rule.noun} takes no class of the categories ${CLASSES_CATEGORY.join(', ')}: none of them fits it yet`;
	}
	const list = rule.categories.length === 1 ? `${rule.categories[0]} classes` : `classes of the categories ${rule.categories.join(', ')}`;
	return `${rule.noun} takes ${list} only`;
}

function classLabel(c: ClassFacts): string {
	const code = typeof c.code === 'string' && c.code !== '' ? c.code : 'a new class';
	return `${code} (${String(c.category)})`;
}

function entryLabel(e: EntryFacts): string {
	return e.race_number === undefined || e.race_number === null ? 'a new entry' : `#${String(e.race_number)}`;
}

/** "a, b, c and 4 more" */
function listOf(items: string[], max = 5): string {
	const shown = items.slice(0, max);
	const more = items.length - shown.length;
	if (more > 0) return `${shown.join(', ')} and ${more} more`;
	if (shown.length <= 1) return shown.join('');
	return `${shown.slice(0, -1).join(', ')} and ${shown[shown.length - 1]}`;
}

/** Whether a class of category may be in an event of discipline. */
export function classFits(discipline: string, category: unknown): boolean {
	const rule = ruleOf(discipline);
	// An unknown discipline or category is the CHECK's to refuse, with its own sentence.
	if (!rule || typeof category !== 'string' || !(CLASSES_CATEGORY as readonly string[]).includes(category)) return true;
	return (rule.categories as readonly string[]).includes(category);
}

/** Whether an entry with these facts may be in an event of discipline. */
export function entryFits(discipline: string, entry: EntryFacts): boolean {
	const rule = ruleOf(discipline);
	if (!rule) return true;
	const hasVehicle = entry.vehicle_id !== null && entry.vehicle_id !== undefined;
	if (rule.vehicle === 'none') return !hasVehicle;
	const status = typeof entry.status === 'string' ? entry.status : 'draft';
	// A status outside the catalog is the CHECK's to refuse, with its own sentence.
	if (!(ENTRIES_STATUS as readonly string[]).includes(status)) return true;
	return hasVehicle || (VEHICLE_OPTIONAL_STATUSES as readonly string[]).includes(status);
}

/** The sentence refusing class c in event, or undefined when it fits. */
export function checkClass(event: EventFacts, c: ClassFacts): string | undefined {
	if (classFits(event.discipline, c.category)) return undefined;
	const rule = ruleOf(event.discipline) as DisciplineRule;
	return `Class ${classLabel(c)} cannot be in ${event.name}: ${categoriesSentence(rule)}.`;
}

/** The sentence refusing entry e in event, or undefined when it fits. */
export function checkEntry(event: EventFacts, e: EntryFacts): string | undefined {
	if (entryFits(event.discipline, e)) return undefined;
	const rule = ruleOf(event.discipline) as DisciplineRule;
	const who = `Entry ${entryLabel(e)} of ${event.name}`;
	if (rule.vehicle === 'none') return `${who} cannot have a vehicle: ${rule.because}. Remove its vehicle.`;
	return `${who} needs a vehicle: ${rule.because}. Choose its vehicle, or keep the entry as a draft until it is known.`;
}

/**
 * The sentence refusing to make event's discipline `discipline` while it
 * has these classes and entries, or undefined when they all fit.
 */
export function checkDisciplineChange(event: EventFacts, discipline: string, classes: ClassFacts[], entries: EntryFacts[]): string | undefined {
	const rule = ruleOf(discipline);
	if (!rule) return undefined;
	const badClasses = classes.filter((c) => !classFits(discipline, c.category));
	const badEntries = entries.filter((e) => !entryFits(discipline, e));
	if (badClasses.length === 0 && badEntries.length === 0) return undefined;
	const problems: string[] = [];
	if (badClasses.length > 0) {
		const verb = badClasses.length === 1 ? 'does' : 'do';
		problems.push(`its ${badClasses.length === 1 ? 'class' : 'classes'} ${listOf(badClasses.map(classLabel))} ${verb} not fit (${categoriesSentence(rule)})`);
	}
	if (badEntries.length > 0) {
		const what = rule.vehicle === 'none' ? 'have a vehicle' : 'have no vehicle';
		const one = badEntries.length === 1;
		problems.push(
			`its ${one ? 'entry' : 'entries'} ${listOf(badEntries.map(entryLabel))} ${one ? what.replace('have', 'has') : what} (${rule.because})`,
		);
	}
	return `${event.name} cannot become ${rule.noun}: ${problems.join(', and ')}. Change or delete those first, or in the same request.`;
}

type Key = string | number;

/** A row of an o2m list as the hook knows it; id is the primary key. */
export type Row = Record<string, unknown> & { id?: Key };

function isKey(v: unknown): v is Key {
	return typeof v === 'string' || typeof v === 'number';
}

function isObject(v: unknown): v is Record<string, unknown> {
	return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The keys an o2m value of a payload refers to (to link or update): the
 * hook reads those rows first.
 */
export function referencedKeys(nested: unknown): Key[] {
	const keys: Key[] = [];
	const add = (item: unknown) => {
		if (isKey(item)) keys.push(item);
		else if (isObject(item) && isKey(item.id)) keys.push(item.id);
	};
	if (Array.isArray(nested)) nested.forEach(add);
	else if (isObject(nested)) {
		if (Array.isArray(nested.update)) nested.update.forEach(add);
	}
	return keys;
}

/**
 * The rows an o2m field holds after Directus applies nested, the field's
 * value in a payload, to existing (the rows it holds now). known has every
 * row referencedKeys named. The forms are Directus's: null or an array (the
 * new list: keys keep or link rows, objects with a key update them,
 * objects without one are created, rows left out are removed) or
 * { create, update, delete }. undefined: the payload leaves the field alone.
 */
export function applyNested(existing: Row[], nested: unknown, known: Map<Key, Row>): Row[] {
	if (nested === undefined) return existing;
	const merge = (key: Key, changes: Record<string, unknown>) => ({ ...(known.get(key) ?? { id: key }), ...changes });
	if (nested === null || Array.isArray(nested)) {
		const out: Row[] = [];
		for (const item of nested ?? []) {
			if (isKey(item)) out.push(known.get(item) ?? { id: item });
			else if (isObject(item)) out.push(isKey(item.id) ? merge(item.id, item) : { ...item });
		}
		return out;
	}
	if (!isObject(nested)) return existing;
	const deleted = new Set((Array.isArray(nested.delete) ? nested.delete : []).filter(isKey).map(String));
	const updates = new Map<string, Record<string, unknown>>();
	for (const item of Array.isArray(nested.update) ? nested.update : []) {
		if (isObject(item) && isKey(item.id)) updates.set(String(item.id), item);
	}
	const out: Row[] = [];
	for (const row of existing) {
		const key = row.id;
		if (key !== undefined && deleted.has(String(key))) continue;
		const change = key !== undefined ? updates.get(String(key)) : undefined;
		if (change) updates.delete(String(key));
		out.push(change ? { ...row, ...change } : row);
	}
	// An update of a row another event holds moves it here.
	for (const change of updates.values()) {
		if (!deleted.has(String(change.id))) out.push(merge(change.id as Key, change));
	}
	for (const item of Array.isArray(nested.create) ? nested.create : []) {
		if (isObject(item)) out.push({ ...item });
	}
	return out;
}
