/**
 * Checks shared by the OR-Set's persisted formats. Each throws `CORRUPT_INPUT` (through `reader`)
 * naming the part and the problem.
 */
import type { BodyReader } from './bodyReader.js';
import type { ByteColumn } from './byteColumn.js';
import { comparePrimitives, primitiveProblem, replicaIdProblem } from './primitive.js';
import type { CrdtPrimitive } from './primitive.js';
import { readVarint, varintSize } from './varint.js';

/**
 * The replica table (valid ids in strictly increasing order, hence distinct) and the causal
 * context parallel to it (all ≥ 1), checked in place.
 */
export function readReplicaTable(
  replicasPart: unknown,
  contextPart: unknown,
  reader: BodyReader,
): { replicas: string[]; context: number[] } {
  const replicas = reader.array(replicasPart, 'replicas');
  for (let i = 0; i < replicas.length; i++) {
    const id = replicas[i];
    if (replicaIdProblem(id) !== undefined) reader.replicaId(id, `replicas[${i}]`);
    if (i > 0 && !((replicas[i - 1] as string) < (id as string)))
      throw reader.fail(`replicas are not in increasing order at index ${i}`);
  }
  return {
    replicas: replicas as string[],
    context: reader.integers(contextPart, 'context', replicas.length, 1),
  };
}

/**
 * The elements of `part`, checked in place and in their stored form: each a valid primitive
 * accepted by `accept` (else the problem it names), in strictly increasing order. Byte strings
 * are kept as they are (the body is the caller's own); `-0` becomes `0`.
 */
export function readElements(
  part: unknown,
  what: string,
  reader: BodyReader,
  accept: (value: CrdtPrimitive) => string | undefined = () => undefined,
): CrdtPrimitive[] {
  const elements = reader.array(part, what) as CrdtPrimitive[];
  for (let e = 0; e < elements.length; e++) {
    const value: unknown = elements[e];
    const problem = primitiveProblem(value) ?? accept(value as CrdtPrimitive);
    if (problem !== undefined) throw reader.fail(`${what}[${e}]: ${problem}`);
    const element = value === 0 ? 0 : (value as CrdtPrimitive);
    elements[e] = element;
    if (e > 0 && comparePrimitives(elements[e - 1]!, element) >= 0)
      throw reader.fail(`${what}[${e}] is not greater than the element before it`);
  }
  return elements;
}

/** The fewest bytes the dots of one element take (count, replica index, counter: one byte each). */
export const MIN_DOT_BYTES_PER_ELEMENT = 3;

/**
 * Checks the dots of `count` elements (see `PackedOrSet`): per element 1..replicas dots, replica
 * indices strictly increasing, every counter within the context, no byte left over. Returns them
 * as a column of one item per element (over `dots` itself, the caller's own bytes).
 */
export function readDots(
  dots: Uint8Array,
  count: number,
  replicas: readonly string[],
  context: readonly number[],
  reader: BodyReader,
): ByteColumn {
  if (dots.length < count * MIN_DOT_BYTES_PER_ELEMENT)
    throw reader.fail(`dots: ${dots.length} bytes cannot hold the dots of ${count} elements`);
  const fail = (message: string): Error => reader.fail(`dots: ${message}`);
  const offsets = new Uint32Array(count + 1);
  let at = 0;
  for (let e = 0; e < count; e++) {
    const dotCount = readVarint(dots, at, fail);
    at += varintSize(dotCount);
    if (dotCount < 1 || dotCount > replicas.length)
      throw reader.fail(`element ${e} has ${dotCount} dots (1..${replicas.length} expected)`);
    let previous = -1;
    for (let d = 0; d < dotCount; d++) {
      const r = readVarint(dots, at, fail);
      at += varintSize(r);
      const k = readVarint(dots, at, fail);
      at += varintSize(k);
      if (r <= previous || r >= replicas.length)
        throw reader.fail(`element ${e} has a dot of replica index ${r} (${replicas.length} replicas, increasing)`);
      if (k < 1 || k > context[r]!)
        throw reader.fail(
          `element ${e} has dot ${k} of ${JSON.stringify(replicas[r])}, outside its context 1..${context[r]}`,
        );
      previous = r;
    }
    offsets[e + 1] = at;
  }
  if (at !== dots.length) throw fail(`${dots.length - at} bytes follow the last varint`);
  return { bytes: dots, offsets };
}
