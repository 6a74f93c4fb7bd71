import type { CallOptions, CdcOutputProvider, CdcStartOptions, CdcTakeover } from '@baton/core';
import pg from 'pg';
import { pgFailure, withPg } from '../errors/pgErrors.js';
import { formatLsn, parseLsn } from '../lsn/lsn.js';
import { PostgresCdcStream } from './postgresCdcStream.js';
import { leasePlace, startToken, verifyLease } from './sinkFence.js';
import type { SinkLeasePlace } from './sinkFence.js';
import { checkLsnArg, sinkError, throwIfAborted } from './sinkErrors.js';
import { checkSinkOptions } from './sinkOptions.js';
import type { PostgresCdcOutputOptions, SinkConfig } from './sinkOptions.js';
import { ensureSinkTables, sinkTables } from './sinkTables.js';
import { adoptWriter, checkCallArgs } from './sinkTakeover.js';
import { holderText, releaseWriterLock, sinkHolders, takeWriterLock } from './writerLock.js';

/** A PostgreSQL CDC output provider. */
export interface PostgresCdcOutput extends CdcOutputProvider {
  /** Where the sink is: database, tables, output. */
  readonly config: SinkConfig;
  /** Starts a writer (see {@link postgresCdcOutput} for `fromLsn`, the lock and the generation). */
  start(options?: CdcStartOptions): Promise<PostgresCdcStream>;
  /**
   * Continues a writer of this output detached in this process (`PostgresCdcStream.detach`, layout
   * `postgres-sink/1`), possibly by another copy of this package, without a query: the new stream
   * writes on the detached one's connection, under its lock and generation (not bumped: see
   * `sinkTakeover.ts`), from its position. `undefined` for another layout. A takeover of another
   * output — another name, database, schema, table prefix or output —, or with a malformed or
   * copied state, is `INVALID_ARGUMENT` (nothing taken over or written; the takeover stays open); one
   * adopted, closed or fenced by a newer start already is `RESOURCE_CLOSED`; bad `options`
   * `INVALID_ARGUMENT`, an aborted signal `ABORTED`.
   */
  adopt(takeover: CdcTakeover, options?: CallOptions): Promise<PostgresCdcStream | undefined>;
}

/**
 * A CDC output that writes each batch into PostgreSQL tables with its checkpoint in the same
 * transaction (the transactional-offset pattern of Kafka Connect's JDBC sink): a crash at any
 * instant leaves rows and checkpoint consistent, so a restart resumes exactly after the last batch
 * that committed and re-delivered batches are skipped. Tables (created when missing, in `schema`,
 * named `<tablePrefix>_offsets`, `_batches`, `_changes`): the output's checkpoint LSN and writer
 * generation; one row per batch (LSN range, commit time, row count, generation); one `jsonb` row per
 * mutation.
 *
 * One writer at a time: a writer holds a session-level advisory lock on its output for as long as it
 * is started, so a `start` while another process's writer is live is `LOCKED` (retryable) naming that
 * writer's server process; a newer `start` in the same process (a reload handoff) fences the older
 * stream first. Every transaction also checks the writer's generation, bumped by each start: a stale
 * writer — one whose session was ended and whose lock was taken over — fails with `LOCKED` and
 * writes nothing.
 *
 * `start({ fromLsn })`: a `fromLsn` ahead of the sink's checkpoint is refused (`INVALID_ARGUMENT`: it
 * would lose batches); behind it, the sink resumes at its checkpoint. A new output starts at
 * `fromLsn ?? 0`. A connection failure is `IO_FAILED`; bad options `INVALID_ARGUMENT`.
 *
 * A reload hands a writer over in memory: the old version's `stream.detach()` and the new version's
 * `adopt(takeover)` move the connection, lock, generation and position without a query, so the
 * reload's pause waits for no connection, authentication or table check (see
 * {@link PostgresCdcOutput.adopt}).
 *
 * With `fence: { stream, token }` (off by default) writers are fenced by a lease instead of the
 * session lock: a `start` reads `fence.token` (a bigint, or a function such as `() => lease.token`)
 * and claims the output only if the lease row of `fence.stream` (table `baton_fleet.cdc_leases` by
 * default, in the sink's database) holds that token and an owner, and every `deliver` and
 * `checkpoint` checks it again inside its transaction (`SELECT … FOR SHARE` of the row): a writer
 * whose lease a newer owner acquired — a paused or partitioned zombie — is `LOCKED` and writes
 * nothing. Such a writer takes no session advisory lock, so a new owner with a newer token starts at
 * once even while the zombie's session lives (why: `sinkFence.ts`); its start is still `LOCKED`
 * while a writer without a fence holds the output.
 */
export function postgresCdcOutput(options: PostgresCdcOutputOptions): PostgresCdcOutput {
  const config = checkSinkOptions(options);
  const connect = async (): Promise<pg.Client> => {
    const idle = config.fence?.idleInTransactionTimeoutMs ?? 0;
    const client = new pg.Client({
      connectionString: config.url,
      application_name: `baton sink ${config.output} pid ${process.pid}`.slice(0, 63),
      // A fenced writer paused inside a transaction would hold its lease row: the server ends it (sinkFence.ts).
      ...(idle > 0 ? { idle_in_transaction_session_timeout: idle } : {}),
    });
    client.on('error', () => undefined); // a lost connection fails the next query, which reports it
    await withPg(
      { what: `CDC '${config.name}': connecting to the sink database`, kind: 'cdcOutput', key: config.name },
      () => client.connect(),
    );
    return client;
  };
  return {
    name: config.name,
    config,
    async start(args: CdcStartOptions = {}): Promise<PostgresCdcStream> {
      if (typeof (args as unknown) !== 'object' || (args as unknown) === null)
        throw sinkError('INVALID_ARGUMENT', config.name, 'start', 'start options must be an object');
      const fromLsn =
        args.fromLsn === undefined ? undefined : checkLsnArg(args.fromLsn, 'fromLsn', config.name, 'start');
      const signal = args.signal;
      throwIfAborted(signal, config.name, 'start');
      const lease: SinkLeasePlace | undefined =
        config.fence && leasePlace(config.fence, startToken(config, config.fence));
      const key = sinkHolders.key(config);
      // A newer start in this process takes over: the older stream stops, its call in flight settles.
      await sinkHolders.get(key)?.fence();
      const client = await connect();
      let locked = false;
      try {
        const tables = await withPg(
          { what: `CDC '${config.name}': creating the sink tables`, kind: 'cdcOutput', key: config.name },
          () => ensureSinkTables(client, config),
        );
        throwIfAborted(signal, config.name, 'start');
        if (lease === undefined) {
          await takeWriterLock(client, config);
          locked = true;
        }
        throwIfAborted(signal, config.name, 'start');
        const holder =
          lease === undefined ? holderText(config) : `${holderText(config)} under lease token ${lease.token}`;
        const { generation, lsn } = await withPg(
          {
            what: `CDC '${config.name}': claiming sink output '${config.output}'`,
            kind: 'cdcOutput',
            key: config.name,
          },
          async () => {
            await client.query('BEGIN');
            try {
              if (lease !== undefined) {
                // The lease is the lock: a stale token claims nothing; nor does a start while a
                // writer without a fence holds the output's session lock.
                await verifyLease(client, config, lease, 'start');
                await takeWriterLock(client, config, undefined, 'transaction');
              }
              await client.query(
                `INSERT INTO ${tables.offsets} (output, lsn, generation, holder) VALUES ($1, $2::pg_lsn, 0, $3) ON CONFLICT (output) DO NOTHING`,
                [config.output, formatLsn(fromLsn ?? 0n), holder],
              );
              const current = await client.query<{ lsn: string }>(
                `SELECT lsn::text AS lsn FROM ${tables.offsets} WHERE output = $1 FOR UPDATE`,
                [config.output],
              );
              const stored = parseLsn(current.rows[0]?.lsn, `checkpoint of sink output '${config.output}'`);
              if (fromLsn !== undefined && fromLsn > stored) {
                throw sinkError(
                  'INVALID_ARGUMENT',
                  config.name,
                  'start',
                  `start({ fromLsn: ${fromLsn} }) is ahead of sink output '${config.output}' (complete through ${stored}); starting there would lose batches [${stored}, ${fromLsn})`,
                );
              }
              const bumped = await client.query<{ generation: string }>(
                `UPDATE ${tables.offsets} SET generation = generation + 1, holder = $2, updated_at = now() WHERE output = $1 RETURNING generation::text AS generation`,
                [config.output, holder],
              );
              await client.query('COMMIT');
              return { generation: BigInt(bumped.rows[0]!.generation), lsn: stored };
            } catch (error) {
              await client.query('ROLLBACK').catch(() => undefined);
              throw error;
            }
          },
        );
        const stream = new PostgresCdcStream({ config, tables, generation, lease, position: lsn, client, connect });
        sinkHolders.set(key, stream);
        return stream;
      } catch (error) {
        if (locked) await releaseWriterLock(client, config).catch(() => undefined);
        await client.end().catch(() => undefined);
        throw pgFailure(error, { what: `CDC '${config.name}': start`, kind: 'cdcOutput', key: config.name });
      }
    },
    adopt(takeover: CdcTakeover, options: CallOptions = {}): Promise<PostgresCdcStream | undefined> {
      try {
        checkCallArgs(options, config.name, 'adopt');
        const tables = sinkTables(config);
        const stream = adoptWriter(takeover, config, (state) => {
          const { client, generation, position, lease } = state;
          return new PostgresCdcStream({
            config,
            tables,
            generation,
            lease,
            position,
            client: client ?? undefined,
            connect,
          });
        });
        return Promise.resolve(stream);
      } catch (error) {
        return Promise.reject(error);
      }
    },
  };
}
