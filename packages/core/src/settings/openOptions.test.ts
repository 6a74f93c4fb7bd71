import { describe, expect, it } from 'vitest';
import { ReloadDispatcher } from '../dispatch/reloadDispatcher.js';
import { RegistrationSet } from '../dispatch/registrationSet.js';
import { createPluginHost } from '../host/pluginHost.js';
import { batchAt, valuesTable } from '../__tests__/fixtures.js';
import { testPlugin, world } from '../__tests__/plugins.js';
import { rejection } from '../__tests__/rejection.js';

const none = RegistrationSet.of([]);

describe('every option of the host is checked where it enters, not only the numbers', () => {
  it('refuses a misspelt or mistyped option of an open method instead of opening something else', async () => {
    const w = world();
    await using host = createPluginHost();
    await host.load(testPlugin('1.0.0', w));
    const bytes = new Uint8Array([1]);
    const cases: [string, () => Promise<unknown>][] = [
      ['byts', () => host.openCrdt({ name: 'c', key: 'counter', byts: bytes } as never)],
      ['bytes', () => host.openCrdt({ name: 'c', key: 'counter', bytes: [1, 2] } as never)],
      ['formLsn', () => host.startCdc({ name: 'f', key: 'memory', formLsn: 3n } as never)],
      ['fromLsn', () => host.startCdc({ name: 'f', key: 'memory', fromLsn: 3 } as never)],
      ['fromLsn', () => host.startCdc({ name: 'f', key: 'memory', fromLsn: -5n })],
      ['signal', () => host.openCrdt({ name: 'c', key: 'counter', signal: 'x' } as never)],
      ['name', () => host.openCrdt({ name: '', key: 'counter' })],
      ['source', () => host.openIndex({ name: 'i', key: 'nearest', source: [1, 2], column: 'v' } as never)],
      ['column', () => host.openIndex({ name: 'i', key: 'nearest', source: valuesTable([1]) } as never)],
      ['location', () => host.openStorage({ name: 's', key: 'mem' } as never)],
      ['make', () => host.openResource({ name: 'r', kind: 'x', key: 'k', make: 5 } as never)],
      ['request', () => host.openResource({ name: 'r', kind: 'x', key: 'k', request: 'bytes' } as never)],
      ['object', () => host.openCrdt(null as never)],
    ];
    for (const [option, open] of cases) {
      const error = await rejection(open());
      expect(error, option).toMatchObject({ code: 'INVALID_ARGUMENT', phase: 'call' });
      expect(error.message, option).toContain(option === 'object' ? 'must be an object' : option);
    }
    // Nothing was opened by any of them: the names are still free.
    const feed = await host.startCdc({ name: 'f', key: 'memory', fromLsn: 0n });
    expect(await feed.deliver(batchAt(0n))).toBe(true);
    await host.openCrdt({ name: 'c', key: 'counter' });
  });

  it('refuses host options of the wrong shape with INVALID_ARGUMENT', () => {
    for (const [options, name] of [
      [{ disciplines: 5 }, 'disciplines'],
      [{ container: {} }, 'container'],
      [{ journal: { read: () => undefined } }, 'journal'],
      [{ samples: 'all' }, 'samples'],
      [{ runJobs: 'yes' }, 'runJobs'],
    ] as const) {
      expect(() => createPluginHost(options as never), name).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining(name) }),
      );
    }
  });

  it('refuses a dispatcher without registration sets or with handoffs that are not a list', () => {
    expect(() => new ReloadDispatcher(null as never, null as never)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() => new ReloadDispatcher(none, none, { handoffs: {} as never })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('handoffs') }),
    );
  });

  it('reads each option once: a getter cannot pass the check and then hand over something else', async () => {
    const w = world();
    await using host = createPluginHost({ drainTimeoutMs: 60_000 });
    await host.load(testPlugin('1.0.0', w));
    let reads = 0;
    const options = {
      get drainTimeoutMs(): number {
        return ++reads === 1 ? 50 : Number.NaN;
      },
    };
    await host.reload(testPlugin('2.0.0', w), options);
    expect(reads).toBe(1);
  });
});
