/**
 * A crash-test node: an engine process that recovers from its data directory, then serves a random
 * mix of writes, CRDT updates, checkpoints, snapshots and reloads until it is killed (`run`), or
 * checks what survived and prints it (`verify`). Driven by `crashTrials.ts`; prints one line per
 * reload phase so the driver can kill it at a chosen point.
 */
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { isReloadError, reloadEventNames } from '@baton/core';
import { readFileSink } from '@baton/kinds';
import { tableFromArrays } from 'apache-arrow';
import { Random } from '@baton/examples/engine';
import { artifactsOf, loadVersion, probeAnswers, recover, snapshotVisits } from './crashWorld.js';
import type { CrashWorld } from './crashWorld.js';

const { values } = parseArgs({
  options: {
    data: { type: 'string' },
    runtime: { type: 'string' },
    seed: { type: 'string', default: '1' },
    mode: { type: 'string', default: 'run' },
  },
});
const dataDir = values.data!;
const runtimeDir = values.runtime!;
const seed = Number(values.seed);
const say = (line: string): void => void process.stdout.write(line + '\n');

async function run(world: CrashWorld): Promise<never> {
  const random = new Random(seed * 1_000_003 + Date.now());
  const { versions } = await artifactsOf(dataDir);
  const compatible = versions.filter((v) => v.startsWith('2.'));
  for (const event of reloadEventNames)
    world.host.on(event, () => {
      say(`phase ${event}`);
    });
  let nextId = 1_000_000 + Number(world.changeLog.headLsn);
  say('ready');
  for (;;) {
    const roll = random.next();
    if (roll < 0.45) {
      const rows = 1 + random.int(3);
      const ids = Array.from({ length: rows }, () => nextId++);
      const lsnStart = world.changeLog.headLsn;
      const lsnEnd = lsnStart + BigInt(rows);
      await world.log.append('w', lsnStart, lsnEnd, ids); // committed from here on
      const batch = world.changeLog.append({
        lsnStart,
        lsnEnd,
        mutations: tableFromArrays({ id: Int32Array.from(ids) }).batches[0]!,
        commitTimestamp: Date.now(),
      });
      await world.audit.deliver(batch);
      say('op write');
    } else if (roll < 0.75) {
      const by = 1 + random.int(3);
      await world.log.append('v', 'node', by);
      await world.visits.apply({ replica: 'node', by });
      say('op visit');
    } else if (roll < 0.82) {
      world.durableLsn = await world.audit.checkpoint();
      say('op checkpoint');
    } else if (roll < 0.88) {
      await snapshotVisits(world);
      say('op snapshot');
    } else {
      const current = world.host.plugins()[0]!.version;
      const target =
        random.next() < 0.15
          ? '3.0.0'
          : current === '1.0.0'
            ? '2.0.0'
            : compatible[(compatible.indexOf(current) + 1) % compatible.length]!;
      try {
        await (
          await world.host.reload(await loadVersion(dataDir, runtimeDir, target), { allowDowngrade: true })
        ).retired;
        await world.indexSlots.write(await world.index.persist());
        await snapshotVisits(world);
        say(`reloaded ${target}`);
      } catch (error) {
        if (!isReloadError(error)) throw error;
        say(`refused ${target} ${error.code}`);
      }
    }
  }
}

async function verify(world: CrashWorld): Promise<void> {
  await world.audit.checkpoint();
  const sink = await readFileSink(join(dataDir, 'cdc', 'audit'));
  const seen = new Map<string, number>();
  for (const b of sink.batches) seen.set(`${b.lsnStart}-${b.lsnEnd}`, (seen.get(`${b.lsnStart}-${b.lsnEnd}`) ?? 0) + 1);
  const lost = world.writes.filter((r) => !seen.has(r)).length;
  const duplicated = [...seen.values()].reduce((n, c) => n + c - 1, 0);
  const extra = [...seen.keys()].filter((r) => !world.writes.includes(r)).length;
  const ordered = sink.batches.every((b, i) => i === 0 || b.lsnStart >= sink.batches[i - 1]!.lsnEnd);
  const expected = JSON.parse(await readFile(join(dataDir, 'expected-probes.json'), 'utf8')) as number[][];
  const answers = await probeAnswers(world.index, seed);
  const indexMismatches = answers.filter((a, i) => JSON.stringify(a) !== JSON.stringify(expected[i])).length;
  const visits = await world.visits.value();
  const result = {
    writes: world.writes.length,
    inSink: sink.batches.length,
    lost,
    duplicated,
    extra,
    ordered,
    indexMismatches,
    visits,
    expectedVisits: world.visitTotal,
    version: world.host.plugins()[0]!.version,
  };
  say(`result ${JSON.stringify(result)}`);
}

const world = await recover(dataDir, runtimeDir, seed);
if (values.mode === 'verify') {
  await verify(world);
  await world.host.close();
  await world.log.close();
} else {
  await run(world);
}
