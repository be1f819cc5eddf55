import { describe, expect, it } from 'vitest';
import { describeRedis, redisSetting, streamRedis } from '../src/lib/redis-config.js';
import { relayInterval } from '../src/recompute-relay/index.js';

describe('redisSetting reads Directus own settings', () => {
	it('prefers REDIS, a connection string', () => {
		expect(redisSetting({ REDIS: 'redis://:secret@cache:6380/2', REDIS_HOST: 'other' })).toEqual({ kind: 'url', url: 'redis://:secret@cache:6380/2' });
	});
	it('takes the REDIS_* options as ioredis names them, nested by __, without Directus own keys', () => {
		expect(
			redisSetting({
				REDIS_HOST: 'cache',
				REDIS_PORT: 6380,
				REDIS_PASSWORD: 'secret',
				REDIS_MAX_RETRIES_PER_REQUEST: 3,
				REDIS_TLS__SERVERNAME: 'cache.example',
				REDIS_BUS_NAMESPACE: 'directus:bus',
				KEY: 'k',
			}),
		).toEqual({
			kind: 'options',
			options: { host: 'cache', port: 6380, password: 'secret', maxRetriesPerRequest: 3, tls: { servername: 'cache.example' } },
		});
	});
	it("ignores REDIS_ENABLED, which switches only Directus's implicit stores", () => {
		expect(redisSetting({ REDIS_ENABLED: false, REDIS: 'redis://cache' })).toEqual({ kind: 'url', url: 'redis://cache' });
		expect(redisSetting({ REDIS_ENABLED: false })).toMatchObject({ kind: 'none' });
	});
	it('is off when nothing is set', () => {
		expect(redisSetting({ KEY: 'k' })).toMatchObject({ kind: 'none', why: expect.stringContaining('no REDIS setting') });
	});
	it('never shows a password where it says where Redis is', () => {
		expect(describeRedis({ kind: 'url', url: 'redis://user:secret@cache:6380/2' })).toBe('redis://cache:6380/2');
		expect(describeRedis({ kind: 'url', url: 'redis://:secret@cache' })).toBe('redis://cache');
		expect(describeRedis({ kind: 'options', options: { host: 'cache', password: 'secret' } })).toBe('cache:6379');
		expect(describeRedis({ kind: 'url', url: 'not a url secret' })).toBe('REDIS (not a URL)');
		// The forms without a scheme that ioredis (and TRM_STREAM_REDIS) take.
		expect(describeRedis({ kind: 'url', url: 'user:secret@stream:6380' })).toBe('redis://stream:6380');
		expect(describeRedis({ kind: 'url', url: ':secret@stream' })).toBe('redis://stream');
		expect(describeRedis({ kind: 'url', url: 'stream:6380' })).toBe('redis://stream:6380');
		expect(describeRedis({ kind: 'url', url: '6380' })).toBe('redis://localhost:6380');
		expect(describeRedis({ kind: 'url', url: '/run/redis.sock' })).toBe('unix:/run/redis.sock');
		// A password with an unencoded slash ends the authority early: its end is not shown as the path.
		expect(describeRedis({ kind: 'url', url: 'redis://u:12/secret@stream:6380' })).toBe('redis://u:12');
	});
});

describe('relayInterval', () => {
	it('defaults to a second and reads milliseconds', () => {
		expect(relayInterval(undefined)).toBe(1000);
		expect(relayInterval(250)).toBe(250);
		expect(relayInterval('250')).toBe(250);
	});
	it('says what is wrong with a bad value', () => {
		for (const v of [0, 10, 1.5, 'soon', -1, 10_000_000]) {
			expect(relayInterval(v)).toMatch(/^TRM_RECOMPUTE_RELAY_INTERVAL_MS must be a whole number of milliseconds from 50 to 3600000/);
		}
	});
});

describe('streamRedis: the Redis of the recompute stream', () => {
	const directus = { REDIS: 'redis://cache:6379' };
	const noFile = (path: string): string => {
		throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT' });
	};

	it("is Directus's own Redis when TRM_STREAM_REDIS is not set (the behaviour before it)", () => {
		expect(streamRedis(directus, {}, noFile)).toEqual({ setting: { kind: 'url', url: 'redis://cache:6379' }, from: "Directus's REDIS" });
		expect(streamRedis(directus, { TRM_STREAM_REDIS: '  ' }, noFile)).toMatchObject({ from: "Directus's REDIS" });
		expect(streamRedis({}, {}, noFile)).toMatchObject({ setting: { kind: 'none' } });
	});

	it('takes TRM_STREAM_REDIS as it is in the environment, apart from REDIS', () => {
		// Directus would have cast a value with a comma to an array: the raw environment is read.
		const url = 'redis://:pa,ss@stream:6380/1';
		expect(streamRedis({ ...directus, TRM_STREAM_REDIS: ['redis://:pa', 'ss@stream:6380/1'] }, { TRM_STREAM_REDIS: url }, noFile)).toEqual({
			setting: { kind: 'url', url },
			from: 'TRM_STREAM_REDIS',
		});
		expect(streamRedis({}, { TRM_STREAM_REDIS: 'redis://stream:6380' }, noFile)).toMatchObject({ from: 'TRM_STREAM_REDIS' });
	});

	it('reads TRM_STREAM_REDIS_FILE, a secret mounted as a file', () => {
		const files: Record<string, string> = { '/run/secrets/stream': 'redis://:s3cret@stream:6380\n' };
		const read = (p: string) => files[p] ?? noFile(p);
		expect(streamRedis(directus, { TRM_STREAM_REDIS_FILE: '/run/secrets/stream' }, read)).toEqual({
			setting: { kind: 'url', url: 'redis://:s3cret@stream:6380' },
			from: 'TRM_STREAM_REDIS_FILE',
		});
	});

	it('refuses a file it cannot read, an empty one, or both settings, without quoting either', () => {
		expect(streamRedis(directus, { TRM_STREAM_REDIS_FILE: '/run/secrets/missing' }, noFile)).toEqual({
			error: 'TRM_STREAM_REDIS_FILE names a file that cannot be read (ENOENT)',
		});
		expect(streamRedis(directus, { TRM_STREAM_REDIS_FILE: '/empty' }, () => ' \n')).toEqual({ error: 'TRM_STREAM_REDIS_FILE names an empty file' });
		const both = streamRedis(directus, { TRM_STREAM_REDIS: 'redis://:s3cret@a', TRM_STREAM_REDIS_FILE: '/f' }, noFile);
		expect(both).toEqual({ error: 'TRM_STREAM_REDIS and TRM_STREAM_REDIS_FILE are both set: keep one' });
		expect(JSON.stringify(both)).not.toContain('s3cret');
	});
});
