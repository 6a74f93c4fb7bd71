import { crc32 } from 'node:zlib';
import { ReloadError } from '@baton/core';
import { bodySchema } from './bodySchema.js';
import type { Envelope, EnvelopeExpectation } from './envelopeTypes.js';
import { bodyOf, checkEnvelopeHeader, checkExpectation, MAX_KIND_BYTES } from './envelopeArguments.js';
import { checkMsgpack } from './msgpackCheck.js';
import { ARRAY, INT, MsgpackHead, STR } from './msgpackHead.js';
import { countMapEntries, pack, packr } from './packr.js';

const MAGIC = [0x42, 0x54, 0x4e, 0x45] as const; // "BTNE"
const LAYOUT = 1;
const HEADER = 13; // magic(4) layout(1) crc32(4) length(4)

/**
 * Default upper bound on a persisted envelope (16 MiB), checked before anything is allocated.
 * Reading `n` bytes of a CRDT kind of this package peaks at `crdtLimits.memoryPerInputByte × n`
 * bytes of resident memory, garbage included (48 × 16 MiB = 768 MiB), and needs a heap of about 25
 * bytes per input byte (35 to merge them into a live state: 400 and 560 MiB here), which fits
 * Node's default heap on a machine with 4 GiB of memory or more (V8 sizes it from the machine's
 * memory: a quarter of it, up to 4 GiB). Raise it with a provider's `maxBytes` for larger states
 * and a larger heap. (It was 64 MiB: merging that much needs a 2.2 GiB heap, more than Node's default
 * below 16 GiB of memory.)
 */
export const DEFAULT_MAX_ENVELOPE_BYTES = 16 * 1024 * 1024;

export type { Envelope, EnvelopeExpectation } from './envelopeTypes.js';

/**
 * Encodes persisted state as a versioned envelope: the magic `BTNE`, a layout byte, a CRC-32 and
 * the length of the payload, then msgpack of `[kind, formatVersion, body]`. A kind that is not a
 * well-formed string of at most 256 UTF-8 bytes, a format version that is not an integer in
 * [0, 2^32 − 1], or a body msgpack cannot encode is an `INVALID_ARGUMENT` `ReloadError`.
 */
export function encodeEnvelope(kind: string, formatVersion: number, body: unknown): Uint8Array {
  checkEnvelopeHeader(kind, formatVersion);
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
 * Decodes an envelope and checks it is of the expected kind, a known version, and that its body
 * matches the version's schema. The work and memory are bounded by the input size before anything
 * is allocated for it: the length is checked against `maxBytes`, the payload is copied once (so
 * every check and the decoding read the same bytes, whatever happens to the input meanwhile), its
 * CRC-32 checked, and its header and body checked on the bytes; only a body that passed is handed
 * to msgpackr, and a map that decoded to fewer entries than it declares (a duplicate key) is
 * refused. Every problem — truncated, oversized, corrupt, another kind, an unknown version, a body
 * of the wrong shape — is a `CORRUPT_INPUT` `ReloadError` naming the kind and what was wrong. A
 * wrong `expected` (not an object, a kind that is not a string, versions that are not an array of
 * integers, a schema that is not one) is `INVALID_ARGUMENT`.
 */
export function decodeEnvelope(bytes: Uint8Array, expected: EnvelopeExpectation): Envelope {
  checkExpectation(expected);
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
  const storedCrc = view.getUint32(5, true);
  if (length > maxBytes) throw fail(`payload of ${length} bytes exceeds the limit of ${maxBytes}`);
  if (length !== bytes.byteLength - HEADER)
    throw fail(`length says ${length} bytes but ${bytes.byteLength - HEADER} follow (truncated?)`);
  const payload = new Uint8Array(length);
  payload.set(bytes.subarray(HEADER));
  if (crc32(payload) !== storedCrc) throw fail('checksum mismatch (corrupt bytes)');
  const header = readHeader(payload, fail);
  if (header.kind !== expected.kind) throw fail(`these bytes hold '${header.kind}' state`);
  const formatVersion = header.formatVersion;
  if (!expected.versions.includes(formatVersion))
    throw fail(`unknown format version ${formatVersion} (this reader knows ${expected.versions.join(', ')})`);
  const schema = bodyOf(expected.bodies, formatVersion) ?? bodySchema.any();
  const { mapEntries } = checkMsgpack(payload, header.bodyAt, length, schema, fail);
  let body: unknown;
  try {
    body = packr.unpack(payload, { start: header.bodyAt });
  } catch (error) {
    throw fail('the body is not valid msgpack', error);
  }
  if (mapEntries > 0 && countMapEntries(body) !== mapEntries) throw fail('a map of the body has a key twice');
  return { kind: header.kind, formatVersion, body };
}

/** Reads the kind and format version of an envelope without checking them against expectations. */
export function peekEnvelope(bytes: Uint8Array): { kind: string; formatVersion: number } | undefined {
  if (!(bytes instanceof Uint8Array) || bytes.byteLength < HEADER) return undefined;
  try {
    const { kind, formatVersion } = readHeader(bytes.subarray(HEADER), (message) => new Error(message));
    return { kind, formatVersion };
  } catch {
    return undefined; // not an envelope
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The `[kind, formatVersion, …` at the start of a payload, and where the body starts. */
function readHeader(
  payload: Uint8Array,
  fail: (message: string) => Error,
): { kind: string; formatVersion: number; bodyAt: number } {
  const head = new MsgpackHead(payload, 0, payload.byteLength, (message) =>
    fail(`payload is not [kind, formatVersion, body]: ${message}`),
  );
  const wrong = (): Error => fail('payload is not [kind, formatVersion, body]');
  head.next();
  if (!head.is(ARRAY) || head.length !== 3) throw wrong();
  head.next();
  if (!head.is(STR) || head.length > MAX_KIND_BYTES) throw wrong();
  let kind: string;
  try {
    kind = utf8.decode(payload.subarray(head.at, head.at + head.length));
  } catch {
    throw wrong();
  }
  head.skipPayload();
  head.next();
  if (!head.is(INT)) throw wrong();
  return { kind, formatVersion: head.int, bodyAt: head.at };
}
