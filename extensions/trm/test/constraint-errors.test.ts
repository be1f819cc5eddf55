import { describe, expect, it } from 'vitest';
import { fieldOf, ruleError, translate, type Constraint, type ConstraintCatalog } from '../src/constraint-errors/translate.js';

const raceNumber: Constraint = {
	name: 'entries_race_number_unique_per_event',
	kind: 'u',
	tbl: 'entries',
	ftbl: null,
	message: 'This race number is taken in this event already: a race number is used once per event.',
	cols: ['event_id', 'race_number'],
};
const classOfEvent: Constraint = {
	name: 'entries_class_of_same_event',
	kind: 'f',
	tbl: 'entries',
	ftbl: 'classes',
	message: "The class of an entry must be a class of the entry's event.",
	cols: ['class_id', 'event_id'],
};
const endsAfterStarts: Constraint = {
	name: 'events_ends_after_starts',
	kind: 'c',
	tbl: 'events',
	ftbl: null,
	message: 'An event cannot end before it starts: ends_at must be at or after starts_at.',
	cols: ['ends_at', 'starts_at'],
};
// A cross-row rule of db-init/post/002: a constraint trigger, which the
// catalog lists without columns.
const inputStageEarlier: Constraint = {
	name: 'stages_input_stage_earlier',
	kind: 't',
	tbl: 'stages',
	ftbl: null,
	message: 'The start-order input stage must come earlier in the event than the stage it orders (a smaller sort order).',
	cols: [],
};

/** A catalog over a list, recording what was asked. */
function catalogOf(...constraints: Constraint[]): ConstraintCatalog & { asked: unknown[] } {
	const asked: unknown[] = [];
	return {
		asked,
		async byName(schema, table, name) {
			asked.push(['byName', schema, table, name]);
			return constraints.find((c) => c.tbl === table && c.name === name);
		},
		async byColumns(table, kind, cols) {
			asked.push(['byColumns', table, kind, cols]);
			const found = constraints.filter((c) => c.tbl === table && c.kind === kind && c.cols.join() === cols.join());
			return found.length === 1 ? found[0] : undefined;
		},
	};
}

describe('fieldOf', () => {
	it('points a UNIQUE at its last column, after the scope columns', () => {
		expect(fieldOf(raceNumber)).toBe('race_number');
	});
	it('points a foreign key or an exclusion at its first column', () => {
		expect(fieldOf(classOfEvent)).toBe('class_id');
		expect(fieldOf({ kind: 'x', cols: ['device_id', 'valid_from', 'valid_until'] })).toBe('device_id');
	});
	it('points a constraint trigger at the column its error names, else nowhere', () => {
		expect(fieldOf(inputStageEarlier, 'start_order_input_stage_id')).toBe('start_order_input_stage_id');
		expect(fieldOf(inputStageEarlier)).toBeNull();
	});
	it('points a CHECK at its column only when it has one', () => {
		expect(fieldOf(endsAfterStarts)).toBeNull();
		expect(fieldOf({ kind: 'c', cols: ['role'] })).toBe('role');
	});
});

describe('ruleError', () => {
	it('answers 400 with the rule and its name', () => {
		const err = ruleError(raceNumber);
		expect(err).toMatchObject({ name: 'DirectusError', status: 400, code: 'RECORD_NOT_UNIQUE' });
		expect(err.message).toBe(`${raceNumber.message} (rule ${raceNumber.name})`);
		expect(err.extensions).toEqual({ collection: 'entries', field: 'race_number', constraint: raceNumber.name });
	});
	it('says what still refers to a row being deleted, whatever the comment says', () => {
		const err = ruleError(classOfEvent, { deleting: true });
		expect(err.code).toBe('INVALID_FOREIGN_KEY');
		expect(err.message).toBe(
			'This item of classes is still referenced by entries (entries.class_id, event_id): delete or reassign those first (rule entries_class_of_same_event).',
		);
		expect(err.extensions).toMatchObject({ collection: 'classes', referencedBy: 'entries', field: null });
	});
	it('has a sentence for a constraint without a comment', () => {
		expect(ruleError({ ...endsAfterStarts, message: null }).message).toBe(
			'This events item breaks a rule of the database. (rule events_ends_after_starts)',
		);
	});
	it('answers CHECK and EXCLUDE violations as INVALID_PAYLOAD', () => {
		expect(ruleError(endsAfterStarts).code).toBe('INVALID_PAYLOAD');
		expect(ruleError({ ...endsAfterStarts, kind: 'x' }).code).toBe('INVALID_PAYLOAD');
	});
});

describe('translate', () => {
	it('names the rule of a PostgreSQL error Directus left untranslated', async () => {
		const catalog = catalogOf(endsAfterStarts);
		const err = await translate(catalog, {
			code: '23514',
			constraint: 'events_ends_after_starts',
			table: 'events',
			schema: 'public',
			message: 'update "events" set ... - new row violates check constraint',
		});
		expect(err?.code).toBe('INVALID_PAYLOAD');
		expect(catalog.asked).toEqual([['byName', 'public', 'events', 'events_ends_after_starts']]);
	});
	it("answers a constraint trigger's check_violation with its rule and the column it names", async () => {
		const catalog = catalogOf(inputStageEarlier);
		const err = await translate(catalog, {
			code: '23514',
			constraint: 'stages_input_stage_earlier',
			table: 'stages',
			schema: 'public',
			column: 'start_order_input_stage_id',
			message: 'COMMIT - the start-order input stage of stage 7 is not earlier than it',
		});
		expect(err).toMatchObject({ name: 'DirectusError', status: 400, code: 'INVALID_PAYLOAD' });
		expect(err?.message).toBe(`${inputStageEarlier.message} (rule stages_input_stage_earlier)`);
		expect(err?.extensions).toEqual({ collection: 'stages', field: 'start_order_input_stage_id', constraint: 'stages_input_stage_earlier' });
	});
	it('recognises a delete by the statement knex puts first', async () => {
		const err = await translate(catalogOf(classOfEvent), {
			code: '23503',
			constraint: 'entries_class_of_same_event',
			table: 'entries',
			message: ' delete from "classes" where "id" = $1 - update or delete on table "classes" violates foreign key constraint',
		});
		expect(err?.message).toMatch(/^This item of classes is still referenced by entries/);
	});
	it("finds a composite constraint from the columns Directus's message names", async () => {
		const catalog = catalogOf(raceNumber);
		const err = await translate(catalog, {
			name: 'DirectusError',
			code: 'RECORD_NOT_UNIQUE',
			extensions: { collection: 'entries', field: 'event_id, race_number' },
		});
		expect(err?.extensions.constraint).toBe(raceNumber.name);
		expect(catalog.asked).toEqual([['byColumns', 'entries', 'u', ['event_id', 'race_number']]]);
	});
	it("keeps Directus's own message for a constraint without a comment", async () => {
		const own = { ...raceNumber, name: 'devices_imei_unique', tbl: 'devices', cols: ['imei'], message: null };
		const err = await translate(catalogOf(own), {
			name: 'DirectusError',
			code: 'RECORD_NOT_UNIQUE',
			extensions: { collection: 'devices', field: 'imei' },
		});
		expect(err).toBeUndefined();
	});
	it('passes through what it does not recognise', async () => {
		const catalog = catalogOf(raceNumber);
		for (const err of [null, undefined, 'text', 42, [], new Error('boom'), { code: '23505' }, { code: '22001', constraint: 'x', table: 'y' }]) {
			expect(await translate(catalog, err)).toBeUndefined();
		}
		expect(await translate(catalog, { code: '23505', constraint: 'gone', table: 'entries' })).toBeUndefined();
		expect(catalog.asked).toEqual([['byName', undefined, 'entries', 'gone']]);
	});
});
