import 'reflect-metadata';
import { Utf8, vectorFromArray } from 'apache-arrow';
import { Lifecycle } from 'tsyringe';
import { describe, expect, it } from 'vitest';
import { batchAt, counterV2Migrating, queryBatch, valuesTable } from '../__tests__/fixtures.js';
import { CallHolds, isPending } from '../__tests__/latches.js';
import { testPlugin, world } from '../__tests__/plugins.js';
import { definePlugin } from './pluginDefinition.js';
import { createPluginHost } from './pluginHost.js';
import { PluginInfoToken } from './scope.js';
import type { PluginInfo } from './scope.js';

const arg = vectorFromArray(['x'], new Utf8());
const versionOf = async (host: ReturnType<typeof createPluginHost>): Promise<string> =>
  String((await host.call('scalarFunction', 'version', (f) => f.invoke([arg]))).get(0));

describe('PluginHost: load, call, reload', () => {
  it('serves the loaded version and switches every surface at commit', async () => {
    const w = world();
    await using host = createPluginHost();
    const info = await host.load(testPlugin('1.0.0', w));
    expect(info).toMatchObject({ name: 'engine', version: '1.0.0', epoch: 1 });
    expect(await versionOf(host)).toBe('1.0.0');
    const result = await host.reload(testPlugin('2.0.0', w));
    expect(result.plugins).toEqual([{ name: 'engine', from: '1.0.0', to: '2.0.0' }]);
    expect(await versionOf(host)).toBe('2.0.0');
    expect(host.plugins()[0]).toMatchObject({ name: 'engine', version: '2.0.0', epoch: 2 });
    expect(
      host
        .plugins()[0]!
        .surfaces.map((s) => s.kind)
        .sort(),
    ).toEqual(['cdcOutput', 'crdtKind', 'indexKind', 'scalarFunction']);
    await expect(host.call('scalarFunction', 'missing', () => 1)).rejects.toMatchObject({ code: 'SURFACE_NOT_FOUND' });
  });

  it('lets a call that started on the old version finish there, and retires the old version after it', async () => {
    const w = world();
    await using host = createPluginHost();
    const holds = new CallHolds();
    await host.load(testPlugin('1.0.0', w, { holdCalls: holds.take }));
    const held = holds.holdNext();
    const slow = versionOf(host);
    await held.entered; // the call runs on 1.0.0 until the test releases it
    const result = await host.reload(testPlugin('2.0.0', w));
    let retired = false;
    void result.retired.then(() => (retired = true));
    expect(await isPending(result.retired)).toBe(true);
    expect(retired).toBe(false);
    held.release();
    expect(await slow).toBe('1.0.0');
    await result.retired;
    expect(retired).toBe(true);
    expect(w.calls.map((c) => `${c.version}:${c.phase}`)).toEqual(['1.0.0:start', '1.0.0:end']);
  });

  it('gives each version its own tsyringe scope, disposed when the version retires', async () => {
    const disposed: string[] = [];
    const seen: PluginInfo[] = [];
    const plugin = (version: string) =>
      testPlugin(version, world(), {
        register: (r) => {
          seen.push(r.scope.resolve<PluginInfo>(PluginInfoToken));
          expect(r.scope.resolve<string>('hostService')).toBe('from the host');
          class Cache {
            dispose(): void {
              disposed.push(`cache ${version}`);
            }
          }
          r.scope.register('cache', { useClass: Cache }, { lifecycle: Lifecycle.ContainerScoped });
          r.scope.resolve('cache');
          r.onRetire(() => void disposed.push(`hook ${version}`));
        },
      });
    const { container } = await import('tsyringe');
    const parent = container.createChildContainer();
    parent.register('hostService', { useValue: 'from the host' });
    await using host = createPluginHost({ container: parent });
    await host.load(plugin('1.0.0'));
    const result = await host.reload(plugin('2.0.0'));
    await result.retired;
    expect(seen.map((s) => s.version)).toEqual(['1.0.0', '2.0.0']);
    expect(disposed).toEqual(['hook 1.0.0', 'cache 1.0.0']);
  });

  it('takes host services as a plain object too, alone or over a container (which it leaves unchanged)', async () => {
    const { container } = await import('tsyringe');
    const resolved: unknown[] = [];
    const plugin = definePlugin({
      name: 'svc',
      version: '1.0.0',
      register: (r) =>
        void resolved.push([r.scope.resolve('my.env'), r.scope.isRegistered('base', true) && r.scope.resolve('base')]),
    });
    const env = { region: 'eu' };
    await using alone = createPluginHost({ services: { 'my.env': env } });
    await alone.load(plugin);
    const parent = container.createChildContainer();
    parent.register('base', { useValue: 'from the container' });
    await using both = createPluginHost({ container: parent, services: { 'my.env': env } });
    await both.load(plugin);
    expect(resolved).toEqual([
      [env, false],
      [env, 'from the container'],
    ]);
    expect(parent.isRegistered('my.env')).toBe(false);
    expect(() => createPluginHost({ services: ['x'] as never })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('services must be') }),
    );
  });

  it('keeps managed resources working across a reload, backed by the new version', async () => {
    const w = world();
    await using host = createPluginHost();
    await host.load(testPlugin('1.0.0', w));
    const index = await host.openIndex({
      name: 'orders',
      key: 'nearest',
      source: valuesTable([1, 5, 9, 13]),
      column: 'v',
    });
    const stream = await host.startCdc({ name: 'feed', key: 'memory', fromLsn: 0n });
    const counter = await host.openCrdt<{ replica: string; by: number }, number>({ name: 'hits', key: 'counter' });
    await stream.deliver(batchAt(0n, 2));
    await counter.apply({ replica: 'r', by: 4 });
    const before = await index.probe(queryBatch([6]), 2);

    const result = await host.reload(testPlugin('2.0.0', w));
    expect(result.handoffs.map((h) => `${h.kind}:${h.name}`).sort()).toEqual([
      'cdcOutput:feed',
      'crdtKind:hits',
      'indexKind:orders',
    ]);
    expect([index.version, stream.version, counter.version]).toEqual(['2.0.0', '2.0.0', '2.0.0']);
    expect((await index.probe(queryBatch([6]), 2)).toArray()).toEqual(before.toArray());
    expect(await stream.deliver(batchAt(0n, 2))).toBe(false); // already delivered: skipped
    expect(await stream.deliver(batchAt(2n, 3))).toBe(true);
    expect(w.sink.ranges()).toEqual(['0-2', '2-5']);
    expect(await counter.value()).toBe(4);
    await result.retired;
    expect(w.ledger.handles.filter((h) => h.version === '1.0.0').every((h) => h.closed)).toBe(true);
    expect(w.ledger.handles.filter((h) => h.version === '2.0.0').some((h) => h.closed)).toBe(false);
  });

  it('migrates live CRDT state through the new format', async () => {
    const w = world();
    await using host = createPluginHost();
    await host.load(testPlugin('1.0.0', w));
    const counter = await host.openCrdt<{ replica: string; by: number }, number>({ name: 'hits', key: 'counter' });
    await counter.apply({ replica: 'a', by: 2 });
    await counter.merge(new TextEncoder().encode(JSON.stringify({ k: 'counter', v: 1, c: { b: 5 } })));
    await host.reload(testPlugin('2.0.0', w, { crdt: counterV2Migrating() }));
    expect(await counter.value()).toBe(7);
    expect(new TextDecoder().decode(await counter.persist())).toContain('"v":2');
  });
});
