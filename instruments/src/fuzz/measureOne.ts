/**
 * Child process of the amplification run: `node --expose-gc … measureOne.ts <input index> <bytes>`.
 * Builds one crafted input, warms its decoder up on a valid sample, then decodes the input and
 * prints `result <json>`: the outcome and the peak resident memory above what the process held just
 * before decoding (Linux: the peak is reset through /proc/self/clear_refs first; elsewhere the
 * lifetime peak is used, an overestimate).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { isReloadError } from '@baton/core';
import { amplificationInputs } from './amplificationInputs.js';
import { decoderTargets } from './decoderTargets.js';

/** What decoding one crafted input cost. */
export interface AmplificationResult {
  readonly input: string;
  readonly target: string;
  readonly expect: 'value' | 'error';
  readonly bytes: number;
  /** `value`, or the error code (`CORRUPT_INPUT`), or `untyped: <message>` for any other error. */
  readonly outcome: string;
  /** The error message, when one was thrown. */
  readonly message?: string;
  readonly ms: number;
  /** Peak resident memory above the baseline while decoding, in bytes. */
  readonly peakBytes: number;
}

const [index, size] = [Number(process.argv[2]), Number(process.argv[3])];
const input = amplificationInputs[index];
if (input === undefined) throw new Error(`no amplification input #${index}`);
const targets = await decoderTargets();
const target = targets.find((t) => t.name === input.target);
if (target === undefined) throw new Error(`no decoder target '${input.target}'`);
const bytes = await input.build(size);
for (const valid of target.valid) await target.decode(valid);

const gc = (globalThis as { gc?: () => void }).gc;
const status = (): { rss: number; peak: number } => {
  try {
    const lines = readFileSync('/proc/self/status', 'utf8').split('\n');
    const kib = (key: string): number => Number(/\d+/.exec(lines.find((l) => l.startsWith(key)) ?? '')?.[0] ?? NaN);
    return { rss: kib('VmRSS:') * 1024, peak: kib('VmHWM:') * 1024 };
  } catch {
    return { rss: process.memoryUsage().rss, peak: process.resourceUsage().maxRSS * 1024 };
  }
};
gc?.();
gc?.();
try {
  writeFileSync('/proc/self/clear_refs', '5'); // resets the peak (VmHWM) to the current size
} catch {
  // not Linux: the lifetime peak stays
}
const before = status().rss;
const started = performance.now();
let outcome = 'value';
let message: string | undefined;
try {
  await target.decode(bytes);
} catch (error) {
  outcome = isReloadError(error) ? error.code : `untyped: ${String(error).slice(0, 200)}`;
  message = error instanceof Error ? error.message.slice(0, 300) : undefined;
}
const ms = performance.now() - started;
const peakBytes = Math.max(0, status().peak - before);
const result: AmplificationResult = {
  input: input.name,
  target: input.target,
  expect: input.expect,
  bytes: bytes.byteLength,
  outcome,
  ...(message === undefined ? {} : { message }),
  ms: +ms.toFixed(1),
  peakBytes,
};
for (const t of targets) await t.dispose?.();
process.stdout.write(`result ${JSON.stringify(result)}\n`);
