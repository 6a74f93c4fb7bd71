import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

/** Settings of one demo run. */
export interface DemoOptions {
  /** Seconds of load. */
  readonly durationSec: number;
  /** Concurrent query clients (DuckDB queries, CRDT and storage calls). */
  readonly clients: number;
  /** Concurrent writer clients (PostgreSQL transactions). */
  readonly writers: number;
  /** Engine calls per second over all query clients (paced; latency counts from when a call was due). */
  readonly rate: number;
  /** PostgreSQL transactions per second over all writers. */
  readonly writeRate: number;
  /** Seconds the query clients run before the load's clock starts (default 0: none). */
  readonly warmupSec?: number;
  /** Where the DuckDB database, signed artifacts and the HTML report go (see `prepareDataDirectory`). */
  readonly dataDirectory: string;
  readonly seed: number;
  /** Rows of the `places` table and its vector index. */
  readonly rows: number;
  /** An existing PostgreSQL server to use instead of an embedded one. */
  readonly postgresUrl?: string;
  /** Print a progress bar (default: when stdout is a terminal). */
  readonly progress: boolean;
  /**
   * Calls each phase of the schedule (before each reload attempt, and before the end) waits for at
   * least, besides its share of the duration (default 0). Tests set it so that a slow machine still
   * exercises every phase under load, without depending on how many calls fit into some seconds.
   */
  readonly minCallsPerPhase?: number;
}

/** What `npm start -- --help` prints. */
export const HELP = `npm start -- [options]

Runs the Baton demo on a real stack: writer clients commit transactions into PostgreSQL; the
engine reads them from a logical replication slot into a Baton-managed CDC stream whose output
(the plugin's) writes PostgreSQL sink tables; query clients run SQL on DuckDB that calls the
plugin's functions and vector index. Meanwhile the plugin is hot-reloaded to a compatible
version, an incompatible one is refused before any pause, and a tampered artifact is refused at
verification. Prints a report with PASS/FAIL checks and writes an HTML timeline.

options:
  --duration <seconds>   seconds of load (default 4)
  --clients <n>          concurrent query clients on DuckDB (default 6)
  --writers <n>          concurrent writer clients on PostgreSQL (default 4)
  --rate <n>             queries and calls per second, over all query clients (default 100);
                         each call's latency counts from when it was due, so a rate the
                         machine cannot keep up with shows as growing latency
  --write-rate <n>       PostgreSQL transactions per second, over all writers (default 40)
  --warmup <seconds>     the query clients run this long before the load (and its clock)
                         starts, so the timeline shows a warm process (default 1)
  --postgres-url <url>   use this PostgreSQL server instead of starting an embedded one
                         (postgres://user:password@host:port/db; needs wal_level=logical and a
                         user with REPLICATION that may create schemas; the demo makes the
                         schemas baton_demo and baton_demo_sink, the publication baton_demo_pub
                         and the slot baton_demo, and drops the slot at the end)
  --data-dir <dir>       data directory: new, empty, or one an earlier run made, which is
                         emptied (anything else is refused) (default examples/.baton-data)
  --seed <n>             random seed (default 42)
  --rows <n>             rows in the places table and vector index (default 5000)
  --no-progress          no progress bar
  -h, --help             this help
`;

/** Parses `argv`; returns undefined after printing help. Throws on a bad option. */
export function parseDemoOptions(argv: readonly string[], examplesDir: string): DemoOptions | undefined {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      duration: { type: 'string', default: '4' },
      clients: { type: 'string', default: '6' },
      writers: { type: 'string', default: '4' },
      rate: { type: 'string', default: '100' },
      'write-rate': { type: 'string', default: '40' },
      warmup: { type: 'string', default: '1' },
      'postgres-url': { type: 'string' },
      'data-dir': { type: 'string' },
      seed: { type: 'string', default: '42' },
      rows: { type: 'string', default: '5000' },
      // isTTY is undefined, not false, when stdout is not a terminal (the typings say boolean).
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-boolean-literal-compare
      progress: { type: 'boolean', default: process.stdout.isTTY === true },
      'no-progress': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return undefined;
  const number = (name: string, text: string, min: number, max: number): number => {
    const n = Number(text);
    if (!Number.isFinite(n) || n < min || n > max)
      throw new RangeError(`--${name} must be a number from ${min} to ${max} (got ${JSON.stringify(text)})`);
    return n;
  };
  const url = values['postgres-url'];
  if (url !== undefined && !/^postgres(ql)?:\/\//.test(url))
    throw new RangeError(`--postgres-url must be a postgres:// or postgresql:// URL`);
  return {
    durationSec: number('duration', values.duration, 1, 600),
    clients: Math.round(number('clients', values.clients, 1, 1000)),
    writers: Math.round(number('writers', values.writers, 1, 64)),
    rate: number('rate', values.rate, 1, 100_000),
    writeRate: number('write-rate', values['write-rate'], 1, 10_000),
    warmupSec: number('warmup', values.warmup, 0, 60),
    dataDirectory: resolve(values['data-dir'] ?? resolve(examplesDir, '.baton-data')),
    seed: Math.round(number('seed', values.seed, 0, 2 ** 32 - 1)),
    rows: Math.round(number('rows', values.rows, 100, 1_000_000)),
    ...(url === undefined ? {} : { postgresUrl: url }),
    progress: values.progress && !values['no-progress'],
  };
}
