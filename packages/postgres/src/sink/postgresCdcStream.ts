import type { CallOptions, CdcBatch, CdcStream, CdcTakeover } from '@baton/core';
import type pg from 'pg';
import { pgFailure } from '../errors/pgErrors.js';
import { formatLsn, parseLsn } from '../lsn/lsn.js';
import { checkBatch, sinkError, throwIfAborted } from './sinkErrors.js';
import { leaseFenced, leaseRowQuery } from './sinkFence.js';
import type { SinkLeasePlace } from './sinkFence.js';
import type { SinkConfig } from './sinkOptions.js';
import { rowsJson } from './sinkRows.js';
import type { SinkTables } from './sinkTables.js';
import { checkCallArgs, detachWriter } from './sinkTakeover.js';
import { releaseWriterLock, sinkHolders, takeWriterLock } from './writerLock.js';

/** What a started stream is made of. */
export interface SinkWriter {
  readonly config: SinkConfig;
  readonly tables: SinkTables;
  /** This writer's generation: the fencing token every transaction checks. */
  readonly generation: bigint;
  /**
   * The lease this writer is fenced by, with its token (`fence` option; see `sinkFence.ts`): every
   * transaction checks it, and the writer holds no session advisory lock. Undefined: the lock.
   */
  readonly lease: SinkLeasePlace | undefined;
  /** Where the sink was complete when the writer started. */
  readonly position: bigint;
  /** The writer's connection, holding the sink's advisory lock unless fenced by a lease (none: the first call connects). */
  readonly client: pg.Client | undefined;
  /** Opens a new connection (after one was lost). */
  readonly connect: () => Promise<pg.Client>;
}

/**
 * A live writer of a PostgreSQL sink (see `postgresCdcOutput`). Each `deliver` is one transaction:
 * it locks the output's offsets row, checks the writer's generation (a newer writer fences this one:
 * `LOCKED`) and the checkpoint (a batch ending at or before it is skipped), inserts the batch and its
 * rows, and moves the checkpoint to the batch's `lsnEnd` — rows and checkpoint commit together.
 * Calls run one at a time in call order. A lost connection fails the call with `IO_FAILED`; the next
 * call reconnects, takes the lock again and re-reads the checkpoint, so a batch whose commit did land
 * is skipped when it comes again.
 *
 * `detach` hands the writer — its connection, which holds the lock, its generation and position —
 * to the next version's `postgresCdcOutput(...).adopt` without a query (layout `postgres-sink/1`,
 * see `sinkTakeover.ts`, which also says why the generation stays the same).
 *
 * A writer fenced by a lease (the output's `fence` option) holds no advisory lock: each transaction
 * first share-locks the lease row and checks that its token is still the row's (`LOCKED` and nothing
 * written otherwise, and every later call `LOCKED`), then goes on as above; a reconnect takes no
 * lock; `detach` hands over under layout `postgres-sink-fenced/1`, with the lease and its token (see
 * `sinkFence.ts` for why the lease replaces the lock).
 */
export class PostgresCdcStream implements CdcStream {
  readonly #writer: SinkWriter;
  readonly #key: string;
  #client: pg.Client | undefined;
  #position: bigint;
  #state: 'open' | 'fenced' | 'closed' | 'detached' = 'open';
  #tail: Promise<unknown> = Promise.resolve();

  /** @internal Made by `postgresCdcOutput().start()` and `adopt()`. */
  constructor(writer: SinkWriter) {
    this.#writer = writer;
    this.#client = writer.client;
    this.#position = writer.position;
    this.#key = sinkHolders.key(writer.config);
  }

  /** The LSN through which the sink holds every batch (as far as this writer knows). */
  get position(): bigint {
    return this.#position;
  }

  /** This writer's generation (its fencing token). */
  get generation(): bigint {
    return this.#writer.generation;
  }

  /** The lease token this writer is fenced by (`fence` option), or undefined without a fence. */
  get leaseToken(): bigint | undefined {
    return this.#writer.lease?.token;
  }

  /**
   * Writes one batch and moves the checkpoint to its `lsnEnd`, in one transaction; skips a batch ending
   * at or before the checkpoint. `INVALID_ARGUMENT` for a malformed batch, one that straddles the
   * checkpoint or holds a value PostgreSQL refuses (nothing written); `LOCKED` when fenced;
   * `IO_FAILED` when the connection failed (the next call reconnects).
   */
  deliver(batch: CdcBatch): Promise<void> {
    return this.#serial('deliver', async () => {
      const { config, tables, generation } = this.#writer;
      checkBatch(batch, config.name);
      if (batch.lsnEnd <= this.#position) return; // already in the sink
      this.#checkPlace(batch, this.#position);
      let rows: string;
      try {
        rows = rowsJson(batch.mutations);
      } catch (error) {
        throw sinkError(
          'INVALID_ARGUMENT',
          config.name,
          'deliver',
          `batch ${range(batch)} cannot be stored: ${(error as Error).message}`,
          error,
        );
      }
      await this.#transaction(`write batch ${range(batch)}`, async (client) => {
        const stored = await this.#lockOffsets(client, 'deliver');
        if (batch.lsnEnd <= stored) return stored; // written before a failure hid the acknowledgement
        this.#checkPlace(batch, stored);
        await client.query(
          `WITH written AS (
             INSERT INTO ${tables.batches} (output, lsn_start, lsn_end, commit_time, row_count, generation)
             VALUES ($1, $2::pg_lsn, $3::pg_lsn, to_timestamp($4::float8 / 1000), $5, $6)),
           changed AS (
             INSERT INTO ${tables.changes} (output, lsn_start, seq, row)
             SELECT $1, $2::pg_lsn, (t.n - 1)::integer, t.row FROM jsonb_array_elements($7::jsonb) WITH ORDINALITY AS t(row, n))
           UPDATE ${tables.offsets} SET lsn = $3::pg_lsn, updated_at = now() WHERE output = $1`,
          [
            config.output,
            formatLsn(batch.lsnStart),
            formatLsn(batch.lsnEnd),
            batch.commitTimestamp,
            batch.mutations.numRows,
            generation,
            rows,
          ],
        );
        return batch.lsnEnd;
      });
    });
  }

  /** The committed checkpoint (every delivered batch is already durable); `LOCKED` when fenced. */
  checkpoint(options: CallOptions = {}): Promise<bigint> {
    return this.#serial('checkpoint', async () => {
      throwIfAborted(options.signal, this.#writer.config.name, 'checkpoint');
      await this.#transaction('read the checkpoint', (client) => this.#lockOffsets(client, 'checkpoint'));
      return this.#position;
    });
  }

  /**
   * Hands this writer to a takeover (layout `postgres-sink/1`) after the calls before it, without any
   * I/O: it settles within microtasks once they have. The takeover holds the connection (with the
   * writer lock on its session), the generation, the tables and the position, and the process's
   * registry names it as the sink's holder; the next version's `postgresCdcOutput(...).adopt`
   * continues exactly there, or `takeover.close()` releases the lock and ends the session. Nothing
   * needs to be made durable: every `deliver` committed. This stream is closed from then on: its
   * `deliver`, `checkpoint` and `detach` are `RESOURCE_CLOSED`, and `shutdown` does nothing (it
   * never releases the lock or ends the connection, which are the takeover's). A stream whose
   * connection was lost still hands over (`client: null`): the adopter's first call reconnects and
   * takes the lock again (`LOCKED` if another writer took it meanwhile), as this stream's next call
   * would have. A fenced stream is `LOCKED`, a shut down or detached one `RESOURCE_CLOSED`; bad
   * `options` `INVALID_ARGUMENT`, an aborted signal `ABORTED` (nothing changes then).
   */
  detach(options: CallOptions = {}): Promise<CdcTakeover> {
    return this.#serial('detach', () => {
      const { config, tables, generation, lease } = this.#writer;
      checkCallArgs(options, config.name, 'detach');
      const client = this.#client ?? null;
      const takeover = detachWriter(config, { tables, generation, lease, position: this.#position, client }, this);
      this.#state = 'detached';
      this.#client = undefined; // the takeover's now: never released or ended by this stream
      return Promise.resolve(takeover);
    });
  }

  /** Lets go of the writer lock and the connection after the calls before it; idempotent; nothing after `detach`. */
  shutdown(options: CallOptions = {}): Promise<void> {
    const run = this.#tail.then(async () => {
      throwIfAborted(options.signal, this.#writer.config.name, 'shutdown');
      if (this.#state === 'closed' || this.#state === 'detached') return;
      this.#state = 'closed';
      await this.#release();
    });
    this.#tail = run.catch(() => undefined);
    return run;
  }

  /** @internal A newer start in this process takes the sink: stop, let the call in flight finish, let go. */
  async fence(): Promise<void> {
    if (this.#state === 'open') this.#state = 'fenced';
    await this.#tail;
    await this.#release();
  }

  async #release(): Promise<void> {
    sinkHolders.release(this.#key, this);
    const client = this.#client;
    this.#client = undefined;
    if (!client) return;
    if (!this.#writer.lease) await releaseWriterLock(client, this.#writer.config).catch(() => undefined);
    await client.end().catch(() => undefined);
  }

  /**
   * Runs `work` in a transaction on the writer's connection (reconnecting first if it was lost); the
   * position it returns becomes the stream's once the transaction has committed.
   */
  async #transaction(what: string, work: (client: pg.Client) => Promise<bigint>): Promise<void> {
    const { config } = this.#writer;
    const client = await this.#connection();
    try {
      await client.query('BEGIN');
      const position = await work(client);
      await client.query('COMMIT');
      this.#position = position;
    } catch (error) {
      const failure = pgFailure(error, { what: `CDC '${config.name}': ${what}`, kind: 'cdcOutput', key: config.name });
      if (failure.code === 'IO_FAILED') {
        // The connection may be gone and the commit's outcome unknown: start over on a new one.
        this.#client = undefined;
        await client.end().catch(() => undefined);
      } else {
        await client.query('ROLLBACK').catch(() => undefined);
      }
      throw failure;
    }
  }

  /**
   * Locks the offsets row and checks the generation; when fenced by a lease, the same statement
   * first share-locks the lease row and reads its token (checked before the generation), so the
   * lease costs no round trip per batch. `LOCKED` when fenced either way; returns the checkpoint.
   */
  async #lockOffsets(client: pg.Client, step: string): Promise<bigint> {
    const { config, tables, generation, lease } = this.#writer;
    const offsets = `SELECT lsn::text AS lsn, generation::text AS generation, holder FROM ${tables.offsets} WHERE output = $1 FOR UPDATE`;
    type Row = { lsn: string | null; generation: string | null; holder: string | null };
    let row: Row | undefined;
    if (lease === undefined) {
      row = (await client.query<Row>(offsets, [config.output])).rows[0];
    } else {
      // One row always: the lease row's columns (null without one), then the offsets row's.
      const result = await client.query<Row & { lease_token: string | null; lease_owner: string | null }>(
        `SELECT l.token AS lease_token, l.owner AS lease_owner, o.lsn, o.generation, o.holder
           FROM (VALUES (1)) AS one
           LEFT JOIN (${leaseRowQuery(lease, 2)}) AS l ON true
           LEFT JOIN (${offsets}) AS o ON true`,
        [config.output, lease.stream],
      );
      const found = result.rows[0];
      const leaseRow = found?.lease_token == null ? undefined : { token: found.lease_token, owner: found.lease_owner };
      const fenced = leaseFenced(config, lease, leaseRow, step);
      if (fenced !== undefined) {
        this.#state = 'fenced';
        throw fenced;
      }
      row = found;
    }
    if (row?.generation !== String(generation) || row.lsn === null) {
      this.#state = 'fenced';
      throw sinkError(
        'LOCKED',
        config.name,
        step,
        `this writer (generation ${generation}) was fenced off: sink output '${config.output}' ${
          row?.generation == null
            ? 'has no offsets row any more'
            : `belongs to generation ${row.generation}, started by ${row.holder}`
        }; its transaction was rolled back`,
      );
    }
    return parseLsn(row.lsn, `checkpoint of sink output '${config.output}'`);
  }

  /** The writer's connection; after a lost one, a new connection that takes the lock again. */
  async #connection(): Promise<pg.Client> {
    if (this.#client) return this.#client;
    const { config } = this.#writer;
    const client = await this.#writer.connect();
    try {
      if (!this.#writer.lease) await takeWriterLock(client, config);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw pgFailure(error, { what: `CDC '${config.name}': reconnecting`, kind: 'cdcOutput', key: config.name });
    }
    this.#client = client;
    return client;
  }

  #checkPlace(batch: CdcBatch, position: bigint): void {
    if (batch.lsnStart < position) {
      throw sinkError(
        'INVALID_ARGUMENT',
        this.#writer.config.name,
        'deliver',
        `batch ${range(batch)} overlaps what the sink already holds (through ${position})`,
      );
    }
  }

  #serial<T>(step: string, task: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(() => {
      const { config, generation } = this.#writer;
      if (this.#state === 'closed')
        throw sinkError('RESOURCE_CLOSED', config.name, step, `${step} on a stream that was shut down`);
      if (this.#state === 'detached')
        throw sinkError(
          'RESOURCE_CLOSED',
          config.name,
          step,
          `${step} on a stream that was detached (its writer was handed over)`,
        );
      if (this.#state === 'fenced') {
        const lease = this.#writer.lease;
        const token = lease ? `, lease token ${lease.token} of stream '${lease.stream}'` : '';
        throw sinkError(
          'LOCKED',
          config.name,
          step,
          `${step} by a writer (generation ${generation}${token}) a newer writer fenced off`,
        );
      }
      return task();
    });
    this.#tail = run.catch(() => undefined);
    return run;
  }
}

function range(batch: CdcBatch): string {
  return `[${batch.lsnStart}, ${batch.lsnEnd})`;
}
