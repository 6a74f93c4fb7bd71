import { Utf8, vectorFromArray } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { CallHolds, isPending } from '../__tests__/latches.js';
import { testPlugin, world } from '../__tests__/plugins.js';
import { createPluginHost } from './pluginHost.js';

const arg = vectorFromArray(['x'], new Utf8());

describe('SurfaceRef', () => {
  it('follows reloads, keeps each call on one version, and reports a missing surface or a closed host', async () => {
    const w = world();
    const host = createPluginHost();
    const ref = host.surface('scalarFunction', 'version');
    await expect(ref.call((f) => f.invoke([arg]))).rejects.toMatchObject({ code: 'SURFACE_NOT_FOUND' });
    const holds = new CallHolds();
    await host.load(testPlugin('1.0.0', w, { holdCalls: holds.take }));
    expect(String((await ref.call((f) => f.invoke([arg]))).get(0))).toBe('1.0.0');
    const held = holds.holdNext();
    const slow = ref.call((f, plugin) =>
      Promise.resolve(f.invoke([arg])).then((v) => `${plugin.version}:${String(v.get(0))}`),
    );
    await held.entered;
    const result = await host.reload(testPlugin('2.0.0', w)); // while the slow call runs on 1.0.0
    expect(String((await ref.call((f) => f.invoke([arg]))).get(0))).toBe('2.0.0');
    held.release();
    expect(await slow).toBe('1.0.0:1.0.0');
    await result.retired;
    expect(ref.unleasedProvider?.name).toBe('version');
    await host.close();
    await expect(ref.call((f) => f.invoke([arg]))).rejects.toMatchObject({ code: 'HOST_CLOSED' });
  });

  it('leases (SurfaceRef.acquire and host.acquire) keep their version from retiring until released', async () => {
    const w = world();
    const host = createPluginHost();
    const ref = host.surface('scalarFunction', 'version');
    expect(() => ref.acquire()).toThrow(expect.objectContaining({ code: 'SURFACE_NOT_FOUND' }));
    expect(() => host.acquire('scalarFunction', 'version')).toThrow(
      expect.objectContaining({ code: 'SURFACE_NOT_FOUND' }),
    );
    await host.load(testPlugin('1.0.0', w));
    const fromRef = ref.acquire();
    const fromHost = host.acquire('scalarFunction', 'version');
    expect([fromRef.plugin.version, fromHost.plugin.version]).toEqual(['1.0.0', '1.0.0']);
    const result = await host.reload(testPlugin('2.0.0', w));
    let retired = false;
    void result.retired.then(() => (retired = true));
    const after = ref.acquire();
    expect(after.plugin.version).toBe('2.0.0');
    expect(String((await after.provider.invoke([arg])).get(0))).toBe('2.0.0');
    after.release();
    // The old provider still answers through the leases; the old version waits for both.
    expect(String((await fromRef.provider.invoke([arg])).get(0))).toBe('1.0.0');
    fromRef.release();
    fromRef.release(); // idempotent: a second release does not count against the other lease
    expect(await isPending(result.retired)).toBe(true);
    expect(retired).toBe(false);
    {
      using _lease = fromHost; // disposal releases it
    }
    await result.retired;
    expect(retired).toBe(true);
    await host.close();
    expect(() => ref.acquire()).toThrow(expect.objectContaining({ code: 'HOST_CLOSED' }));
  });
});
