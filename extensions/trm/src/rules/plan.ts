// A rules import's plan as POST /trm-rules/apply takes it, read and
// checked before anything is written.
//
// Body: Content-Type application/vnd.trm.rules-plan+json (not
// application/json: Directus's own JSON parser is limited by
// MAX_PAYLOAD_SIZE, 1 MB by default, which a large rulebook's rows may
// exceed; the endpoint reads its body itself, up to MAX_BODY bytes):
//   {"event": "<uuid>",
//    "rulebook": {"rules_placeholder": bool, "rules_note": string | null} | null,
//    "formulas": [{"event_id": "<uuid>", "rule_key": ..., "version": ..., ...}, ...]}
// Every formula must be of the event and carry no id: the endpoint creates
// new rows, it never writes an existing one. rulebook null (or absent)
// leaves the event as it is.
import { DirectusRuleError } from '../lib/errors.js';

export const CONTENT_TYPE = 'application/vnd.trm.rules-plan+json';
export const MAX_BODY = 16 * 1024 * 1024;
export const MAX_FORMULAS = 100_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface Rulebook {
	rules_placeholder?: unknown;
	rules_note?: unknown;
}

export interface RulesPlan {
	event: string;
	rulebook: Rulebook | null;
	formulas: Record<string, unknown>[];
}

function isObject(v: unknown): v is Record<string, unknown> {
	return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The plan's text as a checked plan, or a 400 naming the first fault. */
export function parseRulesPlan(text: string): RulesPlan {
	const bad = (msg: string) => new DirectusRuleError(400, 'INVALID_PAYLOAD', `Invalid rules plan: ${msg}`);
	let plan: unknown;
	try {
		plan = JSON.parse(text);
	} catch (err) {
		throw bad(`not JSON (${(err as Error).message}).`);
	}
	if (!isObject(plan) || typeof plan.event !== 'string' || !Array.isArray(plan.formulas)) {
		throw bad('expected {"event": "<id>", "rulebook": {...} | null, "formulas": [...]}.');
	}
	const event = plan.event;
	if (!UUID.test(event)) throw bad('event is not an id.');
	if (plan.formulas.length > MAX_FORMULAS) throw bad(`more than ${MAX_FORMULAS} formulas.`);
	const rulebook = plan.rulebook ?? null;
	if (rulebook !== null && (!isObject(rulebook) || Object.keys(rulebook).some((k) => k !== 'rules_placeholder' && k !== 'rules_note'))) {
		throw bad('rulebook holds rules_placeholder and rules_note only.');
	}
	const formulas = plan.formulas.map((f: unknown, i) => {
		if (!isObject(f)) throw bad(`formula ${i} is not an object.`);
		if ('id' in f) throw bad(`formula ${i} has an id: the endpoint creates new rows, it never writes an existing one.`);
		if (f.event_id !== event) throw bad(`formula ${i} is not of the event ${event}.`);
		return f;
	});
	return { event, rulebook, formulas };
}
