// The body of POST /trm/positions/flag, read strictly: every problem is
// refused with a sentence naming the field and the fix, before anything is
// read from or written to the database.

import { invalidPayload } from './errors.js';

export type FlagAction = 'flag' | 'unflag';

export interface FlagRequest {
	/** Whose positions: one tracker (devices.id) or one entry (entries.id, through its tracker assignments). */
	scope: 'device' | 'entry';
	/** devices.id or entries.id. */
	id: string;
	/** The window [from, until), as sent (PostgreSQL reads them: microseconds stay exact). */
	from: string;
	until: string;
	action: FlagAction;
	reason: string;
}

/** The longest window one request may flag: a longer outage takes several requests. */
export const MAX_WINDOW_HOURS = 24;
export const MAX_REASON_LENGTH = 500;

const FIELDS = ['device', 'entry', 'from', 'until', 'action', 'reason'] as const;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?(Z|[+-](\d{2}):(\d{2}))$/;
const EXAMPLE = '2026-06-07T09:30:00Z';

/** A name or value quoted for a message: JSON's escapes keep control characters out of logs and terminals. */
export function quoted(value: unknown, max = 60): string {
	const cut = (s: string) => (s.length > max ? `${s.slice(0, max)}…` : s);
	if (typeof value === 'string') return JSON.stringify(cut(value));
	// JSON text has no control character; undefined has none either.
	return cut(JSON.stringify(value) ?? String(value));
}

function refuse(message: string, field?: string): never {
	throw invalidPayload(message, field ? { field } : {});
}

/**
 * Microseconds since the epoch (exact: below 2^53 until the year 2255) of
 * an RFC 3339 timestamp with its offset,
 * or undefined when it is not one, names no real instant (February 30) or
 * is before 1970 (no tracker wrote then).
 */
export function parseTimestamp(s: string): number | undefined {
	const m = TIMESTAMP.exec(s);
	if (!m) return undefined;
	const [, y, mo, d, h, mi, sec, fraction, zone, oh, om] = m;
	const n = (v: string | undefined) => Number(v ?? '0');
	if (n(y) < 1970 || n(mo) < 1 || n(mo) > 12 || n(d) < 1 || n(h) > 23 || n(mi) > 59 || n(sec) > 59 || n(oh) > 23 || n(om) > 59) return undefined;
	const local = Date.UTC(n(y), n(mo) - 1, n(d), n(h), n(mi), n(sec));
	// Date.UTC rolls February 30 over to March 2: a day the month lacks.
	if (new Date(local).getUTCDate() !== n(d)) return undefined;
	const offset = zone === 'Z' ? 0 : (zone?.startsWith('-') ? -1 : 1) * (n(oh) * 60 + n(om)) * 60_000;
	const micros = fraction ? Number(fraction.slice(1).padEnd(6, '0')) : 0;
	return (local - offset) * 1000 + micros;
}

/** Reads a request body; throws a 400 DirectusError naming the first problem. */
export function parseFlagRequest(body: unknown): FlagRequest {
	if (typeof body !== 'object' || body === null || Array.isArray(body)) {
		refuse(`The body must be a JSON object with the fields ${FIELDS.join(', ')}.`);
	}
	const b = body as Record<string, unknown>;
	for (const key of Object.keys(b)) {
		if (!(FIELDS as readonly string[]).includes(key)) {
			refuse(`Unknown field ${quoted(key)}: the fields are device or entry, from, until, action and reason.`, key);
		}
	}
	const hasDevice = b.device !== undefined && b.device !== null;
	const hasEntry = b.entry !== undefined && b.entry !== null;
	if (hasDevice === hasEntry) {
		refuse('Name exactly one of device (a devices id: its tracker) or entry (an entries id: its trackers while assigned to it).', hasDevice ? 'entry' : 'device');
	}
	const scope = hasDevice ? 'device' : 'entry';
	const id = b[scope];
	if (typeof id !== 'string' || !UUID.test(id)) {
		refuse(`${scope} must be the id (a UUID) of ${scope === 'device' ? 'a device' : 'an entry'}, not ${quoted(id)}.`, scope);
	}

	const times: Record<'from' | 'until', { text: string; us: number }> = { from: { text: '', us: 0 }, until: { text: '', us: 0 } };
	for (const field of ['from', 'until'] as const) {
		const v = b[field];
		if (v === undefined || v === null) refuse(`${field} is required: a timestamp with its time zone, e.g. ${EXAMPLE}.`, field);
		const us = typeof v === 'string' ? parseTimestamp(v) : undefined;
		if (us === undefined) {
			refuse(`${field} must be a timestamp with its time zone, e.g. ${EXAMPLE}, not ${quoted(v)}.`, field);
		}
		times[field] = { text: v as string, us };
	}
	if (times.until.us <= times.from.us) refuse('until must be after from: the window is [from, until).', 'until');
	if (times.until.us - times.from.us > MAX_WINDOW_HOURS * 3_600_000_000) {
		refuse(`The window is longer than ${MAX_WINDOW_HOURS} hours: flag a longer stretch in several requests.`, 'until');
	}

	if (b.action !== 'flag' && b.action !== 'unflag') {
		refuse(`action must be flag (mark the positions faulty) or unflag (trust them again), not ${quoted(b.action)}.`, 'action');
	}
	if (typeof b.reason !== 'string' || b.reason.trim() === '') {
		refuse('reason is required: say why the positions are (or are no longer) faulty, e.g. "tracker loose in the cockpit".', 'reason');
	}
	const reason = b.reason.trim();
	if (reason.length > MAX_REASON_LENGTH) refuse(`reason is longer than ${MAX_REASON_LENGTH} characters.`, 'reason');
	if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(reason)) refuse('reason may not hold control characters (tabs and line breaks are allowed).', 'reason');

	return { scope, id: id.toLowerCase(), from: times.from.text, until: times.until.text, action: b.action, reason };
}
