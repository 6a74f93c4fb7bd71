import type { BodyReader } from './bodyReader.js';
import { describeValue } from './crdtErrors.js';
import type { GCounterFormat } from './gCounterState.js';
import { ReplicaCounts } from './replicaCounts.js';
import { decodeVarints, encodeVarints } from './varint.js';

/** g-counter format 1: a msgpack map replica id → count (a positive safe integer). */
export const gCounterFormatV1: GCounterFormat = Object.freeze({
  version: 1,
  encode: (counts: ReplicaCounts): unknown => new Map(counts.entries()),
  decode(body: unknown, reader: BodyReader): ReplicaCounts {
    if (!(body instanceof Map))
      throw reader.fail(`the body must be a map of replica id → count, not ${describeValue(body)}`);
    const entries: [string, number][] = [];
    for (const [replica, count] of body as Map<unknown, unknown>) {
      const id = reader.replicaId(replica, 'a replica id');
      entries.push([id, reader.integer(count, `the count of ${JSON.stringify(id)}`, 1)]);
    }
    return new ReplicaCounts(entries);
  },
});

/**
 * g-counter format 2: `[replicaIds, counts]`, the ids a msgpack array and the counts one byte
 * string of unsigned LEB128 varints in the same order (small counts take one byte each).
 */
export const gCounterFormatV2: GCounterFormat = Object.freeze({
  version: 2,
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
    const ids = reader.replicaIds(idsPart, 'replicaIds');
    const values = decodeVarints(
      reader.bytes(countsPart, 'counts'),
      ids.length,
      (message) => reader.fail(message),
      'counts',
    );
    return new ReplicaCounts(
      ids.map((id, i) => [id, reader.integer(values[i], `the count of ${JSON.stringify(id)}`, 1)]),
    );
  },
});

/**
 * g-counter format 3 (used only by {@link unmigratedGCounterV3}): `[replicaIds, counts]` with the
 * counts a plain msgpack integer array.
 */
export const gCounterFormatV3: GCounterFormat = Object.freeze({
  version: 3,
  encode(counts: ReplicaCounts): unknown {
    const entries = [...counts.entries()];
    return [entries.map(([id]) => id), entries.map(([, count]) => count)];
  },
  decode(body: unknown, reader: BodyReader): ReplicaCounts {
    const [idsPart, countsPart] = reader.array(body, 'the body [replicaIds, counts]', 2);
    const ids = reader.replicaIds(idsPart, 'replicaIds');
    const values = reader.integers(countsPart, 'counts', ids.length, 1);
    return new ReplicaCounts(ids.map((id, i) => [id, values[i]!]));
  },
});
