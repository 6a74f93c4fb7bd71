/**
 * The deltas of the counters (G-Counter and PN-Counter): per grow-only half, the replicas whose
 * count changed since the mark and their current counts, `[replicaIds, counts]` as two parallel
 * msgpack arrays. Merging takes the larger count per replica (the counters' join), in the delta's
 * order, so replicas new to the receiver are added in the order the sender first changed them.
 */
import { bodySchema } from '../codec/bodySchema.js';
import type { BodySchema } from '../codec/bodySchemaTypes.js';
import type { BodyReader } from './bodyReader.js';
import { isIntegerIn } from './bodyReader.js';
import { numbersSchema, replicaIdsSchema } from './crdtSchemas.js';
import { replicaIdProblem } from './primitive.js';
import { ReplicaCounts } from './replicaCounts.js';

/** The g-counter delta bodies: format 1 is `[replicaIds, counts]`. */
export const G_COUNTER_DELTA_BODIES: Readonly<Record<number, BodySchema>> = Object.freeze({
  1: bodySchema.tuple(replicaIdsSchema, numbersSchema),
});

/** The pn-counter delta bodies: format 1 is `[pReplicaIds, pCounts, nReplicaIds, nCounts]`. */
export const PN_COUNTER_DELTA_BODIES: Readonly<Record<number, BodySchema>> = Object.freeze({
  1: bodySchema.tuple(replicaIdsSchema, numbersSchema, replicaIdsSchema, numbersSchema),
});

/**
 * The counts of a delta half, checked strictly (`CORRUPT_INPUT` through `reader`): as many
 * counts as ids, distinct valid ids, counts positive safe integers.
 */
export function readCountsDelta(
  idsPart: unknown,
  countsPart: unknown,
  what: string,
  reader: BodyReader,
): ReplicaCounts {
  const ids = reader.array(idsPart, `${what} replica ids`);
  const counts = reader.array(countsPart, `${what} counts`, ids.length);
  const read = new Map<string, number>();
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (replicaIdProblem(id) !== undefined) reader.replicaId(id, `${what} replicaIds[${i}]`);
    if (read.has(id as string)) throw reader.fail(`${what} replicaIds[${i}]: ${JSON.stringify(id)} appears twice`);
    const count = counts[i];
    if (!isIntegerIn(count, 1)) reader.integer(count, `${what} count of ${JSON.stringify(id)}`, 1);
    read.set(id as string, count as number);
  }
  return ReplicaCounts.adopt(read);
}
