import { ReloadError } from '@baton/core';

/** Options of {@link postgresChangeSource}. */
export interface PostgresChangeSourceOptions {
  /** `postgres://user:password@host:port/database` of the database to read (the user needs REPLICATION). */
  readonly url: string;
  /** Replication slot name (lower-case letters, digits, `_`; at most 63). Created when missing. */
  readonly slot: string;
  /** Publication to read (lower-case letters, digits, `_`; at most 63). */
  readonly publication: string;
  /** Creates the publication for these tables (`schema.table` or `table`) when it does not exist. */
  readonly tables?: readonly string[];
  /** Create the slot when it does not exist (default true). */
  readonly createSlot?: boolean;
  /** How often the confirmed position is reported to the server while nothing else is (default 10 000 ms). */
  readonly statusIntervalMs?: number;
  /** How long to wait for a slot another connection is reading before `LOCKED` (default 10 000 ms). */
  readonly acquireTimeoutMs?: number;
  /**
   * Reconnecting after the replication connection is lost (the server restarted or crashed, the
   * walsender was terminated, the network dropped): on by default; `false` fails the source with
   * `IO_FAILED` at the first loss (the behaviour before reconnection existed).
   */
  readonly reconnect?: false | ReconnectOptions;
  /** Gives up starting. */
  readonly signal?: AbortSignal;
}

/** How a change source reconnects (see {@link PostgresChangeSourceOptions.reconnect}). */
export interface ReconnectOptions {
  /**
   * How long to keep trying after a loss before failing with `IO_FAILED` (default 30 000 ms). Each
   * loss starts a new budget.
   */
  readonly timeoutMs?: number;
  /** The first wait before reconnecting (default 100 ms); it doubles after each failed attempt. */
  readonly initialDelayMs?: number;
  /** The longest wait between two attempts (default 2 000 ms). */
  readonly maxDelayMs?: number;
}

/** The checked reconnection options, defaults filled in. */
export interface CheckedReconnect {
  readonly timeoutMs: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
}

/** The checked options, defaults filled in. */
export interface CheckedSourceOptions {
  readonly url: string;
  readonly slot: string;
  readonly publication: string;
  readonly tables: readonly string[] | undefined;
  readonly createSlot: boolean;
  readonly statusIntervalMs: number;
  readonly acquireTimeoutMs: number;
  /** `undefined`: reconnection is off. */
  readonly reconnect: CheckedReconnect | undefined;
  readonly signal: AbortSignal | undefined;
}

const KNOWN = [
  'url',
  'slot',
  'publication',
  'tables',
  'createSlot',
  'statusIntervalMs',
  'acquireTimeoutMs',
  'reconnect',
  'signal',
];
const RECONNECT_KNOWN = ['timeoutMs', 'initialDelayMs', 'maxDelayMs'];
/** Slot names PostgreSQL allows; publications are held to the same (they are sent unquoted in START_REPLICATION). */
const NAME = /^[a-z0-9_]{1,63}$/;

/** Checks every option (an unknown one included): `INVALID_ARGUMENT` naming the first wrong one. */
export function checkSourceOptions(input: PostgresChangeSourceOptions): CheckedSourceOptions {
  const options = input as unknown; // from JavaScript callers too: every option is checked as unknown
  const name = String((options as { slot?: unknown } | null | undefined)?.slot);
  const invalid = (message: string): ReloadError =>
    new ReloadError({ code: 'INVALID_ARGUMENT', phase: 'call', message: `change source '${name}': ${message}` });
  if (typeof options !== 'object' || options === null)
    throw invalid('options must be an object { url, slot, publication }');
  const unknown = Object.keys(options).filter((key) => !KNOWN.includes(key));
  if (unknown.length > 0) throw invalid(`unknown option(s) ${unknown.join(', ')} (known: ${KNOWN.join(', ')})`);
  const { url, slot, publication, tables, createSlot, statusIntervalMs, acquireTimeoutMs, reconnect, signal } =
    options as Record<string, unknown>;
  if (typeof url !== 'string' || !/^postgres(ql)?:\/\//.test(url)) throw invalid('url must be a postgres:// URL');
  if (typeof slot !== 'string' || !NAME.test(slot)) throw invalid('slot must be 1–63 lower-case letters, digits or _');
  if (typeof publication !== 'string' || !NAME.test(publication))
    throw invalid('publication must be 1–63 lower-case letters, digits or _');
  if (tables !== undefined && !(Array.isArray(tables) && tables.every((t) => typeof t === 'string' && t !== '')))
    throw invalid('tables must be an array of table names');
  if (createSlot !== undefined && typeof createSlot !== 'boolean') throw invalid('createSlot must be a boolean');
  const ms = (value: unknown, what: string, fallback: number): number => {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0 || value > 3_600_000)
      throw invalid(
        `${what} must be a whole number of milliseconds in [1, 3600000] (got ${typeof value === 'number' ? value : typeof value})`,
      );
    return value;
  };
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw invalid('signal must be an AbortSignal');
  let checkedReconnect: CheckedReconnect | undefined;
  if (reconnect !== false) {
    if (reconnect !== undefined && (typeof reconnect !== 'object' || reconnect === null))
      throw invalid('reconnect must be false or an object { timeoutMs?, initialDelayMs?, maxDelayMs? }');
    const given = (reconnect ?? {}) as Record<string, unknown>;
    const unknownReconnect = Object.keys(given).filter((key) => !RECONNECT_KNOWN.includes(key));
    if (unknownReconnect.length > 0)
      throw invalid(
        `unknown reconnect option(s) ${unknownReconnect.join(', ')} (known: ${RECONNECT_KNOWN.join(', ')})`,
      );
    const initialDelayMs = ms(given['initialDelayMs'], 'reconnect.initialDelayMs', 100);
    const maxDelayMs = ms(given['maxDelayMs'], 'reconnect.maxDelayMs', 2_000);
    if (maxDelayMs < initialDelayMs)
      throw invalid(
        `reconnect.maxDelayMs (${maxDelayMs}) must be at least reconnect.initialDelayMs (${initialDelayMs})`,
      );
    checkedReconnect = { timeoutMs: ms(given['timeoutMs'], 'reconnect.timeoutMs', 30_000), initialDelayMs, maxDelayMs };
  }
  return {
    url,
    slot,
    publication,
    tables: tables as readonly string[] | undefined,
    createSlot: createSlot ?? true,
    statusIntervalMs: ms(statusIntervalMs, 'statusIntervalMs', 10_000),
    acquireTimeoutMs: ms(acquireTimeoutMs, 'acquireTimeoutMs', 10_000),
    reconnect: checkedReconnect,
    signal,
  };
}
