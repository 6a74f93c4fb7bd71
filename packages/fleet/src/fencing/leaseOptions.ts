import type { ReloadError } from '@baton/core';
import { MAX_TIMER_MS } from '@baton/core/kit';
import { leaseError } from './leaseErrors.js';
import { leaseTable } from './leaseSchema.js';

/** Options of {@link acquireCdcLease}. */
export interface CdcLeaseOptions {
  /** `postgres://…` of the database holding the lease table — the database of the sink it fences. */
  readonly url: string;
  /** The CDC stream the lease is for (its row's key). */
  readonly stream: string;
  /** Who takes it: the member's id (recorded in the row, named in `LOCKED` errors). */
  readonly owner: string;
  /** How long an acquire or renew holds the lease, by the database's clock (ms). */
  readonly ttlMs: number;
  /** Renew in the background every this many ms (default `ttlMs / 3`; 0: only by `renew()`). Less than `ttlMs`. */
  readonly renewEveryMs?: number;
  /** The schema of the lease table (default `baton_fleet`). */
  readonly schema?: string;
  /**
   * How long a statement waits for the lease row while a sink transaction holds it (ms; default
   * 1000; 0: no limit). Past it the call is `LOCKED` (retryable).
   */
  readonly lockTimeoutMs?: number;
  /** Aborts the acquire (`ABORTED`; a lease taken meanwhile is released). */
  readonly signal?: AbortSignal;
  /** Hears each background renewal that failed without losing the lease (a lost connection, a busy row). */
  readonly onRenewError?: (error: ReloadError) => void;
}

/** The checked options, defaults filled in. */
export interface LeaseConfig {
  readonly url: string;
  readonly stream: string;
  readonly owner: string;
  readonly ttlMs: number;
  readonly renewEveryMs: number;
  /** The checked schema. */
  readonly schema: string;
  /** The quoted lease table. */
  readonly table: string;
  readonly lockTimeoutMs: number;
  readonly signal: AbortSignal | undefined;
  readonly onRenewError: ((error: ReloadError) => void) | undefined;
}

const KNOWN = ['url', 'stream', 'owner', 'ttlMs', 'renewEveryMs', 'schema', 'lockTimeoutMs', 'signal', 'onRenewError'];
const isMs = (value: unknown, min: number): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= MAX_TIMER_MS;

/** Checks every option (unknown ones included): `INVALID_ARGUMENT` naming the first wrong one. */
export function checkLeaseOptions(input: CdcLeaseOptions): LeaseConfig {
  const options = input as unknown;
  const stream = (options as { stream?: unknown } | null)?.stream;
  const invalid = (message: string): ReloadError =>
    leaseError({
      code: 'INVALID_ARGUMENT',
      step: 'acquire',
      ...(typeof stream === 'string' ? { stream } : {}),
      message: `acquireCdcLease ${message}`,
    });
  if (typeof options !== 'object' || options === null) throw invalid('needs options { url, stream, owner, ttlMs }');
  const unknown = Object.keys(options).filter((key) => !KNOWN.includes(key));
  if (unknown.length > 0) throw invalid(`has unknown option(s) ${unknown.join(', ')} (known: ${KNOWN.join(', ')})`);
  const raw = options as Record<string, unknown>;
  const { url, owner, ttlMs, signal, onRenewError } = raw;
  if (typeof url !== 'string' || !/^postgres(ql)?:\/\//.test(url)) throw invalid('needs url, a postgres:// URL');
  if (typeof stream !== 'string' || stream === '' || stream.length > 200)
    throw invalid('stream must be a non-empty string of at most 200 characters');
  if (typeof owner !== 'string' || owner === '' || owner.length > 200)
    throw invalid('owner must be a non-empty string of at most 200 characters');
  if (!isMs(ttlMs, 1)) throw invalid('ttlMs must be a whole number of milliseconds >= 1');
  const renewEveryMs = raw['renewEveryMs'] ?? Math.floor(ttlMs / 3);
  if (!isMs(renewEveryMs, 0) || renewEveryMs >= ttlMs)
    throw invalid('renewEveryMs must be a whole number of milliseconds >= 0 and less than ttlMs');
  const lockTimeoutMs = raw['lockTimeoutMs'] ?? 1000;
  if (!isMs(lockTimeoutMs, 0)) throw invalid('lockTimeoutMs must be a whole number of milliseconds >= 0');
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw invalid('signal must be an AbortSignal');
  if (onRenewError !== undefined && typeof onRenewError !== 'function')
    throw invalid('onRenewError must be a function');
  let where: { schema: string; table: string };
  try {
    where = leaseTable(raw['schema']);
  } catch (error) {
    throw invalid(`schema is not a valid fleet schema name: ${(error as Error).message}`);
  }
  return {
    url,
    stream,
    owner,
    ttlMs,
    renewEveryMs,
    ...where,
    lockTimeoutMs,
    signal,
    onRenewError: onRenewError as ((error: ReloadError) => void) | undefined,
  };
}
