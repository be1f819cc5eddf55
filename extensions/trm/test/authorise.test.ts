import { describe, expect, it } from 'vitest';
import { authorise, notRunningSentence, type EventAccess } from '../src/positions/authorise.js';

const ev = (name: string, roles: string[], running: boolean): EventAccess => ({
	name,
	roles,
	running,
	starts_at: '2026-06-06T06:00:00.000000Z',
	ends_at: '2026-06-13T18:00:00.000000Z',
});

describe('authorise', () => {
	it('lets a race director flag at any time', () => {
		expect(authorise([ev('Rally Albania 2026', ['race-director'], false)])).toEqual({ ok: true });
	});
	it('lets a marshal flag only while every event concerned runs', () => {
		expect(authorise([ev('A', ['marshal'], true)])).toEqual({ ok: true });
		const idle = ev('B', ['marshal', 'viewer'], false);
		expect(authorise([ev('A', ['marshal'], true), idle])).toEqual({ ok: false, why: 'not-running', events: [idle] });
	});
	it('refuses other roles, and anyone without a role in one of the events', () => {
		for (const roles of [[], ['viewer'], ['timekeeper'], ['org-admin'], ['participant']]) {
			expect(authorise([ev('A', roles, true)])).toEqual({ ok: false, why: 'role' });
		}
		expect(authorise([ev('A', ['race-director'], true), ev('B', [], true)])).toEqual({ ok: false, why: 'role' });
		// A missing role outweighs a marshal outside the event's time.
		expect(authorise([ev('A', ['marshal'], false), ev('B', ['viewer'], true)])).toEqual({ ok: false, why: 'role' });
	});
	it('takes a race director in one organisation and a running marshal in another', () => {
		expect(authorise([ev('A', ['race-director'], false), ev('B', ['marshal'], true)])).toEqual({ ok: true });
	});
});

describe('notRunningSentence', () => {
	it('names each event and when it runs, and who may flag instead', () => {
		expect(notRunningSentence([ev('Rally Albania 2026', ['marshal'], false)])).toBe(
			'A marshal flags positions only while the event runs, and Rally Albania 2026 (2026-06-06T06:00:00.000000Z to 2026-06-13T18:00:00.000000Z) is not running now: ask a race director of the organisation.',
		);
		expect(notRunningSentence([ev('A', [], false), { ...ev('B', [], false), ends_at: null }])).toMatch(/, B \(.* to no end\) are not running now/);
	});
});
