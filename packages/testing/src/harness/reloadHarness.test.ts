import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { definePlugin } from '@baton/core';
import type { CdcBatch, CdcOutputProvider, PluginDefinition } from '@baton/core';
import {
  CdcPosition,
  callbackCdcOutput,
  fileCdcOutput,
  flatVectorIndex,
  gCounter,
  lowerFunction,
  orSet,
  readFileSink,
} from '@baton/kinds';
import { Utf8, vectorFromArray } from 'apache-arrow';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { vectorBatch } from '../arbitraries/vectorTables.js';
import { faultPlans } from '../faults/faultPlan.js';
import { ReloadHarness } from './reloadHarness.js';
import type { HarnessCrdt, HarnessResources } from './reloadHarness.js';
import { harnessCalls } from './workload.js';
import type { HarnessCall } from './workload.js';

/** The same plugin as a host would ship it: v1 with g-counter format 1, v2 migrating it to format 2. */
function engine(version: string, directory: string, cdc?: (directory: string) => CdcOutputProvider): PluginDefinition {
  return definePlugin({
    name: 'engine',
    version,
    register(r) {
      r.scalarFunction(lowerFunction());
      r.indexKind(flatVectorIndex());
      r.cdcOutput(cdc?.(directory) ?? fileCdcOutput({ name: 'audit', directory, bufferBytes: 128 }));
      r.crdtKind(version === '1.0.0' ? gCounter() : gCounter({ format: 2 }));
    },
  });
}

const vectors = Float32Array.from({ length: 40 * 4 }, (_, i) => Math.sin(i * 1.7));
const resources: HarnessResources = {
  index: {
    key: 'flat-vector',
    source: vectorBatch('embedding', 4, vectors),
    column: 'embedding',
    queries: [vectorBatch('vector', 4, vectors.slice(0, 8)), vectorBatch('vector', 4, vectors.slice(40, 44))],
    k: 3,
  },
  cdc: { key: 'audit' },
  crdt: {
    key: 'g-counter',
    ops: [
      { replica: 'h', by: 1 },
      { replica: 'h', by: 5 },
      { replica: 'h', by: 2 },
    ],
  },
  call: {
    kind: 'scalarFunction',
    key: 'lower',
    invoke: (f: { invoke(a: unknown[]): unknown }) => f.invoke([vectorFromArray(['ABC'], new Utf8())]),
  },
};

const world = (cdc?: (directory: string) => CdcOutputProvider) => async () => {
  const directory = await mkdtemp(join(tmpdir(), 'baton-harness-'));
  return {
    old: engine('1.0.0', directory, cdc),
    next: engine('2.0.0', directory, cdc),
    readSink: async () => (await readFileSink(directory)).batches,
    dispose: () => rm(directory, { recursive: true, force: true }),
  };
};

/**
 * The same engine with its CDC output writing to memory: every step but the hanging one settles in
 * the turn of the event loop it started in, before any timer can fire, so only the hang meets the
 * short step timeout, however slow the machine (with the file sink, a slow fsync could too).
 */
const inMemory = () => {
  const written: CdcBatch[] = [];
  const position = new CdcPosition();
  const cdc = () => callbackCdcOutput({ name: 'audit', position, onBatch: (batch) => void written.push(batch) });
  return { old: engine('1.0.0', '', cdc), next: engine('2.0.0', '', cdc), readSink: () => written };
};

/** The engine with a second CRDT that moves by delta (or-set in both versions) beside the migrated g-counter. */
const withOrSet = (directory: string) => (version: string) =>
  definePlugin({
    name: 'engine',
    version,
    async register(r) {
      await engine(version, directory).register(r);
      r.crdtKind(orSet());
    },
  });
const twoCrdts: HarnessResources = {
  ...resources,
  crdt: [
    resources.crdt as HarnessCrdt,
    {
      key: 'or-set',
      ops: [
        { replica: 'h', add: 'x' },
        { replica: 'h', remove: 'x' },
        { replica: 'h', add: 'y' },
      ],
    },
  ],
};

describe('ReloadHarness', () => {
  it('with a migrated and a delta-moved CRDT, every CRDT fault step fires and is reported', async () => {
    const harness = new ReloadHarness({
      setup: async () => {
        const directory = await mkdtemp(join(tmpdir(), 'baton-harness-'));
        const plugin = withOrSet(directory);
        return {
          old: plugin('1.0.0'),
          next: plugin('2.0.0'),
          readSink: async () => (await readFileSink(directory)).batches,
          dispose: () => rm(directory, { recursive: true, force: true }),
        };
      },
      resources: twoCrdts,
    });
    const [[scheduler, calls]] = fc.sample(
      fc.tuple(fc.scheduler(), harnessCalls({ index: 2, cdc: true, crdt: 6, call: true }, 8)),
      { numRuns: 1, seed: 3 },
    ) as [[fc.Scheduler, HarnessCall[]]];
    const fired: string[] = [];
    for (const step of ['compat', 'persist', 'fromPersisted', 'mark', 'delta', 'mergeDelta', 'changed'] as const) {
      const result = await harness.runCase(scheduler, calls, { step, mode: 'throw', kind: 'crdtKind' });
      if (result.fired) fired.push(step);
      expect(result.outcome).toBe(result.fired ? 'rolledBack' : 'committed');
    }
    expect(fired).toEqual(['compat', 'persist', 'fromPersisted', 'mark', 'delta', 'mergeDelta', 'changed']);
    const clean = await harness.runCase(scheduler, calls, undefined);
    expect(clean.outcome).toBe('committed');
  }, 60_000);

  it('a real plugin survives reloads under any interleaving and any injected fault', async () => {
    await new ReloadHarness({ setup: world(), resources }).check({ numRuns: 60 });
  }, 120_000);

  it('a provider call that hangs is bounded by the step timeout', async () => {
    await new ReloadHarness({
      setup: inMemory,
      resources,
      faults: faultPlans({ modes: ['hang'], steps: ['persist', 'open', 'checkpoint', 'start', 'fromPersisted'] }),
      host: { stepTimeoutMs: 250, prepareTimeoutMs: 250, compatTimeoutMs: 500 },
    }).check({ numRuns: 8 });
  }, 120_000);

  it('catches a new CDC output that writes the checkpoint batch again when it resumes', async () => {
    // A sink that does not deduplicate, and an output with a classic bug: on resume it replays the
    // last batch it wrote before the checkpoint.
    const sink = { written: [] as CdcBatch[], position: 0n };
    const replaying: CdcOutputProvider = {
      name: 'audit',
      start({ fromLsn }) {
        if (fromLsn !== undefined && fromLsn > 0n && sink.written.length > 0) sink.written.push(sink.written.at(-1)!); // the bug
        let position = fromLsn ?? sink.position;
        return {
          deliver(batch) {
            if (batch.lsnEnd <= position) return;
            sink.written.push(batch);
            position = batch.lsnEnd;
          },
          checkpoint: () => (sink.position = position),
          shutdown: () => undefined,
        };
      },
    };
    const plugin = (version: string) =>
      definePlugin({ name: 'engine', version, register: (r) => void r.cdcOutput(replaying) });
    const setup = () => {
      sink.written.length = 0;
      sink.position = 0n;
      return { old: plugin('1.0.0'), next: plugin('2.0.0'), readSink: () => sink.written };
    };
    const failure = await new ReloadHarness({
      setup,
      resources: { cdc: { key: 'audit' } },
      faults: fc.constant(undefined),
      maxCalls: 8,
    })
      .check({ numRuns: 60 })
      .then(
        () => undefined,
        (e: unknown) => e as Error,
      );
    expect(failure?.message).toMatch(/the CDC sink does not hold every batch exactly once/);
    expect(failure?.message).toMatch(/expected \[[\s\S]*sink {5}\[/);
  }, 60_000);
});
