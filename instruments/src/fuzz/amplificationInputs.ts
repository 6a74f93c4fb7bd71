/**
 * Crafted inputs of a given size that make decoders allocate the most per input byte: hostile ones
 * (valid checksums, absurd declared counts, deep nesting, many tiny items, duplicate keys) and
 * valid states built of the smallest items each kind can hold (a state `persist()` wrote must always
 * decode, so the worst valid input bounds the factor too). `npm run fuzz` decodes each in a child
 * process and reports the peak memory per input byte.
 */
import { frameChecked } from '@baton/core/durable';
import { crdtLimits } from '@baton/kinds';
import { craftedEnvelope, MsgpackBytes, shortId } from './craftedBytes.js';
import { cpuInputs } from './cpuInputs.js';
import { craftedIndexInputs } from './craftedIndexes.js';
import type { AmplificationInput } from './amplificationInput.js';

/** A valid state of `kind`, fed to its `fromPersisted` and to a merge into an empty state. */
function valid(kind: string, what: string, build: (size: number) => Uint8Array): AmplificationInput[] {
  return ['fromPersisted', 'merge(bytes)'].map((how) => ({
    name: `valid: ${what}`,
    target: `${kind} ${how}`,
    expect: 'value',
    build,
  }));
}

const G1 = 'g-counter v1 fromPersisted';
const G2 = 'g-counter v2 fromPersisted';
const PN = 'pn-counter fromPersisted';
const OR = 'or-set fromPersisted';
const ENVELOPE = 'envelope decodeEnvelope';

/** A g-counter format-1 envelope whose body is `body`. */
const g1 = (body: MsgpackBytes): Uint8Array => craftedEnvelope('g-counter', 1, body.bytes);

/** Distinct byte strings of one length, in increasing order (what an OR-Set's byte column holds). */
function increasingBins(count: number): Uint8Array[] {
  let length = 1;
  while (256 ** length < count) length++;
  return Array.from({ length: count }, (_, i) => {
    const out = new Uint8Array(length);
    for (let k = length - 1, n = i; k >= 0; k--, n = Math.floor(n / 256)) out[k] = n % 256;
    return out;
  });
}

/** Distinct ASCII strings of one length, in increasing order. */
function increasingStrings(count: number): string[] {
  let length = 1;
  while (94 ** length < count) length++;
  return Array.from({ length: count }, (_, i) => {
    let s = '';
    for (let k = 0, n = i; k < length; k++, n = Math.floor(n / 94)) s = String.fromCharCode(0x21 + (n % 94)) + s;
    return s;
  });
}

/** An or-set format-2 body of one replica `a` (context 1) whose every element has the dot (a, 1). */
function orSet2(parts: { scalars?: number[]; strings?: string[]; bins?: Uint8Array[] }): Uint8Array {
  const { scalars = [], strings = [], bins = [] } = parts;
  const body = new MsgpackBytes().raw([0x97]).raw([0x91]).str('a').raw([0x91, 1]);
  body.array(scalars.length);
  for (const value of scalars) body.int(value);
  body.bin(Buffer.from(strings.join(''), 'utf8'));
  body.bin(strings.map((s) => Buffer.byteLength(s)));
  body.array(bins.length);
  for (const bin of bins) body.bin(bin);
  const count = scalars.length + strings.length + bins.length;
  body.bin(new Uint8Array(3 * count).map((_, i) => (i % 3 === 1 ? 0 : 1)));
  return craftedEnvelope('or-set', 2, body.bytes);
}

/** The same state in format 1 (`[replicas, context, elements, dots]`). */
function orSet1(bins: Uint8Array[]): Uint8Array {
  const body = new MsgpackBytes().raw([0x94, 0x91]).str('a').raw([0x91, 1]).array(bins.length);
  for (const bin of bins) body.bin(bin);
  body.bin(new Uint8Array(3 * bins.length).map((_, i) => (i % 3 === 1 ? 0 : 1)));
  return craftedEnvelope('or-set', 1, body.bytes);
}

/** Replica ids and counts as g-counter v1 (a map), v2 (ids + varints) or pn-counter (ids, p, n) bodies. */
function counters(format: 'g1' | 'g2' | 'pn', count: number): Uint8Array {
  const ids = Array.from({ length: count }, (_, i) => shortId(i));
  const body = new MsgpackBytes();
  if (format === 'g1') {
    body.map(count);
    for (const id of ids) body.str(id).uint(1);
    return g1(body);
  }
  body.raw([format === 'g2' ? 0x92 : 0x93]).array(count);
  for (const id of ids) body.str(id);
  if (format === 'g2') return craftedEnvelope('g-counter', 2, body.bin(new Uint8Array(count).fill(1)).bytes);
  body.array(count).repeat(1, count).array(count).repeat(1, count);
  return craftedEnvelope('pn-counter', 1, body.bytes);
}

/** Every crafted input, hostile and valid. */
export const amplificationInputs: readonly AmplificationInput[] = [
  // Hostile: valid checksums, bodies the kinds cannot contain.
  {
    name: 'list of empty maps',
    target: G1,
    expect: 'error',
    build: (size) => g1(new MsgpackBytes().array(size).repeat(0x80, size)),
  },
  {
    name: 'list of empty maps (generic reader)',
    target: ENVELOPE,
    expect: 'error',
    build: (size) => craftedEnvelope('or-set', 2, new MsgpackBytes().array(size).repeat(0x80, size).bytes),
  },
  {
    name: 'list of empty arrays',
    target: OR,
    expect: 'error',
    build: (size) => craftedEnvelope('or-set', 2, new MsgpackBytes().array(size).repeat(0x90, size).bytes),
  },
  {
    name: 'nesting a million levels deep',
    target: PN,
    expect: 'error',
    build: (size) => craftedEnvelope('pn-counter', 1, new MsgpackBytes().repeat(0x91, size).raw([0xc0]).bytes),
  },
  {
    name: 'declared count of 2^32 − 1 items',
    target: G2,
    expect: 'error',
    build: (size) => craftedEnvelope('g-counter', 2, new MsgpackBytes().array(0xffffffff).repeat(0xa0, size).bytes),
  },
  {
    name: 'one replica id repeated (duplicate map keys)',
    target: G1,
    expect: 'error',
    build: (size) => {
      const body = new MsgpackBytes().map(Math.floor(size / 4));
      for (let i = 0; i < Math.floor(size / 4); i++) body.str('r1').uint(5);
      return g1(body);
    },
  },
  {
    name: 'many empty byte strings',
    target: OR,
    expect: 'error',
    build: (size) => orSet2({ bins: Array.from({ length: Math.floor(size / 5) }, () => new Uint8Array(0)) }),
  },
  {
    name: 'msgpackr records: one empty object per byte',
    target: ENVELOPE,
    expect: 'error',
    build: (size) =>
      craftedEnvelope(
        'or-set',
        2,
        new MsgpackBytes()
          .array(size)
          .raw([0xd4, 0x72, 0x40, 0x90])
          .repeat(0x40, size - 1).bytes,
      ),
  },
  // Valid states of the smallest items, read and merged into an empty state.
  ...valid('g-counter v1', 'replicas of 1–3 characters', (size) => counters('g1', Math.floor(size / 5))),
  ...valid('g-counter v2', 'replicas of 1–3 characters', (size) => counters('g2', Math.floor(size / 5))),
  ...valid('pn-counter', 'replicas of 1–3 characters', (size) => counters('pn', Math.floor(size / 7))),
  ...valid('or-set', 'byte-string elements of 1–3 bytes', (size) =>
    orSet2({ bins: increasingBins(Math.floor(size / 7)) }),
  ),
  ...valid('or-set', 'byte-string elements, format 1', (size) => orSet1(increasingBins(Math.floor(size / 7)))),
  ...valid('or-set', 'string elements of 1–4 characters', (size) =>
    orSet2({ strings: increasingStrings(Math.floor(size / 7)) }),
  ),
  ...valid('or-set', 'integer elements', (size) =>
    orSet2({ scalars: Array.from({ length: Math.floor(size / 6) }, (_, i) => i - 32768) }),
  ),
  ...valid('lww-register', 'the largest byte string', (size) =>
    craftedEnvelope(
      'lww-register',
      1,
      new MsgpackBytes()
        .raw([0x93, 1])
        .str('a')
        .bin(new Uint8Array(Math.min(size, crdtLimits.maxBytesLength))).bytes,
    ),
  ),
  ...craftedIndexInputs,
  ...cpuInputs,
  // JSON and framed bytes (the loader's and the durable files' decoders: measured, not owned here).
  {
    name: 'JSON of empty objects (1 MiB, the manifest limit)',
    target: 'plugin manifest parseManifest',
    expect: 'error',
    bounded: false,
    build: (size) => emptyObjects(Math.min(size, 1024 * 1024)),
  },
  {
    name: 'JSON of empty objects',
    target: 'manifest signature verify',
    expect: 'error',
    bounded: false,
    build: emptyObjects,
  },
  {
    name: 'valid: JSON of empty objects',
    target: 'arrow.json parse',
    expect: 'value',
    build: emptyObjects,
  },
  {
    name: 'valid: JSON nested 500 levels deep, repeated',
    target: 'arrow.json parse',
    expect: 'value',
    build: (size) => {
      const one = `${'['.repeat(500)}${']'.repeat(500)}`;
      return new TextEncoder().encode(`[${Array.from({ length: Math.floor(size / 1001) }, () => one).join(',')}]`);
    },
  },
  {
    name: 'valid: a frame of the given size',
    target: 'checked frame (checkpoints, journal, snapshots)',
    expect: 'value',
    build: (size) => frameChecked(new Uint8Array(size)),
  },
];

/** `[{},{},…]`: JSON of about `size` bytes that parses into one object per 3 bytes. */
function emptyObjects(size: number): Uint8Array {
  const count = Math.max(1, Math.floor((size - 2) / 3));
  return new TextEncoder().encode(`[${'{},'.repeat(count - 1)}{}]`);
}
