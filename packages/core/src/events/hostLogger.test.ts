import { describe, expect, it, vi } from 'vitest';
import { testPlugin, world } from '../__tests__/plugins.js';
import { definePlugin } from '../host/pluginDefinition.js';
import { createPluginHost } from '../host/pluginHost.js';
import type { HostLogger } from './hostLogger.js';

/** A logger that records each line as `[level, message, fields]`. */
function recording(withInfo: boolean): { logger: HostLogger; lines: [string, string, Record<string, unknown>][] } {
  const lines: [string, string, Record<string, unknown>][] = [];
  const at =
    (level: string) =>
    (fields: object, message: string): void =>
      void lines.push([level, message, fields as Record<string, unknown>]);
  return {
    lines,
    logger: { error: at('error'), warn: at('warn'), ...(withInfo ? { info: at('info') } : {}) },
  };
}

const failingJob = definePlugin({
  name: 'jobs',
  version: '1.0.0',
  register: (r) =>
    void r.backgroundJob({
      name: 'flaky',
      intervalMs: 1000,
      tick: () => {
        throw new Error('flake');
      },
    }),
});

describe('the host logger', () => {
  it('logs a failing background job and a throwing listener as errors, never silently', async () => {
    const { logger, lines } = recording(false);
    const host = createPluginHost({ logger });
    host.on('loaded', () => {
      throw new Error('listener bug');
    });
    await host.load(failingJob);
    await host.runJob('flaky');
    expect(lines).toEqual([
      [
        'error',
        "a listener of the host event 'loaded' threw",
        { event: 'loaded', err: expect.objectContaining({ message: 'listener bug' }) },
      ],
      [
        'error',
        "background job 'flaky' of jobs 1.0.0 threw; it keeps its schedule",
        { plugin: 'jobs', job: 'flaky', version: '1.0.0', err: expect.objectContaining({ message: 'flake' }) },
      ],
    ]);
    await host.close();
  });

  it('logs committed and refused reloads at info, when the logger has info', async () => {
    const { logger, lines } = recording(true);
    const w = world();
    const host = createPluginHost({ logger });
    await host.load(testPlugin('1.0.0', w));
    await (
      await host.reload(testPlugin('2.0.0', w))
    ).retired;
    await host
      .reload(testPlugin('3.0.0', w, { register: () => Promise.reject(new Error('no')) }))
      .catch(() => undefined);
    expect(lines.map(([level, message]) => [level, message])).toEqual([
      ['info', 'reload engine 1.0.0 → 2.0.0 committed'],
      ['info', 'reload engine 2.0.0 → 3.0.0 refused at stage (REGISTRATION_FAILED): the old versions serve'],
    ]);
    await host.close();
  });

  it('logs to the console by default, nothing with logger: false, and refuses a logger without error and warn', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      for (const [options, expected] of [
        [{}, 1],
        [{ logger: false as const }, 0],
      ] as const) {
        error.mockClear();
        const host = createPluginHost(options);
        await host.load(failingJob);
        await host.runJob('flaky');
        await host.close();
        expect(error).toHaveBeenCalledTimes(expected);
      }
    } finally {
      error.mockRestore();
    }
    expect(() => createPluginHost({ logger: { error: () => undefined } as never })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('logger must be') }),
    );
  });
});
