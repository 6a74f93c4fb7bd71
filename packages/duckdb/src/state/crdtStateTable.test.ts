import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { createPluginHost, definePlugin } from '@baton/core';
import type { CrdtKindProvider, PluginHost } from '@baton/core';
import { gCounter, orSet, pnCounter } from '@baton/kinds';
import { assertRejectsGarbage, persistedSamples, referenceOps, replicaPlans } from '@baton/testing';
import type { OpSource } from '@baton/testing';
import { CrdtStateTable } from './crdtStateTable.js';
import { typedError } from '../engine/__tests__/engineFixtures.js';

function crdtPlugin(version: string, ...kinds: CrdtKindProvider[]) {
  return definePlugin({
    name: 'crdts',
    version,
    register(r) {
      for (const kind of kinds) r.crdtKind(kind);
    },
  });
}

async function hostWith(version: string, ...kinds: CrdtKindProvider[]): Promise<PluginHost> {
  const host = createPluginHost();
  await host.load(crdtPlugin(version, ...kinds));
  return host;
}

/** Applies each replica's ops to its own managed state, merges them all into the first; returns its value. */
async function converge(host: PluginHost, table: CrdtStateTable, key: string, plan: unknown[][]): Promise<unknown> {
  const states = await Promise.all(plan.map((_, i) => table.open(host, { name: `${key}-r${i}`, key })));
  for (const [i, ops] of plan.entries()) for (const op of ops) await states[i]!.apply(op);
  for (const other of states.slice(1)) await states[0]!.merge(other);
  for (const state of states) await table.checkpoint(state);
  return states[0]!.value();
}

const kinds: { key: string; make: () => CrdtKindProvider; ops: OpSource<unknown> }[] = [
  { key: 'g-counter', make: () => gCounter(), ops: referenceOps.gCounter },
  { key: 'pn-counter', make: () => pnCounter(), ops: referenceOps.pnCounter },
  { key: 'or-set', make: () => orSet(), ops: referenceOps.orSet },
];

describe('CRDT state in a DuckDB table', () => {
  for (const { key, make, ops } of kinds) {
    test.prop([replicaPlans(ops, { replicas: 2, maxOps: 6 })], { numRuns: 8 })(
      `${key}: states reached by generated ops are restored on start with the same value`,
      async (plan) => {
        const directory = await mkdtemp(join(tmpdir(), 'baton-duckdb-crdt-'));
        try {
          const path = join(directory, 'crdt.duckdb');
          let instance = await DuckDBInstance.create(path);
          let host = await hostWith('1.0.0', make());
          let table = await CrdtStateTable.open({ instance });
          const before = await converge(host, table, key, plan);
          await host.close();
          await table.close();
          instance.closeSync();
          // A new process: the table on disk is all that is left.
          instance = await DuckDBInstance.create(path);
          host = await hostWith('1.0.0', make());
          table = await CrdtStateTable.open({ instance });
          expect(await table.names()).toEqual(plan.map((_, i) => `${key}-r${i}`).sort());
          const restored = await table.open(host, { name: `${key}-r0`, key });
          expect(await restored.value()).toEqual(before);
          await host.close();
          await table.close();
          instance.closeSync();
        } finally {
          await rm(directory, { recursive: true, force: true });
        }
      },
    );
  }

  it('restores a state saved by an older format through the version serving now', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const table = await CrdtStateTable.open({ instance });
    const v1 = await hostWith('1.0.0', gCounter());
    const hits = await table.open<{ replica: string; by: number }>(v1, { name: 'hits', key: 'g-counter' });
    await hits.apply({ replica: 'a', by: 5 });
    await table.checkpoint(hits);
    await v1.close();
    const v2 = await hostWith('2.0.0', gCounter({ format: 2 }));
    const again = await table.open(v2, { name: 'hits', key: 'g-counter' });
    expect(await again.value()).toBe(5);
    await table.checkpoint(again);
    expect((await table.load('hits'))!.bytes).toEqual(await again.persist());
    await v2.close();
    await table.close();
    instance.closeSync();
  });

  it('answers corrupt saved bytes with a typed error on restore (garbage through the table)', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const table = await CrdtStateTable.open({ instance });
    const host = await hostWith('1.0.0', orSet());
    let opened = 0;
    await assertRejectsGarbage(
      async (bytes) => {
        const name = `s${++opened}`;
        await table.save(name, 'or-set', bytes);
        expect((await table.load(name))!.bytes).toEqual(bytes);
        await (await table.open(host, { name, key: 'or-set' })).close();
      },
      { valid: fc.constantFrom(...(await persistedSamples(orSet(), referenceOps.orSet))), numRuns: 150 },
    );
    await host.close();
    await table.close();
    instance.closeSync();
  });

  it('refuses a state of another kind, corrupt bytes and bad arguments with typed errors', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const table = await CrdtStateTable.open({ instance });
    const host = await hostWith('1.0.0', gCounter(), pnCounter());
    await table.save('counter', 'pn-counter', pnCounter().empty().persist());
    await expect(table.open(host, { name: 'counter', key: 'g-counter' })).rejects.toThrow(
      typedError('INVALID_ARGUMENT', 'is a pn-counter, not a g-counter'),
    );
    await table.save('torn', 'g-counter', new Uint8Array([1, 2, 3]));
    await expect(table.open(host, { name: 'torn', key: 'g-counter' })).rejects.toThrow(typedError('CORRUPT_INPUT'));
    const fresh = await table.open(host, { name: 'new', key: 'g-counter' });
    expect(await fresh.value()).toBe(0);
    expect(await table.delete('torn')).toBe(true);
    expect(await table.delete('torn')).toBe(false);
    await expect(table.save('', 'g-counter', new Uint8Array())).rejects.toThrow(typedError('INVALID_ARGUMENT'));
    await expect(table.save('x', 'g-counter', 'bytes' as never)).rejects.toThrow(typedError('INVALID_ARGUMENT'));
    await expect(CrdtStateTable.open({ instance, table: 'bad name' })).rejects.toThrow(typedError('INVALID_ARGUMENT'));
    await table.close();
    await expect(table.load('counter')).rejects.toThrow(typedError('RESOURCE_CLOSED'));
    await host.close();
    instance.closeSync();
  });
});
