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
  /** Gives up starting. */
  readonly signal?: AbortSignal;
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
  readonly signal: AbortSignal | undefined;
}

const KNOWN = ['url', 'slot', 'publication', 'tables', 'createSlot', 'statusIntervalMs', 'acquireTimeoutMs', 'signal'];
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
  const { url, slot, publication, tables, createSlot, statusIntervalMs, acquireTimeoutMs, signal } = options as Record<
    string,
    unknown
  >;
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
  return {
    url,
    slot,
    publication,
    tables: tables as readonly string[] | undefined,
    createSlot: createSlot ?? true,
    statusIntervalMs: ms(statusIntervalMs, 'statusIntervalMs', 10_000),
    acquireTimeoutMs: ms(acquireTimeoutMs, 'acquireTimeoutMs', 10_000),
    signal,
  };
}
