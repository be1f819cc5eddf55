// constraint-errors: makes the database's rules visible to the people who
// break them (translate.ts says what Directus does without it).
//
// Two places, because Directus has two paths: the database.error filter
// (creates and updates, REST and GraphQL) and an Express error handler
// placed before Directus's own (REST deletes, which bypass the filter).
// GraphQL deletes are not covered.
import type { HookConfig } from '@directus/types';
import type { NextFunction, Request, Response } from 'express';
import { pgConstraintCatalog } from './catalog.js';
import { translate } from './translate.js';

const hook: HookConfig = ({ filter, init }, { database, logger }) => {
	const catalog = pgConstraintCatalog(database);
	const safely = async (err: unknown) => {
		try {
			return await translate(catalog, err);
		} catch (lookupError) {
			logger.warn(lookupError, 'trm constraint-errors: could not look up the violated constraint');
			return undefined;
		}
	};

	filter('database.error', async (err) => (await safely(err)) ?? err);

	init('routes.custom.after', ({ app }) => {
		// An Express error handler: it runs before Directus's own, which is
		// added right after this event.
		app.use((err: unknown, _req: Request, _res: Response, next: NextFunction) => {
			void safely(err).then((mapped) => next(mapped ?? err));
		});
	});
};

export default hook;
