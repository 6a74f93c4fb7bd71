import { crc32 } from 'node:zlib';
import { ReloadError } from '@baton/core';
import { pack, unpack } from './packr.js';

const MAGIC = [0x42, 0x54, 0x4e, 0x45] as const; // "BTNE"
const LAYOUT = 1;
const HEADER = 13; // magic(4) layout(1) crc32(4) length(4)

/** Default upper bound on a persisted envelope (64 MiB), checked before anything is allocated. */
export const DEFAULT_MAX_ENVELOPE_BYTES = 64 * 1024 * 1024;

/** What a decoded envelope holds. */
export interface Envelope {
  readonly kind: string;
  readonly formatVersion: number;
  readonly body: unknown;
}

/** What a reader accepts. */
export interface EnvelopeExpectation {
  /** The kind the bytes must be of. */
  readonly kind: string;
  /** Format versions this reader understands. */
  readonly versions: readonly number[];
  /** Refuse envelopes larger than this (default {@link DEFAULT_MAX_ENVELOPE_BYTES}). */
  readonly maxBytes?: number;
  /** Surface kind named in errors (default `crdtKind`). */
  readonly surface?: string;
}

/**
 * Encodes persisted state as a versioned envelope: the magic `BTNE`, a layout byte, a CRC-32 and
 * the length of the payload, then msgpack of `[kind, formatVersion, body]`.
 */
export function encodeEnvelope(kind: string, formatVersion: number, body: unknown): Uint8Array {
  const payload = pack([kind, formatVersion, body]);
  const out = new Uint8Array(HEADER + payload.byteLength);
  out.set(MAGIC, 0);
  out[4] = LAYOUT;
  const view = new DataView(out.buffer);
  view.setUint32(5, crc32(payload), true);
  view.setUint32(9, payload.byteLength, true);
  out.set(payload, HEADER);
  return out;
}

/**
 * Decodes an envelope and checks it is of the expected kind and a known version. Every problem —
 * truncated, oversized, corrupt, another kind, an unknown version — is a `CORRUPT_INPUT`
 * `ReloadError` naming the kind and what was wrong.
 */
export function decodeEnvelope(bytes: Uint8Array, expected: EnvelopeExpectation): Envelope {
  const fail = (reason: string, cause?: unknown): ReloadError =>
    new ReloadError({
      code: 'CORRUPT_INPUT',
      phase: 'decode',
      kind: expected.surface ?? 'crdtKind',
      key: expected.kind,
      message: `cannot read '${expected.kind}' state: ${reason}`,
      cause,
    });
  if (!(bytes instanceof Uint8Array)) throw fail('expected bytes (a Uint8Array)');
  const maxBytes = expected.maxBytes ?? DEFAULT_MAX_ENVELOPE_BYTES;
  if (bytes.byteLength < HEADER) throw fail(`${bytes.byteLength} bytes is shorter than the envelope header`);
  if (MAGIC.some((b, i) => bytes[i] !== b)) throw fail('bad magic number (not a Baton envelope)');
  if (bytes[4] !== LAYOUT) throw fail(`unknown envelope layout ${bytes[4]}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(9, true);
  if (length > maxBytes) throw fail(`payload of ${length} bytes exceeds the limit of ${maxBytes}`);
  if (length !== bytes.byteLength - HEADER)
    throw fail(`length says ${length} bytes but ${bytes.byteLength - HEADER} follow (truncated?)`);
  const payload = bytes.subarray(HEADER);
  if (crc32(payload) !== view.getUint32(5, true)) throw fail('checksum mismatch (corrupt bytes)');
  let decoded: unknown;
  try {
    decoded = unpack(payload);
  } catch (error) {
    throw fail('payload is not valid msgpack', error);
  }
  if (
    !Array.isArray(decoded) ||
    decoded.length !== 3 ||
    typeof decoded[0] !== 'string' ||
    typeof decoded[1] !== 'number'
  ) {
    throw fail('payload is not [kind, formatVersion, body]');
  }
  const [kind, formatVersion, body] = decoded as [string, number, unknown];
  if (kind !== expected.kind) throw fail(`these bytes hold '${kind}' state`);
  if (!expected.versions.includes(formatVersion))
    throw fail(`unknown format version ${formatVersion} (this reader knows ${expected.versions.join(', ')})`);
  return { kind, formatVersion, body };
}

/** Reads the kind and format version of an envelope without checking them against expectations. */
export function peekEnvelope(bytes: Uint8Array): { kind: string; formatVersion: number } | undefined {
  try {
    const decoded = unpack(bytes.subarray(HEADER));
    if (Array.isArray(decoded) && typeof decoded[0] === 'string' && typeof decoded[1] === 'number')
      return { kind: decoded[0], formatVersion: decoded[1] };
  } catch {
    // not an envelope
  }
  return undefined;
}
