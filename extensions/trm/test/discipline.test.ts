import { describe, expect, it } from 'vitest';
import { CLASSES_CATEGORY, ENTRIES_STATUS, EVENTS_DISCIPLINE } from '../src/lib/catalog.gen.js';
import {
	DISCIPLINE_RULES,
	applyNested,
	checkClass,
	checkDisciplineChange,
	checkEntry,
	classFits,
	entryFits,
	referencedKeys,
	type Row,
} from '../src/lib/discipline.js';

const rally = { name: 'Rally Albania 2026', discipline: 'rally' };
const hike = { name: 'Theth Hike', discipline: 'hike' };

describe('the rule table', () => {
	it('has a rule for every discipline of the catalog and nothing else', () => {
		expect(Object.keys(DISCIPLINE_RULES).sort()).toEqual([...EVENTS_DISCIPLINE].sort());
	});
	it('uses only categories of the catalog, each in some discipline but a boat-less regatta', () => {
		const used = new Set(Object.values(DISCIPLINE_RULES).flatMap((r) => r.categories));
		for (const c of used) expect(CLASSES_CATEGORY).toContain(c);
		expect([...used].sort()).toEqual([...CLASSES_CATEGORY].sort());
		expect(DISCIPLINE_RULES.regatta.categories).toEqual([]);
	});
	it('puts motor categories in rallies and time trials, foot in trail runs and hikes', () => {
		for (const d of ['rally', 'time-trial'])
			for (const c of ['moto', 'quad', 'car', 'ssv', 'truck']) expect(classFits(d, c), `${d}/${c}`).toBe(true);
		for (const d of ['trail-run', 'hike']) {
			expect(classFits(d, 'foot')).toBe(true);
			for (const c of ['moto', 'quad', 'car', 'ssv', 'truck']) expect(classFits(d, c), `${d}/${c}`).toBe(false);
		}
		expect(classFits('rally', 'foot')).toBe(false);
		for (const c of CLASSES_CATEGORY) expect(classFits('regatta', c)).toBe(false);
	});
	it("leaves values outside the catalog to the database's CHECKs", () => {
		expect(classFits('golf', 'car')).toBe(true);
		expect(classFits('rally', 'bicycle')).toBe(true);
		expect(entryFits('golf', { vehicle_id: null, status: 'registered' })).toBe(true);
		expect(entryFits('rally', { vehicle_id: null, status: 'disqualified' })).toBe(true);
	});
});

describe('entries', () => {
	it('need a vehicle in a rally once past draft; drafts and withdrawn entries may wait', () => {
		for (const status of ENTRIES_STATUS) {
			const optional = status === 'draft' || status === 'withdrawn';
			expect(entryFits('rally', { vehicle_id: null, status }), status).toBe(optional);
			expect(entryFits('rally', { vehicle_id: 'v1', status }), status).toBe(true);
		}
		expect(entryFits('regatta', { vehicle_id: null, status: 'registered' })).toBe(false);
	});
	it('never have a vehicle in a foot race, whatever their status', () => {
		for (const status of ENTRIES_STATUS) {
			expect(entryFits('hike', { vehicle_id: 'v1', status })).toBe(false);
			expect(entryFits('trail-run', { vehicle_id: { make: 'KTM', model: '450' }, status })).toBe(false);
			expect(entryFits('hike', { vehicle_id: null, status })).toBe(true);
		}
	});
	it('say what is wrong and how to fix it', () => {
		expect(checkEntry(rally, { race_number: 301, vehicle_id: null, status: 'registered' })).toBe(
			'Entry #301 of Rally Albania 2026 needs a vehicle: a rally is raced in vehicles. Choose its vehicle, or keep the entry as a draft until it is known.',
		);
		expect(checkEntry(hike, { race_number: 7, vehicle_id: 'v', status: 'draft' })).toBe(
			'Entry #7 of Theth Hike cannot have a vehicle: a hike is on foot. Remove its vehicle.',
		);
		expect(checkEntry(rally, { vehicle_id: 'v', status: 'registered' })).toBeUndefined();
	});
});

describe('classes', () => {
	it('say which categories the discipline takes', () => {
		expect(checkClass(hike, { code: 'C-2', category: 'car' })).toBe('Class C-2 (car) cannot be in Theth Hike: a hike takes foot classes only.');
		expect(checkClass(rally, { code: 'F-1', category: 'foot' })).toBe(
			'Class F-1 (foot) cannot be in Rally Albania 2026: a rally takes classes of the categories moto, quad, car, ssv, truck only.',
		);
		expect(checkClass({ name: 'Vlora Cup', discipline: 'regatta' }, { category: 'car' })).toBe(
			'Class a new class (car) cannot be in Vlora Cup: a regatta takes no class of the categories moto, quad, car, ssv, truck, foot: none of them fits it yet.',
		);
		expect(checkClass(rally, { code: 'C-2', category: 'car' })).toBeUndefined();
	});
});

describe('a change of discipline', () => {
	const classes = [
		{ id: 'c1', code: 'M-1', category: 'moto' },
		{ id: 'c2', code: 'C-2', category: 'car' },
	];
	const entries = [
		{ id: 'e1', race_number: 1, vehicle_id: 'v1', status: 'registered' },
		{ id: 'e2', race_number: 2, vehicle_id: null, status: 'draft' },
	];
	it('is refused with every class and entry that would not fit', () => {
		expect(checkDisciplineChange(rally, 'hike', classes, entries)).toBe(
			'Rally Albania 2026 cannot become a hike: its classes M-1 (moto) and C-2 (car) do not fit (a hike takes foot classes only), and its entry #1 has a vehicle (a hike is on foot). Change or delete those first, or in the same request.',
		);
	});
	it('between disciplines of the same rule is allowed', () => {
		expect(checkDisciplineChange(rally, 'time-trial', classes, entries)).toBeUndefined();
		expect(checkDisciplineChange(hike, 'trail-run', [{ code: 'F', category: 'foot' }], [{ vehicle_id: null, status: 'racing' }])).toBeUndefined();
	});
	it('counts what it does not list', () => {
		const many = Array.from({ length: 8 }, (_, i) => ({ race_number: i + 1, vehicle_id: null, status: 'registered' }));
		expect(checkDisciplineChange(hike, 'rally', [], many)).toBe(
			'Theth Hike cannot become a rally: its entries #1, #2, #3, #4, #5 and 3 more have no vehicle (a rally is raced in vehicles). Change or delete those first, or in the same request.',
		);
	});
	it('to an unknown discipline is left to the CHECK', () => {
		expect(checkDisciplineChange(rally, 'golf', classes, entries)).toBeUndefined();
	});
});

describe('applyNested', () => {
	const existing: Row[] = [
		{ id: 'c1', code: 'M-1', category: 'moto' },
		{ id: 'c2', code: 'C-2', category: 'car' },
	];
	const known = new Map<string | number, Row>([
		['c1', existing[0]!],
		['c2', existing[1]!],
		['x9', { id: 'x9', code: 'X', category: 'foot' }],
	]);
	it('leaves the rows alone when the payload does not name the field', () => {
		expect(applyNested(existing, undefined, known)).toBe(existing);
	});
	it('applies { create, update, delete } as Directus does', () => {
		const out = applyNested(existing, { create: [{ code: 'F-1', category: 'foot' }], update: [{ id: 'c2', category: 'foot' }], delete: ['c1'] }, known);
		expect(out).toEqual([
			{ id: 'c2', code: 'C-2', category: 'foot' },
			{ code: 'F-1', category: 'foot' },
		]);
	});
	it('moves in a row of another parent that an update names', () => {
		expect(applyNested(existing, { update: [{ id: 'x9', code: 'X-2' }] }, known).map((r) => r.id)).toEqual(['c1', 'c2', 'x9']);
	});
	it('takes an array as the new list: keys keep or link, objects update or create, the rest go', () => {
		const out = applyNested(existing, ['c2', { id: 'x9', category: 'foot' }, { code: 'N', category: 'foot' }], known);
		expect(out).toEqual([existing[1], { id: 'x9', code: 'X', category: 'foot' }, { code: 'N', category: 'foot' }]);
		expect(applyNested(existing, null, known)).toEqual([]);
	});
	it('names the rows to read first', () => {
		expect(referencedKeys(['a', { id: 'b' }, { code: 'new' }, 3])).toEqual(['a', 'b', 3]);
		expect(referencedKeys({ create: [{ id: 'ignored' }], update: [{ id: 'u' }], delete: ['d'] })).toEqual(['u']);
		expect(referencedKeys(undefined)).toEqual([]);
	});
});
