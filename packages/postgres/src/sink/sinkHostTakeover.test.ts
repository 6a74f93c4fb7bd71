/**
 * A real `PluginHost` reload of a PostgreSQL sink: the host detaches v1's writer and v2's
 * `postgresCdcOutput` adopts it inside the pause — no connection opened, no query sent, the same
 * server session writing before and after — and a reload that fails (v2's adopt throws, or another
 * handoff fails after the adopt) hands the writer back to v1 the same way. Every batch once.
 */
import { createPluginHost, definePlugin } from '@baton/core';
import type { CdcOutputProvider, CdcTakeover, PluginDefinition } from '@baton/core';
import { fc, test } from '@fast-check/vitest';
import { beforeAll, describe, expect } from 'vitest';
import { testDatabase } from '../__tests__/testServer.js';
import { batches, countingPg, ranges, writerBackends } from './__tests__/sinkFixtures.js';
import { postgresCdcOutput } from './postgresCdcOutput.js';
import type { PostgresCdcOutput } from './postgresCdcOutput.js';

let url: string;
let outputs = 0;

beforeAll(async () => {
  url = await testDatabase('host_takeover');
});

/** How the reload to v2 goes. */
type Mode = 'adopted' | 'adopt throws' | 'another handoff fails';

/** What the providers' `adopt` saw, by version. */
interface Adoptions {
  readonly v1: string[];
  readonly v2: string[];
}

/**
 * A version of the `pg-sink` plugin writing output `output`, recording its adopts; v2 can be made to
 * refuse the takeover, or to fail another handoff (the `side` output) after its adopt succeeded.
 */
function plugin(version: '1.0.0' | '2.0.0', output: string, adoptions: Adoptions, mode: Mode): PluginDefinition {
  const seen = version === '1.0.0' ? adoptions.v1 : adoptions.v2;
  let adopted: () => void = () => undefined;
  const afterAdopt = new Promise<void>((resolve) => (adopted = resolve));
  const wrap = (p: PostgresCdcOutput): CdcOutputProvider => ({
    name: p.name,
    start: (options) => p.start(options),
    async adopt(takeover: CdcTakeover, options) {
      seen.push(takeover.layout);
      if (version === '2.0.0' && mode === 'adopt throws') throw new Error('v2 cannot adopt (simulated)');
      const stream = await p.adopt(takeover, options);
      adopted();
      return stream;
    },
  });
  const side: CdcOutputProvider =
    version === '2.0.0' && mode === 'another handoff fails'
      ? {
          name: 'side',
          start: async () => {
            await afterAdopt; // fails once the sink writer was adopted: the reload rolls back after it
            throw new Error('side output: cannot start (simulated)');
          },
        }
      : { name: 'side', start: () => ({ deliver: () => undefined, checkpoint: () => 0n, shutdown: () => undefined }) };
  return definePlugin({
    name: 'pg-sink',
    version,
    register(r) {
      r.cdcOutput(wrap(postgresCdcOutput({ name: 'pg-sink', url, output })));
      r.cdcOutput(side);
    },
  });
}

describe('postgresCdcOutput under a real PluginHost reload: the writer taken over in memory', () => {
  test.prop(
    [
      fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 6 }),
      fc.nat(),
      fc.constantFrom<Mode>('adopted', 'adopt throws', 'another handoff fails'),
    ],
    { numRuns: 9 },
  )(
    'no connection or query inside the reload, the same session before and after; a failed reload hands the writer back; every batch once',
    async (sizes, seed, mode) => {
      const output = `host_${outputs++}`;
      const all = batches(sizes);
      const reloadAt = seed % all.length;
      const adoptions: Adoptions = { v1: [], v2: [] };
      const host = createPluginHost();
      await host.load(plugin('1.0.0', output, adoptions, mode));
      const feed = await host.startCdc({ name: 'feed', key: 'pg-sink', fromLsn: 0n });
      await host.startCdc({ name: 'side-feed', key: 'side', fromLsn: 0n });
      for (const b of all.slice(0, reloadAt)) expect(await feed.deliver(b)).toBe(true);
      const before = await writerBackends(url, output);
      expect(before).toHaveLength(1);

      const reload = await countingPg(() =>
        host.reload(plugin('2.0.0', output, adoptions, mode)).then(
          (result) => ({ result, error: undefined }),
          (error: unknown) => ({ result: undefined, error }),
        ),
      );
      expect({ connects: reload.connects, queries: reload.queries }).toEqual({ connects: 0, queries: 0 });
      if (mode === 'adopted') {
        const handoff = reload.result.result!.handoffs.find((h) => h.name === 'feed')!;
        expect(handoff.detail).toMatchObject({ byReference: true, checkpointLsn: all[reloadAt - 1]?.lsnEnd ?? 0n });
        expect(feed.version).toBe('2.0.0');
        expect(adoptions).toEqual({ v1: [], v2: ['postgres-sink/1'] });
      } else {
        expect(reload.result.error).toMatchObject({ code: 'HANDOFF_FAILED' });
        expect(feed.version).toBe('1.0.0');
        // v1 took its writer back by adopting it (after v2 refused it, or from v2's adopted stream).
        expect(adoptions).toEqual({ v1: ['postgres-sink/1'], v2: ['postgres-sink/1'] });
      }

      if (reloadAt > 0) await feed.deliver(all[reloadAt - 1]!); // re-fed from earlier: skipped
      for (const b of all.slice(reloadAt)) expect(await feed.deliver(b)).toBe(true);
      expect(await writerBackends(url, output)).toEqual(before); // one session wrote everything
      await feed.close();
      await host.close();
      expect(await writerBackends(url, output)).toEqual([]);
      expect(await ranges(url, output)).toEqual(all.map((b) => `${b.lsnStart}-${b.lsnEnd}:1`));
    },
    60_000,
  );
});
