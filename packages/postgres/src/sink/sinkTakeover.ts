/**
 * The in-memory handoff of a PostgreSQL sink writer (layout `postgres-sink/1`, see `CdcTakeover` of
 * `@baton/core`): `PostgresCdcStream.detach` hands its connected client — the session that holds the
 * output's advisory writer lock —, its generation, tables and position to a takeover; the next
 * version's `postgresCdcOutput(...).adopt` continues with them; `close` releases them when nobody
 * adopts. Detach and adopt send no query: a reload's pause does not wait for a connection, an
 * authentication, the tables, the lock or a generation bump.
 *
 * `state` is exactly these fields (frozen; a field more or less is refused):
 * - `sink`: `{ database, schema, tablePrefix, output }`, where the writer writes (`database` is the
 *   URL without its password);
 * - `tables`: the quoted names of its three tables (`SinkTables`);
 * - `client`: the connected `pg.Client` holding the writer lock, or `null` when the detached stream
 *   had lost its connection (the adopter's next call reconnects and takes the lock again, as the
 *   detached stream's next call would have);
 * - `generation`: the writer's fencing token (a bigint ≥ 1), unchanged by the handoff;
 * - `position`: the LSN through which the sink holds every batch (what `takeover.lsn` says too);
 * - `holder`: who holds the sink in the process's registry (`writerLock.ts`) until the takeover ends:
 *   `{ status, state, fence }`, `status` `open`, then `adopted`, `closed` or `fenced`, `state` this
 *   very object (so a copy of the takeover with any field changed is refused).
 *
 * Why the generation is not bumped: the generation fences writers that no longer hold the lock — a
 * writer whose session was ended (by an administrator, a partition) while its process runs on, in
 * this process or another. A takeover moves the session itself: the lock was never let go, and no
 * other writer could start meanwhile, so the generation on the offsets row is still the one this
 * session claimed. Exactly one stream can use it afterwards: the detached stream drops its client
 * and refuses every call (`RESOURCE_CLOSED`), the takeover is single-use (the registry entry moves
 * from holder to adopter synchronously, and only while the holder has it), so the old stream cannot
 * be a second writer with the same token. A writer elsewhere is fenced exactly as before: an older
 * one holds a smaller generation, and any later `start` (after this session ended) bumps past it and
 * fences the adopter. Batches written after the handoff carry the same generation as those before.
 *
 * A writer fenced by a lease (the `fence` option, `sinkFence.ts`) hands over under layout
 * `postgres-sink-fenced/1`: the same fields and `lease`, `{ schema, table, stream, token }` — the
 * lease row it checks and its token, which stays the writer's (the adopter keeps checking it, so a
 * newer lease owner fences the adopted stream as it fenced the detached one). Its client holds no
 * advisory lock. Each layout is read only by a provider configured alike: a provider with a `fence`
 * answers `undefined` for `postgres-sink/1` and one without for `postgres-sink-fenced/1` (the reload
 * then closes the takeover and starts anew, under the new configuration); a fenced takeover of
 * another lease (schema, table or stream) is `INVALID_ARGUMENT`.
 */
import type { CallOptions, CdcTakeover } from '@baton/core';
import type pg from 'pg';
import { MAX_PG_LSN } from '../lsn/lsn.js';
import type { SinkLeasePlace } from './sinkFence.js';
import { sinkError, throwIfAborted } from './sinkErrors.js';
import type { SinkConfig } from './sinkOptions.js';
import { sinkTables } from './sinkTables.js';
import type { SinkTables } from './sinkTables.js';
import { releaseWriterLock, sinkHolders } from './writerLock.js';
import type { SinkHolder } from './writerLock.js';

/** The layout name of a detached PostgreSQL sink writer (see the module comment). */
export const POSTGRES_SINK_LAYOUT = 'postgres-sink/1';

/** The layout name of a detached PostgreSQL sink writer fenced by a lease (see the module comment). */
export const POSTGRES_FENCED_SINK_LAYOUT = 'postgres-sink-fenced/1';

/** Where a sink writer writes, as a takeover names it. */
export interface SinkPlace {
  /** The database URL without its password. */
  readonly database: string;
  readonly schema: string;
  readonly tablePrefix: string;
  readonly output: string;
}

/** Who holds the sink while a takeover is pending. */
export interface TakeoverHolder extends SinkHolder {
  status: 'open' | 'adopted' | 'closed' | 'fenced';
  /** The state it was made with (read-only). */
  readonly state: SinkTakeoverState;
}

/** The `state` of a `postgres-sink/1` takeover (see the module comment). */
export interface SinkTakeoverState {
  readonly sink: SinkPlace;
  readonly tables: SinkTables;
  readonly client: pg.Client | null;
  readonly generation: bigint;
  readonly position: bigint;
  readonly holder: TakeoverHolder;
  /** Layout `postgres-sink-fenced/1` only: the lease the writer is fenced by, and its token. */
  readonly lease?: SinkLeasePlace;
}

/** What a stream hands over. */
export interface DetachedWriter extends Omit<SinkTakeoverState, 'sink' | 'holder' | 'lease'> {
  readonly lease: SinkLeasePlace | undefined;
}

const STATE_KEYS = ['client', 'generation', 'holder', 'position', 'sink', 'tables'];
const FENCED_STATE_KEYS = [...STATE_KEYS, 'lease'].sort();
const LEASE_KEYS = ['schema', 'stream', 'table', 'token'];
const PLACE_KEYS = ['database', 'output', 'schema', 'tablePrefix'] as const;
const TABLE_KEYS = ['batches', 'changes', 'offsets'] as const;
const STATUSES = new Set(['open', 'adopted', 'closed', 'fenced']);

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;
const sameKeys = (value: object, keys: readonly string[]): boolean => Object.keys(value).sort().join() === keys.join();

/** Where `config` writes (its URL without the password). */
function sinkPlace(config: SinkConfig): SinkPlace {
  const url = new URL(config.url);
  url.password = '';
  return { database: url.href, schema: config.schema, tablePrefix: config.tablePrefix, output: config.output };
}

/** The registry key of a place. */
const placeKey = (place: SinkPlace): string => sinkHolders.key({ ...place, name: '', url: place.database });

/** `INVALID_ARGUMENT` unless `options` is an object; `ABORTED` when its signal has aborted. */
export function checkCallArgs(options: unknown, key: string, step: string): void {
  if (!isObject(options)) throw sinkError('INVALID_ARGUMENT', key, step, `${step} options must be an object`);
  const { signal } = options as CallOptions;
  if (signal !== undefined && !(signal instanceof AbortSignal))
    throw sinkError('INVALID_ARGUMENT', key, step, `${step} options.signal must be an AbortSignal`);
  throwIfAborted(signal, key, step);
}

/**
 * Moves the sink in the registry from the stream `from` to a new {@link TakeoverHolder} and returns
 * the takeover (no I/O). `LOCKED` when `from` no longer holds the sink (a newer start fenced it).
 */
export function detachWriter(config: SinkConfig, writer: DetachedWriter, from: SinkHolder): CdcTakeover {
  const holder: Omit<TakeoverHolder, 'state'> = {
    status: 'open',
    async fence(): Promise<void> {
      // A newer start in this process while nobody adopted the takeover yet: let go of everything.
      if (holder.status !== 'open') return;
      holder.status = 'fenced';
      await release(config, state);
    },
  };
  const sink = Object.freeze(sinkPlace(config));
  const state: SinkTakeoverState = Object.freeze({
    sink,
    tables: Object.freeze({ ...writer.tables }),
    client: writer.client,
    generation: writer.generation,
    position: writer.position,
    holder: holder as TakeoverHolder,
    ...(writer.lease === undefined ? {} : { lease: Object.freeze({ ...writer.lease }) }),
  });
  // The holder names the one state it was made with: a copy of the takeover with a field changed is not it.
  Object.defineProperty(holder, 'state', { value: state, enumerable: true, writable: false, configurable: false });
  if (!sinkHolders.transfer(placeKey(sink), from, holder))
    throw sinkError('LOCKED', config.name, 'detach', `a newer writer was started on sink output '${config.output}'`);
  return Object.freeze({
    output: config.name,
    layout: writer.lease === undefined ? POSTGRES_SINK_LAYOUT : POSTGRES_FENCED_SINK_LAYOUT,
    lsn: writer.position,
    state,
    /** Nobody adopted it: release the lock and end the session (every delivery already committed). */
    async close(options: CallOptions = {}): Promise<bigint> {
      checkCallArgs(options, config.name, 'close');
      checkOpen(state, config.name, 'close');
      holder.status = 'closed';
      await release(config, state);
      return state.position;
    },
  });
}

/** Lets go of the takeover's registry entry, lock and connection (failures only mean the session is gone). */
async function release(config: SinkConfig, state: SinkTakeoverState): Promise<void> {
  sinkHolders.release(placeKey(state.sink), state.holder);
  if (state.client === null) return;
  if (state.lease === undefined) await releaseWriterLock(state.client, config).catch(() => undefined);
  await state.client.end().catch(() => undefined);
}

/** `RESOURCE_CLOSED` unless the takeover is still open and its holder holds the sink. */
function checkOpen(state: SinkTakeoverState, key: string, step: 'adopt' | 'close'): void {
  const { holder, sink } = state;
  if (holder.status === 'open' && sinkHolders.get(placeKey(sink)) === holder) return;
  const why = holder.status === 'open' ? 'fenced by a newer start' : holder.status;
  throw sinkError(
    'RESOURCE_CLOSED',
    key,
    step,
    `${step} of a takeover of sink output '${sink.output}' that was ${why} already`,
  );
}

/**
 * What `postgresCdcOutput(...).adopt` does with a takeover (no I/O): `undefined` for another layout;
 * `INVALID_ARGUMENT` naming the field for one that is not a `postgres-sink/1` takeover of this very
 * output (another name, database, schema, table prefix or output; a malformed state; a copy) — it is
 * then still open and nothing was written; `RESOURCE_CLOSED` for one adopted, closed or fenced
 * already; else the stream `open` makes, which holds the sink from then on.
 */
export function adoptWriter<S extends SinkHolder>(
  takeover: unknown,
  config: SinkConfig,
  open: (state: SinkTakeoverState) => S,
): S | undefined {
  const refuse = (why: string) =>
    sinkError('INVALID_ARGUMENT', config.name, 'adopt', `adopt: the takeover ${why}; nothing was taken over`);
  if (!isObject(takeover)) throw refuse('must be an object');
  if (typeof takeover.layout !== 'string') throw refuse('has no layout name');
  const fence = config.fence;
  if (takeover.layout !== (fence === undefined ? POSTGRES_SINK_LAYOUT : POSTGRES_FENCED_SINK_LAYOUT)) return undefined;
  if (takeover.output !== config.name) throw refuse(`is of output '${String(takeover.output)}', not '${config.name}'`);
  const state = takeover.state;
  const keys = fence === undefined ? STATE_KEYS : FENCED_STATE_KEYS;
  if (!isObject(state) || !sameKeys(state, keys)) throw refuse(`state must be exactly { ${keys.join(', ')} }`);
  if (fence !== undefined) {
    const lease = state.lease;
    if (!isObject(lease) || !sameKeys(lease, LEASE_KEYS))
      throw refuse(`state.lease must be { ${LEASE_KEYS.join(', ')} }`);
    for (const field of ['schema', 'table', 'stream'] as const)
      if (lease[field] !== fence[field])
        throw refuse(
          `is fenced by lease ${field} ${JSON.stringify(lease[field])}, not this output's ${JSON.stringify(fence[field])}`,
        );
    if (typeof lease.token !== 'bigint' || lease.token < 1n) throw refuse('state.lease.token must be a bigint >= 1');
  }
  const mine = sinkPlace(config);
  const { sink, tables, holder, client, generation, position } = state;
  if (!isObject(sink) || !sameKeys(sink, PLACE_KEYS)) throw refuse(`state.sink must be { ${PLACE_KEYS.join(', ')} }`);
  for (const field of PLACE_KEYS)
    if (sink[field] !== mine[field])
      throw refuse(
        `writes to ${field} ${JSON.stringify(sink[field])}, not this output's ${JSON.stringify(mine[field])}`,
      );
  const expected = sinkTables(config);
  if (!isObject(tables) || !sameKeys(tables, TABLE_KEYS) || TABLE_KEYS.some((t) => tables[t] !== expected[t]))
    throw refuse(`state.tables are not this output's tables (${Object.values(expected).join(', ')})`);
  if (!isObject(holder) || !STATUSES.has(holder.status as string) || typeof holder.fence !== 'function')
    throw refuse('state.holder must be the sink holder { status, state, fence }');
  if (holder.state !== state) throw refuse('state is not the one its holder was detached with (a copy or a forgery)');
  checkOpen(state as unknown as SinkTakeoverState, config.name, 'adopt');
  if (typeof generation !== 'bigint' || generation < 1n) throw refuse('state.generation must be a bigint >= 1');
  if (typeof position !== 'bigint' || position < 0n || position > MAX_PG_LSN)
    throw refuse('state.position must be a bigint LSN in [0, 2^64 - 1]');
  if (takeover.lsn !== position)
    throw refuse(`says LSN ${String(takeover.lsn)} but its writer is complete through ${position}`);
  if (
    client !== null &&
    (!isObject(client) || !['query', 'end', 'connect'].every((m) => typeof client[m] === 'function'))
  )
    throw refuse('state.client must be a pg.Client or null');
  const checked = state as unknown as SinkTakeoverState;
  const stream = open(checked);
  sinkHolders.transfer(placeKey(checked.sink), checked.holder, stream); // checked above, nothing awaited since
  checked.holder.status = 'adopted';
  return stream;
}
