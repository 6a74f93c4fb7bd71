import type { IndexKindProvider } from '@baton/core';
import type { RecordBatch, Table } from 'apache-arrow';
import fc from 'fast-check';
import { assertRejectsGarbage } from '../checks/garbageBytes.js';
import { assertIndexHandoff } from '../checks/indexHandoff.js';
import type { RunOptions } from '../checks/runOptions.js';
import type { ConformanceCase } from './conformanceCase.js';

/** Options of {@link indexKindConformance}. */
export interface IndexConformanceOptions<S> extends RunOptions {
  /** Data to build from. */
  readonly sources: fc.Arbitrary<S>;
  /** The table (or batch) of a source, and the build options. */
  readonly table: (source: S) => Table | RecordBatch;
  readonly column: string;
  readonly params?: Readonly<Record<string, unknown>>;
  /** Queries for a source. */
  readonly queries: (source: S) => fc.Arbitrary<RecordBatch>;
}

/**
 * The conformance suite every index kind runs. `factory` makes a provider as a newly loaded version
 * would: answers must survive persist → open on a fresh provider, and `open` must answer random and
 * corrupted bytes with a typed error. When the provider has `adopt`, a case demands that a fresh
 * provider adopts a handle's snapshot (so its handles need `snapshot`) and that the adopted handle
 * answers and persists as the reopened one, also after the old handle is closed (see
 * `assertIndexHandoff` with `expectAdopt`).
 */
export function indexKindConformance<S>(
  factory: () => IndexKindProvider,
  options: IndexConformanceOptions<S>,
): ConformanceCase[] {
  const sample = factory();
  const kind = sample.kind;
  const build = (source: S) =>
    factory().build(options.table(source), {
      column: options.column,
      ...(options.params ? { params: options.params } : {}),
    });
  return [
    {
      name: `${kind}: probes answer identically after persist → open on a new version`,
      run: () =>
        assertIndexHandoff(build, factory(), { ...options, sources: options.sources, queries: options.queries }),
    },
    ...(typeof sample.adopt === 'function'
      ? [
          {
            name: `${kind}: snapshot → adopt on a new version answers identically, also after the old handle closes`,
            run: () => assertIndexHandoff(build, factory(), { ...options, expectAdopt: true }),
          },
        ]
      : []),
    {
      name: `${kind}: open rejects random and corrupted bytes with a typed error`,
      run: async () => {
        const samples = fc.sample(options.sources, { numRuns: 12, seed: 7 });
        const valid = await Promise.all(samples.map(async (s) => (await build(s)).persist()));
        const provider = factory();
        await assertRejectsGarbage((bytes) => provider.open(bytes), {
          ...options,
          valid: fc.constantFrom(...valid),
          numRuns: options.numRuns ?? 300,
        });
      },
    },
  ];
}
