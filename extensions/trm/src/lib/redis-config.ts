// The Redis connection Directus itself uses, read from Directus's own
// settings as Directus reads them (@directus/api's get-config-from-env): a
// REDIS connection string (also REDIS_FILE, which Directus reads into
// REDIS), else the REDIS_* options (REDIS_HOST, REDIS_PORT,
// REDIS_PASSWORD, …, camel-cased as ioredis names them; REDIS_A__B nests),
// else none.
//
// REDIS_ENABLED is not read: in Directus it switches only the stores that
// move to Redis implicitly (bus, locks, permissions cache); the stores one
// asks for by name (CACHE_STORE=redis, …) use the connection regardless,
// and so does the relay. REDIS_ENABLED=false with REDIS set keeps
// Directus's own stores in memory while recompute requests go to Redis.

export type RedisSetting =
	| { kind: 'none'; why: string }
	| { kind: 'url'; url: string }
	| { kind: 'options'; options: Record<string, unknown> };

/** Directus's own keys under REDIS_ that are not connection options. */
function isDirectusKey(key: string): boolean {
	return key === 'REDIS_ENABLED' || key.endsWith('_NAMESPACE');
}

/** "_HOST" → "host", "_MAX_RETRIES_PER_REQUEST" → "maxRetriesPerRequest". */
function camel(s: string): string {
	const parts = s.toLowerCase().split('_').filter(Boolean);
	return parts.map((p, i) => (i === 0 ? p : p.charAt(0).toUpperCase() + p.slice(1))).join('');
}

export function redisSetting(env: Record<string, unknown>): RedisSetting {
	if (typeof env.REDIS === 'string' && env.REDIS !== '') return { kind: 'url', url: env.REDIS };
	const options: Record<string, unknown> = {};
	for (const [key, value] of Object.entries(env)) {
		if (!key.toUpperCase().startsWith('REDIS_') || isDirectusKey(key.toUpperCase())) continue;
		const path = key.slice('REDIS'.length).split('__').map(camel);
		let at = options;
		for (const part of path.slice(0, -1)) {
			const next = at[part];
			at = (typeof next === 'object' && next !== null ? next : (at[part] = {})) as Record<string, unknown>;
		}
		at[path[path.length - 1]!] = value;
	}
	if (Object.keys(options).length === 0) return { kind: 'none', why: 'Directus has no REDIS setting (REDIS or REDIS_HOST, …)' };
	return { kind: 'options', options };
}

/** Where the setting points, for logs: never a password. */
export function describeRedis(setting: RedisSetting): string {
	switch (setting.kind) {
		case 'none':
			return 'none';
		case 'url': {
			// ioredis reads a string without a scheme as host:port, with
			// user:password@ in front if any (it prefixes "//"): so does
			// this, else URL would take user: for a scheme and show the
			// password as the path.
			const url = setting.url.trim();
			if (/^\d+$/.test(url)) return `redis://localhost:${url}`;
			if (url.startsWith('/')) return `unix:${url}`;
			try {
				const u = new URL(url.includes('://') ? url : `redis://${url}`);
				// The path is the database number; anything else may be the
				// end of a password with an unencoded slash.
				const db = /^\/\d+$/.test(u.pathname) ? u.pathname : '';
				return `${u.protocol}//${u.hostname}${u.port ? `:${u.port}` : ''}${db}`;
			} catch {
				return 'REDIS (not a URL)';
			}
		}
		case 'options': {
			const { host = '127.0.0.1', port = 6379 } = setting.options as { host?: unknown; port?: unknown };
			return `${String(host)}:${String(port)}`;
		}
	}
}

/** Where the recompute relay writes, and which setting said so. */
export type StreamRedis = { setting: RedisSetting; from: string } | { error: string };

/**
 * The Redis of the recompute stream: TRM_STREAM_REDIS (a connection string
 * as REDIS takes, or TRM_STREAM_REDIS_FILE naming a file holding one) when
 * set, so that the stream can live apart from Directus's cache and
 * synchronisation Redis; else Directus's own (redisSetting).
 *
 * raw is the process's environment as it is: Directus reads _FILE only for
 * its own variables, and casts other values (a string with a comma becomes
 * an array), so TRM_STREAM_REDIS is read from there. An error never quotes
 * the value or the file's content: either may hold a password.
 */
export function streamRedis(env: Record<string, unknown>, raw: Record<string, string | undefined>, readFile: (path: string) => string): StreamRedis {
	const value = raw.TRM_STREAM_REDIS?.trim();
	const file = raw.TRM_STREAM_REDIS_FILE?.trim();
	if (value && file) return { error: 'TRM_STREAM_REDIS and TRM_STREAM_REDIS_FILE are both set: keep one' };
	if (value) return { setting: { kind: 'url', url: value }, from: 'TRM_STREAM_REDIS' };
	if (file) {
		let content: string;
		try {
			content = readFile(file).trim();
		} catch (err) {
			const code = (err as { code?: unknown }).code;
			return { error: `TRM_STREAM_REDIS_FILE names a file that cannot be read${typeof code === 'string' ? ` (${code})` : ''}` };
		}
		if (content === '') return { error: 'TRM_STREAM_REDIS_FILE names an empty file' };
		return { setting: { kind: 'url', url: content }, from: 'TRM_STREAM_REDIS_FILE' };
	}
	return { setting: redisSetting(env), from: "Directus's REDIS" };
}
