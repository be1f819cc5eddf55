import type { Knex } from 'knex';
import type { Constraint, ConstraintCatalog, ConstraintKind } from './translate.js';

const COLUMNS = `ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
  JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.ord)`;
const SELECT = `SELECT con.conname AS name, con.contype AS kind, rel.relname AS tbl, frel.relname AS ftbl,
  obj_description(con.oid, 'pg_constraint') AS message, ${COLUMNS} AS cols
  FROM pg_constraint con JOIN pg_class rel ON rel.oid = con.conrelid LEFT JOIN pg_class frel ON frel.oid = con.confrelid`;

/** The constraint catalog of the database Directus uses (PostgreSQL). */
export function pgConstraintCatalog(db: Knex): ConstraintCatalog {
	return {
		async byName(schema, table, name) {
			const rel = schema ? `to_regclass(quote_ident(?) || '.' || quote_ident(?))` : `to_regclass(quote_ident(?))`;
			const args = schema ? [schema, table, name] : [table, name];
			const { rows } = await db.raw<{ rows: Constraint[] }>(`${SELECT} WHERE con.conrelid = ${rel} AND con.conname = ?`, args);
			return rows[0];
		},
		async byColumns(table: string, kind: ConstraintKind, cols: string[]) {
			const { rows } = await db.raw<{ rows: Constraint[] }>(
				`${SELECT} WHERE con.conrelid = to_regclass(quote_ident(?)) AND con.contype = ? AND ${COLUMNS} = ?::text[]`,
				[table, kind, cols],
			);
			return rows.length === 1 ? rows[0] : undefined;
		},
	};
}
