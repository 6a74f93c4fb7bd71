/**
 * `npm run fuzz [-- <inputs per decoder> [seed]]`: feeds every decoder Baton exposes (CRDT
 * envelopes, index bytes, checked frames, file CDC checkpoints and sink records, plugin manifests and
 * signatures) at least 100 000 random and mutated inputs each, one child process per decoder watched
 * for hangs. Exits non-zero on any finding; writes a summary to `fuzz-summary.json` in the temp dir
 * given as third argument (for the reliability report).
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { decoderTargets } from './decoderTargets.js';
import type { FuzzResult } from './fuzzTarget.js';

const inputs = Number(process.argv[2] ?? 100_000);
const seed = Number(process.argv[3] ?? Date.now() % 1_000_000);
const summaryPath = process.argv[4];
const HANG_MS = 30_000;

function fuzzInChild(name: string): Promise<FuzzResult> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [
        ...process.execArgv,
        fileURLToPath(new URL('./fuzzOne.ts', import.meta.url)),
        name,
        String(inputs),
        String(seed),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let result: FuzzResult | undefined;
    let watchdog = setTimeout(() => child.kill('SIGKILL'), HANG_MS);
    createInterface({ input: child.stdout }).on('line', (line) => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => child.kill('SIGKILL'), HANG_MS);
      if (line.startsWith('progress ') && process.stdout.isTTY)
        process.stdout.write(`\r  ${name}: ${line.slice(9)} / ${inputs}`.padEnd(80));
      if (line.startsWith('result ')) result = JSON.parse(line.slice(7)) as FuzzResult;
    });
    child.on('close', (code, signal) => {
      clearTimeout(watchdog);
      resolve(
        result ?? {
          target: name,
          inputs,
          rejected: 0,
          accepted: 0,
          maxMs: 0,
          findings: [
            signal === 'SIGKILL' ? `no progress for ${HANG_MS} ms: a hang` : `the fuzzer exited with code ${code}`,
          ],
        },
      );
    });
  });
}

const results: FuzzResult[] = [];
for (const target of await decoderTargets()) {
  results.push(await fuzzInChild(target.name));
  await target.dispose?.();
}
if (process.stdout.isTTY) process.stdout.write('\r'.padEnd(80) + '\r');
for (const r of results)
  console.log(
    `${r.findings.length ? 'FINDING' : 'ok     '}  ${r.target.padEnd(48)} ${r.inputs} inputs · ${r.rejected} typed errors · ${r.accepted} accepted · slowest ${r.maxMs} ms`,
  );
for (const r of results) for (const f of r.findings) console.log(`  ${r.target}: ${f}`);
const total = results.reduce((n, r) => n + r.inputs, 0);
console.log(
  `${results.length} decoders, ${total} inputs (seed ${seed}), ${results.reduce((n, r) => n + r.findings.length, 0)} findings`,
);
if (summaryPath)
  await writeFile(
    summaryPath,
    JSON.stringify(
      { seed, decoders: results.length, inputs: total, findings: results.flatMap((r) => r.findings), results },
      null,
      2,
    ),
  );
process.exitCode = results.some((r) => r.findings.length > 0) ? 1 : 0;
