import type { Knex } from 'knex';
import type { Row } from '../lib/discipline.js';

export interface EventRow {
	id: string;
	name: string;
	discipline: string;
}

type Key = string | number;

/** The rows the discipline checks read, through the writer's transaction when there is one. */
export function disciplineStore(db: Knex) {
	return {
		event: (id: Key): Promise<EventRow | undefined> =>
			db('events').select('id', 'name', 'discipline').where('id', id).first(),
		classOne: (id: Key): Promise<(Row & { event_id: string }) | undefined> =>
			db('classes').select('id', 'code', 'category', 'event_id').where('id', id).first(),
		entryOne: (id: Key): Promise<(Row & { event_id: string }) | undefined> =>
			db('entries').select('id', 'race_number', 'vehicle_id', 'status', 'event_id').where('id', id).first(),
		classesOf: (eventId: Key): Promise<Row[]> =>
			db('classes').select('id', 'code', 'category').where('event_id', eventId).orderBy('code'),
		entriesOf: (eventId: Key): Promise<Row[]> =>
			db('entries').select('id', 'race_number', 'vehicle_id', 'status').where('event_id', eventId).orderBy('race_number'),
		classes: (ids: Key[]): Promise<Row[]> =>
			ids.length === 0 ? Promise.resolve([]) : db('classes').select('id', 'code', 'category').whereIn('id', ids),
		entries: (ids: Key[]): Promise<Row[]> =>
			ids.length === 0 ? Promise.resolve([]) : db('entries').select('id', 'race_number', 'vehicle_id', 'status').whereIn('id', ids),
	};
}

export type DisciplineStore = ReturnType<typeof disciplineStore>;
