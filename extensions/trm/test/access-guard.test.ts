import { describe, expect, it } from 'vitest';
import { forbiddenCreate } from '../src/access-guard/index.js';
import {
	allowed,
	fieldsOf,
	matches,
	normalise,
	parseJSON,
	resolveVariables,
	type Filter,
	type RuleContext,
} from '../src/access-guard/rule.js';

const NOW = '2026-06-01T10:00:00.000Z';

/** A schema where entries.event_id points at events and events.organization_id at organizations. */
function context(rows: Record<string, Record<string, unknown>[]>, user: string | null = 'u1') {
	const asked: { collection: string; key: unknown; filter: Filter }[] = [];
	const warnings: string[] = [];
	const relations: Record<string, { collection: string; primary: string | undefined }> = {
		'entries.event_id': { collection: 'events', primary: 'id' },
		'events.organization_id': { collection: 'organizations', primary: 'id' },
		'entries.ghost_id': { collection: 'ghosts', primary: undefined },
	};
	const ctx: RuleContext = {
		relatedOf: (collection, field) => relations[`${collection}.${field}`],
		async exists(collection, primary, key, filter) {
			asked.push({ collection, key, filter });
			// A tiny evaluator of the normalised filters the tests use.
			const holds = (row: Record<string, unknown>, f: Filter): boolean =>
				Object.entries(f).every(([k, v]) => {
					if (k === '_and') return (v as Filter[]).every((s) => holds(row, s));
					if (k === '_or') return (v as Filter[]).some((s) => holds(row, s));
					const cond = v as Record<string, unknown>;
					if ('_eq' in cond) return row[k] === cond._eq;
					if ('_gt' in cond) return String(row[k]) > String(cond._gt);
					const inner = row[k];
					return Array.isArray(inner) ? inner.some((r) => holds(r, cond)) : holds(inner as Record<string, unknown>, cond);
				});
			return (rows[collection] ?? []).some((r) => r[primary] === key && holds(r, filter));
		},
		warn: (m) => warnings.push(m),
		user,
		now: NOW,
	};
	return { ctx, asked, warnings };
}

const events = {
	events: [
		{ id: 'e1', starts_at: '2026-07-01', members: [{ user_id: 'u1', role: 'race-director' }] },
		{ id: 'e2', starts_at: '2026-05-01', members: [{ user_id: 'u2', role: 'race-director' }] },
	],
};
const directorRule = { event_id: { members: { user_id: { _eq: '$CURRENT_USER' }, role: { _eq: 'race-director' } } } };

describe('normalise', () => {
	it('splits several keys into an _and and moves an _and below a field above it', () => {
		expect(normalise({ members: { user_id: { _eq: 'u1' }, role: { _eq: 'r' } } })).toEqual({
			_and: [{ members: { user_id: { _eq: 'u1' } } }, { members: { role: { _eq: 'r' } } }],
		});
		expect(normalise({ a: { _or: [{ b: { _eq: 1 } }, { c: { _eq: 2 } }] } })).toEqual({
			_or: [{ a: { b: { _eq: 1 } } }, { a: { c: { _eq: 2 } } }],
		});
	});
	it('leaves operators, scalars and a one-key filter as they are', () => {
		expect(normalise({ id: { _eq: 3 } })).toEqual({ id: { _eq: 3 } });
		expect(normalise({ _in: [1, 2] })).toEqual({ _in: [1, 2] });
		expect(normalise('x')).toBe('x');
	});
});

describe('resolveVariables', () => {
	it('replaces $CURRENT_USER and $NOW at any depth, nothing else', () => {
		expect(resolveVariables({ a: ['$CURRENT_USER', { b: '$NOW' }], c: '$CURRENT_ROLE' }, 'u9', NOW)).toEqual({
			a: ['u9', { b: NOW }],
			c: '$CURRENT_ROLE',
		});
		expect(resolveVariables('$CURRENT_USER', null, NOW)).toBeNull();
	});
});

describe('parseJSON and fieldsOf', () => {
	it('reads the rule as Directus stores it, and tells unreadable text apart', () => {
		expect(parseJSON('{"a":1}')).toEqual({ a: 1 });
		expect(parseJSON(null)).toBeNull();
		expect(parseJSON({ a: 1 })).toEqual({ a: 1 });
		expect(parseJSON('{not json')).toBeUndefined();
	});
	it('reads a field list as text or array', () => {
		expect(fieldsOf('a,b')).toEqual(['a', 'b']);
		expect(fieldsOf(['*'])).toEqual(['*']);
		expect(fieldsOf(null)).toEqual([]);
	});
});

describe('matches', () => {
	it('holds when the item a many-to-one field points at matches the rest, with the variables resolved', async () => {
		const { ctx, asked } = context(events);
		expect(await matches(directorRule, 'entries', { event_id: 'e1' }, ctx)).toBe(true);
		expect(asked[0]).toEqual({
			collection: 'events',
			key: 'e1',
			filter: { _and: [{ members: { user_id: { _eq: 'u1' } } }, { members: { role: { _eq: 'race-director' } } }] },
		});
		expect(await matches(directorRule, 'entries', { event_id: 'e2' }, ctx)).toBe(false);
	});
	it('reads the key of a nested item, and refuses a missing one', async () => {
		const { ctx } = context(events);
		expect(await matches(directorRule, 'entries', { event_id: { id: 'e1', name: 'x' } }, ctx)).toBe(true);
		expect(await matches(directorRule, 'entries', {}, ctx)).toBe(false);
		expect(await matches(directorRule, 'entries', { event_id: null }, ctx)).toBe(false);
	});
	it('joins conditions by _and and _or, and refuses an empty one', async () => {
		const { ctx } = context(events);
		const open = { event_id: { starts_at: { _gt: '$NOW' } } };
		expect(await matches({ _and: [directorRule, open] }, 'entries', { event_id: 'e1' }, ctx)).toBe(true);
		expect(await matches({ _or: [directorRule, open] }, 'entries', { event_id: 'e2' }, ctx)).toBe(false);
		expect(await matches({ _and: [] }, 'entries', { event_id: 'e1' }, ctx)).toBe(false);
		expect(await matches({ _or: 'x' }, 'entries', { event_id: 'e1' }, ctx)).toBe(false);
	});
	it('lets an empty rule through', async () => {
		const { ctx } = context({});
		expect(await matches(null, 'entries', {}, ctx)).toBe(true);
		expect(await matches({}, 'entries', {}, ctx)).toBe(true);
	});
	it('refuses a rule it cannot read rather than allow', async () => {
		const { ctx, warnings } = context(events);
		expect(await matches({ status: { _eq: 'draft' } }, 'entries', { status: 'draft' }, ctx)).toBe(false);
		expect(warnings).toEqual(['trm-access-guard: a create rule of entries starts at status, which is not a many-to-one field: it never matches']);
		expect(await matches({ ghost_id: { id: { _eq: 1 } } }, 'entries', { ghost_id: 1 }, ctx)).toBe(false);
		expect(await matches([directorRule], 'entries', { event_id: 'e1' }, ctx)).toBe(false);
		expect(await matches('rule', 'entries', { event_id: 'e1' }, ctx)).toBe(false);
	});
});

describe('allowed', () => {
	it('needs one permission that both lists every field and has a rule the item satisfies', async () => {
		const { ctx } = context(events);
		const narrow = { fields: 'event_id', permissions: JSON.stringify(directorRule) };
		const wide = { fields: '*', permissions: JSON.stringify({ event_id: { id: { _eq: 'e2' } } }) };
		expect(await allowed([narrow], 'entries', { event_id: 'e1' }, ctx)).toBe(true);
		expect(await allowed([narrow], 'entries', { event_id: 'e1', status: 'submitted' }, ctx)).toBe(false);
		// The fields of one and the rule of another do not add up.
		expect(await allowed([narrow, wide], 'entries', { event_id: 'e1', status: 'submitted' }, ctx)).toBe(false);
		expect(await allowed([narrow, wide], 'entries', { event_id: 'e2', status: 'submitted' }, ctx)).toBe(true);
	});
	it('skips a permission whose rule is not JSON', async () => {
		const { ctx } = context(events);
		expect(await allowed([{ fields: '*', permissions: '{broken' }], 'entries', { event_id: 'e1' }, ctx)).toBe(false);
		expect(await allowed([{ fields: '*', permissions: null }], 'entries', { event_id: 'e1' }, ctx)).toBe(true);
	});
});

describe('forbiddenCreate', () => {
	it('is the 403 Directus answers, naming the collection and the guard', () => {
		const err = forbiddenCreate('events');
		expect(err).toMatchObject({ name: 'DirectusError', status: 403, code: 'FORBIDDEN' });
		expect(err.message).toMatch(/^You don't have permission to create this item in "events": it is outside every create rule/);
		expect(err.extensions).toEqual({ reason: err.message, collection: 'events', guard: 'trm-access-guard' });
	});
});
