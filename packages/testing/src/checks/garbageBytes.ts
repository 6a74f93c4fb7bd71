import { isReloadError } from '@baton/core';
import type { MaybePromise } from '@baton/core';
import fc from 'fast-check';
import { fail, show } from './describe.js';
import { assertParameters } from './runOptions.js';
import type { RunOptions } from './runOptions.js';

/** Options of {@link assertRejectsGarbage}. */
export interface GarbageOptions extends RunOptions {
  /** Valid encodings to truncate and mutate (recommended: corrupt valid bytes reach deeper than random ones). */
  readonly valid?: fc.Arbitrary<Uint8Array>;
  /** Largest random input (default 512 bytes). */
  readonly maxBytes?: number;
  /** Codes a rejection may carry (default `CORRUPT_INPUT` and `INVALID_ARGUMENT`). */
  readonly codes?: readonly string[];
}

/** Random bytes, and valid bytes truncated, extended or with bytes flipped. */
export function garbageBytes(options: Pick<GarbageOptions, 'valid' | 'maxBytes'> = {}): fc.Arbitrary<Uint8Array> {
  const random = fc.uint8Array({ maxLength: options.maxBytes ?? 512 });
  if (!options.valid) return random;
  const mutated = fc
    .tuple(options.valid, fc.nat(), fc.integer({ min: 1, max: 255 }), fc.constantFrom('truncate', 'flip', 'extend'))
    .map(([bytes, at, xor, how]) => {
      if (bytes.length === 0) return bytes;
      const i = at % bytes.length;
      if (how === 'truncate') return bytes.slice(0, i);
      if (how === 'extend') return Uint8Array.from([...bytes, xor]);
      const copy = bytes.slice();
      copy[i]! ^= xor;
      return copy;
    });
  return fc.oneof(random, mutated);
}

/**
 * Proves a decoder (a `fromPersisted`, an `open`, a checkpoint reader) answers bad bytes with a typed
 * `ReloadError`, never another exception, a crash or a hang: for random bytes and corrupted valid
 * encodings it must either return or throw a `ReloadError` with one of the allowed codes.
 */
export async function assertRejectsGarbage(
  decode: (bytes: Uint8Array) => MaybePromise<unknown>,
  options: GarbageOptions = {},
): Promise<void> {
  const codes = options.codes ?? ['CORRUPT_INPUT', 'INVALID_ARGUMENT'];
  await fc.assert(
    fc.asyncProperty(garbageBytes(options), async (bytes) => {
      try {
        await decode(bytes);
      } catch (error) {
        if (!isReloadError(error))
          fail(
            'a decoder threw something other than a ReloadError on bad bytes',
            `input (${bytes.length} bytes) ${show(bytes)}`,
            `threw ${show(error)}`,
          );
        if (!codes.includes(error.code))
          fail(
            `a decoder rejected bad bytes with code ${error.code}, expected one of ${codes.join(', ')}`,
            `input ${show(bytes)}`,
            error.message,
          );
      }
    }),
    assertParameters(options),
  );
}
