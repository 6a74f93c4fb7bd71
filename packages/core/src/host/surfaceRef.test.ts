import { Utf8, vectorFromArray } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { sleep, testPlugin, world } from '../__tests__/plugins.js';
import { createPluginHost } from './pluginHost.js';

const arg = vectorFromArray(['x'], new Utf8());

describe('SurfaceRef', () => {
  it('follows reloads, keeps each call on one version, and reports a missing surface or a closed host', async () => {
    const w = world();
    const host = createPluginHost();
    const ref = host.surface('scalarFunction', 'version');
    await expect(ref.call((f) => f.invoke([arg]))).rejects.toMatchObject({ code: 'SURFACE_NOT_FOUND' });
    await host.load(testPlugin('1', w, { callDelayMs: 20 }));
    expect(String((await ref.call((f) => f.invoke([arg]))).get(0))).toBe('1');
    const slow = ref.call((f, plugin) =>
      Promise.resolve(f.invoke([arg])).then((v) => `${plugin.version}:${String(v.get(0))}`),
    );
    await sleep(2);
    const result = await host.reload(testPlugin('2', w));
    expect(String((await ref.call((f) => f.invoke([arg]))).get(0))).toBe('2');
    expect(await slow).toBe('1:1');
    await result.retired;
    expect(ref.provider?.name).toBe('version');
    await host.close();
    await expect(ref.call((f) => f.invoke([arg]))).rejects.toMatchObject({ code: 'HOST_CLOSED' });
  });
});
