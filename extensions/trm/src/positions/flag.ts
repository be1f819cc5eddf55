// Flagging (or unflagging) positions and recording the recompute request,
// in one transaction: either both land or neither does.

import type { Knex } from 'knex';
import { forbidden, invalidPayload } from '../lib/errors.js';
import type { FlagRequest } from '../lib/flag-request.js';
import { requestFields, type Span } from '../lib/recompute-message.js';
import { authorise, notRunningSentence, ROLE_SENTENCE, type EventAccess } from './authorise.js';

export interface Caller {
	/** directus_users.id; null for a request without a user. */
	user: string | null;
	admin: boolean;
}

export interface FlagResult {
	/** recompute_outbox.id, the request_id of the stream message; null when no position changed (nothing to recompute). */
	request_id: string | null;
	action: 'flag' | 'unflag';
	/** How many positions changed. */
	positions: number;
	device_ids: string[];
	entry_ids: string[];
	from: string;
	until: string;
}

// RFC 3339 in UTC with microseconds: what the message carries, and what
// PostgreSQL reads back exactly.
const UTC = (expr: string) => `to_char((${expr}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

interface SpanRow extends Span {
	event_id: string;
}

export async function flagPositions(db: Knex, caller: Caller, req: FlagRequest): Promise<FlagResult> {
	if (!caller.admin && !caller.user) {
		throw forbidden(`Flagging positions needs a signed-in user with ${ROLE_SENTENCE} in the organisation running the event.`);
	}
	return db.transaction(async (trx) => {
		const window = await trx.raw<{ rows: { from: string; until: string }[] }>(
			`SELECT ${UTC('?::timestamptz')} AS "from", ${UTC('?::timestamptz')} AS "until"`,
			[req.from, req.until],
		);
		const { from, until } = window.rows[0]!;

		let imei: string | undefined;
		let entryEvent: string | undefined;
		if (req.scope === 'device') {
			const device = await trx('devices').select('imei').where('id', req.id).first<{ imei: string } | undefined>();
			if (!device && caller.admin) throw invalidPayload(`No device has the id ${req.id}.`, { field: 'device' });
			imei = device?.imei;
		} else {
			const entry = await trx('entries').select('event_id').where('id', req.id).first<{ event_id: string } | undefined>();
			if (!entry) {
				if (caller.admin) throw invalidPayload(`No entry has the id ${req.id}.`, { field: 'entry' });
				throw forbidden(`Flagging the positions of this entry needs ${ROLE_SENTENCE} in the organisation running its event.`);
			}
			entryEvent = entry.event_id;
		}

		// The tracker assignments the window overlaps, cut to the window.
		const spans = (
			await trx.raw<{ rows: SpanRow[] }>(
				`SELECT ed.entry_id::text AS entry_id, d.imei AS device_id, e.event_id::text AS event_id,
				        ${UTC('greatest(ed.valid_from, ?::timestamptz)')} AS "from",
				        ${UTC(`least(coalesce(ed.valid_until, 'infinity'), ?::timestamptz)`)} AS "until"
				   FROM entry_devices ed
				   JOIN devices d ON d.id = ed.device_id
				   JOIN entries e ON e.id = ed.entry_id
				  WHERE ${req.scope === 'device' ? 'ed.device_id' : 'ed.entry_id'} = ?::uuid
				    AND tstzrange(ed.valid_from, ed.valid_until) && tstzrange(?::timestamptz, ?::timestamptz)
				  ORDER BY greatest(ed.valid_from, ?::timestamptz), ed.entry_id`,
				[from, until, req.id, from, until, from],
			)
		).rows;

		if (!caller.admin) {
			const events = entryEvent ? [entryEvent] : [...new Set(spans.map((s) => s.event_id))];
			if (events.length === 0) {
				throw forbidden(`This device served no entry between ${from} and ${until}: only an administrator may flag its positions there.`);
			}
			const access = await trx.raw<{ rows: EventAccess[] }>(
				`SELECT ev.name, ${UTC('ev.starts_at')} AS starts_at, ${UTC('ev.ends_at')} AS ends_at,
				        (now() >= ev.starts_at AND (ev.ends_at IS NULL OR now() <= ev.ends_at)) AS running,
				        coalesce(array_agg(ou.role::text) FILTER (WHERE ou.role IS NOT NULL), '{}') AS roles
				   FROM events ev
				   LEFT JOIN organization_users ou ON ou.organization_id = ev.organization_id AND ou.user_id = ?::uuid
				  WHERE ev.id = ANY(?::uuid[])
				  GROUP BY ev.id ORDER BY ev.starts_at, ev.name`,
				[caller.user, events],
			);
			const verdict = authorise(access.rows);
			if (!verdict.ok && verdict.why === 'role') {
				throw forbidden(
					req.scope === 'entry'
						? `Flagging the positions of this entry needs ${ROLE_SENTENCE} in the organisation running its event.`
						: `Flagging the positions of this device between ${from} and ${until} needs ${ROLE_SENTENCE} in the organisation running each event it served then.`,
				);
			}
			if (!verdict.ok) throw forbidden(notRunningSentence(verdict.events));
		}

		const changed = await markPositions(trx, req, { from, until }, imei, spans);
		const deviceIds = req.scope === 'device' ? (imei === undefined ? [] : [imei]) : [...new Set(spans.map((s) => s.device_id))].sort();
		const entryIds = req.scope === 'entry' ? [req.id] : [...new Set(spans.map((s) => s.entry_id))].sort();
		const result: FlagResult = { request_id: null, action: req.action, positions: changed, device_ids: deviceIds, entry_ids: entryIds, from, until };
		if (result.positions === 0) return result;

		const fields = requestFields({
			action: req.action,
			scope: req.scope,
			from,
			until,
			deviceIds,
			entryIds,
			spans: spans.map(({ entry_id, device_id, from, until }) => ({ entry_id, device_id, from, until })),
			positions: result.positions,
			reason: req.reason,
			requestedBy: caller.user ?? '',
		});
		const inserted = await trx.raw<{ rows: { id: string }[] }>(`INSERT INTO recompute_outbox (fields) VALUES (?::jsonb) RETURNING id::text AS id`, [
			JSON.stringify(fields),
		]);
		result.request_id = inserted.rows[0]!.id;
		return result;
	});
}

/**
 * Sets faulty on the positions the request covers and returns how many
 * changed. A device's window covers all its positions in it, assigned or
 * not; an entry's covers its trackers while they were assigned to it.
 */
async function markPositions(
	trx: Knex.Transaction,
	req: FlagRequest,
	window: { from: string; until: string },
	imei: string | undefined,
	spans: Span[],
): Promise<number> {
	const faulty = req.action === 'flag';
	if (req.scope === 'device') {
		if (imei === undefined) return 0;
		const res = await trx.raw<{ rowCount: number }>(
			`UPDATE positions SET faulty = ?
			  WHERE device_id = ? AND ts >= ?::timestamptz AND ts < ?::timestamptz AND faulty = ?`,
			[faulty, imei, window.from, window.until, !faulty],
		);
		return res.rowCount;
	}
	if (spans.length === 0) return 0;
	const res = await trx.raw<{ rowCount: number }>(
		`UPDATE positions p SET faulty = ?
		   FROM jsonb_to_recordset(?::jsonb) AS s(device_id text, "from" timestamptz, "until" timestamptz)
		  WHERE p.device_id = s.device_id AND p.ts >= s."from" AND p.ts < s."until" AND p.faulty = ?`,
		[faulty, JSON.stringify(spans.map(({ device_id, from, until }) => ({ device_id, from, until }))), !faulty],
	);
	return res.rowCount;
}
