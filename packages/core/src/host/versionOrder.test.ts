import { describe, expect, it } from 'vitest';
import { bare } from '../__tests__/plugins.js';
import { rejection } from '../__tests__/rejection.js';
import { definePlugin } from './pluginDefinition.js';
import { createPluginHost } from './pluginHost.js';

describe('plugin versions are semver; a reload goes forward unless told otherwise', () => {
  it('refuses a version that is not semver where the plugin is declared', () => {
    for (const version of ['banana', 'v1.0.0', '1', '1.0', ' 1.0.0', '1.0.0 ', '01.0.0', ''])
      expect(() => definePlugin({ name: 'p', version, register: () => undefined }), version).toThrow(
        expect.objectContaining({ code: 'INVALID_PLUGIN' }),
      );
    for (const version of ['1.0.0', '2.0.0-rc.1', '1.4.2+build.7', '0.0.1'])
      expect(() => definePlugin({ name: 'p', version, register: () => undefined })).not.toThrow();
  });

  it('refuses a downgrade or the same version at validate, naming the option that allows it', async () => {
    await using host = createPluginHost();
    await host.load(bare('p', '2.0.0'));
    const down = await rejection(host.reload(bare('p', '1.0.0')));
    expect(down).toMatchObject({ code: 'VERSION_ORDER', phase: 'validate', plugin: 'p', retryable: false });
    expect(down.message).toContain('allowDowngrade');
    const same = await rejection(host.reload(bare('p', '2.0.0')));
    expect(same).toMatchObject({ code: 'VERSION_ORDER', phase: 'validate' });
    expect(same.message).toContain('allowSameVersion');
    // Build metadata does not make a version newer; a pre-release is older than its release.
    expect(await rejection(host.reload(bare('p', '2.0.0+rebuilt')))).toMatchObject({ code: 'VERSION_ORDER' });
    expect(await rejection(host.reload(bare('p', '2.0.0-rc.9')))).toMatchObject({ code: 'VERSION_ORDER' });
    expect(host.plugins()[0]!.version).toBe('2.0.0');
  });

  it('commits a downgrade or a same-version reload when the option says so, and an upgrade without one', async () => {
    await using host = createPluginHost();
    await host.load(bare('p', '2.0.0'));
    await host.reload(bare('p', '1.0.0'), { allowDowngrade: true });
    expect(host.plugins()[0]!.version).toBe('1.0.0');
    await host.reload(bare('p', '1.0.0'), { allowSameVersion: true });
    expect(await rejection(host.reload(bare('p', '1.0.0'), { allowDowngrade: true }))).toMatchObject({
      code: 'VERSION_ORDER',
    });
    await host.reload(bare('p', '1.0.1-beta.1'));
    await host.reload(bare('p', '1.0.1'));
    expect(host.plugins()[0]!.version).toBe('1.0.1');
  });

  it('checks every plugin of a reloadMany before anything happens', async () => {
    await using host = createPluginHost();
    await host.load(bare('base', '1.0.0'));
    await host.load(bare('app', '1.0.0', ['base']));
    const error = await rejection(host.reloadMany([bare('base', '2.0.0'), bare('app', '0.9.0', ['base'])]));
    expect(error).toMatchObject({ code: 'VERSION_ORDER', plugin: 'app' });
    expect(host.plugins().map((p) => p.version)).toEqual(['1.0.0', '1.0.0']);
  });
});
