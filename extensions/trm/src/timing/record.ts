// Who made the decisions of timing, from the session, so that nobody
// types them and nobody forges them.
//
// The database requires them (db-init/post/003): a confirmed, overridden
// or cancelled penalty names who decided and when
// (entry_penalties_decision_recorded), an official result who published
// it and when (stage_results_official_published), a reopened result who
// reopened it, when and why (stage_results_reopen_recorded), a start set
// by hand who set it (entry_segment_starts_override_explained). The
// database cannot know the Directus user: these functions drop whatever a
// client sent for those fields and fill them in from the request's user.
// Without a user the fields stay empty and the database refuses the
// decision with its sentence.

export type Payload = Record<string, unknown>;

/** The fields the hook owns, per collection. */
export const OWNED = {
	entry_penalties: ['decided_by', 'decided_at'],
	stage_results: ['published_by', 'published_at', 'reopened_by', 'reopened_at'],
	entry_segment_starts: ['override_by'],
} as const;

export type TimingCollection = keyof typeof OWNED;

/** What makes a write to a penalty a decision. */
const DECISION_FIELDS = ['status', 'override_seconds', 'override_reason'];

/** Who writes and when: the request's user (null without one) and the clock. */
export interface Writer {
	user: string | null;
	now: string;
}

/**
 * A copy of payload without the fields the hook owns; undefined when
 * payload is not an object (an array or nothing: Directus judges it, the
 * hook leaves it as it is).
 */
export function withoutOwned(collection: TimingCollection, payload: unknown): Payload | undefined {
	if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return undefined;
	const out: Payload = { ...(payload as Payload) };
	for (const f of OWNED[collection]) delete out[f];
	return out;
}

/** A penalty's write: a person writing its status or override decides (creating a computed one is no decision). */
export function recordPenalty(payload: unknown, creating: boolean, w: Writer): unknown {
	const p = withoutOwned('entry_penalties', payload);
	if (!p) return payload;
	const deciding = DECISION_FIELDS.some((f) => f in p) && !(creating && (p.status ?? 'computed') === 'computed');
	if (deciding) {
		p.decided_by = w.user;
		p.decided_at = w.now;
	}
	return p;
}

/**
 * A result's write: publishing (status official) records who and when;
 * setting an official result back to provisional is a reopen, recorded
 * too. wasOfficial says whether any of the updated results is official
 * now (not asked on a create, nor unless the write sets provisional).
 */
export async function recordResult(payload: unknown, w: Writer, wasOfficial?: () => Promise<boolean>): Promise<unknown> {
	const p = withoutOwned('stage_results', payload);
	if (!p) return payload;
	if (p.status === 'official') {
		p.published_by = w.user;
		p.published_at = w.now;
	} else if (p.status === 'provisional' && wasOfficial && (await wasOfficial())) {
		p.reopened_by = w.user;
		p.reopened_at = w.now;
	}
	return p;
}

/** A start's write: setting one by hand records who did. */
export function recordStart(payload: unknown, w: Writer): unknown {
	const p = withoutOwned('entry_segment_starts', payload);
	if (!p) return payload;
	if (p.manual_override === true) p.override_by = w.user;
	return p;
}
