/**
 * Crafted inputs that attack decode and merge time rather than memory: valid states (correct
 * checksums, every check passed) whose shape makes a super-linear algorithm show. Each is decoded
 * at two sizes (`cpu: true`), so `npm run fuzz` reports the time per input byte and finds any
 * growth of it with the size — a merge that scans the other side's dots per dot took 18 s for a
 * 1 MB OR-Set of 100 000 replicas, and would take hours at the fuzzer's 12 MiB.
 */
import type { AmplificationInput } from './amplificationInput.js';
import { craftedEnvelope, MsgpackBytes, shortId } from './craftedBytes.js';

/** The target that reads bytes and merges them into a live OR-Set twice (a replica re-sending its state). */
export const OR_SET_MERGE_TWICE = 'or-set merge(bytes) twice';

/** Unsigned LEB128 varints of `values`. */
function varints(values: Iterable<number>): Uint8Array {
  const out: number[] = [];
  for (let value of values) {
    while (value >= 0x80) {
      out.push((value % 0x80) | 0x80);
      value = Math.floor(value / 0x80);
    }
    out.push(value);
  }
  return Uint8Array.from(out);
}

/** `count` distinct short replica ids in increasing UTF-16 order (as a replica table holds them). */
function replicaIds(count: number): string[] {
  return Array.from({ length: count }, (_, i) => shortId(i)).sort((a, b) => (a < b ? -1 : 1));
}

/**
 * An or-set format-2 state of `ids` (every context entry 1) whose elements are the integers
 * `0..dots.length - 1`, element `e` with one dot `(r, 1)` per replica index `r` of `dots[e]`.
 */
function orSetOfIntegers(ids: readonly string[], dots: readonly (readonly number[])[]): Uint8Array {
  const body = new MsgpackBytes().raw([0x97]).array(ids.length);
  for (const id of ids) body.str(id);
  body.array(ids.length).repeat(1, ids.length);
  body.array(dots.length);
  for (let e = 0; e < dots.length; e++) body.uint(e);
  body.bin([]).bin([]).array(0);
  body.bin(varints(dots.flatMap((replicas) => [replicas.length, ...replicas.flatMap((r) => [r, 1])])));
  return craftedEnvelope('or-set', 2, body.bytes);
}

/** The CPU-amplification inputs, fed to {@link OR_SET_MERGE_TWICE}. */
export const cpuInputs: readonly AmplificationInput[] = [
  {
    // ~9 bytes per replica: an id of 1–3 characters, its context entry, its dot.
    name: 'valid: one element with a dot of every replica',
    target: OR_SET_MERGE_TWICE,
    expect: 'value',
    cpu: true,
    build: (size) => {
      const count = Math.floor(size / 9);
      return orSetOfIntegers(replicaIds(count), [Array.from({ length: count }, (_, r) => r)]);
    },
  },
  {
    // Many elements and many replicas, one dot each (~15 bytes an element): the work per element must
    // not grow with the number of replicas.
    name: 'valid: as many elements as replicas, one dot each',
    target: OR_SET_MERGE_TWICE,
    expect: 'value',
    cpu: true,
    build: (size) => {
      const count = Math.floor(size / 15);
      return orSetOfIntegers(
        replicaIds(count),
        Array.from({ length: count }, (_, e) => [e]),
      );
    },
  },
];
