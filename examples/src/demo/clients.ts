import type { Engine } from '../engine/engine.js';
import { longitudeByRegion, nearestPlaces } from '../engine/queries.js';
import { Random } from '../engine/random.js';
import { Pacer } from './pacer.js';
import type { QueryLog } from './queryLog.js';
import type { Op, Recorder } from './recorder.js';

/** What the clients did to the CRDTs, so the report can check nothing was lost. */
export interface Expectations {
  visits: number;
  readonly tags: Set<string>;
}

type ClientOp = Exclude<Op, 'write'>;

const MIX: readonly (readonly [ClientOp, number])[] = [
  ['search', 30],
  ['aggregate', 15],
  ['visit', 20],
  ['merge', 5],
  ['tag', 15],
  ['note', 15],
];
const TOTAL = MIX.reduce((n, [, w]) => n + w, 0);

/** How the query clients run (see {@link runClients}). */
export interface ClientLoad {
  /** Concurrent clients. */
  readonly count: number;
  /** Operations per second, over all clients (each client gets an equal share). */
  readonly ratePerSec: number;
  readonly seed: number;
}

/**
 * Runs `load.count` concurrent query clients against the engine until `signal` aborts, each with a
 * DuckDB connection of its own: SQL queries calling the plugin's functions and its vector index,
 * and calls on the CRDTs and the storage, at `load.ratePerSec` in all (see {@link Pacer}: latency
 * counts from when a call was due). Every call is recorded (a failed call as such, never retried);
 * every query's answer and versions go to the query log.
 */
export async function runClients(
  engine: Engine,
  recorder: Recorder,
  queries: QueryLog,
  load: ClientLoad,
  signal: AbortSignal,
  expected: Expectations,
): Promise<void> {
  const { count, seed } = load;
  let remoteReplica = 0;
  const client = async (c: number): Promise<void> => {
    const random = new Random(seed * 7919 + c);
    const pacer = new Pacer(recorder, load.ratePerSec / count, seed * 6271 + c);
    const replica = `client-${c}`;
    await using connection = await engine.connect();
    while (!signal.aborted) {
      const due = await pacer.next(signal).catch(() => undefined);
      if (due === undefined) break; // stopped while waiting for the next call
      let roll = random.int(TOTAL);
      const op = MIX.find(([, w]) => (roll -= w) < 0)![0];
      const started = recorder.now();
      try {
        switch (op) {
          case 'search': {
            const vectors = [random.unitVector(engine.dim), random.unitVector(engine.dim)];
            const answer = await nearestPlaces(connection, engine.index, vectors, 5, engine.dim);
            queries.record(answer, { startMs: started, endMs: recorder.now() });
            break;
          }
          case 'aggregate': {
            const answer = await longitudeByRegion(connection, random.int(8));
            queries.record(answer, { startMs: started, endMs: recorder.now() });
            break;
          }
          case 'visit': {
            const by = 1 + random.int(3);
            await engine.visit(replica, by);
            expected.visits += by;
            break;
          }
          case 'merge': {
            const by = 1 + random.int(5);
            await engine.mergeVisits(`remote-${seed}-${remoteReplica++}`, by); // a replica no other run of clients merges
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
        recorder.record(op, due, true);
      } catch (error) {
        if (op === 'search' || op === 'aggregate') queries.record(undefined, undefined, error);
        recorder.record(op, due, false);
        if (recorder.errors.length < 10)
          recorder.errors.push(`${op}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: count }, (_, c) => client(c)));
}
