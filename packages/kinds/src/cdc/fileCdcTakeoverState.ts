/**
 * Layout `file-cdc/1` of a detached file CDC stream (see `CdcTakeover` of `@baton/core`): what a
 * `FileCdcStream` hands the next version's provider in the same process, so the new stream goes on
 * writing the open sink without a checkpoint, a close or a re-open inside a reload's pause.
 *
 * `state` is exactly these fields (a field more or less is refused):
 * - `directory`: the sink directory as the stream resolved it (a real path);
 * - `handle`: the sink file, open for reading and writing (a `FileHandle`, `fd` not -1);
 * - `lease`: the stream's share of the process's lock on the sink (`sinkLock.ts`), its `lockFile`
 *   in `directory`;
 * - `durable`, `current`: the checkpoint on disk and the chain state through the last delivered
 *   batch (buffered records included), each a `FileCheckpoint`;
 * - `written`: bytes of the sink written so far (`durable.offset <= written <= current.offset`);
 * - `pending`: the records buffered but not written (`Uint8Array`s), `current.offset - written`
 *   bytes in all;
 * - `holder`: who owns the sink in this process's fencing registry (`sinkOwnership.ts`) until the
 *   takeover ends: `{ status, state, idle, fenced }`, its `status` `open`, then `adopted`, `closed`
 *   or `fenced`, and `state` (read-only) this very state object, so that a copy of the takeover
 *   with any field changed is refused.
 *
 * The registry entry is what makes the takeover single-use: `adopt` and `close` move the sink from
 * `holder` to a new stream in one synchronous step and only while `holder` owns it, so a takeover
 * adopted, closed, or fenced by a newer `start` on the directory is refused (`RESOURCE_CLOSED`),
 * and two copies of this package (an old and a new plugin version) agree, as the registry lives on
 * `globalThis`. Nothing is read from disk: the shape is checked strictly, and what can be checked
 * without reading the sink is (see {@link checkTakeoverState}).
 */
import { resolve, join } from 'node:path';
import type { FileHandle } from 'node:fs/promises';
import { closedCdc, MAX_LSN } from './batchCheck.js';
import type { CdcErrorContext } from './batchCheck.js';
import type { FileCheckpoint } from './fileCheckpoint.js';
import { LOCK_FILE } from './sinkLock.js';
import type { SinkLease } from './sinkLock.js';
import { decodeHeader, RECORD_HEADER_BYTES } from './sinkRecord.js';
import { ownsSink } from './sinkOwnership.js';
import type { SinkOwner } from './sinkOwnership.js';

/** The layout name of a detached file CDC stream (see the module comment). */
export const FILE_CDC_LAYOUT = 'file-cdc/1';

/** Who owns the sink while a takeover is pending. */
export interface TakeoverHolder extends SinkOwner {
  status: 'open' | 'adopted' | 'closed' | 'fenced';
  /** The state it was made with (read-only). */
  readonly state: FileCdcTakeoverState;
}

/** The `state` of a `file-cdc/1` takeover (see the module comment). */
export interface FileCdcTakeoverState {
  readonly directory: string;
  readonly handle: FileHandle;
  readonly lease: SinkLease;
  readonly durable: FileCheckpoint;
  readonly current: FileCheckpoint;
  readonly written: number;
  readonly pending: readonly Uint8Array[];
  readonly holder: TakeoverHolder;
}

const STATE_KEYS = ['current', 'directory', 'durable', 'handle', 'holder', 'lease', 'pending', 'written'];
const CHECKPOINT_KEYS = ['baseLsn', 'digest', 'generation', 'lastRecordOffset', 'lsn', 'offset', 'records'];
const STATUSES = new Set(['open', 'adopted', 'closed', 'fenced']);

/** True for a non-null object. */
export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null;
const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;
const isLsn = (value: unknown): value is bigint => typeof value === 'bigint' && value >= 0n && value <= MAX_LSN;
const sameKeys = (value: object, keys: readonly string[]): boolean => Object.keys(value).sort().join() === keys.join();
const sameCheckpoint = (a: FileCheckpoint, b: FileCheckpoint): boolean =>
  CHECKPOINT_KEYS.every((key) => a[key as keyof FileCheckpoint] === b[key as keyof FileCheckpoint]);

/** `RESOURCE_CLOSED` unless the takeover is still open and its holder owns the sink. */
export function checkOpen(state: FileCdcTakeoverState, context: CdcErrorContext, step: 'adopt' | 'close'): void {
  const { holder, directory } = state;
  if (holder.status === 'open' && ownsSink(directory, holder)) return;
  const why = holder.status === 'open' ? 'fenced by a newer start on the sink' : holder.status;
  throw closedCdc(context, step, `${step} of a takeover of ${directory} that was ${why} already`);
}

function checkCheckpoint(value: unknown, what: string, refuse: (why: string) => Error): FileCheckpoint {
  if (!isObject(value) || !sameKeys(value, CHECKPOINT_KEYS))
    throw refuse(`state.${what} must be a checkpoint { ${CHECKPOINT_KEYS.join(', ')} }`);
  const { lsn, baseLsn, offset, lastRecordOffset, generation, records, digest } = value;
  const valid =
    isLsn(lsn) &&
    isLsn(baseLsn) &&
    baseLsn <= lsn &&
    isCount(offset) &&
    Number.isSafeInteger(lastRecordOffset) &&
    (lastRecordOffset === -1
      ? offset === 0
      : (lastRecordOffset as number) >= 0 && (lastRecordOffset as number) < offset) &&
    isCount(generation) &&
    isCount(records) &&
    isCount(digest) &&
    digest <= 0xffff_ffff;
  if (!valid) throw refuse(`state.${what} has malformed or inconsistent fields`);
  return value as unknown as FileCheckpoint;
}

/**
 * The `state` of a takeover, checked without reading the sink: exact keys and types; a holder still
 * open and owning the sink (else `RESOURCE_CLOSED`, before the file is looked at: a used takeover's
 * file is closed); `durable` the checkpoint this process last validated or wrote on the sink (what
 * the lease's lock entry remembers); `current` continuing it (same base and generation: only a
 * checkpoint moves the generation, and it leaves `current` equal to `durable`), equal to it or
 * ahead in offset, LSN and records; `written` plus the pending bytes at `current.offset`; each
 * pending record one whole batch record, in LSN order from `durable.lsn`, the last one at
 * `current.lastRecordOffset` ending at `current.lsn`; and the very object its holder was made
 * with. Anything else: `INVALID_ARGUMENT` via `refuse`.
 */
export function checkTakeoverState(
  value: unknown,
  context: CdcErrorContext,
  refuse: (why: string) => Error,
): FileCdcTakeoverState {
  if (!isObject(value) || !sameKeys(value, STATE_KEYS))
    throw refuse(`state must be exactly { ${STATE_KEYS.join(', ')} }`);
  const { directory, handle, lease, written, pending, holder } = value;
  if (typeof directory !== 'string' || directory === '' || resolve(directory) !== directory)
    throw refuse('state.directory must be an absolute, resolved path');
  if (
    !isObject(holder) ||
    !STATUSES.has(holder.status as string) ||
    typeof holder.idle !== 'function' ||
    typeof holder.fenced !== 'function' ||
    !('state' in holder)
  )
    throw refuse('state.holder must be the sink holder { status, state, idle, fenced }');
  checkOpen(value as unknown as FileCdcTakeoverState, context, 'adopt');
  if (
    !isObject(handle) ||
    !Number.isSafeInteger(handle.fd) ||
    (handle.fd as number) < 0 ||
    !['write', 'datasync', 'close'].every((method) => typeof handle[method] === 'function')
  )
    throw refuse('state.handle must be an open FileHandle');
  const lockFile = join(directory, LOCK_FILE);
  if (
    !isObject(lease) ||
    lease.lockFile !== lockFile ||
    !isObject(lease.owner) ||
    typeof lease.release !== 'function' ||
    !('validated' in lease)
  )
    throw refuse(`state.lease must be a lease of the lock ${lockFile}`);
  const durable = checkCheckpoint(value.durable, 'durable', refuse);
  const current = checkCheckpoint(value.current, 'current', refuse);
  const validated = lease.validated as FileCheckpoint | undefined;
  if (validated === undefined || !sameCheckpoint(durable, validated))
    throw refuse(`state.durable is not the checkpoint this process holds for ${directory}`);
  if (!Array.isArray(pending) || !pending.every((record) => record instanceof Uint8Array))
    throw refuse('state.pending must be an array of Uint8Array records');
  const pendingBytes = pending.reduce((sum, record) => sum + record.byteLength, 0);
  const continues =
    current.baseLsn === durable.baseLsn &&
    current.generation === durable.generation &&
    (sameCheckpoint(current, durable) ||
      (current.offset > durable.offset &&
        current.lsn > durable.lsn &&
        current.records > durable.records &&
        current.lastRecordOffset >= durable.offset));
  if (!continues || !isCount(written) || written < durable.offset || written + pendingBytes !== current.offset)
    throw refuse(
      `state is inconsistent (durable ${describe(durable)}, current ${describe(current)}, written ${String(written)}, ${pendingBytes} bytes pending)`,
    );
  const problem = pendingProblem(pending, durable, current);
  if (problem !== undefined) throw refuse(`state.pending ${problem}`);
  if (holder.state !== value) throw refuse('state is not the one its holder was detached with (a copy or a forgery)');
  return value as unknown as FileCdcTakeoverState;
}

const describe = (c: FileCheckpoint): string => `LSN ${c.lsn} at byte ${c.offset}, ${c.records} records`;

/** Why the buffered records do not lead from `durable` to `current`, or undefined. */
function pendingProblem(
  pending: readonly Uint8Array[],
  durable: FileCheckpoint,
  current: FileCheckpoint,
): string | undefined {
  if (pending.length > current.records - durable.records)
    return `holds ${pending.length} records, more than the ${current.records - durable.records} delivered since the checkpoint`;
  let lsn = durable.lsn;
  for (const [i, record] of pending.entries()) {
    const header = decodeHeader(record, record.byteLength);
    if (typeof header === 'string') return `record ${i}: ${header}`;
    if (header.kind !== 'batch' || RECORD_HEADER_BYTES + header.payloadBytes !== record.byteLength)
      return `record ${i} is not one whole batch record`;
    if (header.lsnStart < lsn) return `record ${i} [${header.lsnStart}, ${header.lsnEnd}) starts before LSN ${lsn}`;
    lsn = header.lsnEnd;
  }
  const last = pending.at(-1);
  if (last !== undefined && (lsn !== current.lsn || current.lastRecordOffset !== current.offset - last.byteLength))
    return `end at LSN ${lsn}, byte ${current.offset - last.byteLength}; current says LSN ${current.lsn}, last record at byte ${current.lastRecordOffset}`;
  return undefined;
}
