import type { CdcBatch, ManagedCdcStream } from '@baton/core';
import { postgresChangeSource, pumpChanges, readChanges } from '@baton/postgres';
import type { PostgresChangeSource, PumpReport } from '@baton/postgres';
import type { LsnMonitor } from './lsnMonitor.js';

/**
 * The CDC pipeline of the demo: the run's logical replication slot → `pumpChanges` → the engine's
 * Baton-managed CDC stream (whose output the plugin provides), confirming the slot only to the
 * output's checkpoints, each confirmation sampled by the LSN monitor.
 */
export class CdcPipeline {
  batches = 0;
  /** The pump's failure, if it failed. */
  error: unknown;
  readonly #stop = new AbortController();
  readonly #waiters = new Set<{ readonly match: (batch: CdcBatch) => boolean; readonly resolve: () => void }>();
  #pumping: Promise<PumpReport | undefined> = Promise.resolve(undefined);

  private constructor(private readonly source: PostgresChangeSource) {}

  /** Opens the slot (creating it); {@link startLsn} is where it starts. */
  static async open(options: {
    readonly url: string;
    readonly slot: string;
    readonly publication: string;
  }): Promise<CdcPipeline> {
    return new CdcPipeline(
      await postgresChangeSource({ url: options.url, slot: options.slot, publication: options.publication }),
    );
  }

  /** Where the slot starts: everything before it is not this run's. */
  get startLsn(): bigint {
    return this.source.startLsn;
  }

  /**
   * The most the stream trailed PostgreSQL's WAL head, in bytes of WAL: the stream's source-lag
   * readings (`trackSource`), made every 250 ms while the pump runs.
   */
  readonly maxSourceLag = { lsn: 0n };

  /** Starts pumping into `feed`, each confirmation sampled by `monitor`; `onBatch` hears of each batch delivered. */
  pump(feed: ManagedCdcStream, monitor: LsnMonitor, onBatch?: () => void): void {
    const pipeline = this; // eslint-disable-line @typescript-eslint/no-this-alias
    const untrack = feed.trackSource(this.source, { intervalMs: 60_000 });
    const sampling = setInterval(() => {
      feed.readSourceLag().then(
        (lag) => {
          const behind = lag?.delivered?.lsn ?? 0n;
          if (behind > pipeline.maxSourceLag.lsn) pipeline.maxSourceLag.lsn = behind;
        },
        () => undefined, // a failed reading is the stream's sourceLagError; the next one may succeed
      );
    }, 250);
    pipeline.#stop.signal.addEventListener(
      'abort',
      () => {
        clearInterval(sampling);
        untrack();
      },
      { once: true },
    );
    pipeline.#pumping = pumpChanges(this.source, feed, {
      signal: pipeline.#stop.signal,
      checkpointEvery: 4,
      onBatch: (batch) => {
        onBatch?.();
        pipeline.batches++;
        for (const waiter of pipeline.#waiters)
          if (waiter.match(batch)) {
            pipeline.#waiters.delete(waiter);
            waiter.resolve();
          }
      },
      onConfirm: (lsn) => monitor.sample(lsn),
    }).catch((error: unknown) => {
      pipeline.error = error;
      return undefined;
    });
  }

  /** Resolves when a batch holding a change of `table` whose new row has `id` went through the pump. */
  delivered(table: string, id: string, signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const waiter = {
        match: (batch: CdcBatch) =>
          readChanges(batch.mutations).some((row) => row.table === table && row.new?.['id'] === id),
        resolve,
      };
      this.#waiters.add(waiter);
      signal.addEventListener('abort', () => {
        this.#waiters.delete(waiter);
        reject(signal.reason as Error);
      });
      void this.#pumping.then(() => {
        if (this.#waiters.delete(waiter)) reject(new Error('the CDC pump stopped', { cause: this.error }));
      });
    });
  }

  /** Stops the pump (the batch in flight is delivered and a last checkpoint confirmed) and closes the source. */
  async stop(): Promise<PumpReport | undefined> {
    this.#stop.abort();
    const report = await this.#pumping;
    await this.source.close();
    return report;
  }
}
