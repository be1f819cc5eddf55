import { Redis } from 'ioredis';
import type { RedisSetting } from '../lib/redis-config.js';
import type { StreamWriter } from './relay.js';

/**
 * A Redis client for the relay, apart from Directus's own: commands fail at
 * once while Redis is unreachable (no offline queue) instead of waiting,
 * so the outbox transaction ends and the request waits there; the client
 * keeps reconnecting and onReady wakes the relay when Redis is back.
 */
export function redisStream(setting: Exclude<RedisSetting, { kind: 'none' }>, onReady: () => void, onError: (err: Error) => void): StreamWriter & { quit(): Promise<void> } {
	const options = {
		enableOfflineQueue: false,
		maxRetriesPerRequest: 1,
		connectTimeout: 5_000,
		commandTimeout: 5_000,
		retryStrategy: (times: number) => Math.min(times * 200, 2_000),
	};
	const redis = setting.kind === 'url' ? new Redis(setting.url, options) : new Redis({ ...setting.options, ...options });
	redis.on('ready', onReady);
	// Without a listener ioredis prints every reconnection failure.
	redis.on('error', onError);
	return {
		async add(stream, entries) {
			const multi = redis.multi();
			for (const fields of entries) multi.xadd(stream, '*', ...fields);
			const replies = await multi.exec();
			if (!replies) throw new Error(`the transaction adding to ${stream} was discarded`);
			return replies.map(([err, id]) => {
				if (err) throw err;
				return String(id);
			});
		},
		async quit() {
			redis.disconnect();
		},
	};
}
