// The message of the Redis stream recompute:requests, version 1
// (docs/recompute-requests.md documents it for the processor). Every
// value is a string: lists and spans are JSON text.

/** The stream the relay adds requests to. */
export const RECOMPUTE_STREAM = 'recompute:requests';

/**
 * The action (on Directus's extension emitter) by which the positions
 * endpoint wakes the relay of its process: a request waits in the outbox.
 */
export const ENQUEUED = 'trm.recompute.enqueued';

/** The message format; a consumer refuses a version it does not know. */
export const MESSAGE_VERSION = '1';

/** A stretch of one tracker's positions attributed to one entry (an entry_devices window cut to the request's). */
export interface Span {
	entry_id: string;
	/** positions.device_id: the tracker's IMEI. */
	device_id: string;
	from: string;
	until: string;
}

/** What the endpoint stores in recompute_outbox.fields; the relay adds request_id and requested_at. */
export interface RequestFields {
	version: string;
	action: 'flag' | 'unflag';
	scope: 'device' | 'entry';
	from: string;
	until: string;
	/** JSON array of positions.device_id (IMEIs). */
	device_ids: string;
	/** JSON array of entries.id. */
	entry_ids: string;
	/** JSON array of Span. */
	spans: string;
	/** How many positions changed, as a decimal integer. */
	positions: string;
	reason: string;
	/** directus_users.id of the caller. */
	requested_by: string;
}

/** The message's fields in the order they are written. */
export const FIELD_ORDER = [
	'request_id',
	'version',
	'action',
	'scope',
	'from',
	'until',
	'device_ids',
	'entry_ids',
	'spans',
	'positions',
	'reason',
	'requested_by',
	'requested_at',
] as const;

export interface RequestInput {
	action: 'flag' | 'unflag';
	scope: 'device' | 'entry';
	from: string;
	until: string;
	deviceIds: string[];
	entryIds: string[];
	spans: Span[];
	positions: number;
	reason: string;
	requestedBy: string;
}

/** The fields the outbox row keeps. */
export function requestFields(r: RequestInput): RequestFields {
	const sorted = (xs: string[]) => [...new Set(xs)].sort();
	return {
		version: MESSAGE_VERSION,
		action: r.action,
		scope: r.scope,
		from: r.from,
		until: r.until,
		device_ids: JSON.stringify(sorted(r.deviceIds)),
		entry_ids: JSON.stringify(sorted(r.entryIds)),
		spans: JSON.stringify(r.spans),
		positions: String(r.positions),
		reason: r.reason,
		requested_by: r.requestedBy,
	};
}

/**
 * The XADD arguments after the id, field, value, …: request_id and
 * requested_at from the row, then its fields in FIELD_ORDER; a field the
 * order does not know (a newer writer's) follows, sorted, so nothing a row
 * holds is dropped.
 */
export function streamEntry(requestId: string, requestedAt: string, fields: Record<string, unknown>): string[] {
	const all: Record<string, unknown> = { ...fields, request_id: requestId, requested_at: requestedAt };
	const text = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
	const out: string[] = [];
	for (const name of FIELD_ORDER) {
		if (all[name] !== undefined && all[name] !== null) out.push(name, text(all[name]));
	}
	const extra = Object.keys(all)
		.filter((k) => !(FIELD_ORDER as readonly string[]).includes(k))
		.sort();
	for (const name of extra) {
		if (all[name] !== undefined && all[name] !== null) out.push(name, text(all[name]));
	}
	return out;
}
