/**
 * `npm run fuzz [-- <inputs per decoder> [seed] [summary file] [amplification bytes]]`: feeds every
 * decoder Baton exposes (CRDT envelopes and merges, index bytes, checked frames, file CDC
 * checkpoints and sink records, plugin manifests and signatures, a bundle's source map) at least
 * 100 000 random and mutated inputs each (10 000 for the source map: each input is a signed bundled
 * artifact loaded from disk), one child process per decoder watched for hangs; then decodes each crafted
 * high-amplification input (`amplificationInputs.ts`, 12 MiB each by default) in a child process of
 * its own and reports the peak memory and the time per input byte (CPU inputs at two sizes, to find
 * time that grows faster than the input). Exits non-zero on any finding; writes a
 * summary to the file given as third argument (for the reliability report).
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { DEFAULT_AMPLIFICATION_BYTES, MAX_TIME_GROWTH, runAmplification } from './amplification.js';
import { decoderTargets } from './decoderTargets.js';
import type { FuzzResult } from './fuzzTarget.js';

const inputs = Number(process.argv[2] ?? 100_000);
const seed = Number(process.argv[3] ?? Date.now() % 1_000_000);
const summaryPath = process.argv[4];
const amplificationBytes = Number(process.argv[5] ?? DEFAULT_AMPLIFICATION_BYTES);
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

const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
console.log(`\ncrafted high-amplification inputs of ${mib(amplificationBytes)}, each in a child process:`);
const amplification = await runAmplification({
  bytes: amplificationBytes,
  onResult: (r) => {
    console.log(
      `${(r.limit !== undefined && r.bytesPerInputByte > r.limit) || (r.quarter?.growth ?? 0) > MAX_TIME_GROWTH ? 'FINDING' : 'ok     '}  ${`${r.target} ← ${r.input}`.padEnd(88)} ${r.outcome.padEnd(20)} ${String(r.ms).padStart(8)} ms ${r.nsPerInputByte.toFixed(0).padStart(6)} ns/B  ${r.bytesPerInputByte.toFixed(2).padStart(6)} B/B${r.limit === undefined ? ' (measured only)' : ` (limit ${r.limit})`}${r.quarter === undefined ? '' : `  time per byte ×${r.quarter.growth} from ${mib(r.quarter.bytes)} (limit ×${MAX_TIME_GROWTH})`}`,
    );
  },
});
for (const f of amplification.findings) console.log(`  amplification: ${f}`);
const { worst, worstMeasured, worstRefused } = amplification;
console.log(
  `worst memory per input byte: ${worst.bytesPerInputByte} (${worst.target} ← ${worst.input}); refused inputs at most ${worstRefused.bytesPerInputByte}; measured only: ${worstMeasured.bytesPerInputByte} (${worstMeasured.target})`,
);

const findings = [...results.flatMap((r) => r.findings), ...amplification.findings.map((f) => `amplification: ${f}`)];
if (summaryPath)
  await writeFile(
    summaryPath,
    JSON.stringify(
      { seed, decoders: results.length, inputs: total, findings, results, amplification },
      (_, value: unknown) => (value === undefined ? null : value),
      2,
    ),
  );
process.exitCode = findings.length > 0 ? 1 : 0;
