import type { IndexHandle, IndexKindProvider, IndexSnapshot } from '@baton/core';
import { flatVectorIndex, orderedIndex } from '@baton/kinds';
import { tableFromArrays } from 'apache-arrow';
import type { Table } from 'apache-arrow';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { vectorQueries, vectorTables } from '../arbitraries/vectorTables.js';
import { assertIndexHandoff } from './indexHandoff.js';

const honest = flatVectorIndex();
const sources = vectorTables({ maxRows: 30, dims: { min: 1, max: 4 } }).filter((s) => s.table.numRows > 1);
const build = (s: { table: Table }): IndexHandle => honest.build(s.table, { column: 'embedding' });
const options = { sources, queries: (s: { dim: number }) => vectorQueries(s.dim), k: fc.constant(100), numRuns: 40 };

/** The honest provider with `adopt` replaced. */
const withAdopt = (adopt: IndexKindProvider['adopt']): IndexKindProvider => ({
  kind: honest.kind,
  build: (source, o) => honest.build(source, o),
  open: (bytes, o) => honest.open(bytes, o),
  ...(adopt ? { adopt } : {}),
});

const failureOf = (run: Promise<unknown>): Promise<Error | undefined> =>
  run.then(
    () => undefined,
    (error: unknown) => error as Error,
  );

/** A copy of the snapshot's buffers (each its own memory). */
const copied = (snapshot: IndexSnapshot, change?: (bytes: Uint8Array) => void): IndexSnapshot => ({
  ...snapshot,
  buffers: snapshot.buffers.map((b) => {
    const bytes = new Uint8Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    change?.(bytes);
    return new (b.constructor as new (buffer: ArrayBufferLike) => ArrayBufferView)(bytes.buffer);
  }),
});

describe('assertIndexHandoff: snapshot → adopt', () => {
  it('accepts flat-vector and ordered adopting their own snapshots (expectAdopt)', async () => {
    await assertIndexHandoff(build, flatVectorIndex(), { ...options, expectAdopt: true });
    const keys = fc.array(fc.integer({ min: -9, max: 9 }), { maxLength: 30 });
    await assertIndexHandoff(
      (k: number[]) => orderedIndex().build(tableFromArrays({ key: Int32Array.from(k) }), { column: 'key' }),
      orderedIndex(),
      {
        sources: keys,
        queries: () =>
          fc
            .tuple(fc.integer({ min: -10, max: 10 }), fc.integer({ min: 0, max: 5 }))
            .map(([lo, w]) => tableFromArrays({ lo: Int32Array.of(lo), hi: Int32Array.of(lo + w) }).batches[0]!),
        expectAdopt: true,
        numRuns: 30,
      },
    );
  });

  it('catches an adopt that copies the data wrongly', async () => {
    const broken = withAdopt((snapshot, o) =>
      honest.adopt(
        copied(snapshot, (bytes) => bytes.length > 0 && (bytes[0] = bytes[0]! ^ 0x40)),
        o,
      ),
    );
    const failure = await failureOf(assertIndexHandoff(build, broken, options));
    expect(failure?.message).toMatch(/flat-vector: answers changed after snapshot → adopt \(layout 'flat-vector\/2'\)/);
    expect(failure?.message).toMatch(/query batch \d+ \(\d+ rows\)/);
  });

  it('catches an old handle whose close() takes the shared memory away from the adopted one', async () => {
    const wiping = (s: { table: Table }): IndexHandle => {
      const h = honest.build(s.table, { column: 'embedding' });
      return {
        probe: (q, k) => h.probe(q, k),
        persist: () => h.persist(),
        snapshot: () => h.snapshot(),
        close() {
          // The bug: close() scrubs the buffers it shared instead of dropping its references.
          for (const b of h.snapshot().buffers) new Uint8Array(b.buffer, b.byteOffset, b.byteLength).fill(0x7f);
          h.close();
        },
      };
    };
    const failure = await failureOf(assertIndexHandoff(wiping, honest, options));
    expect(failure?.message).toMatch(
      /flat-vector: the adopted handle answers differently after the old handle was closed/,
    );
  });

  it('catches an adopt that takes a layout it does not know', async () => {
    const greedy = withAdopt((snapshot, o) => honest.adopt({ ...snapshot, layout: 'flat-vector/2' }, o));
    const failure = await failureOf(assertIndexHandoff(build, greedy, { ...options, numRuns: 5 }));
    expect(failure?.message).toMatch(
      /flat-vector: adopt\(\) took a snapshot of an unknown layout 'flat-vector\/2\+unknown/,
    );
  });

  it('allows an adopt answering undefined, unless adoption was expected', async () => {
    const declining = withAdopt(() => undefined);
    await assertIndexHandoff(build, declining, { ...options, numRuns: 10 });
    const failure = await failureOf(
      assertIndexHandoff(build, declining, { ...options, numRuns: 10, expectAdopt: true }),
    );
    expect(failure?.message).toMatch(
      /flat-vector: adopt\(\) answered undefined for the old handle's snapshot \(layout 'flat-vector\/2'\)/,
    );
    expect(failure?.message).toMatch(/adoption was expected \(expectAdopt\)/);
    const none = await failureOf(
      assertIndexHandoff(build, withAdopt(undefined), { ...options, numRuns: 1, expectAdopt: true }),
    );
    expect(none?.message).toMatch(/flat-vector: adoption was expected, but the new provider has no adopt\(\)/);
  });
});
