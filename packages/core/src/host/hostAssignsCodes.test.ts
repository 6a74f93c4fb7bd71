import { describe, expect, it } from 'vitest';
import { ReloadError } from '../errors/reloadError.js';
import { counterV1, fixtureIndexKind, valuesTable } from '../__tests__/fixtures.js';
import type { FixtureIndexKind } from '../__tests__/fixtures.js';
import { bare, testPlugin, world } from '../__tests__/plugins.js';
import { rejection } from '../__tests__/rejection.js';
import { definePlugin } from './pluginDefinition.js';
import { createPluginHost } from './pluginHost.js';

/** Errors a plugin might throw to pass itself off as a host condition (each retryable or host-only). */
const spoofs = (): unknown[] => [
  new ReloadError({ code: 'DRAIN_TIMEOUT', message: 'not really' }),
  new ReloadError({ code: 'QUEUE_FULL' }),
  new ReloadError({ code: 'RELOAD_IN_PROGRESS' }),
  new DOMException('fake deadline', 'TimeoutError'),
  new DOMException('fake abort', 'AbortError'),
];

/** The fixture index kind of `version` whose `open` throws `error`. */
function openThrows(version: string, error: unknown): FixtureIndexKind {
  const kind = fixtureIndexKind(version);
  return Object.assign(Object.create(kind) as FixtureIndexKind, {
    open: () => {
      throw error;
    },
  });
}

describe('the host, not a plugin, assigns error codes', () => {
  it('what register() throws is the cause of REGISTRATION_FAILED, on load and on reload', async () => {
    for (const spoof of spoofs()) {
      await using host = createPluginHost();
      const throwing = (version: string) =>
        definePlugin({
          name: 'p',
          version,
          register: () => {
            throw spoof;
          },
        });
      const onLoad = await rejection(host.load(throwing('1.0.0')));
      expect(onLoad).toMatchObject({ code: 'REGISTRATION_FAILED', retryable: false });
      expect(onLoad.cause).toBe(spoof);
      await host.load(bare('p', '1.0.0'));
      const onReload = await rejection(host.reload(throwing('2.0.0')));
      expect(onReload).toMatchObject({ code: 'REGISTRATION_FAILED', phase: 'stage', retryable: false });
      expect((onReload.cause as ReloadError).cause).toBe(spoof); // the reload's cause is the stage's error
      expect(host.plugins()[0]!.version).toBe('1.0.0');
    }
  });

  it("a plugin cannot rewrite the code of the registrar's verdict it caught", async () => {
    await using host = createPluginHost();
    const rewriting = definePlugin({
      name: 'p',
      version: '1.0.0',
      register: (r) => {
        try {
          r.crdtKind(counterV1()).crdtKind(counterV1());
        } catch (error) {
          (error as { code: string }).code = 'UNSAFE_PATH';
          throw error;
        }
      },
    });
    const error = await rejection(host.load(rewriting));
    expect(error.code).not.toBe('UNSAFE_PATH');
    expect(['DUPLICATE_SURFACE', 'REGISTRATION_FAILED']).toContain(error.code);
    const fields = new ReloadError({ code: 'HANDOFF_FAILED', phase: 'dispatch', details: { a: 1 } });
    expect(() => Object.assign(fields, { code: 'DRAIN_TIMEOUT' })).toThrow(TypeError);
    expect(() => ((fields.details as Record<string, unknown>)['a'] = 2)).toThrow(TypeError);
    expect(fields).toMatchObject({ code: 'HANDOFF_FAILED', phase: 'dispatch', details: { a: 1 } });
  });

  it('an already aborted signal makes load and unload ABORTED ReloadErrors', async () => {
    await using host = createPluginHost();
    const aborted = AbortSignal.abort();
    expect(await rejection(host.load(bare('p', '1.0.0'), { signal: aborted }))).toMatchObject({ code: 'ABORTED' });
    await host.load(bare('p', '1.0.0'));
    expect(await rejection(host.unload('p', { signal: aborted }))).toMatchObject({ code: 'ABORTED', phase: 'unload' });
    expect(host.plugins().map((p) => p.name)).toEqual(['p']);
  });

  it("a provider's own errors on opens and calls reach the caller typed: its codes stand, others are PROVIDER_FAILED", async () => {
    for (const [thrown, code] of [
      [new TypeError('oops'), 'PROVIDER_FAILED'],
      [new RangeError('oops'), 'PROVIDER_FAILED'],
      [new DOMException('fake', 'TimeoutError'), 'PROVIDER_FAILED'],
      [new ReloadError({ code: 'QUEUE_FULL' }), 'PROVIDER_FAILED'],
      [new ReloadError({ code: 'CORRUPT_INPUT' }), 'CORRUPT_INPUT'],
      [new ReloadError({ code: 'INVALID_ARGUMENT' }), 'INVALID_ARGUMENT'],
    ] as const) {
      const crdt = { ...counterV1() };
      const state = crdt.empty();
      const broken = {
        ...crdt,
        empty: () => {
          throw thrown;
        },
        fromPersisted: () => Promise.reject(thrown),
      };
      const working = {
        ...crdt,
        empty: () =>
          Object.assign(Object.create(state) as typeof state, {
            apply: () => {
              throw thrown;
            },
            value: () => Promise.reject(thrown),
          }),
      };
      await using host = createPluginHost();
      await host.load(definePlugin({ name: 'a', version: '1.0.0', register: (r) => void r.crdtKind(broken) }));
      const onOpen = await rejection(host.openCrdt({ name: 'x', key: 'counter' }));
      expect(onOpen, String(thrown)).toMatchObject({ code, ...(code === 'PROVIDER_FAILED' ? { step: 'empty' } : {}) });
      const onBytes = await rejection(host.openCrdt({ name: 'x', key: 'counter', bytes: new Uint8Array(4) }));
      expect(onBytes).toMatchObject({ code });
      await host.unload('a');
      await host.load(definePlugin({ name: 'b', version: '1.0.0', register: (r) => void r.crdtKind(working) }));
      const counter = await host.openCrdt({ name: 'y', key: 'counter' });
      expect(await rejection(counter.apply({ replica: 'r', by: 1 }))).toMatchObject({ code });
      expect(await rejection(counter.value())).toMatchObject({ code });
      if (code === 'PROVIDER_FAILED') expect((await rejection(counter.value())).cause).toBe(thrown);
      await counter.close();
    }
  });

  it("keeps the registrar's own verdicts (they are the host's)", async () => {
    await using host = createPluginHost();
    const twice = definePlugin({
      name: 'p',
      version: '1.0.0',
      register: (r) => void r.crdtKind(counterV1()).crdtKind(counterV1()),
    });
    expect(await rejection(host.load(twice))).toMatchObject({ code: 'DUPLICATE_SURFACE' });
  });

  it('what a provider throws during a handoff is the cause of HANDOFF_FAILED, never STEP_TIMEOUT or its own code', async () => {
    for (const spoof of spoofs()) {
      const w = world();
      await using host = createPluginHost({ stepTimeoutMs: 60_000 });
      await host.load(testPlugin('1.0.0', w));
      const index = await host.openIndex({ name: 'idx', key: 'nearest', source: valuesTable([1, 2]), column: 'v' });
      const next = definePlugin({
        ...testPlugin('2.0.0', w),
        register: async (r) => {
          const tracking = new Proxy(r, {
            get: (target, prop, receiver) =>
              prop === 'indexKind'
                ? () => target.indexKind(openThrows('2.0.0', spoof))
                : (Reflect.get(target, prop, receiver) as unknown),
          });
          await testPlugin('2.0.0', w).register(tracking);
        },
      });
      const error = await rejection(host.reload(next));
      expect(error, String(spoof)).toMatchObject({
        code: 'HANDOFF_FAILED',
        kind: 'indexKind',
        key: 'idx',
        retryable: false,
      });
      expect((error.cause as ReloadError).cause).toBe(spoof);
      expect(index.version).toBe('1.0.0');
    }
  });
});
