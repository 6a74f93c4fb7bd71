import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPluginHost, definePlugin, isReloadError } from '@baton/core';
import type { CdcBatch, CdcOutputProvider, CdcStream, PluginDefinition } from '@baton/core';
import { fileCdcOutput, readFileSink } from '@baton/kinds';
import { tableFromArrays } from 'apache-arrow';
import { Random } from '@baton/examples/engine';

/** What the pipelined-delivery trial saw. */
export interface PipelinedTrialResult {
  readonly trials: number;
  /** Batches each trial had to get to the sink. */
  readonly batches: number;
  /** Delivery calls made (first sends and resends). */
  readonly calls: number;
  /** Transient sink failures injected (before the write, or after it with the acknowledgement lost). */
  readonly injected: number;
  /** Later pipelined deliveries refused with DELIVERY_BLOCKED because an earlier one had failed. */
  readonly blocked: number;
  readonly reloads: number;
  /** Batches missing from the sink, over all trials. */
  readonly lost: number;
  /** Batches the sink holds more than once, over all trials. */
  readonly duplicated: number;
  readonly failures: readonly string[];
}

/**
 * An engine pipelines deliveries (a window of them in flight, none awaited alone) into a real file
 * CDC sink whose writes fail now and then — sometimes before the write, sometimes after it with the
 * acknowledgement lost — and the plugin is reloaded in the middle. After a failure the engine resends
 * from the earliest batch that did not land, as an idempotent producer does. At the end the sink on
 * disk must hold every batch exactly once, in order.
 */
export async function runPipelinedTrial(options: {
  readonly trials: number;
  readonly batches: number;
  readonly seed: number;
}): Promise<PipelinedTrialResult> {
  const random = new Random(options.seed);
  const totals = { calls: 0, injected: 0, blocked: 0, reloads: 0, lost: 0, duplicated: 0 };
  const failures: string[] = [];
  for (let t = 0; t < options.trials; t++) {
    const dir = await mkdtemp(join(tmpdir(), 'baton-pipelined-'));
    try {
      const failRate = 0.02 + random.next() * 0.1;
      const flaky = (version: string): PluginDefinition =>
        definePlugin({
          name: 'engine',
          version,
          register: (r) =>
            void r.cdcOutput(injecting(fileCdcOutput({ name: 'audit', directory: dir }), random, failRate, totals)),
        });
      await using host = createPluginHost();
      await host.load(flaky('1.0.0'));
      const feed = await host.startCdc({ name: 'audit', key: 'audit', fromLsn: 0n });
      const reloadAt = 1 + random.int(options.batches - 1);
      const window = 1 + random.int(16);
      let reload: Promise<unknown> | undefined;
      let next = 0;
      while (next < options.batches) {
        const upTo = Math.min(options.batches, next + window);
        const flight: Promise<boolean>[] = [];
        for (let i = next; i < upTo; i++) {
          if (i === reloadAt && reload === undefined) {
            totals.reloads++;
            reload = host.reload(flaky('2.0.0'));
          }
          totals.calls++;
          flight.push(
            feed.deliver(batch(i)).then(
              () => true,
              (error: unknown) => {
                if (isReloadError(error) && error.code === 'DELIVERY_BLOCKED') totals.blocked++;
                return false;
              },
            ),
          );
        }
        const landed = await Promise.all(flight);
        const failed = landed.indexOf(false);
        next = failed < 0 ? upTo : next + failed;
      }
      await reload;
      await feed.close();
      const sink = await readFileSink(dir);
      const seen = new Map<bigint, number>();
      for (const b of sink.batches) seen.set(b.lsnStart, (seen.get(b.lsnStart) ?? 0) + 1);
      for (let i = 0; i < options.batches; i++) {
        const count = seen.get(BigInt(i)) ?? 0;
        if (count === 0) totals.lost++;
        if (count > 1) totals.duplicated += count - 1;
      }
      const order = sink.batches.map((b) => b.lsnStart);
      if (order.some((lsn, i) => i > 0 && lsn <= order[i - 1]!)) failures.push(`trial ${t}: sink out of order`);
    } catch (error) {
      failures.push(`trial ${t}: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  if (totals.lost > 0 || totals.duplicated > 0)
    failures.push(`${totals.lost} batches lost, ${totals.duplicated} duplicated`);
  return { trials: options.trials, batches: options.batches, ...totals, failures };
}

function batch(i: number): CdcBatch {
  return {
    lsnStart: BigInt(i),
    lsnEnd: BigInt(i + 1),
    mutations: tableFromArrays({ id: Int32Array.of(i) }).batches[0]!,
    commitTimestamp: i,
  };
}

/** Wraps an output so its streams' writes fail at `rate`: half before writing, half after (ack lost). */
function injecting(
  output: CdcOutputProvider,
  random: Random,
  rate: number,
  totals: { injected: number },
): CdcOutputProvider {
  return {
    name: output.name,
    async start(options): Promise<CdcStream> {
      const stream = await output.start(options);
      return {
        async deliver(b) {
          const roll = random.next();
          if (roll < rate / 2) {
            totals.injected++;
            throw new Error(`injected: write of ${b.lsnStart} failed`);
          }
          await stream.deliver(b);
          if (roll < rate) {
            totals.injected++;
            throw new Error(`injected: acknowledgement of ${b.lsnStart} lost`);
          }
        },
        checkpoint: (o) => stream.checkpoint(o),
        shutdown: (o) => stream.shutdown(o),
      };
    },
  };
}
