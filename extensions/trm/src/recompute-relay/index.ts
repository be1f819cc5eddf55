// recompute-relay: in every Directus server process (not the CLI), from
// server start to stop, relays the recompute requests the positions
// endpoint records (relay.ts), to the Redis of TRM_STREAM_REDIS, else of
// Directus's own REDIS setting (lib/redis-config.ts). Woken at once by the
// endpoint of the same process, and every TRM_RECOMPUTE_RELAY_INTERVAL_MS
// (default 1000) for requests that waited (Redis down, another process
// that died).
import type { HookConfig } from '@directus/types';
import { readFileSync } from 'node:fs';
import { describeRedis, streamRedis } from '../lib/redis-config.js';
import { ENQUEUED } from '../lib/recompute-message.js';
import { redisStream } from './redis-stream.js';
import { RecomputeRelay } from './relay.js';

const DEFAULT_INTERVAL_MS = 1_000;

/** The interval setting, or a sentence saying what is wrong with it. */
export function relayInterval(value: unknown): number | string {
	if (value === undefined || value === null || value === '') return DEFAULT_INTERVAL_MS;
	const n = typeof value === 'number' ? value : Number(value);
	if (!Number.isInteger(n) || n < 50 || n > 3_600_000) {
		return `TRM_RECOMPUTE_RELAY_INTERVAL_MS must be a whole number of milliseconds from 50 to 3600000, not ${JSON.stringify(value)}`;
	}
	return n;
}

const hook: HookConfig = ({ action }, { database, env, logger, emitter }) => {
	let relay: RecomputeRelay | undefined;
	let quit: (() => Promise<void>) | undefined;

	action('server.start', () => {
		const target = streamRedis(env, process.env, (path) => readFileSync(path, 'utf8'));
		if ('error' in target) {
			logger.error(`trm recompute relay: off, ${target.error}: recompute requests wait in recompute_outbox`);
			return;
		}
		const setting = target.setting;
		if (setting.kind === 'none') {
			logger.warn(`trm recompute relay: off, ${setting.why}: recompute requests wait in recompute_outbox`);
			return;
		}
		const interval = relayInterval(env.TRM_RECOMPUTE_RELAY_INTERVAL_MS);
		if (typeof interval === 'string') {
			logger.error(`trm recompute relay: off, ${interval}: recompute requests wait in recompute_outbox`);
			return;
		}
		let stream: ReturnType<typeof redisStream>;
		try {
			stream = redisStream(
				setting,
				() => relay?.redisReady(),
				(err) => logger.debug(`trm recompute relay: Redis ${describeRedis(setting)}: ${err.message}`),
			);
		} catch {
			// ioredis's message may quote the setting, password included.
			logger.error(`trm recompute relay: off, the Redis setting ${target.from} (${describeRedis(setting)}) is unusable: recompute requests wait in recompute_outbox`);
			return;
		}
		quit = stream.quit;
		relay = new RecomputeRelay(database, stream, logger, { intervalMs: interval, batch: 100 });
		relay.start();
		logger.info(`trm recompute relay: on, to ${describeRedis(setting)} every ${interval} ms and at each request (${target.from})`);
	});

	emitter.onAction(ENQUEUED, () => relay?.wake());

	action('server.stop', () => {
		relay?.stop();
		void quit?.();
	});
};

export default hook;
