import { createPluginHost, definePlugin } from '@baton/core';
import type { PluginHost } from '@baton/core';
import { postgresCdcOutput, postgresChangeSource, pumpChanges } from '@baton/postgres';
import type { PumpTarget } from '@baton/postgres';
import type { BenchPostgres } from './pgServer.js';
import {
  copySlot,
  createSlot,
  dropSlot,
  prepareWorkload,
  resetSink,
  withClient,
  WORKLOAD_PUBLICATION,
  writeWorkload,
} from './pgWorkload.js';
import type { BenchRow, GoalSection } from './results.js';
import { median } from './stats.js';

/** Options of {@link benchCdcThroughput}. */
export interface CdcThroughputOptions {
  /** Committed transactions in the workload (each run reads all of them). */
  readonly transactions: number;
  /** Rows inserted per transaction (plus one update). */
  readonly rows: number;
  readonly rounds: number;
  /** `pumpChanges`' `checkpointEvery` (the same for both variants). */
  readonly checkpointEvery: number;
}

type Variant = 'baton' | 'direct';

const TEMPLATE_SLOT = 'bench_cdc_template';

/** One run's figures. */
interface Run {
  readonly ms: number;
  readonly deliverMs: number;
}

/**
 * Goal 8: CDC throughput of PostgreSQL → slot → PostgreSQL sink, through a Baton-managed stream
 * (`host.startCdc` of a plugin whose provider is `postgresCdcOutput`) against the same pipeline
 * without Baton (the same change source pumping into `postgresCdcOutput(...).start()`'s stream
 * directly). Both read the same pre-written transactions from their own copy of one slot, through
 * `pumpChanges` with the same checkpoint interval, into their own (emptied) sink output; the
 * variants alternate over the rounds.
 */
export async function benchCdcThroughput(
  postgres: BenchPostgres,
  options: CdcThroughputOptions,
): Promise<Omit<GoalSection, 'seconds'>> {
  const server = await postgres.server();
  const sourceUrl = await server.createDatabase('bench_cdc_source');
  const sinkUrl = await server.createDatabase('bench_cdc_sink');
  // Sink commits do not wait for their WAL flush: on a shared machine the disk's latency under other
  // processes' writes swamps the comparison (runs of the same work took 1–5× each other). It makes each
  // transaction cheaper, so Baton's share of it larger: the comparison gets stricter, not looser.
  await withClient(sinkUrl, (client) => client.query('ALTER DATABASE bench_cdc_sink SET synchronous_commit = off'));
  await prepareWorkload(sourceUrl);
  await withClient(sourceUrl, (client) =>
    client.query(
      `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name LIKE 'bench_cdc_%' AND NOT active`,
    ),
  );
  await createSlot(sourceUrl, TEMPLATE_SLOT);
  const written = performance.now();
  await writeWorkload(sourceUrl, options.transactions, options.rows);
  const writeMs = performance.now() - written;

  const direct = postgresCdcOutput({ name: 'bench-direct', url: sinkUrl, output: 'direct' });
  const host: PluginHost = createPluginHost();
  await host.load(
    definePlugin({
      name: 'bench-pg',
      version: '1.0.0',
      register(r) {
        r.cdcOutput(postgresCdcOutput({ name: 'bench-sink', url: sinkUrl, output: 'baton' }));
      },
    }),
  );
  let runs = 0;
  const runOnce = async (variant: Variant): Promise<Run> => {
    const slot = `bench_cdc_${variant}_${runs++}`;
    await resetSink(sinkUrl);
    await copySlot(sourceUrl, TEMPLATE_SLOT, slot);
    const source = await postgresChangeSource({
      url: sourceUrl,
      slot,
      publication: WORKLOAD_PUBLICATION,
      createSlot: false,
    });
    let close: () => Promise<void> = () => source.close();
    try {
      let target: PumpTarget;
      if (variant === 'direct') {
        const stream = await direct.start();
        target = stream;
        close = async () => {
          await source.close();
          await stream.shutdown();
        };
      } else {
        const stream = await host.startCdc({ name: `run-${runs}`, key: 'bench-sink' });
        target = stream;
        close = async () => {
          await source.close();
          await stream.close();
        };
      }
      // Time spent inside deliver (the output's transactions), for the findings.
      let deliverMs = 0;
      const timed: PumpTarget = {
        deliver: (batch) => {
          const t = performance.now();
          return Promise.resolve(target.deliver(batch)).finally(() => void (deliverMs += performance.now() - t));
        },
        checkpoint: () => target.checkpoint(),
      };
      const done = new AbortController();
      let seen = 0;
      const started = performance.now();
      const report = await pumpChanges(source, timed, {
        signal: done.signal,
        checkpointEvery: options.checkpointEvery,
        onBatch: () => {
          if (++seen >= options.transactions) done.abort();
        },
      });
      const ms = performance.now() - started;
      if (report.written !== options.transactions || report.skipped !== 0)
        throw new Error(`${variant}: wrote ${report.written} and skipped ${report.skipped} of ${options.transactions}`);
      await checkSink(sinkUrl, variant, options);
      return { ms, deliverMs };
    } finally {
      await close();
      await dropSlot(sourceUrl, slot);
    }
  };

  const results: Record<Variant, Run[]> = { baton: [], direct: [] };
  try {
    await runOnce('direct'); // warm-up of both paths (connections, plans, JIT), untimed
    await runOnce('baton');
    for (let round = 0; round < options.rounds; round++) {
      const order: Variant[] = round % 2 === 0 ? ['baton', 'direct'] : ['direct', 'baton'];
      for (const variant of order) results[variant].push(await runOnce(variant));
    }
  } finally {
    await host.close();
    await dropSlot(sourceUrl, TEMPLATE_SLOT);
  }

  const tps = (runs: readonly Run[]): number => median(runs.map((r) => (options.transactions / r.ms) * 1000));
  const perTx = (runs: readonly Run[], pick: (r: Run) => number): number =>
    // µs per transaction
    median(runs.map((r) => (pick(r) / options.transactions) * 1000));
  const [baton, plain] = [tps(results.baton), tps(results.direct)];
  // The ratio within each round (its two runs ran back to back), for the spread.
  const paired = results.baton.map((run, i) => results.direct[i]!.ms / run.ms);
  const rows: BenchRow[] = [
    {
      name:
        `${options.transactions} transactions of ${options.rows + 1} changes, slot → sink, ` +
        `checkpoint every ${options.checkpointEvery}`,
      baton,
      baseline: plain,
      unit: 'tx/s',
      baselineLabel: 'the same pipeline, stream written directly',
      ratio: baton / plain,
      target: { on: 'ratio', cmp: '>=', value: 0.9 },
    },
  ];
  const [batonTx, directTx] = [perTx(results.baton, (r) => r.ms), perTx(results.direct, (r) => r.ms)];
  const [batonDeliver, directDeliver] = [
    perTx(results.baton, (r) => r.deliverMs),
    perTx(results.direct, (r) => r.deliverMs),
  ];
  return {
    id: 8,
    title: 'CDC throughput: PostgreSQL → Baton-managed stream → PostgreSQL sink',
    goal:
      'CDC throughput PostgreSQL → Baton-managed stream → PostgreSQL sink vs the same pipeline without Baton: ' +
      "Baton ≥ 0.9× the direct pipeline's transactions per second.",
    ratioOf: 'Baton / direct (transactions per second; higher is better)',
    appliesTo:
      'the row: `pumpChanges` from a `postgresChangeSource` into `host.startCdc` of a plugin whose provider is ' +
      '`postgresCdcOutput`, against the same source pumped into `postgresCdcOutput(...).start()` directly.',
    rows,
    findings: [
      `One embedded PostgreSQL 18 started by the bench, default settings except \`synchronous_commit = off\` in the ` +
        `sink's database (a commit does not wait for its WAL flush: on a shared machine other processes' writes make ` +
        `the disk's latency swamp the comparison, and a cheaper sink transaction makes Baton's share of each ` +
        `transaction larger, not smaller); the workload is ${options.transactions} committed transactions of ${options.rows} inserts and ` +
        `one update each, written once (${(writeMs / 1000).toFixed(1)} s) after a template slot was created; each ` +
        `run reads all of them from a fresh copy of that slot (\`pg_copy_logical_replication_slot\`) into an emptied ` +
        `sink, and is timed from the pump's start to its last confirmation. ${options.rounds} rounds in alternating ` +
        'order after one untimed run of each; figures are medians. Each run checks the sink holds every batch and ' +
        'change once.',
      `Per transaction: ${batonTx.toFixed(0)} µs through Baton, ${directTx.toFixed(0)} µs directly; of which ` +
        `inside deliver (one sink transaction: lock the offsets row, insert the batch and its rows, move the ` +
        `checkpoint, commit) ${batonDeliver.toFixed(0)} µs and ${directDeliver.toFixed(0)} µs. The rest is the ` +
        `slot read (decoding, the replication socket) and the checkpoint + confirmation.`,
      `Ratio within each round (Baton's run against the direct run next to it): median ` +
        `${median(paired).toFixed(3)}, from ${Math.min(...paired).toFixed(2)} to ${Math.max(...paired).toFixed(2)}.`,
    ],
    measuredAt: new Date().toISOString(),
  };
}

/** Checks a run left every batch and change in the sink once. */
async function checkSink(url: string, output: Variant, options: CdcThroughputOptions): Promise<void> {
  const { batches, changes } = await withClient(url, async (client) => {
    const result = await client.query<{ batches: string; changes: string }>(
      `SELECT (SELECT count(*) FROM baton_cdc_batches WHERE output = $1)::text AS batches,
              (SELECT count(*) FROM baton_cdc_changes WHERE output = $1)::text AS changes`,
      [output],
    );
    return result.rows[0]!;
  });
  const expected = options.transactions * (options.rows + 1);
  if (Number(batches) !== options.transactions || Number(changes) !== expected)
    throw new Error(
      `${output}: the sink holds ${batches} batches and ${changes} changes (expected ${options.transactions} and ${expected})`,
    );
}
