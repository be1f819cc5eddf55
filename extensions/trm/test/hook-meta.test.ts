import { describe, expect, it } from 'vitest';
import { keysOf } from '../src/lib/hook-meta.js';

describe('keysOf', () => {
	it("reads a create's key and an update's or delete's keys", () => {
		expect(keysOf({ key: 'a' })).toEqual(['a']);
		expect(keysOf({ keys: ['a', 2, null] })).toEqual(['a', 2]);
		expect(keysOf(undefined)).toEqual([]);
	});
});
