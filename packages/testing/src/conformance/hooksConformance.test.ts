import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CdcOutputProvider, CrdtKindProvider, IndexKindProvider } from '@baton/core';
import { fileCdcOutput, flatVectorIndex, gCounter, readFileSink } from '@baton/kinds';
import type { Table } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { referenceOps } from '../arbitraries/crdtOps.js';
import { vectorQueries, vectorTables } from '../arbitraries/vectorTables.js';
import { crdtKindConformance } from './crdtKindConformance.js';
import { indexKindConformance } from './indexKindConformance.js';
import { cdcOutputConformance } from './otherConformance.js';

const names = (cases: readonly { name: string }[]): string[] => cases.map((c) => c.name);

describe('conformance cases of the reload hooks', () => {
  const fileOptions = {
    sink: () => mkdtemp(join(tmpdir(), 'baton-cdc-hooks-')),
    read: async (dir: string) => (await readFileSink(dir)).batches,
    dispose: (dir: string) => rm(dir, { recursive: true, force: true }),
    numRuns: 25,
  };
  const file = (dir: string) => fileCdcOutput({ name: 'audit', directory: dir, bufferBytes: 256 });
  const takeover = cdcOutputConformance('fileCdcOutput', file, { ...fileOptions, expectAdopt: true });
  for (const c of takeover.slice(1)) it(c.name, c.run, 60_000);

  it('are present only where the provider has the hooks (or the author says it does)', () => {
    const withoutAdopt = (dir: string): CdcOutputProvider => {
      const p = file(dir);
      return { name: p.name, start: (o) => p.start(o) };
    };
    expect(names(takeover)).toContain(
      'fileCdcOutput: a stream taken over in memory continues exactly once (detach → adopt, unknown layouts restart)',
    );
    expect(names(cdcOutputConformance('plain', withoutAdopt, fileOptions))).toHaveLength(1);

    const flat = flatVectorIndex();
    const noAdopt = (): IndexKindProvider => ({ kind: flat.kind, build: flat.build, open: flat.open });
    const index = { sources: vectorTables(), table: (s: { table: Table }) => s.table, column: 'embedding' };
    const indexCases = { ...index, queries: (s: { dim: number }) => vectorQueries(s.dim) };
    expect(names(indexKindConformance(() => flatVectorIndex(), indexCases)).join('\n')).toMatch(
      /flat-vector: snapshot → adopt on a new version/,
    );
    expect(names(indexKindConformance(noAdopt, indexCases)).join('\n')).not.toMatch(/adopt/);

    const g = gCounter();
    const plain: CrdtKindProvider = {
      kind: 'plain',
      empty: () => {
        const { mark: _mark, ...rest } = g.empty();
        return rest as never;
      },
      fromPersisted: (bytes) => g.fromPersisted(bytes),
    };
    const delta = /the delta since a mark carries every change/;
    expect(names(crdtKindConformance(g, { ops: referenceOps.gCounter })).join('\n')).toMatch(delta);
    expect(names(crdtKindConformance(plain, { ops: referenceOps.gCounter as never })).join('\n')).not.toMatch(delta);
    expect(names(crdtKindConformance(plain, { ops: referenceOps.gCounter as never, deltas: true })).join('\n')).toMatch(
      delta,
    );
  });
});
