import { createPluginHost, definePlugin } from '@baton/core';
import { CdcPosition, callbackCdcOutput } from '@baton/kinds';
import { tableFromArrays } from 'apache-arrow';

/** How close to its deadline a reload blocked by a stuck call gave up, over several trials. */
export interface DrainPrecision {
  readonly trials: number;
  readonly drainTimeoutMs: number;
  /** Milliseconds after the deadline the reload was rejected: median and worst. */
  readonly medianOvershootMs: number;
  readonly maxOvershootMs: number;
  /** Whether the next reload succeeded once the stuck call completed, every time. */
  readonly recovered: boolean;
}

/**
 * A CDC delivery that never completes blocks a reload's drain: the reload must give up with
 * `DRAIN_TIMEOUT` at the deadline (measured here: how long after it), the host must stay healthy, and
 * the next reload must succeed once the call completes.
 */
export async function measureDrainPrecision(trials: number, drainTimeoutMs = 50): Promise<DrainPrecision> {
  const overshoots: number[] = [];
  let recovered = true;
  for (let t = 0; t < trials; t++) {
    let release: () => void = () => undefined;
    const position = new CdcPosition(0n);
    const plugin = (version: string) =>
      definePlugin({
        name: 'stuck',
        version,
        register: (r) =>
          void r.cdcOutput(
            callbackCdcOutput({
              name: 'feed',
              position,
              onBatch: (b) => (b.lsnStart === 0n ? new Promise<void>((resolve) => (release = resolve)) : undefined),
            }),
          ),
      });
    const host = createPluginHost({ drainTimeoutMs });
    await host.load(plugin('1.0.0'));
    const feed = await host.startCdc({ name: 'feed', key: 'feed', fromLsn: 0n });
    const stuck = feed.deliver({
      lsnStart: 0n,
      lsnEnd: 1n,
      mutations: tableFromArrays({ id: Int32Array.of(1) }).batches[0]!,
      commitTimestamp: 0,
    });
    await new Promise((r) => setTimeout(r, 5));
    let drainStart = 0;
    host.on('quiesced', () => (drainStart = performance.now()));
    const failed = await host.reload(plugin('2.0.0')).then(
      () => false,
      (error: unknown) => (error as { code?: string } | undefined)?.code === 'DRAIN_TIMEOUT',
    );
    overshoots.push(performance.now() - drainStart - drainTimeoutMs);
    release();
    await stuck;
    const next = await host.reload(plugin('2.0.0')).then(
      () => true,
      () => false,
    );
    recovered &&= failed && next;
    await host.close();
  }
  overshoots.sort((a, b) => a - b);
  return {
    trials,
    drainTimeoutMs,
    medianOvershootMs: +overshoots[overshoots.length >> 1]!.toFixed(2),
    maxOvershootMs: +overshoots.at(-1)!.toFixed(2),
    recovered,
  };
}
