import { describeTarget, formatNumber, meets } from './results.js';
import type { GoalSection } from './results.js';

/** A README figures block of one goal's section as measured: its rows, and where they come from. */
export function readmeFigures(section: GoalSection): string {
  const lines = section.rows.map((row) => {
    const ratio = Number.isNaN(row.ratio) ? '' : ` (${formatNumber(row.ratio)}×)`;
    const goal =
      row.target === undefined
        ? '—'
        : `${describeTarget(row.target)}: ${meets(row.target.on === 'ratio' ? row.ratio : row.baton, row.target) ? 'met' : 'missed'}`;
    return `| ${row.name} | ${formatNumber(row.baton)} ${row.unit} | ${formatNumber(row.baseline)} ${row.unit}, ${row.baselineLabel}${ratio} | ${goal} |`;
  });
  return [
    '| Measured | Baton | Against | Goal |',
    '|---|---|---|---|',
    ...lines,
    '',
    `Produced by \`npm run bench\` (goal ${section.id}) on ${section.measuredAt.slice(0, 10)}; the findings under goal ` +
      `${section.id} of [BENCHMARKS.md](BENCHMARKS.md) say where the time went.`,
  ].join('\n');
}
