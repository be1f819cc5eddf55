// Who may flag positions (docs/access-model.md, DATA-MODEL "Phase 4"): an
// administrator; a race director of the organisation running the event;
// a marshal of that organisation only while the event runs (its starts_at
// to its ends_at). A device's window needs that for every event the device
// served in it.
import type { OrganizationUsersRole } from '../lib/catalog.gen.js';

/** The organisation roles that may flag positions of their organisation's events (besides administrators). */
export const FLAGGING_ROLES: readonly OrganizationUsersRole[] = ['marshal', 'race-director'];

export const ROLE_SENTENCE = `the ${FLAGGING_ROLES.join(' or ')} role`;

/** What the caller is in one event the request touches. */
export interface EventAccess {
	name: string;
	/** The caller's roles in the organisation running the event. */
	roles: string[];
	/** now() is within the event's starts_at and ends_at. */
	running: boolean;
	starts_at: string;
	ends_at: string | null;
}

export type Verdict =
	| { ok: true }
	/** Not a marshal nor a race director of some event's organisation. */
	| { ok: false; why: 'role' }
	/** A marshal only, of events that are not running now. */
	| { ok: false; why: 'not-running'; events: EventAccess[] };

export function authorise(events: EventAccess[]): Verdict {
	const idle: EventAccess[] = [];
	for (const ev of events) {
		if (ev.roles.includes('race-director')) continue;
		if (!ev.roles.includes('marshal')) return { ok: false, why: 'role' };
		if (!ev.running) idle.push(ev);
	}
	return idle.length === 0 ? { ok: true } : { ok: false, why: 'not-running', events: idle };
}

/** The sentence refusing a marshal outside the events' time. */
export function notRunningSentence(events: EventAccess[]): string {
	const list = events.map((e) => `${e.name} (${e.starts_at} to ${e.ends_at ?? 'no end'})`).join(', ');
	const verb = events.length === 1 ? 'is' : 'are';
	return `A marshal flags positions only while the event runs, and ${list} ${verb} not running now: ask a race director of the organisation.`;
}
