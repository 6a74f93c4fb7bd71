import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { ReloadDispatcher } from '../dispatch/reloadDispatcher.js';
import { RegistrationSet } from '../dispatch/registrationSet.js';
import { createPluginHost } from '../host/pluginHost.js';
import { batchAt } from '../__tests__/fixtures.js';
import { testPlugin, world } from '../__tests__/plugins.js';
import { rejection } from '../__tests__/rejection.js';
import { checkSetting } from './checkSettings.js';
import { MAX_TIMER_MS, defaultSettings, settingSpecs } from './settingSpecs.js';
import type { SettingName } from './settingSpecs.js';

const names = Object.keys(settingSpecs) as SettingName[];
const none = RegistrationSet.of([]);

describe('settings: one table, checked once, wherever a setting enters', () => {
  it('refuses a host made with a non-integer count or a timeout that would arm no timer', () => {
    for (const options of [
      { concurrency: 2.5 },
      { queueLimit: 0 },
      { drainTimeoutMs: Number.NaN },
      { stepTimeoutMs: Number.POSITIVE_INFINITY },
      { registerTimeoutMs: MAX_TIMER_MS + 1 },
      { maxStates: -1 },
      { compatTimeoutMs: '100' },
    ]) {
      expect(() => createPluginHost(options as never), JSON.stringify(options)).toThrow(
        expect.objectContaining({
          code: 'INVALID_ARGUMENT',
          message: expect.stringContaining(Object.keys(options)[0]!),
        }),
      );
    }
  });

  it('refuses a misspelt option instead of silently ignoring it', () => {
    expect(() => createPluginHost({ drainTimeoutMS: 10 } as never)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining("'drainTimeoutMS'") }),
    );
  });

  it("checks a reload's overrides at validate: a NaN drain timeout is refused before anything pauses", async () => {
    const w = world();
    await using host = createPluginHost();
    await host.load(testPlugin('1.0.0', w));
    const feed = await host.startCdc({ name: 'feed', key: 'memory', fromLsn: 0n });
    for (const options of [
      { drainTimeoutMs: Number.NaN },
      { concurrency: 2.5 },
      { stepTimeoutMs: 0 },
      { allowDowngrade: 'yes' },
      { signal: {} },
      { drainTimeoutMs: 10, typo: true },
    ]) {
      const paused: string[] = [];
      const off = host.on('quiesced', () => paused.push('quiesced'));
      const error = await rejection(host.reload(testPlugin('2.0.0', w), options as never));
      off();
      expect(error, JSON.stringify(options)).toMatchObject({ code: 'INVALID_ARGUMENT', phase: 'validate' });
      expect(paused).toEqual([]);
      expect(host.plugins()[0]!.version).toBe('1.0.0');
    }
    expect(await feed.deliver(batchAt(0n))).toBe(true);
    await rejection(host.unload('engine', { drainTimeoutMs: Number.NaN })).then((e) => {
      expect(e).toMatchObject({ code: 'INVALID_ARGUMENT', phase: 'unload' });
    });
    await rejection(host.load(testPlugin('1.0.0', w, { name: 'other' }), { registerTimeoutMs: -5 })).then((e) => {
      expect(e).toMatchObject({ code: 'INVALID_ARGUMENT', phase: 'load' });
    });
  });

  it("checks a standalone dispatcher's options with the same table", () => {
    expect(() => new ReloadDispatcher(none, none, { concurrency: 1.5 })).toThrow(/concurrency/);
    expect(() => new ReloadDispatcher(none, none, { stepTimeoutMs: Number.NaN })).toThrow(/stepTimeoutMs/);
    expect(() => new ReloadDispatcher(none, none, { concurency: 4 } as never)).toThrow(/'concurency'/);
    expect(() => new ReloadDispatcher(none, none, { concurrency: 4, stepTimeoutMs: 10 })).not.toThrow();
  });

  it('every default lies within its own range', () => {
    for (const name of names) expect(checkSetting(name, defaultSettings[name])).toBe(settingSpecs[name].default);
  });

  test.prop([
    fc.constantFrom(...names),
    fc.oneof(
      fc.double(),
      fc.integer({ min: -10, max: 10 }),
      fc.constantFrom(Number.NaN, Infinity, -Infinity, -0, 0.5, MAX_TIMER_MS, MAX_TIMER_MS + 1, 2 ** 53),
      fc.anything(),
    ),
  ])('a setting is accepted exactly when it is a finite number in range, whole where it counts', (name, value) => {
    const spec = settingSpecs[name];
    const valid =
      typeof value === 'number' &&
      Number.isFinite(value) &&
      value >= spec.min &&
      value <= spec.max &&
      (spec.unit === 'ms' || Number.isInteger(value));
    if (valid) expect(checkSetting(name, value)).toBe(value);
    else expect(() => checkSetting(name, value)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
