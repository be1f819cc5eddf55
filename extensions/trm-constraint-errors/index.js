// trm-constraint-errors: makes the database's rules visible to the people
// who break them.
//
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
//     translation altogether, so the same 500.
// This hook finds the violated constraint in the catalog and answers 400
// with the constraint's comment (db-init/post writes one per rule) and its
// name. Errors it does not recognise pass through unchanged.
//
// Two places, because Directus has two paths: the database.error filter
// (creates and updates, REST and GraphQL) and an Express error handler
// placed before Directus's own (deletes, which bypass the filter).

const KIND_OF_SQLSTATE = { '23505': 'u', '23503': 'f', '23514': 'c', '23P01': 'x' };
// t: a constraint trigger (db-init/post/002): it raises check_violation
// naming itself, its table and the column at fault.
const CODE_OF_KIND = { u: 'RECORD_NOT_UNIQUE', f: 'INVALID_FOREIGN_KEY', c: 'INVALID_PAYLOAD', x: 'INVALID_PAYLOAD', t: 'INVALID_PAYLOAD' };
const KIND_OF_CODE = { RECORD_NOT_UNIQUE: 'u', INVALID_FOREIGN_KEY: 'f' };

// Directus's error handler recognises an error by its name and uses its
// code, status, message and extensions.
class RuleError extends Error {
	constructor(code, message, extensions) {
		super(message);
		this.name = 'DirectusError';
		this.code = code;
		this.status = 400;
		this.extensions = extensions;
	}
}

const COLUMNS = `ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
  JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.ord)`;
const SELECT = `SELECT con.conname AS name, con.contype AS kind, rel.relname AS tbl, frel.relname AS ftbl,
  obj_description(con.oid, 'pg_constraint') AS message, ${COLUMNS} AS cols
  FROM pg_constraint con JOIN pg_class rel ON rel.oid = con.conrelid LEFT JOIN pg_class frel ON frel.oid = con.confrelid`;

async function constraintByName(db, schema, table, name) {
	const rel = schema ? `to_regclass(quote_ident(?) || '.' || quote_ident(?))` : `to_regclass(quote_ident(?))`;
	const args = schema ? [schema, table, name] : [table, name];
	const { rows } = await db.raw(`${SELECT} WHERE con.conrelid = ${rel} AND con.conname = ?`, args);
	return rows[0];
}

async function constraintByColumns(db, table, kind, cols) {
	const { rows } = await db.raw(
		`${SELECT} WHERE con.conrelid = to_regclass(quote_ident(?)) AND con.contype = ? AND ${COLUMNS} = ?::text[]`,
		[table, kind, cols],
	);
	return rows.length === 1 ? rows[0] : undefined;
}

// The field the admin UI should point at: the last column of a UNIQUE (its
// scope columns come first), the first of a foreign key or an exclusion,
// the only one of a CHECK, the one a constraint trigger names.
function fieldOf(con, column) {
	if (con.kind === 't') return column ?? null;
	if (con.kind === 'u') return con.cols[con.cols.length - 1];
	if (con.kind === 'c') return con.cols.length === 1 ? con.cols[0] : null;
	return con.cols[0] ?? null;
}

function ruleError(con, { deleting = false, column } = {}) {
	const rule = `(rule ${con.name})`;
	if (con.kind === 'f' && deleting) {
		// Whatever the constraint's comment says about writing the reference,
		// here the referenced row is going away.
		const where = `${con.tbl}.${con.cols.join(', ')}`;
		return new RuleError(
			'INVALID_FOREIGN_KEY',
			`This item of ${con.ftbl} is still referenced by ${con.tbl} (${where}): delete or reassign those first ${rule}.`,
			{ collection: con.ftbl, field: null, referencedBy: con.tbl, constraint: con.name },
		);
	}
	const message = con.message ?? `This ${con.tbl} item breaks a rule of the database.`;
	return new RuleError(CODE_OF_KIND[con.kind], `${message} ${rule}`, {
		collection: con.tbl,
		field: fieldOf(con, column),
		constraint: con.name,
	});
}

// translate returns the error to answer instead of err, or undefined.
async function translate(db, err) {
	if (!err || typeof err !== 'object' || Array.isArray(err)) return undefined;
	// A PostgreSQL error Directus did not translate.
	const kind = KIND_OF_SQLSTATE[err.code];
	if (kind && typeof err.constraint === 'string' && typeof err.table === 'string') {
		const con = await constraintByName(db, err.schema, err.table, err.constraint);
		if (!con) return undefined;
		// knex puts the statement first in the message.
		const deleting = /^\s*delete\s/i.test(err.message ?? '');
		return ruleError(con, { deleting, column: typeof err.column === 'string' ? err.column : undefined });
	}
	// A composite UNIQUE or FOREIGN KEY Directus translated without the
	// constraint: it names the columns ("event_id, race_number").
	const ext = err.extensions;
	if (err.name === 'DirectusError' && KIND_OF_CODE[err.code] && typeof ext?.collection === 'string' && typeof ext?.field === 'string') {
		const con = await constraintByColumns(db, ext.collection, KIND_OF_CODE[err.code], ext.field.split(', '));
		// Directus's own single-column constraints have no comment, and its
		// message for them names the field and value already.
		if (!con?.message) return undefined;
		return ruleError(con);
	}
	return undefined;
}

export default ({ filter, init }, { database, logger }) => {
	const safely = async (err) => {
		try {
			return await translate(database, err);
		} catch (lookupError) {
			logger.warn(lookupError, 'trm-constraint-errors: could not look up the violated constraint');
			return undefined;
		}
	};

	filter('database.error', async (err) => (await safely(err)) ?? err);

	init('routes.custom.after', ({ app }) => {
		// An Express error handler: it runs before Directus's own, which is
		// added right after this event.
		app.use((err, req, res, next) => {
			safely(err).then((mapped) => next(mapped ?? err));
		});
	});
};
