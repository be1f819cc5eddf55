// The relay: moves recompute requests from the outbox (recompute_outbox,
// written in the flag's transaction) to the Redis stream
// recompute:requests. Every Directus process runs one; rows are claimed
// with FOR UPDATE SKIP LOCKED, so each is relayed by one process, and
// marked sent in the transaction that claimed them: a process that dies
// after adding to the stream and before its commit leaves the rows to be
// relayed again, with the same request_id (at least once; the processor
// absorbs a repeat by request_id).

import type { Knex } from 'knex';
import { RECOMPUTE_STREAM, streamEntry } from '../lib/recompute-message.js';

/** Adds entries to a stream, all or none; resolves to their stream ids in order. */
export interface StreamWriter {
	add(stream: string, entries: string[][]): Promise<string[]>;
}

export interface RelayLogger {
	info(msg: string): void;
	warn(msg: string): void;
}

export interface RelayOptions {
	/** How often the relay looks for waiting requests besides being woken (ms). */
	intervalMs: number;
	/** Rows claimed per transaction. */
	batch: number;
}

interface OutboxRow {
	id: string;
	requested_at: string;
	fields: Record<string, unknown>;
}

export class RecomputeRelay {
	private timer: NodeJS.Timeout | undefined;
	private running = false;
	private again = false;
	private stopped = false;
	/** The reason the last attempt failed, while failing: logged once per outage. */
	private failing: string | undefined;

	constructor(
		private readonly db: Knex,
		private readonly stream: StreamWriter,
		private readonly log: RelayLogger,
		private readonly options: RelayOptions,
	) {}

	start(): void {
		this.timer = setInterval(() => this.wake(), this.options.intervalMs);
		// The relay never keeps a process alive on its own.
		this.timer.unref();
		this.wake();
	}

	stop(): void {
		this.stopped = true;
		if (this.timer) clearInterval(this.timer);
	}

	/**
	 * Redis (re)connected: after a failure, says so once and relays what
	 * waited. Never throws.
	 */
	redisReady(): void {
		if (this.failing !== undefined && !this.stopped) {
			this.log.info(`trm recompute relay: Redis answers again, relaying the requests that waited`);
			this.failing = undefined;
		}
		this.wake();
	}

	/** Relays what waits, now; a wake-up during a run makes it run again. Never throws. */
	wake(): void {
		if (this.stopped) return;
		if (this.running) {
			this.again = true;
			return;
		}
		this.running = true;
		void this.drain().finally(() => {
			this.running = false;
		});
	}

	private async drain(): Promise<void> {
		try {
			do {
				this.again = false;
				let relayed = 0;
				for (;;) {
					const n = await this.relayBatch();
					relayed += n;
					if (n < this.options.batch || this.stopped) break;
				}
				// A pass that found nothing to claim (another process holds or
				// sent the rows) proves nothing about the stream.
				if (this.failing !== undefined && relayed > 0) {
					this.log.info(`trm recompute relay: relaying again (${relayed} waiting requests sent to ${RECOMPUTE_STREAM})`);
					this.failing = undefined;
				}
			} while (this.again && !this.stopped);
		} catch (err) {
			const reason = err instanceof Error ? err.message : String(err);
			if (this.failing === undefined && !this.stopped) {
				this.log.warn(`trm recompute relay: cannot relay to ${RECOMPUTE_STREAM}, recompute requests wait in recompute_outbox: ${reason}`);
			}
			this.failing = reason;
		}
	}

	/** Claims up to batch unsent rows, adds them to the stream and marks them sent, in one transaction. */
	async relayBatch(): Promise<number> {
		return this.db.transaction(async (trx) => {
			const { rows } = await trx.raw<{ rows: OutboxRow[] }>(
				`SELECT id::text AS id, fields,
				        to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS requested_at
				   FROM recompute_outbox
				  WHERE sent_at IS NULL
				  ORDER BY seq
				  LIMIT ?
				    FOR UPDATE SKIP LOCKED`,
				[this.options.batch],
			);
			if (rows.length === 0) return 0;
			const ids = await this.stream.add(
				RECOMPUTE_STREAM,
				rows.map((r) => streamEntry(r.id, r.requested_at, r.fields)),
			);
			if (ids.length !== rows.length) throw new Error(`the stream answered ${ids.length} ids for ${rows.length} entries`);
			await trx.raw(
				`UPDATE recompute_outbox o SET sent_at = clock_timestamp(), stream_id = s.stream_id
				   FROM unnest(?::uuid[], ?::text[]) AS s(id, stream_id)
				  WHERE o.id = s.id`,
				[rows.map((r) => r.id), ids],
			);
			return rows.length;
		});
	}
}
