import { createPluginHost, definePlugin } from '@baton/core';
import type { IndexKindProvider, PluginDefinition } from '@baton/core';
import { flatVectorIndex } from '@baton/kinds';
import type { BenchRow } from './results.js';
import { collectGarbage, median } from './stats.js';
import { releaseFloats, rowsFor, VECTOR_COLUMN, vectorTable } from './vectorData.js';

const DIM = 128;
const MIB = 2 ** 20;

/** The flat-vector kind as a version without `adopt` would be: reloads persist and open. */
function withoutAdopt(provider: IndexKindProvider): IndexKindProvider {
  return { kind: provider.kind, build: (s, o) => provider.build(s, o), open: (b, o) => provider.open(b, o) };
}

/** A plugin version with only the flat-vector index kind (by reference, or by copy). */
function indexPlugin(version: string, byReference: boolean): PluginDefinition {
  return definePlugin({
    name: 'bench-index',
    version,
    register(r) {
      r.indexKind(byReference ? flatVectorIndex() : withoutAdopt(flatVectorIndex()));
    },
  });
}

/** What the reloads of one index size measured. */
interface IndexPauseCase {
  readonly megabytes: number;
  readonly byReference: boolean;
  readonly pauseMs: number;
  readonly prepareMs: number;
  /** Array-buffer memory the prepared handoff added (new handle and what it was made from), in bytes. */
  readonly extraBytes: number;
}

/**
 * Reloads a plugin whose one live resource is a flat-vector index of `megabytes` MiB (dim 128),
 * `rounds` times after one untimed reload: the pause (gate closed → open) and the prepare phase
 * before it, medians, and the array-buffer memory the prepared handoff held at its peak.
 */
async function indexPauseCase(megabytes: number, byReference: boolean, rounds: number): Promise<IndexPauseCase> {
  const host = createPluginHost();
  await host.load(indexPlugin('1.0.0', byReference));
  const rows = rowsFor(megabytes, DIM);
  await host.openIndex({ name: 'vectors', key: 'flat-vector', source: vectorTable(rows, DIM), column: VECTOR_COLUMN });
  releaseFloats(); // the index holds its own copy
  let before = 0;
  let peak = 0;
  host.on('prepared', () => void (peak = Math.max(peak, process.memoryUsage().arrayBuffers - before)));
  const pauses: number[] = [];
  const prepares: number[] = [];
  for (let round = 0; round <= rounds; round++) {
    collectGarbage();
    before = process.memoryUsage().arrayBuffers;
    const result = await host.reload(indexPlugin(`1.${round + 1}.0`, byReference));
    await result.retired;
    if (round === 0) continue; // cold code
    pauses.push(result.timings.pauseMs);
    prepares.push(result.timings.prepareMs);
  }
  await host.close();
  collectGarbage();
  return { megabytes, byReference, pauseMs: median(pauses), prepareMs: median(prepares), extraBytes: peak };
}

/**
 * The index rows of goal 11: the pause with each size against the pause with the smallest, by
 * reference (judged) and by copy at the largest by-copy size (reported), and the memory a handoff
 * adds by reference vs by copy.
 */
export async function indexPauseRows(
  megabytes: readonly number[],
  copyMegabytes: number,
  rounds: number,
): Promise<{ rows: BenchRow[]; findings: string[] }> {
  const cases: IndexPauseCase[] = [];
  for (const mb of megabytes) cases.push(await indexPauseCase(mb, true, rounds));
  const copy = await indexPauseCase(copyMegabytes, false, rounds);
  const base = cases[0]!;
  const rows: BenchRow[] = cases.slice(1).map((c) => ({
    name: `pause, ${c.megabytes} MiB flat-vector index (by reference)`,
    baton: c.pauseMs,
    baseline: base.pauseMs,
    unit: 'ms',
    baselineLabel: `pause, ${base.megabytes} MiB index`,
    ratio: c.pauseMs / base.pauseMs,
    target: { on: 'ratio', cmp: '<=', value: 1.5 } as const,
  }));
  rows.push({
    name: `pause, ${copy.megabytes} MiB index by copy (a version without adopt: persist → open before the pause)`,
    baton: copy.pauseMs,
    baseline: base.pauseMs,
    unit: 'ms',
    baselineLabel: `pause, ${base.megabytes} MiB index`,
    ratio: copy.pauseMs / base.pauseMs,
  });
  const sameSize = cases.find((c) => c.megabytes === copyMegabytes);
  if (sameSize)
    rows.push({
      name: `peak extra memory of the handoff, ${copyMegabytes} MiB index: by reference vs by copy`,
      baton: sameSize.extraBytes / MIB,
      baseline: copy.extraBytes / MIB,
      unit: 'MiB',
      baselineLabel: 'by copy',
      ratio: sameSize.extraBytes / copy.extraBytes,
    });
  const largest = cases.at(-1)!;
  const findings = [
    `Index reloads (medians of ${rounds} reloads after one untimed): the work moved before the pause — prepare took ` +
      cases.map((c) => `${c.prepareMs.toFixed(2)} ms at ${c.megabytes} MiB`).join(', ') +
      ` by reference, and ${copy.prepareMs.toFixed(1)} ms at ${copy.megabytes} MiB by copy (persist copies the vectors, ` +
      `open verifies the CRC-32), while the old handle kept answering probes. The pause itself is the gate closing and ` +
      `opening around a catch-up with nothing to do: ${base.pauseMs.toFixed(3)} ms at ${base.megabytes} MiB, ` +
      `${largest.pauseMs.toFixed(3)} ms at ${largest.megabytes} MiB.`,
    `Memory: the prepared handoff held ${(copy.extraBytes / MIB).toFixed(0)} MiB more array-buffer memory by copy ` +
      `(the persisted bytes, which the reopened handle views) and ` +
      `${((sameSize?.extraBytes ?? 0) / MIB).toFixed(2)} MiB by reference (the new handle shares the old one's buffers).`,
  ];
  return { rows, findings };
}
