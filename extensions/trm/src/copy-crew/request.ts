// The request of POST /trm/entries/:target/copy-crew, read strictly: every
// problem is refused with a sentence naming the field and the fix, before
// anything is read from or written to the database.

import { invalidPayload } from '../lib/errors.js';
import { quoted } from '../lib/flag-request.js';

export interface CopyCrewRequest {
	/** entries.id of the entry receiving the crew (the path's :target). */
	target: string;
	/** entries.id of the entry whose crew is copied. */
	from: string;
	/** Whether the source's trackers are copied too (entry_devices). */
	trackers: boolean;
}

const FIELDS = ['from', 'trackers'] as const;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function refuse(message: string, field?: string): never {
	throw invalidPayload(message, field ? { field } : {});
}

/** Reads the path's target and the body; throws a 400 DirectusError naming the first problem. */
export function parseCopyCrewRequest(target: unknown, body: unknown): CopyCrewRequest {
	if (typeof target !== 'string' || !UUID.test(target)) {
		refuse(`The entry in the path must be the id (a UUID) of the entry receiving the crew, not ${quoted(target)}: POST /trm/entries/<entry id>/copy-crew.`, 'target');
	}
	if (typeof body !== 'object' || body === null || Array.isArray(body)) {
		refuse('The body must be a JSON object with the fields from (the id of the entry to copy from) and trackers (true or false).');
	}
	const b = body as Record<string, unknown>;
	for (const key of Object.keys(b)) {
		if (!(FIELDS as readonly string[]).includes(key)) refuse(`Unknown field ${quoted(key)}: the fields are from and trackers.`, key);
	}
	if (b.from === undefined || b.from === null) refuse('from is required: the id (a UUID) of the entry whose crew is copied, e.g. last year\'s entry of the team.', 'from');
	if (typeof b.from !== 'string' || !UUID.test(b.from)) refuse(`from must be the id (a UUID) of an entry, not ${quoted(b.from)}.`, 'from');
	if (b.trackers !== undefined && b.trackers !== null && typeof b.trackers !== 'boolean') {
		refuse(`trackers must be true (copy the trackers too) or false (the crew alone), not ${quoted(b.trackers)}.`, 'trackers');
	}
	const from = b.from.toLowerCase();
	const to = target.toLowerCase();
	if (from === to) refuse('from names the entry receiving the crew: copy from another entry, e.g. last year\'s entry of the team.', 'from');
	return { target: to, from, trackers: b.trackers === true };
}
