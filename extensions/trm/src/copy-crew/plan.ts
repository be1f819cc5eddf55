// What copying a crew (and its trackers) onto an entry does, worked out
// from what both entries hold: pure, so that the rules are tested without
// a database (copy.ts reads the rows and writes the plan).

export interface CrewMember {
	user_id: string;
	role: string | null;
}

export interface Assignment {
	device_id: string;
	/** entry_devices.assigned_user_id: the person wearing the tracker (a panic button), if any. */
	assigned_user_id: string | null;
}

/** The target event's time, which the copied trackers' windows cover. */
export interface EventWindow {
	starts_at: string;
	ends_at: string | null;
}

export interface SkippedMember extends CrewMember {
	reason: string;
}

export interface CopiedTracker {
	device_id: string;
	/** assigned_user_id of the new assignment. */
	worn_by: string | null;
	valid_from: string;
	valid_until: string | null;
	/** Why the source's wearer is not kept. */
	note?: string;
}

export interface SkippedTracker {
	device_id: string;
	reason: string;
}

export interface CopyPlan {
	crew: { copy: CrewMember[]; skipped: SkippedMember[] };
	trackers: { copy: CopiedTracker[]; skipped: SkippedTracker[] } | null;
}

export const ALREADY_ON_BOARD = 'already on the crew of the entry';
export const ALREADY_ASSIGNED = 'already assigned to the entry';
export const WEARER_NOT_ON_BOARD = 'the person who wore it on the source entry is not on this crew: nobody wears it';

/**
 * The plan: every member of the source's crew not on the target's, with
 * the role they had; with trackers, every tracker of the source not
 * assigned to the target already, for the target event's time, worn by
 * the same person when that person is on board after the copy. The
 * caller, when copied, comes first.
 */
export function planCopy(
	source: { crew: CrewMember[]; trackers: Assignment[] | null },
	target: { crew: CrewMember[]; trackers: Assignment[] },
	window: EventWindow,
	caller: string | null = null,
): CopyPlan {
	const onBoard = new Map(target.crew.map((m) => [m.user_id, m]));
	const copy: CrewMember[] = [];
	const skipped: SkippedMember[] = [];
	for (const m of source.crew) {
		const there = onBoard.get(m.user_id);
		if (there) {
			const as = there.role && there.role !== m.role ? ` (as ${there.role})` : '';
			skipped.push({ ...m, reason: `${ALREADY_ON_BOARD}${as}` });
			continue;
		}
		onBoard.set(m.user_id, m);
		copy.push(m);
	}
	// The caller first: a participant may add others only once on the crew (access/policies/participant.yaml).
	const mine = copy.findIndex((m) => m.user_id === caller);
	if (mine > 0) copy.unshift(...copy.splice(mine, 1));
	if (source.trackers === null) return { crew: { copy, skipped }, trackers: null };

	const assigned = new Set(target.trackers.map((a) => a.device_id));
	const trackers: CopiedTracker[] = [];
	const skippedTrackers: SkippedTracker[] = [];
	for (const a of source.trackers) {
		if (assigned.has(a.device_id)) {
			// A device the source had twice (given back after a swap) is copied once.
			if (!trackers.some((t) => t.device_id === a.device_id)) skippedTrackers.push({ device_id: a.device_id, reason: ALREADY_ASSIGNED });
			continue;
		}
		assigned.add(a.device_id);
		const kept = a.assigned_user_id !== null && onBoard.has(a.assigned_user_id);
		const t: CopiedTracker = { device_id: a.device_id, worn_by: kept ? a.assigned_user_id : null, valid_from: window.starts_at, valid_until: window.ends_at };
		if (a.assigned_user_id !== null && !kept) t.note = WEARER_NOT_ON_BOARD;
		trackers.push(t);
	}
	return { crew: { copy, skipped }, trackers: { copy: trackers, skipped: skippedTrackers } };
}
