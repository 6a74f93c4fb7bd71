import type fc from 'fast-check';
import { VerbosityLevel } from 'fast-check';

/** Options every property check accepts; passed to `fc.assert`. */
export interface RunOptions {
  /** Generated cases (default 100). */
  readonly numRuns?: number;
  /** Replays a failure. */
  readonly seed?: number;
  /** With `seed`, the shrink path to replay. */
  readonly path?: string;
  /** Prints every failing case, not only the shrunk one. */
  readonly verbose?: boolean;
}

/** Maps {@link RunOptions} onto fast-check parameters. */
export function assertParameters(options: RunOptions): fc.Parameters<unknown> {
  return {
    numRuns: options.numRuns ?? 100,
    // The readable counterexample of a check is its error message: show it in the report.
    includeErrorInReport: true,
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    ...(options.path === undefined ? {} : { path: options.path }),
    ...(options.verbose ? { verbose: VerbosityLevel.VeryVerbose } : {}),
  };
}
