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
			try {
				const u = new URL(setting.url);
				return `${u.protocol}//${u.hostname}${u.port ? `:${u.port}` : ''}${u.pathname === '/' ? '' : u.pathname}`;
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
