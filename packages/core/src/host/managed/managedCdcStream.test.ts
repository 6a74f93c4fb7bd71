import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import { batchAt } from '../../__tests__/fixtures.js';
import type { CdcOutputProvider, CdcStream } from '../../surfaces/cdcOutput.js';
import { definePlugin } from '../pluginDefinition.js';
import { createPluginHost } from '../pluginHost.js';

/**
 * A CDC output whose streams deliver synchronously, or — for the LSNs in `asyncAt` — when the
 * scheduler lets them; the sink (shared by every version, like a file) records what was written.
 */
function output(s: fc.Scheduler, sink: bigint[], asyncAt: ReadonlySet<bigint>): CdcOutputProvider {
  return {
    name: 'out',
    start: ({ fromLsn }): CdcStream => {
      let position = fromLsn ?? 0n;
      return {
        deliver: (batch) => {
          const write = (): void => {
            if (batch.lsnStart < position) return; // already written
            sink.push(batch.lsnStart);
            position = batch.lsnEnd;
          };
          if (!asyncAt.has(batch.lsnStart)) {
            write();
            return;
          }
          return s.schedule(Promise.resolve(), `deliver ${batch.lsnStart}`).then(write);
        },
        checkpoint: () => s.schedule(Promise.resolve(position), 'checkpoint'),
        shutdown: () => undefined,
      };
    },
  };
}

const opArb = fc.record({
  op: fc.constantFrom('deliver', 'deliver', 'redeliver', 'checkpoint'),
  async: fc.boolean(),
});

test.prop([fc.scheduler(), fc.array(opArb, { minLength: 1, maxLength: 24 }), fc.nat({ max: 24 })], { numRuns: 150 })(
  'deliveries run in call order and exactly once, whether the stream delivers synchronously or not, across a reload',
  async (s, ops, reloadAt) => {
    const sink: bigint[] = [];
    const asyncAt = new Set<bigint>();
    const plugin = (version: string) =>
      definePlugin({ name: 'p', version, register: (r) => void r.cdcOutput(output(s, sink, asyncAt)) });
    const host = createPluginHost();
    await host.load(plugin('1.0.0'));
    const feed = await s.waitFor(host.startCdc({ name: 'feed', key: 'out', fromLsn: 0n }));

    const expected: Promise<void>[] = [];
    const written: bigint[] = [];
    let lsn = 0n;
    let reload: Promise<unknown> | undefined;
    for (const [i, { op, async }] of ops.entries()) {
      if (i === reloadAt) reload = host.reload(plugin('2.0.0'));
      if (op === 'checkpoint') {
        const through = lsn; // every delivery issued before it is in the checkpoint
        expected.push(
          feed.checkpoint().then((at) => {
            expect(at).toBe(through);
          }),
        );
      } else if (op === 'redeliver' && lsn > 0n) {
        expected.push(
          feed.deliver(batchAt(lsn - 1n)).then((wrote) => {
            expect(wrote).toBe(false);
          }),
        );
      } else {
        if (async) asyncAt.add(lsn);
        written.push(lsn);
        expected.push(
          feed.deliver(batchAt(lsn++)).then((wrote) => {
            expect(wrote).toBe(true);
          }),
        );
      }
    }
    await s.waitFor(Promise.all([...expected, reload]));
    expect(sink).toEqual(written);
    expect(feed.deliveredThrough).toBe(lsn);
    await s.waitFor(host.close());
  },
);
