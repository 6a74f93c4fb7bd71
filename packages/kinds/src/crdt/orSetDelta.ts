/**
 * The OR-Set's delta format (`or-set.delta`, format 1), a delta-state of the ORSWOT whose causal
 * context is a dot set, not a version vector:
 *
 * `[token, seq, replicas, from, to, markDots, elements, dots]`
 * - `token` (16 bytes) names the mark, `seq` (≥ 1) counts its `delta()` calls;
 * - `replicas`: the replica ids the delta mentions, strictly increasing; `from` and `to` parallel
 *   to them (0 ≤ from ≤ to, 1 ≤ to): the context holds the dots `(from[i], to[i]]` of replica i (the dots
 *   it saw since the mark: its context at the mark, and now);
 * - `markDots`: varints `i, k, …`, strictly increasing pairs, each `k ≤ from[i]`: the dots the
 *   touched elements held at the mark, also in the context;
 * - `elements`: the touched elements (added, re-added, removed or changed by a merge since the
 *   mark), strictly increasing as in the persisted formats;
 * - `dots`: per element its current dot count (0: removed) then `i, k` per dot, `i` strictly
 *   increasing, every dot within the context.
 */
import { bodySchema } from '../codec/bodySchema.js';
import type { BodySchema } from '../codec/bodySchemaTypes.js';
import { isIntegerIn } from './bodyReader.js';
import { columnSchema, numbersSchema, replicaIdsSchema, sortedPrimitivesSchema } from './crdtSchemas.js';
import { decodeDelta } from './crdtDelta.js';
import { readElements } from './orSetBodyChecks.js';
import { replicaIdProblem } from './primitive.js';
import type { CrdtPrimitive } from './primitive.js';
import { VarintReader } from './varint.js';

/** The kind name (as in `orSetState`, repeated to keep this module free of it). */
const KIND = 'or-set';

/** The delta format the OR-Set writes. */
export const OR_SET_DELTA_FORMAT = 1;

const BODIES: Readonly<Record<number, BodySchema>> = Object.freeze({
  1: bodySchema.tuple(
    bodySchema.bin(16),
    bodySchema.number(),
    replicaIdsSchema,
    numbersSchema,
    numbersSchema,
    columnSchema,
    sortedPrimitivesSchema,
    columnSchema,
  ),
});

/** A checked delta: everything the format promises holds. Dots are flat `[replica, counter, …]` (delta indices). */
export interface OrSetDelta {
  readonly token: Uint8Array;
  readonly seq: number;
  readonly replicas: readonly string[];
  readonly from: readonly number[];
  readonly to: readonly number[];
  /** The mark dots, by replica index. */
  readonly markDots: ReadonlyMap<number, ReadonlySet<number>>;
  readonly elements: readonly CrdtPrimitive[];
  readonly dots: readonly (readonly number[])[];
}

/** True when the delta's context holds dot `(i, k)`. */
export function deltaSees(delta: OrSetDelta, i: number, k: number): boolean {
  return (k > delta.from[i]! && k <= delta.to[i]!) || delta.markDots.get(i)?.has(k) === true;
}

/** Reads `bytes` (at most `maxBytes`) as an OR-Set delta, checked strictly (`CORRUPT_INPUT` otherwise). */
export function decodeOrSetDelta(bytes: Uint8Array, maxBytes: number): OrSetDelta {
  const { body, reader } = decodeDelta(KIND, bytes, BODIES, maxBytes);
  const [tokenPart, seqPart, replicasPart, fromPart, toPart, markPart, elementsPart, dotsPart] = reader.array(
    body,
    'the delta [token, seq, replicas, from, to, markDots, elements, dots]',
    8,
  );
  const token = reader.bytes(tokenPart, 'token');
  if (token.length !== 16) throw reader.fail(`token: ${token.length} bytes, 16 expected`);
  const seq = reader.integer(seqPart, 'seq', 1);
  const replicas = reader.array(replicasPart, 'replicas') as string[];
  for (let i = 0; i < replicas.length; i++) {
    if (replicaIdProblem(replicas[i]) !== undefined) reader.replicaId(replicas[i], `replicas[${i}]`);
    if (i > 0 && !(replicas[i - 1]! < replicas[i]!)) throw reader.fail(`replicas are not increasing at ${i}`);
  }
  const n = replicas.length;
  const from = reader.integers(fromPart, 'from', n, 0);
  // A replica the delta names has made a dot (a context of 0 would persist unreadably).
  const to = reader.integers(toPart, 'to', n, 1);
  for (let i = 0; i < n; i++) if (to[i]! < from[i]!) throw reader.fail(`to[${i}] = ${to[i]} is below from ${from[i]}`);
  const fail = (what: string) => (message: string) => reader.fail(`${what}: ${message}`);
  const markDots = new Map<number, Set<number>>();
  const marks = new VarintReader(reader.bytes(markPart, 'markDots'), fail('markDots'));
  for (let [last, lastK] = [-1, 0]; !marks.done;) {
    const [i, k] = [marks.next(), marks.remaining > 0 ? marks.next() : -1];
    if (i >= n || !isIntegerIn(k, 1, from[i]))
      throw reader.fail(`markDots: dot ${k} of replica index ${i} is not within 1..from (${n} replicas)`);
    if (i < last || (i === last && k <= lastK)) throw reader.fail('markDots are not strictly increasing');
    [last, lastK] = [i, k];
    const set = markDots.get(i) ?? new Set<number>();
    markDots.set(i, set.add(k));
  }
  const elements = readElements(elementsPart, 'elements', reader);
  const dotsBytes = reader.bytes(dotsPart, 'dots');
  if (dotsBytes.length < elements.length)
    throw reader.fail(`dots: ${dotsBytes.length} bytes for ${elements.length} elements`);
  const delta = { token, seq, replicas, from, to, markDots, elements, dots: [] as number[][] };
  const varints = new VarintReader(dotsBytes, fail('dots'));
  for (let e = 0; e < elements.length; e++) {
    const count = varints.next();
    if (count > n) throw reader.fail(`element ${e} has ${count} dots (at most ${n})`);
    const dots = new Array<number>(2 * count);
    for (let d = 0, previous = -1; d < count; d++) {
      const [i, k] = [varints.next(), varints.next()];
      if (i <= previous || i >= n) throw reader.fail(`element ${e}: replica index ${i} (${n} replicas, increasing)`);
      if (!deltaSees(delta, i, k))
        throw reader.fail(`element ${e}: dot ${k} of ${JSON.stringify(replicas[i])} is outside the delta's context`);
      [dots[2 * d], dots[2 * d + 1], previous] = [i, k, i];
    }
    delta.dots.push(dots);
  }
  varints.expectEnd();
  return delta;
}
