import { Utf8, vectorFromArray } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import type { HostEventMap } from '../events/hostEvents.js';
import { reloadEventNames } from '../events/reloadEventNames.js';
import type { BackgroundJobProvider } from '../surfaces/backgroundJob.js';
import type { Storage, StorageBackendProvider } from '../surfaces/storage.js';
import { batchAt } from '../__tests__/fixtures.js';
import { fakeClock, nextEvent } from '../__tests__/latches.js';
import { bare, testPlugin, world } from '../__tests__/plugins.js';
import { deferred } from '../util/deferred.js';
import { definePlugin } from './pluginDefinition.js';
import { createPluginHost } from './pluginHost.js';
import { rejection } from '../__tests__/rejection.js';

const arg = vectorFromArray(['x'], new Utf8());

describe('dependencies', () => {
  it('refuses to load a plugin before its dependency, and detects cycles', async () => {
    await using host = createPluginHost();
    expect(await rejection(host.load(bare('app', '1.0.0', ['base'])))).toMatchObject({
      code: 'DEPENDENCY_MISSING',
      plugin: 'app',
    });
    await host.load(bare('base', '1.0.0'));
    await host.load(bare('app', '1.0.0', ['base']));
    const error = await rejection(host.reloadMany([bare('base', '2.0.0', ['app']), bare('app', '2.0.0', ['base'])]));
    expect(error.code).toBe('DEPENDENCY_CYCLE');
    expect(error.message).toMatch(/cycle: (base → app → base|app → base → app)/);
  });

  it('refuses to reload a plugin alone while others depend on it, naming them; reloadMany reloads all in order', async () => {
    await using host = createPluginHost();
    await host.load(bare('base', '1.0.0'));
    await host.load(bare('app', '1.0.0', ['base']));
    await host.load(bare('ui', '1.0.0', ['base']));
    const error = await rejection(host.reload(bare('base', '2.0.0')));
    expect(error).toMatchObject({ code: 'DEPENDENTS_BLOCK', plugin: 'base', details: { dependents: ['app', 'ui'] } });
    expect(error.message).toContain("'app', 'ui' depend on it");
    const order: string[] = [];
    const tracked = (name: string, deps?: string[]) =>
      definePlugin({
        ...bare(name, '2.0.0', deps),
        register: (r) => {
          order.push(name);
          return bare(name, '2.0.0', deps).register(r);
        },
      });
    const result = await host.reloadMany([tracked('ui', ['base']), tracked('app', ['base']), tracked('base')]);
    expect(order[0]).toBe('base');
    expect(result.plugins.map((p) => p.name)[0]).toBe('base');
    expect(host.plugins().map((p) => `${p.name}@${p.version}`)).toEqual(['base@2.0.0', 'app@2.0.0', 'ui@2.0.0']);
    expect(
      host
        .unleasedProviders('scalarFunction')
        .map((p) => `${p.key}@${p.plugin.version}`)
        .sort(),
    ).toEqual(['app.version@2.0.0', 'base.version@2.0.0', 'ui.version@2.0.0']);
  });

  it('reloadMany is one transaction: if one plugin fails, none changes', async () => {
    await using host = createPluginHost();
    await host.load(bare('base', '1.0.0'));
    await host.load(bare('app', '1.0.0', ['base']));
    const broken = definePlugin({
      name: 'app',
      version: '2.0.0',
      dependsOn: ['base'],
      register: () => {
        throw new Error('nope');
      },
    });
    const error = await rejection(host.reloadMany([bare('base', '2.0.0'), broken]));
    expect(error.code).toBe('REGISTRATION_FAILED');
    expect(error.message).toContain('(base 1.0.0, app 1.0.0 still serves; nothing was lost)');
    expect(host.plugins().map((p) => `${p.name}@${p.version}`)).toEqual(['base@1.0.0', 'app@1.0.0']);
  });

  it('refuses to unload a plugin others depend on', async () => {
    await using host = createPluginHost();
    await host.load(bare('base', '1.0.0'));
    await host.load(bare('app', '1.0.0', ['base']));
    expect(await rejection(host.unload('base'))).toMatchObject({ code: 'DEPENDENTS_BLOCK' });
    await host.unload('app');
    await host.unload('base');
    expect(host.plugins()).toEqual([]);
  });
});

describe('validation', () => {
  it('rejects malformed definitions with INVALID_PLUGIN listing every problem', async () => {
    await using host = createPluginHost();
    const error = await rejection(host.load({ name: '', version: 3, register: 'no' } as never));
    expect(error.code).toBe('INVALID_PLUGIN');
    expect(error.message).toContain("'name' must be a non-empty string");
    expect(error.message).toContain("'version' must be a non-empty string");
    expect(error.message).toContain("'register()' is missing");
    expect(() => definePlugin({ name: 'a', version: '1.0.0', dependsOn: ['a'], register: () => undefined })).toThrow(
      /must not list the plugin itself/,
    );
  });

  it('refuses duplicates, conflicts, unknown kinds and reloads of plugins that are not loaded', async () => {
    await using host = createPluginHost();
    await host.load(bare('a', '1.0.0'));
    expect((await rejection(host.load(bare('a', '2.0.0')))).code).toBe('ALREADY_LOADED');
    expect((await rejection(host.reload(bare('b', '1.0.0')))).code).toBe('NOT_LOADED');
    const clash = definePlugin({
      name: 'b',
      version: '1.0.0',
      register: (r) => void r.scalarFunction({ ...host.unleasedProvider('scalarFunction', 'a.version')! }),
    });
    expect(await rejection(host.load(clash))).toMatchObject({ code: 'SURFACE_CONFLICT', key: 'a.version' });
    const twice = definePlugin({
      name: 'c',
      version: '1.0.0',
      register: (r) => {
        r.scalarFunction(host.unleasedProvider('scalarFunction', 'a.version')!);
        r.scalarFunction(host.unleasedProvider('scalarFunction', 'a.version')!);
      },
    });
    expect((await rejection(host.load(twice))).code).toBe('DUPLICATE_SURFACE');
    const unknown = definePlugin({ name: 'd', version: '1.0.0', register: (r) => void r.add('sentiment', {}) });
    expect((await rejection(host.load(unknown))).code).toBe('UNKNOWN_KIND');
    expect(host.plugins().map((p) => p.name)).toEqual(['a']);
  });
});

describe('events and stats', () => {
  it('emits every phase in order with timings, and counts reloads', async () => {
    const w = world();
    await using host = createPluginHost();
    const seen: string[] = [];
    let committed: HostEventMap['committed'] | undefined;
    for (const e of ['loaded', ...reloadEventNames] as const) host.on(e, () => seen.push(e));
    host.on('committed', (e) => (committed = e));
    host.on('started', () => {
      throw new Error('a listener bug does not break a reload');
    });
    await host.load(testPlugin('1.0.0', w));
    const stream = await host.startCdc({ name: 's', key: 'memory' });
    await stream.deliver(batchAt(0n, 1));
    const result = await host.reload(testPlugin('2.0.0', w));
    await result.retired;
    expect(seen).toEqual([
      'loaded',
      'started',
      'compatChecked',
      'prepared',
      'quiesced',
      'drained',
      'dispatched',
      'committed',
      'retired',
    ]);
    expect(committed).toMatchObject({ reloadId: 1, plugins: [{ name: 'engine', from: '1.0.0', to: '2.0.0' }] });
    expect(committed!.pauseMs).toBeGreaterThanOrEqual(0);
    expect(result.timings.totalMs).toBeGreaterThanOrEqual(result.timings.pauseMs);
    const stats = host.stats('engine');
    expect(stats).toMatchObject({ version: '2.0.0', reloadsOk: 1, reloadsFailed: 0 });
    expect(stats.handoffs['cdcOutput']).toMatchObject({ count: 1 });
    expect(stats.maxPauseMs).toBe(result.timings.pauseMs);
  });
});

describe('unload and close', () => {
  it('refuses to unload while managed resources are open; closes them and unloads', async () => {
    const w = world();
    const host = createPluginHost();
    await host.load(testPlugin('1.0.0', w));
    const stream = await host.startCdc({ name: 's', key: 'memory', fromLsn: 0n });
    await stream.deliver(batchAt(0n, 3));
    const error = await rejection(host.unload('engine'));
    expect(error).toMatchObject({ code: 'RESOURCES_OPEN' });
    expect(error.message).toContain("cdcOutput 's'");
    await stream.close();
    expect(stream.finalLsn).toBe(3n);
    await expect(stream.deliver(batchAt(3n, 1))).rejects.toMatchObject({ code: 'RESOURCE_CLOSED' });
    await host.unload('engine');
    await expect(host.call('scalarFunction', 'version', (f) => f.invoke([arg]))).rejects.toMatchObject({
      code: 'SURFACE_NOT_FOUND',
    });
    await host.close();
  });

  it('close() checkpoints streams, closes handles, unloads everything; later calls get HOST_CLOSED', async () => {
    const w = world();
    const host = createPluginHost();
    await host.load(testPlugin('1.0.0', w));
    const stream = await host.startCdc({ name: 's', key: 'memory' });
    await stream.deliver(batchAt(0n, 2));
    await host.close();
    expect(w.sink.durable).toBe(2n);
    expect(stream.finalLsn).toBe(2n);
    expect(host.plugins()).toEqual([]);
    await expect(host.load(testPlugin('1.0.0', w))).rejects.toMatchObject({ code: 'HOST_CLOSED' });
    await expect(host.call('scalarFunction', 'version', () => 1)).rejects.toMatchObject({ code: 'HOST_CLOSED' });
    await host.close(); // idempotent
  });

  it('believes a sink that is already ahead of the host: re-deliveries are skipped and reloads proceed', async () => {
    const w = world();
    w.sink.durable = 10n; // the sink made [0, 10) durable before a restart; the host resumes from its own, older record
    await using host = createPluginHost();
    await host.load(testPlugin('1.0.0', w));
    const stream = await host.startCdc({ name: 's', key: 'memory' });
    expect(stream.deliveredThrough).toBe(10n);
    expect(await stream.deliver(batchAt(0n, 4))).toBe(false);
    expect(await stream.deliver(batchAt(10n, 2))).toBe(true);
    await host.reload(testPlugin('2.0.0', w));
    expect(await stream.deliver(batchAt(12n, 1))).toBe(true);
    expect(w.sink.ranges()).toEqual(['10-12', '12-13']);
  });

  it('a full queue answers QUEUE_FULL; an aborted waiter leaves the queue', async () => {
    const w = world();
    await using host = createPluginHost({ queueLimit: 1 });
    await host.load(testPlugin('1.0.0', w, { register: () => undefined }));
    const stream = await host.startCdc({ name: 's', key: 'memory', fromLsn: 0n });
    const counter = await host.openCrdt<{ replica: string; by: number }, number>({ name: 'c', key: 'counter' });
    using _clock = fakeClock(); // the drain deadline cannot pass while the test works
    const release = w.sink.holdNextDelivery();
    const stuck = stream.deliver(batchAt(0n, 1));
    await w.sink.held; // the delivery is in flight: the reload has to drain it
    const quiesced = nextEvent(host, 'quiesced');
    const reload = host.reload(testPlugin('2.0.0', w), { drainTimeoutMs: 10_000 });
    await quiesced; // the gate is closed: new calls wait in its queue
    const waits: number[] = [];
    host.on('queueWait', (e) => waits.push(e.waitedMs));
    const controller = new AbortController();
    const waiting = counter.apply({ replica: 'a', by: 1 }, { signal: controller.signal });
    await expect(counter.value()).rejects.toMatchObject({ code: 'QUEUE_FULL' });
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'ABORTED' });
    const queued = counter.apply({ replica: 'a', by: 2 }); // room again
    release();
    await stuck;
    await reload;
    await queued;
    expect(waits).toHaveLength(1); // the aborted waiter was never released
    expect(await counter.value()).toBe(2);
    expect(counter.version).toBe('2.0.0');
  });
});

describe('clean surfaces', () => {
  it('a storage reopens its location on the new version; the old one closes after its calls', async () => {
    const data = new Map<string, Map<string, Uint8Array>>();
    const closed: string[] = [];
    const backend = (version: string): StorageBackendProvider => ({
      name: 'mem',
      open: ({ location }): Storage => {
        const map = data.get(location) ?? data.set(location, new Map()).get(location)!;
        return {
          get: (k) => map.get(k),
          put: (k, v) => void map.set(k, v),
          delete: (k) => map.delete(k),
          keys: (p = '') => [...map.keys()].filter((k) => k.startsWith(p)).sort(),
          close: () => void closed.push(version),
        };
      },
    });
    const plugin = (version: string) =>
      definePlugin({ name: 'store', version, register: (r) => void r.storageBackend(backend(version)) });
    await using host = createPluginHost();
    await host.load(plugin('1.0.0'));
    const storage = await host.openStorage({ name: 'main', key: 'mem', location: '/db' });
    await storage.put('k', new Uint8Array([1]));
    const result = await host.reload(plugin('2.0.0'));
    expect(storage.version).toBe('2.0.0');
    expect(await storage.get('k')).toEqual(new Uint8Array([1]));
    await result.retired;
    expect(closed).toEqual(['1.0.0']);
  });

  it('a running job tick finishes on the old version; the next tick runs on the new one', async () => {
    const ticks: string[] = [];
    const entered = deferred();
    const gate = deferred();
    const job = (version: string, hold?: Promise<void>): BackgroundJobProvider => ({
      name: 'compact',
      intervalMs: 1,
      async tick(ctx) {
        ticks.push(`${version}:${ctx.tick}:start`);
        entered.resolve();
        await hold;
        ticks.push(`${version}:${ctx.tick}:end`);
      },
    });
    const plugin = (version: string, hold?: Promise<void>) =>
      definePlugin({ name: 'jobs', version, register: (r) => void r.backgroundJob(job(version, hold)) });
    await using host = createPluginHost();
    await host.load(plugin('1.0.0', gate.promise));
    const running = host.runJob('compact');
    await entered.promise; // the tick runs on 1.0.0 until the test releases it
    const result = await host.reload(plugin('2.0.0'));
    gate.resolve();
    await running;
    await host.runJob('compact');
    await result.retired;
    expect(ticks).toEqual(['1.0.0:1:start', '1.0.0:1:end', '2.0.0:2:start', '2.0.0:2:end']);
    expect(await host.runJob('missing')).toBe(false);
  });

  it('runs jobs on their interval when asked to, and reports failing ticks', async () => {
    const failures: unknown[] = [];
    let ticks = 0;
    using clock = fakeClock(); // the job's interval elapses when the test advances the clock
    await using host = createPluginHost({ runJobs: true });
    host.on('jobFailed', (e) => failures.push(e.error));
    await host.load(
      definePlugin({
        name: 'jobs',
        version: '1.0.0',
        register: (r) =>
          void r.backgroundJob({
            name: 'flaky',
            intervalMs: 2,
            tick: () => {
              ticks++;
              if (ticks === 2) throw new Error('flake');
            },
          }),
      }),
    );
    await clock.advance(40);
    expect(ticks).toBeGreaterThan(3);
    expect(failures).toHaveLength(1);
    await host.unload('jobs');
    const after = ticks;
    await clock.advance(15);
    expect(ticks).toBe(after);
  });
});
