// What Directus 11.17.4 does with a PostgreSQL constraint violation
// (measured, tests/schema):
//   - composite UNIQUE: 400 RECORD_NOT_UNIQUE 'Value for field "event_id,
//     race_number" in collection "entries" has to be unique.' (the
//     constraint's name is lost);
//   - composite FOREIGN KEY: 400 INVALID_FOREIGN_KEY 'Invalid foreign key for
//     field "class_id, event_id" ...';
//   - CHECK and EXCLUDE: not translated, 500 INTERNAL_SERVER_ERROR; an admin
//     reads the SQL statement and PostgreSQL's message, anyone else "An
//     unexpected error occurred.";
//   - deleting a row that is still referenced: deletes skip Directus's
//     translation altogether, so the same 500;
//   - a constraint trigger (a cross-row rule of db-init/post/002, raising
//     check_violation with its own name, its table and the column at
//     fault): the same 500.
// translate finds the violated constraint in the catalog and answers 400
// with the constraint's comment (db-init/post writes one per rule) and its
// name. Errors it does not recognise pass through unchanged.

import { DirectusRuleError } from '../lib/errors.js';

/** pg_constraint.contype of the constraints translated ('t': a constraint trigger). */
export type ConstraintKind = 'u' | 'f' | 'c' | 'x' | 't';

/** A constraint as the catalog describes it. */
export interface Constraint {
	name: string;
	kind: ConstraintKind;
	/** The constrained table. */
	tbl: string;
	/** The referenced table of a foreign key. */
	ftbl: string | null;
	/** COMMENT ON CONSTRAINT: the sentence users read. */
	message: string | null;
	/** The constrained columns, in the constraint's order. */
	cols: string[];
}

/** The catalog lookups translate needs (a knex instance in Directus). */
export interface ConstraintCatalog {
	byName(schema: string | undefined, table: string, name: string): Promise<Constraint | undefined>;
	/** The one constraint of kind on exactly these columns, if exactly one. */
	byColumns(table: string, kind: ConstraintKind, cols: string[]): Promise<Constraint | undefined>;
}

const KIND_OF_SQLSTATE: Record<string, ConstraintKind> = { '23505': 'u', '23503': 'f', '23514': 'c', '23P01': 'x' };
const CODE_OF_KIND: Record<ConstraintKind, string> = {
	u: 'RECORD_NOT_UNIQUE',
	f: 'INVALID_FOREIGN_KEY',
	c: 'INVALID_PAYLOAD',
	x: 'INVALID_PAYLOAD',
	t: 'INVALID_PAYLOAD',
};
const KIND_OF_CODE: Record<string, ConstraintKind> = { RECORD_NOT_UNIQUE: 'u', INVALID_FOREIGN_KEY: 'f' };

/**
 * The field the admin UI should point at: the last column of a UNIQUE (its
 * scope columns come first), the first of a foreign key or an exclusion,
 * the only one of a CHECK, the one a constraint trigger names (column: the
 * error's COLUMN; a constraint trigger has no columns in the catalog).
 */
export function fieldOf(con: Pick<Constraint, 'kind' | 'cols'>, column?: string): string | null {
	if (con.kind === 't') return column ?? null;
	if (con.kind === 'u') return con.cols[con.cols.length - 1] ?? null;
	if (con.kind === 'c') return con.cols.length === 1 ? (con.cols[0] ?? null) : null;
	return con.cols[0] ?? null;
}

/** The 400 that names the rule con states. */
export function ruleError(
	con: Constraint,
	{ deleting = false, column }: { deleting?: boolean; column?: string | undefined } = {},
): DirectusRuleError {
	const rule = `(rule ${con.name})`;
	if (con.kind === 'f' && deleting) {
		// Whatever the constraint's comment says about writing the reference,
		// here the referenced row is going away.
		const where = `${con.tbl}.${con.cols.join(', ')}`;
		return new DirectusRuleError(
			400,
			'INVALID_FOREIGN_KEY',
			`This item of ${con.ftbl} is still referenced by ${con.tbl} (${where}): delete or reassign those first ${rule}.`,
			{ collection: con.ftbl, field: null, referencedBy: con.tbl, constraint: con.name },
		);
	}
	const message = con.message ?? `This ${con.tbl} item breaks a rule of the database.`;
	return new DirectusRuleError(400, CODE_OF_KIND[con.kind], `${message} ${rule}`, {
		collection: con.tbl,
		field: fieldOf(con, column),
		constraint: con.name,
	});
}

interface PgError {
	code?: unknown;
	constraint?: unknown;
	table?: unknown;
	schema?: unknown;
	column?: unknown;
	message?: unknown;
}

interface TranslatedDirectusError {
	name?: unknown;
	code?: unknown;
	extensions?: { collection?: unknown; field?: unknown };
}

/** The error to answer instead of err, or undefined to keep err. */
export async function translate(catalog: ConstraintCatalog, err: unknown): Promise<DirectusRuleError | undefined> {
	if (!err || typeof err !== 'object' || Array.isArray(err)) return undefined;
	// A PostgreSQL error Directus did not translate.
	const pg = err as PgError;
	const kind = typeof pg.code === 'string' ? KIND_OF_SQLSTATE[pg.code] : undefined;
	if (kind && typeof pg.constraint === 'string' && typeof pg.table === 'string') {
		const schema = typeof pg.schema === 'string' && pg.schema !== '' ? pg.schema : undefined;
		const con = await catalog.byName(schema, pg.table, pg.constraint);
		if (!con) return undefined;
		// knex puts the statement first in the message.
		const deleting = typeof pg.message === 'string' && /^\s*delete\s/i.test(pg.message);
		return ruleError(con, { deleting, column: typeof pg.column === 'string' ? pg.column : undefined });
	}
	// A composite UNIQUE or FOREIGN KEY Directus translated without the
	// constraint: it names the columns ("event_id, race_number").
	const de = err as TranslatedDirectusError;
	const codeKind = typeof de.code === 'string' ? KIND_OF_CODE[de.code] : undefined;
	const ext = de.extensions;
	if (de.name === 'DirectusError' && codeKind && typeof ext?.collection === 'string' && typeof ext?.field === 'string') {
		const con = await catalog.byColumns(ext.collection, codeKind, ext.field.split(', '));
		// Directus's own single-column constraints have no comment, and its
		// message for them names the field and value already.
		if (!con?.message) return undefined;
		return ruleError(con);
	}
	return undefined;
}
