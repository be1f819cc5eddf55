// Action events held back during a transaction an extension runs through
// ItemsService, and emitted once it committed, as Directus does for the
// writes of one request: a listener never hears of a write that rolled back.

/** An action Directus would have emitted: event, meta, context. */
export interface DeferredAction {
	event: string | string[];
	meta: Record<string, unknown>;
	context: unknown;
}

/** The ItemsService mutation option that collects the actions instead of emitting them. */
export interface MutationOptions {
	bypassEmitAction: (params: DeferredAction) => void;
}
