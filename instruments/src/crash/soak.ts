/**
 * `npm run soak`: many more crash trials than the test suite runs (default 120). Prints a summary and
 * writes it to `<data>/soak.json` for the reliability report; exits non-zero on any failure.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCrashTrials } from './crashTrials.js';

const trials = Number(process.argv[2] ?? 120);
const dataDir = process.argv[3] ?? (await mkdtemp(join(tmpdir(), 'baton-soak-')));
const started = performance.now();
const report = await runCrashTrials({
  trials,
  dataDir: join(dataDir, 'node'),
  seed: Number(process.env['SOAK_SEED'] ?? Date.now() % 1_000_000),
  verifyEvery: 10,
  onTrial: (n, at) => process.stdout.write(`\r  trial ${n}/${trials} (killed at ${at})`.padEnd(60)),
});
const last = report.verifications.at(-1);
const summary = {
  trials: report.trials,
  kills: report.kills,
  reloadsCommitted: report.reloadsCommitted,
  reloadsRefused: report.reloadsRefused,
  verifications: report.verifications.length,
  committedWrites: last?.writes ?? 0,
  lost: report.verifications.reduce((n, v) => n + v.lost, 0),
  duplicated: report.verifications.reduce((n, v) => n + v.duplicated, 0),
  indexMismatches: report.verifications.reduce((n, v) => n + v.indexMismatches, 0),
  crdtMismatches: report.verifications.filter((v) => v.visits !== v.expectedVisits).length,
  failures: report.failures,
  seconds: +((performance.now() - started) / 1000).toFixed(1),
};
await writeFile(join(dataDir, 'soak.json'), JSON.stringify(summary, null, 2));
console.log(`\n${JSON.stringify(summary, null, 2)}`);
process.exitCode = report.failures.length === 0 ? 0 : 1;
