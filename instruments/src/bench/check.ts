/**
 * `npm run bench:check`: judges the last results (`bench-results.json` at the repository root,
 * written by `npm run bench`) against the goals of the issue, and exits non-zero when a row misses
 * its goal, naming the row. Benchmarks are not tests: `npm test` runs no timing assertion, this does.
 */
import { readResults, RESULTS_PATH, verdicts } from './results.js';

const GOALS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13] as const;

const results = readResults();
if (results === undefined) {
  console.error(`bench:check: no results at ${RESULTS_PATH}; run \`npm run bench\` first.`);
  process.exit(2);
}
const measured = new Set(results.goals.map((g) => g.id));
const absent = GOALS.filter((id) => !measured.has(id));
const judged = verdicts(results);
console.log(
  `bench:check — results of ${results.date} (${results.machine.cpuModel} × ${results.machine.cpus}, Node ${results.machine.node})`,
);
for (const v of judged) {
  console.log(`  ${v.pass ? 'pass' : 'MISS'}  goal ${v.goal}: ${v.row.name} — ${v.detail}`);
}
for (const section of results.goals) {
  if (!section.rows.some((row) => row.target !== undefined))
    console.log(`  info  goal ${section.id}: ${section.title} — reported only (no numeric goal)`);
}
const missed = judged.filter((v) => !v.pass);
if (absent.length > 0) console.log(`  MISS  goals not measured: ${absent.join(', ')} (run \`npm run bench\`)`);
if (missed.length > 0 || absent.length > 0) {
  console.log(
    `\n${missed.length} row(s) missed their goal${absent.length > 0 ? `, ${absent.length} goal(s) absent` : ''}:`,
  );
  for (const v of missed) console.log(`  goal ${v.goal}: ${v.row.name} — ${v.detail}`);
  process.exit(1);
}
console.log(`\nAll ${judged.length} goal rows pass.`);
