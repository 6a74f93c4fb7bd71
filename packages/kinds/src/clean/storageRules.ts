import { ReloadError } from '@baton/core';

/** The limits a storage backend enforces on keys and values. */
export interface StorageLimits {
  /** The largest value `put` accepts, in bytes (default 64 MiB). */
  readonly maxValueBytes: number;
  /** The longest key, in UTF-16 code units (default 4096). */
  readonly maxKeyLength: number;
}

/** Makes the `INVALID_ARGUMENT` error of one storage backend from a message. */
export type StorageFail = (message: string) => ReloadError;

const DEFAULTS: StorageLimits = { maxValueBytes: 64 * 1024 * 1024, maxKeyLength: 4096 };

/**
 * The limits `options` ask for, the defaults filling what they leave out; a limit that is not a
 * whole number in range throws `fail(problem)`. Shared by `memoryStorageBackend` and adapters' backends
 * so every backend checks the same rules.
 */
export function storageLimits(options: Partial<StorageLimits>, fail: StorageFail): StorageLimits {
  if (typeof (options as unknown) !== 'object' || (options as unknown) === null)
    throw fail('options must be an object');
  const maxValueBytes = options.maxValueBytes ?? DEFAULTS.maxValueBytes;
  const maxKeyLength = options.maxKeyLength ?? DEFAULTS.maxKeyLength;
  if (!Number.isSafeInteger(maxValueBytes) || maxValueBytes < 0) throw fail('maxValueBytes must be an integer >= 0');
  if (!Number.isSafeInteger(maxKeyLength) || maxKeyLength < 1) throw fail('maxKeyLength must be an integer >= 1');
  return { maxValueBytes, maxKeyLength };
}

/**
 * Checks a call on the storage `name`: `RESOURCE_CLOSED` once it is `closed`; `fail(problem)` for a
 * key that is not a non-empty string within `maxKeyLength` (with `prefix`, a prefix: empty allowed).
 */
export function checkStorageKey(
  name: string,
  key: string,
  state: { readonly closed: boolean; readonly maxKeyLength: number; readonly prefix?: boolean },
  fail: StorageFail,
): void {
  if (state.closed)
    throw new ReloadError({
      code: 'RESOURCE_CLOSED',
      phase: 'call',
      kind: 'storageBackend',
      key: name,
      message: `storage '${name}' is closed`,
    });
  const prefix = state.prefix === true;
  if (typeof key !== 'string' || (!prefix && key === ''))
    throw fail(`a ${prefix ? 'prefix' : 'key'} must be a ${prefix ? '' : 'non-empty '}string (got ${typeof key})`);
  if (key.length > state.maxKeyLength)
    throw fail(`a key of ${key.length} characters exceeds the limit of ${state.maxKeyLength}`);
}

/** Checks the value of `put(key, value)`: a `Uint8Array` of at most `maxValueBytes`, else `fail(problem)`. */
export function checkStorageValue(key: string, value: unknown, maxValueBytes: number, fail: StorageFail): void {
  if (!(value instanceof Uint8Array)) throw fail(`put('${key}') needs a Uint8Array value`);
  if (value.byteLength > maxValueBytes)
    throw fail(`put('${key}'): ${value.byteLength} bytes exceeds the limit of ${maxValueBytes}`);
}
