/**
 * Argument checks of the envelope codec: what `decodeEnvelope` expects, what `encodeEnvelope`
 * writes, and bytes whose buffer is gone. A wrong argument is an `INVALID_ARGUMENT` `ReloadError`
 * naming it; bad bytes stay the decoders' `CORRUPT_INPUT`.
 */
import { ReloadError } from '@baton/core';
import type { BodySchema } from './bodySchemaTypes.js';
import { requireBodySchema } from './bodySchemaCheck.js';
import { describeArgument } from './describeArgument.js';
import type { EnvelopeExpectation } from './envelopeTypes.js';

/** Largest format version an envelope header holds (a msgpack integer of at most 32 bits). */
const MAX_FORMAT_VERSION = 0xffff_ffff;

/** Longest kind name an envelope header may hold, in UTF-8 bytes. */
export const MAX_KIND_BYTES = 256;

/** The `INVALID_ARGUMENT` error of a wrong argument of an envelope function. */
function invalidEnvelopeArgument(message: string, cause?: unknown): ReloadError {
  return new ReloadError({ code: 'INVALID_ARGUMENT', phase: 'call', message: `envelope: ${message}`, cause });
}

/**
 * True when `view`'s buffer was detached (transferred away): it then has no bytes, and every use of
 * its buffer throws a `TypeError`. (Node 20 has no `ArrayBuffer.prototype.detached`.)
 */
export function isDetached(view: ArrayBufferView): boolean {
  if (view.byteLength !== 0) return false;
  const buffer = view.buffer as ArrayBufferLike & { readonly detached?: boolean };
  if (typeof buffer.detached === 'boolean') return buffer.detached;
  try {
    new DataView(buffer);
    return false;
  } catch {
    return true;
  }
}

/** Checks what a reader passed `decodeEnvelope` (`INVALID_ARGUMENT` naming the wrong member). */
export function checkExpectation(expected: unknown): asserts expected is EnvelopeExpectation {
  if (typeof expected !== 'object' || expected === null)
    throw invalidEnvelopeArgument(
      `the expectation must be an object { kind, versions, … }, not ${describeArgument(expected)}`,
    );
  const { kind, versions, bodies, maxBytes, surface } = expected as Record<string, unknown>;
  if (typeof kind !== 'string')
    throw invalidEnvelopeArgument(`expected.kind must be a string, not ${describeArgument(kind)}`);
  if (!Array.isArray(versions) || !(versions as unknown[]).every(isFormatVersion))
    throw invalidEnvelopeArgument(
      `expected.versions must be an array of format versions (integers in [0, ${MAX_FORMAT_VERSION}]), not ${describeArgument(versions)}`,
    );
  if (maxBytes !== undefined && !(Number.isSafeInteger(maxBytes) && (maxBytes as number) > 0))
    throw invalidEnvelopeArgument(
      `expected.maxBytes must be a positive safe integer, not ${describeArgument(maxBytes)}`,
    );
  if (surface !== undefined && typeof surface !== 'string')
    throw invalidEnvelopeArgument(`expected.surface must be a string, not ${describeArgument(surface)}`);
  if (bodies === undefined) return;
  if (typeof bodies !== 'object' || bodies === null)
    throw invalidEnvelopeArgument(
      `expected.bodies must be an object of schemas by version, not ${describeArgument(bodies)}`,
    );
  for (const version of versions as number[]) {
    const schema: unknown = Object.hasOwn(bodies, version) ? (bodies as Record<number, unknown>)[version] : undefined;
    if (schema !== undefined) requireBodySchema(schema, `expected.bodies[${version}]`);
  }
}

/** True when `value` is a format version an envelope header can hold. */
export function isFormatVersion(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0 && (value as number) <= MAX_FORMAT_VERSION;
}

/** Checks the kind and format version `encodeEnvelope` is to write. */
export function checkEnvelopeHeader(kind: unknown, formatVersion: unknown): void {
  if (
    typeof kind !== 'string' ||
    Buffer.byteLength(kind, 'utf8') > MAX_KIND_BYTES ||
    !(kind as string & { isWellFormed(): boolean }).isWellFormed()
  )
    throw invalidEnvelopeArgument(
      `the kind must be a well-formed string of at most ${MAX_KIND_BYTES} UTF-8 bytes, not ${describeArgument(kind)}`,
    );
  if (!isFormatVersion(formatVersion))
    throw invalidEnvelopeArgument(
      `the format version must be an integer in [0, ${MAX_FORMAT_VERSION}], not ${describeArgument(formatVersion)}`,
    );
}

/** The schema of format version `version` in `bodies`, if any (`bodies` checked by {@link checkExpectation}). */
export function bodyOf(
  bodies: Readonly<Record<number, BodySchema>> | undefined,
  version: number,
): BodySchema | undefined {
  return bodies !== undefined && Object.hasOwn(bodies, version) ? bodies[version] : undefined;
}
