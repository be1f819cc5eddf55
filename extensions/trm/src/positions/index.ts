// The positions endpoint, /trm/positions: positions is not a Directus
// collection (no primary key; the processor owns it), so operators flag
// faulty fixes here.
//
//   POST /trm/positions/flag
//     {"device"|"entry": id, "from": ts, "until": ts, "action": "flag"|"unflag", "reason": text}
//
// Authorisation (authorise.ts, docs/access-model.md): an administrator; a
// race director (organization_users.role) of the organisation running the
// event of the entry, or of every entry the device served in the window;
// a marshal of it while the event runs.
//
// Express 4 does not catch a rejected promise: an error thrown in an async
// handler would kill the process, so every handler passes its errors to
// next().
import type { EndpointConfig } from '@directus/types';
import type { NextFunction, Request, Response } from 'express';
import { parseFlagRequest } from '../lib/flag-request.js';
import { ENQUEUED } from '../lib/recompute-message.js';
import { flagPositions } from './flag.js';

interface Accountable {
	accountability?: { user?: string | null; admin?: boolean } | null;
}

const endpoint: EndpointConfig = {
	id: 'trm',
	handler: (router, { database, emitter }) => {
		router.post('/positions/flag', (req: Request, res: Response, next: NextFunction) => {
			const run = async () => {
				const request = parseFlagRequest(req.body);
				const acc = (req as Request & Accountable).accountability;
				const result = await flagPositions(database, { user: acc?.user ?? null, admin: acc?.admin === true }, request);
				if (result.request_id) emitter.emitAction(ENQUEUED, { request_id: result.request_id }, null);
				res.json({ data: result });
			};
			run().catch(next);
		});
	},
};

export default endpoint;
