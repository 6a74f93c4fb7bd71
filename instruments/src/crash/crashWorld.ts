import 'reflect-metadata';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { container } from 'tsyringe';
import { tableFromArrays } from 'apache-arrow';
import { createPluginHost, fileReloadJournal } from '@baton/core';
import { SnapshotSlots, writeFileAtomic } from '@baton/core/durable';
import { loadPluginVersion, trustedKey } from '@baton/core/loader';
import type { ManagedCdcStream, ManagedCrdt, ManagedIndex, PluginHost } from '@baton/core';
import { ChangeLog, MemoryStore } from '@baton/kinds';
import type { GCounterOp } from '@baton/kinds';
import { pack, unpack } from '@baton/kinds/codec';
import { Random, placesTable, pluginModules, queryBatch, randomPlaces } from '@baton/examples/engine';
import { WriteAheadLog } from './writeAheadLog.js';

/** The durable state of a crash-test node, recovered at every start. */
export interface CrashWorld {
  readonly dataDir: string;
  readonly host: PluginHost;
  readonly log: WriteAheadLog;
  readonly changeLog: ChangeLog;
  readonly index: ManagedIndex;
  readonly audit: ManagedCdcStream;
  readonly visits: ManagedCrdt<GCounterOp, number>;
  readonly indexSlots: SnapshotSlots;
  readonly visitSlots: SnapshotSlots;
  /** Sum of every committed visit (from the log). */
  visitTotal: number;
  /** LSN ranges of every committed write (from the log). */
  readonly writes: string[];
  durableLsn: bigint | undefined;
}

const DIM = 16;
const PROBES = 12;

/** Where the signed artifacts of each version are, and the key that trusts them. */
export async function artifactsOf(
  dataDir: string,
): Promise<{ versions: string[]; trusted: ReturnType<typeof trustedKey>[] }> {
  const root = join(dataDir, 'artifacts');
  const versions = JSON.parse(await readFile(join(root, 'versions.json'), 'utf8')) as string[];
  return { versions, trusted: [trustedKey(await readFile(join(root, 'trusted.pub'), 'utf8'))] };
}

/** Loads a version's verified artifact. */
export async function loadVersion(dataDir: string, runtimeDir: string, version: string) {
  const { trusted } = await artifactsOf(dataDir);
  return (
    await loadPluginVersion(join(dataDir, 'artifacts', version), {
      trustedKeys: trusted,
      runtimeDirectory: runtimeDir,
      shared: pluginModules,
    })
  ).definition;
}

/**
 * Recovers a node from its data directory: the journal names the version to load; the write-ahead
 * log rebuilds the change log and the visit total; snapshots reopen the index and the CRDT (the
 * latter then replays the visits logged after its snapshot); the CDC output resumes at its own
 * checkpoint and the change log re-delivers what follows. On a fresh directory it builds everything.
 */
export async function recover(dataDir: string, runtimeDir: string, seed: number): Promise<CrashWorld> {
  const env = {
    dataDirectory: dataDir,
    store: new MemoryStore(),
    changeLog: new ChangeLog(),
    retainFrom: () => undefined,
  };
  const scope = container.createChildContainer();
  scope.register('baton.example.env', { useValue: env });
  const journal = fileReloadJournal(join(dataDir, 'journal'));
  const host = createPluginHost({ container: scope, journal, drainTimeoutMs: 5_000 });
  const version = (await journal.read()).plugins['geo-search'] ?? '1.0.0';
  await host.load(await loadVersion(dataDir, runtimeDir, version));

  const { log, records } = await WriteAheadLog.open(join(dataDir, 'wal.log'));
  const writes: string[] = [];
  let visitTotal = 0;
  for (const { fields } of records) {
    if (fields[0] === 'w') {
      const [, lsnStart, lsnEnd, ids] = fields as [string, bigint, bigint, number[]];
      env.changeLog.append({
        lsnStart,
        lsnEnd,
        mutations: tableFromArrays({ id: Int32Array.from(ids) }).batches[0]!,
        commitTimestamp: 0,
      });
      writes.push(`${lsnStart}-${lsnEnd}`);
    } else if (fields[0] === 'v') visitTotal += fields[2] as number;
  }

  const indexSlots = new SnapshotSlots(join(dataDir, 'snapshots'), 'index');
  const indexSnapshot = await indexSlots.read();
  let index: ManagedIndex;
  if (indexSnapshot) {
    index = await host.openIndex({ name: 'places', key: 'flat-vector', bytes: indexSnapshot.payload });
  } else {
    const table = placesTable(
      randomPlaces(new Random(seed), 0, 3000, DIM),
      DIM,
      host.unleasedProvider('logicalType', 'baton.geo.point') as never,
    );
    index = await host.openIndex({
      name: 'places',
      key: 'flat-vector',
      source: table,
      column: 'embedding',
      params: { metric: 'l2' },
    });
    await writeFileAtomic(
      join(dataDir, 'expected-probes.json'),
      new TextEncoder().encode(JSON.stringify(await probeAnswers(index, seed))),
    );
    await indexSlots.write(await index.persist());
  }

  const visitSlots = new SnapshotSlots(join(dataDir, 'snapshots'), 'visits');
  const visitSnapshot = await visitSlots.read();
  const [snapshotSeq, bytes] = visitSnapshot ? (unpack(visitSnapshot.payload) as [number, Uint8Array]) : [0, undefined];
  const visits = await host.openCrdt<GCounterOp, number>({
    name: 'visits',
    key: 'g-counter',
    ...(bytes ? { bytes } : {}),
  });
  for (const { seq, fields } of records)
    if (fields[0] === 'v' && seq > snapshotSeq)
      await visits.apply({ replica: fields[1] as string, by: fields[2] as number });

  const audit = await host.startCdc({ name: 'audit', key: 'audit' });
  for (const batch of env.changeLog.readFrom(audit.deliveredThrough ?? 0n)) await audit.deliver(batch);
  return {
    dataDir,
    host,
    log,
    changeLog: env.changeLog,
    index,
    audit,
    visits,
    indexSlots,
    visitSlots,
    visitTotal,
    writes,
    durableLsn: audit.deliveredThrough,
  };
}

/** The nearest-row answers of the fixed probe queries (deterministic from the seed). */
export async function probeAnswers(index: ManagedIndex, seed: number): Promise<number[][]> {
  const random = new Random(seed ^ 0x5eed);
  const answers: number[][] = [];
  for (let i = 0; i < PROBES; i++) {
    const result = await index.probe(queryBatch([random.unitVector(DIM)], DIM), 5);
    answers.push(Array.from(result.getChild('row')!.toArray() as Int32Array));
  }
  return answers;
}

/** Snapshots the CRDT with the log position it includes. */
export async function snapshotVisits(world: CrashWorld): Promise<void> {
  const seq = world.log.seq;
  await world.visitSlots.write(pack([seq, await world.visits.persist()]));
}
