import type { Engine } from '../engine/engine.js';
import { randomPlaces } from '../engine/places.js';
import { Random } from '../engine/random.js';
import type { Op, Recorder } from './recorder.js';

/** What the clients did to the CRDTs, so the report can check nothing was lost. */
export interface Expectations {
  visits: number;
  readonly tags: Set<string>;
}

const MIX: readonly (readonly [Op, number])[] = [
  ['write', 18],
  ['probe', 22],
  ['lower', 14],
  ['sum', 6],
  ['visit', 16],
  ['merge', 4],
  ['tag', 12],
  ['note', 8],
];
const TOTAL = MIX.reduce((n, [, w]) => n + w, 0);

/**
 * Runs `count` concurrent clients against the engine until `signal` aborts. Each picks operations
 * from a fixed mix, records every call (a failed call is recorded as such, never retried) and
 * updates the expectations of the CRDT values.
 */
export async function runClients(
  engine: Engine,
  recorder: Recorder,
  count: number,
  seed: number,
  signal: AbortSignal,
  expected: Expectations,
): Promise<void> {
  let nextId = 10_000_000;
  let remoteReplica = 0;
  const client = async (c: number): Promise<void> => {
    const random = new Random(seed * 7919 + c);
    const replica = `client-${c}`;
    while (!signal.aborted) {
      let roll = random.int(TOTAL);
      const op = MIX.find(([, w]) => (roll -= w) < 0)![0];
      const started = recorder.now();
      try {
        switch (op) {
          case 'write': {
            const rows = 1 + random.int(4);
            await engine.insert(randomPlaces(random, nextId, rows, engine.dim));
            nextId += rows;
            break;
          }
          case 'probe':
            await engine.nearest(random.unitVector(engine.dim), 5);
            break;
          case 'lower':
            await engine.lower([`Place ${random.int(1000)}`, `CITY ${c}`]);
            break;
          case 'sum':
            await engine.sum([random.next(), random.next(), random.next()]);
            break;
          case 'visit': {
            const by = 1 + random.int(3);
            await engine.visit(replica, by);
            expected.visits += by;
            break;
          }
          case 'merge': {
            const by = 1 + random.int(5);
            await engine.mergeVisits(`remote-${remoteReplica++}`, by);
            expected.visits += by;
            break;
          }
          case 'tag': {
            const tag = `tag-${random.int(400)}`;
            await engine.tag(replica, tag);
            expected.tags.add(tag);
            break;
          }
          case 'note':
            await engine.note(`client/${c}`, `seen at ${started.toFixed(1)} ms`);
            break;
        }
        recorder.record(op, started, true);
      } catch (error) {
        recorder.record(op, started, false);
        if (recorder.errors.length < 10)
          recorder.errors.push(`${op}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: count }, (_, c) => client(c)));
}
