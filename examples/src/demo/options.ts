import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

/** Settings of one demo run. */
export interface DemoOptions {
  /** Seconds of load. */
  readonly durationSec: number;
  /** Concurrent clients. */
  readonly clients: number;
  /** Where the CDC sink, signed artifacts and the HTML report go (see `prepareDataDirectory`). */
  readonly dataDirectory: string;
  readonly seed: number;
  /** Rows of the initial `places` table. */
  readonly rows: number;
  /** Print a progress bar (default: when stdout is a terminal). */
  readonly progress: boolean;
  /**
   * Calls each phase of the schedule (before each reload attempt, and before the end) waits for at
   * least, besides its share of the duration (default 0). Tests set it so that a slow machine still
   * exercises every phase under load, without depending on how many calls fit into some seconds.
   */
  readonly minCallsPerPhase?: number;
}

export const HELP = `npm start -- [options]

Runs the Baton demo: an embedded data engine serves concurrent clients while its plugin is
hot-reloaded to a compatible version, an incompatible one is refused before any pause, and a
tampered artifact is refused at verification. Prints a report and writes an HTML timeline.

options:
  --duration <seconds>   seconds of load (default 6)
  --clients <n>          concurrent clients (default 32)
  --data-dir <dir>       data directory: new, empty, or one an earlier run made, which is
                         emptied (anything else is refused) (default examples/.baton-data)
  --seed <n>             random seed (default 42)
  --rows <n>             rows in the initial table and vector index (default 20000)
  --no-progress          no progress bar
  -h, --help             this help
`;

/** Parses `argv`; returns undefined after printing help. Throws on a bad option. */
export function parseDemoOptions(argv: readonly string[], examplesDir: string): DemoOptions | undefined {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      duration: { type: 'string', default: '6' },
      clients: { type: 'string', default: '32' },
      'data-dir': { type: 'string' },
      seed: { type: 'string', default: '42' },
      rows: { type: 'string', default: '20000' },
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
  return {
    durationSec: number('duration', values.duration, 1, 600),
    clients: Math.round(number('clients', values.clients, 1, 10_000)),
    dataDirectory: resolve(values['data-dir'] ?? resolve(examplesDir, '.baton-data')),
    seed: Math.round(number('seed', values.seed, 0, 2 ** 32 - 1)),
    rows: Math.round(number('rows', values.rows, 100, 1_000_000)),
    progress: values.progress && !values['no-progress'],
  };
}
