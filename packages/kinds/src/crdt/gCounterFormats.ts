import { bodySchema } from '../codec/bodySchema.js';
import type { BodyReader } from './bodyReader.js';
import { isIntegerIn } from './bodyReader.js';
import { columnSchema, MAX_STATE_ENTRIES, numberSchema, replicaIdSchema, replicaIdsSchema } from './crdtSchemas.js';
import { describeValue } from './crdtErrors.js';
import type { GCounterFormat } from './gCounterState.js';
import { replicaIdProblem } from './primitive.js';
import { ReplicaCounts } from './replicaCounts.js';
import { encodeVarints, VarintReader } from './varint.js';

/**
 * g-counter format 1: a msgpack map replica id → count (a positive safe integer). The decoded map
 * becomes the state's table itself (no copy).
 */
export const gCounterFormatV1: GCounterFormat = Object.freeze({
  version: 1,
  body: bodySchema.map(replicaIdSchema, numberSchema, MAX_STATE_ENTRIES),
  encode: (counts: ReplicaCounts): unknown => new Map(counts.entries()),
  decode(body: unknown, reader: BodyReader): ReplicaCounts {
    if (!(body instanceof Map))
      throw reader.fail(`the body must be a map of replica id → count, not ${describeValue(body)}`);
    const counts = body as Map<unknown, unknown>;
    counts.forEach((count, replica) => {
      if (replicaIdProblem(replica) !== undefined) reader.replicaId(replica, 'a replica id');
      if (!isIntegerIn(count, 1)) reader.integer(count, `the count of ${JSON.stringify(replica)}`, 1);
    });
    return ReplicaCounts.adopt(counts as Map<string, number>);
  },
});

/**
 * g-counter format 2: `[replicaIds, counts]`, the ids a msgpack array and the counts one byte
 * string of unsigned LEB128 varints in the same order (small counts take one byte each).
 */
export const gCounterFormatV2: GCounterFormat = Object.freeze({
  version: 2,
  body: bodySchema.tuple(replicaIdsSchema, columnSchema),
  encode(counts: ReplicaCounts): unknown {
    const ids: string[] = [];
    const values: number[] = [];
    for (const [id, count] of counts.entries()) {
      ids.push(id);
      values.push(count);
    }
    return [ids, encodeVarints(values)];
  },
  decode(body: unknown, reader: BodyReader): ReplicaCounts {
    const [idsPart, countsPart] = reader.array(body, 'the body [replicaIds, counts]', 2);
    const ids = reader.array(idsPart, 'replicaIds');
    const bytes = reader.bytes(countsPart, 'counts');
    if (ids.length > bytes.length) throw reader.fail(`${ids.length} counts cannot fit in ${bytes.length} bytes`);
    const varints = new VarintReader(bytes, (message) => reader.fail(`counts: ${message}`));
    return readCounts(
      ids,
      reader,
      () => varints.next(),
      () => {
        varints.expectEnd();
      },
    );
  },
});

/**
 * The table of `ids` (distinct valid replica ids) and their counts (positive safe integers), `next`
 * giving the count of each id in turn, built straight into the map the state keeps.
 */
function readCounts(ids: unknown[], reader: BodyReader, next: () => unknown, end?: () => void): ReplicaCounts {
  const counts = new Map<string, number>();
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (replicaIdProblem(id) !== undefined) reader.replicaId(id, `replicaIds[${i}]`);
    if (counts.has(id as string)) throw reader.fail(`replicaIds[${i}]: replica id ${JSON.stringify(id)} appears twice`);
    const count = next();
    if (!isIntegerIn(count, 1)) reader.integer(count, `the count of ${JSON.stringify(id)}`, 1);
    counts.set(id as string, count as number);
  }
  end?.();
  return ReplicaCounts.adopt(counts);
}
