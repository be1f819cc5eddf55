// Errors Directus answers as they are. Its error handler recognises an
// error by its name ("DirectusError") and answers with its status, code,
// message and extensions; anything else becomes a 500.

export class DirectusRuleError extends Error {
	override readonly name = 'DirectusError';
	readonly code: string;
	readonly status: number;
	readonly extensions: Record<string, unknown>;

	constructor(status: number, code: string, message: string, extensions: Record<string, unknown> = {}) {
		super(message);
		this.status = status;
		this.code = code;
		this.extensions = extensions;
	}
}

/** 400 INVALID_PAYLOAD: the request breaks a rule; the message says which and how to fix it. */
export function invalidPayload(message: string, extensions: Record<string, unknown> = {}): DirectusRuleError {
	return new DirectusRuleError(400, 'INVALID_PAYLOAD', message, extensions);
}

/** 403 FORBIDDEN with a sentence saying what the caller lacks. */
export function forbidden(message: string): DirectusRuleError {
	return new DirectusRuleError(403, 'FORBIDDEN', message);
}

/** True for an error Directus answers with its own status and message. */
export function isDirectusError(err: unknown): err is { name: 'DirectusError'; status: number; code: string } {
	return typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'DirectusError';
}
