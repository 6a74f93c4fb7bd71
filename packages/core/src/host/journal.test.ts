import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileReloadJournal } from '../durable/reloadJournal.js';
import type { JournalState, ReloadJournal } from '../durable/reloadJournal.js';
import { bare } from '../__tests__/plugins.js';
import { createPluginHost } from './pluginHost.js';

describe('the reload journal', () => {
  it('records the serving versions before they become visible, across loads, reloads and unloads', async () => {
    const journal = fileReloadJournal(await mkdtemp(join(tmpdir(), 'baton-journal-')));
    const seen: string[] = [];
    const spy: ReloadJournal = {
      read: () => journal.read(),
      write: async (state) => {
        seen.push(JSON.stringify(state.plugins));
        await journal.write(state);
      },
    };
    await using host = createPluginHost({ journal: spy });
    host.on('committed', () => seen.push('committed'));
    await host.load(bare('a', '1.0.0'));
    await host.load(bare('b', '1.0.0'));
    await Promise.all([host.reload(bare('a', '2.0.0')), host.reload(bare('b', '2.0.0'))]);
    await host.unload('b');
    expect(seen.filter((s) => s !== 'committed').at(-1)).toBe('{"a":"2.0.0"}');
    expect(await journal.read()).toMatchObject({ plugins: { a: '2.0.0' } });
    await host.close(); // a shutdown is not an unload: a restart loads the same versions
    expect(await journal.read()).toMatchObject({ plugins: { a: '2.0.0' } });
    // The record of a reload precedes its commit event.
    const firstReload = seen.findIndex((s) => s.includes('"a":"2"') || s.includes('"b":"2"'));
    expect(firstReload).toBeLessThan(seen.indexOf('committed'));
  });

  it('a journal that cannot be written fails the reload; the old version keeps serving', async () => {
    let fail = false;
    const state: { current: JournalState } = { current: { plugins: {}, sequence: 0 } };
    const flaky: ReloadJournal = {
      read: () => state.current,
      write: (next) => {
        if (fail) throw new Error('disk full');
        state.current = next;
      },
    };
    await using host = createPluginHost({ journal: flaky });
    await host.load(bare('a', '1.0.0'));
    fail = true;
    await expect(host.reload(bare('a', '2.0.0'))).rejects.toMatchObject({
      code: 'JOURNAL_FAILED',
      phase: 'commit',
      message: expect.stringContaining('disk full'),
    });
    expect(host.plugins()[0]!.version).toBe('1.0.0');
    await expect(host.load(bare('c', '1.0.0'))).rejects.toMatchObject({ code: 'JOURNAL_FAILED' });
    expect(host.plugins().map((p) => p.name)).toEqual(['a']);
    fail = false;
    await host.reload(bare('a', '2.0.0'));
    expect(state.current.plugins).toEqual({ a: '2.0.0' });
  });

  it('a journal file the host cannot write fails the load with the IO_FAILED cause naming the path', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'baton-journal-'));
    await mkdir(join(dir, 'reload-journal.a')); // in the way of the first record
    await using host = createPluginHost({ journal: fileReloadJournal(dir) });
    const error: unknown = await host.load(bare('a', '1.0.0')).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'JOURNAL_FAILED' });
    expect((error as Error).cause).toMatchObject({
      code: 'IO_FAILED',
      message: expect.stringContaining(join(dir, 'reload-journal.a')),
    });
    expect(host.plugins()).toEqual([]);
  });
});
