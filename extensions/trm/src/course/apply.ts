// Applying a checked plan: every operation through Directus's ItemsService
// with the caller's accountability, exactly as POST/PATCH/DELETE /items
// would (permissions, field validation, filter hooks, activity and
// revisions), all in ONE transaction: the first failure, or a deferred
// constraint at commit (db-init/post/002), rolls back every operation
// before it. Action hooks are emitted after the commit only, as Directus
// does for nested writes.
import type { DeferredAction, MutationOptions } from '../lib/deferred.js';
import { isDirectusError } from '../lib/errors.js';
import type { Operation } from './plan.js';

/** What apply needs of an ItemsService. */
export interface CourseItems {
	createOne(data: Record<string, unknown>, opts: MutationOptions): Promise<unknown>;
	updateOne(key: string, data: Record<string, unknown>, opts: MutationOptions): Promise<unknown>;
	deleteOne(key: string, opts: MutationOptions): Promise<unknown>;
}

/**
 * Runs operations inside transaction, each through the items service
 * itemsOf(collection, trx) gives, and returns the actions to emit once the
 * transaction committed. A Directus error carries extensions.operation,
 * the index of the operation that failed.
 */
export async function applyPlan<Trx>(
	transaction: (work: (trx: Trx) => Promise<void>) => Promise<unknown>,
	itemsOf: (collection: string, trx: Trx) => CourseItems,
	operations: Operation[],
): Promise<DeferredAction[]> {
	const deferred: DeferredAction[] = [];
	await transaction(async (trx) => {
		for (const [i, op] of operations.entries()) {
			const items = itemsOf(op.collection, trx);
			const opts: MutationOptions = { bypassEmitAction: (params) => deferred.push(params) };
			try {
				if (op.action === 'create') {
					await items.createOne(op.id === undefined ? op.data : { ...op.data, id: op.id }, opts);
				} else if (op.action === 'update') {
					await items.updateOne(op.id, op.data, opts);
				} else {
					await items.deleteOne(op.id, opts);
				}
			} catch (err) {
				if (isDirectusError(err)) {
					const ext = (err as { extensions?: unknown }).extensions;
					if (typeof ext === 'object' && ext !== null) (ext as Record<string, unknown>).operation = i;
				}
				throw err;
			}
		}
	});
	return deferred;
}
