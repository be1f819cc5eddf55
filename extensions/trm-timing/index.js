// trm-timing: records who made the decisions of timing, from the session,
// so that nobody types them and nobody forges them.
//
// The database requires them (db-init/post/003): a confirmed, overridden
// or cancelled penalty names who decided and when
// (entry_penalties_decision_recorded), an official result who published
// it and when (stage_results_official_published), a reopened result who
// reopened it, when and why (stage_results_reopen_recorded), a start set
// by hand who set it (entry_segment_starts_override_explained). The
// database cannot know the Directus user: this hook fills those fields in
// from the request's accountability, on every create and update through
// Directus (REST, GraphQL, the admin app, nested o2m edits), and removes
// whatever a client sent for them. The processor writes straight to
// PostgreSQL and never decides: it inserts computed penalties and
// provisional results only (row-level security, db-init/post/003).
//
// Without a user (a call without accountability) the fields stay empty
// and the database refuses the decision with its sentence.

// The fields this hook owns, per collection.
const OWNED = {
	entry_penalties: ['decided_by', 'decided_at'],
	stage_results: ['published_by', 'published_at', 'reopened_by', 'reopened_at'],
	entry_segment_starts: ['override_by'],
};

// What makes a write to a penalty a decision.
const DECISION_FIELDS = ['status', 'override_seconds', 'override_reason'];

function owned(collection, payload) {
	if (!payload || typeof payload !== 'object' || Array.isArray(payload)) return payload;
	const out = { ...payload };
	for (const f of OWNED[collection]) delete out[f];
	return out;
}

const userOf = (context) => context?.accountability?.user ?? null;
const now = () => new Date().toISOString();

export default ({ filter }, { database }) => {
	// Penalties: a person writing the status or the override decides.
	const penalty = (creating) => (payload, _meta, context) => {
		const p = owned('entry_penalties', payload);
		if (p === payload) return payload;
		const deciding = DECISION_FIELDS.some((f) => f in p) && !(creating && (p.status ?? 'computed') === 'computed');
		if (deciding) {
			p.decided_by = userOf(context);
			p.decided_at = now();
		}
		return p;
	};
	filter('entry_penalties.items.create', penalty(true));
	filter('entry_penalties.items.update', penalty(false));

	// Results: publishing (status official) records who and when; setting
	// an official result back to provisional is a reopen, recorded too.
	filter('stage_results.items.create', (payload, _meta, context) => {
		const p = owned('stage_results', payload);
		if (p !== payload && p.status === 'official') {
			p.published_by = userOf(context);
			p.published_at = now();
		}
		return p;
	});
	filter('stage_results.items.update', async (payload, meta, context) => {
		const p = owned('stage_results', payload);
		if (p === payload) return payload;
		if (p.status === 'official') {
			p.published_by = userOf(context);
			p.published_at = now();
		} else if (p.status === 'provisional' && Array.isArray(meta?.keys) && meta.keys.length > 0) {
			const db = context?.database ?? database;
			const official = await db('stage_results').whereIn('id', meta.keys).andWhere('status', 'official').first('id');
			if (official) {
				p.reopened_by = userOf(context);
				p.reopened_at = now();
			}
		}
		return p;
	});

	// Starts: setting one by hand records who did.
	const start = (payload, _meta, context) => {
		const p = owned('entry_segment_starts', payload);
		if (p !== payload && p.manual_override === true) p.override_by = userOf(context);
		return p;
	};
	filter('entry_segment_starts.items.create', start);
	filter('entry_segment_starts.items.update', start);
};
