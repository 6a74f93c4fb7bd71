/**
 * Decodes every crafted amplification input (see `amplificationInputs.ts`) in a child process of
 * its own and reports, per input, the outcome, the peak memory and the time per input byte. A
 * finding is a crash (out of memory, a signal, no result within the child's 120 s), an untyped
 * error, a valid state refused or a hostile one accepted, a factor above `maxBytesPerInputByte`,
 * or — for the CPU inputs, decoded at a quarter of the size too — a time per input byte that grows
 * more than {@link MAX_TIME_GROWTH}-fold when the input grows 4-fold (linear work keeps it flat,
 * quadratic work quadruples it).
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { crdtLimits } from '@baton/kinds';
import { amplificationInputs } from './amplificationInputs.js';
import type { AmplificationInput } from './amplificationInput.js';
import type { AmplificationResult } from './measureOne.js';

/** One input's result, with its factor and the limit it was held to (`undefined`: measured only). */
export type AmplificationRow = AmplificationResult & {
  readonly bytesPerInputByte: number;
  readonly limit: number | undefined;
  /** Decode time per input byte, in nanoseconds. */
  readonly nsPerInputByte: number;
  /** CPU inputs: the time per input byte at a quarter of the size, and how much it grew from there. */
  readonly quarter?: { readonly bytes: number; readonly nsPerInputByte: number; readonly growth: number };
};

/** Most a CPU input's time per input byte may grow when the input grows 4-fold (quadratic work: 4). */
export const MAX_TIME_GROWTH = 2.5;

const nsPerByte = (result: AmplificationResult): number => +((result.ms * 1e6) / result.bytes).toFixed(1);

/** The worst factor of a set of results, and the input it was. */
export interface Worst {
  readonly input: string;
  readonly target: string;
  readonly bytesPerInputByte: number;
}

/** What the amplification run found. */
export interface AmplificationSummary {
  readonly bytes: number;
  readonly results: readonly AmplificationRow[];
  /** The largest peak memory per input byte over the decoders bounded here, and the input it was. */
  readonly worst: Worst;
  /** The same over the decoders only measured here (the loader's JSON). */
  readonly worstMeasured: Worst;
  /** The worst over hostile inputs (those that must be refused). */
  readonly worstRefused: Worst;
  readonly findings: readonly string[];
}

/** Options of {@link runAmplification}. */
export interface AmplificationOptions {
  /** Size of each crafted input, in bytes (default 16 MiB). */
  readonly bytes?: number;
  /**
   * A factor above this is a finding (default `crdtLimits.memoryPerInputByte`; twice that for a
   * merge, which holds the state read and the merged one).
   */
  readonly maxBytesPerInputByte?: number;
  /** Heap limit of each child, in MB (default: Node's). */
  readonly maxOldSpaceMb?: number;
  readonly onResult?: (result: AmplificationSummary['results'][number]) => void;
  /** Runs only the inputs this accepts (default: every input). */
  readonly only?: (input: AmplificationInput) => boolean;
}

/** Size of each crafted input by default: 12 MiB, under the default envelope limit (16 MiB). */
export const DEFAULT_AMPLIFICATION_BYTES = 12 * 1024 * 1024;

const child = fileURLToPath(new URL('./measureOne.ts', import.meta.url));

function measure(
  index: number,
  bytes: number,
  maxOldSpaceMb: number | undefined,
): Promise<AmplificationResult | string> {
  const args = [
    '--expose-gc',
    ...(maxOldSpaceMb === undefined ? [] : [`--max-old-space-size=${maxOldSpaceMb}`]),
    ...process.execArgv.filter((a) => !a.startsWith('--max-old-space-size')),
    child,
    String(index),
    String(bytes),
  ];
  return new Promise((resolve) => {
    execFile(process.execPath, args, { timeout: 120_000, maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      const line = stdout.split('\n').find((l) => l.startsWith('result '));
      if (line !== undefined) {
        resolve(JSON.parse(line.slice(7)) as AmplificationResult);
        return;
      }
      const oom = /heap out of memory|Allocation failed/i.test(stderr);
      resolve(
        oom
          ? 'the process ran out of memory'
          : `the process failed (${error?.message.split('\n')[0] ?? 'no result'}): ${stderr.split('\n').slice(-3).join(' ')}`,
      );
    });
  });
}

/** Runs every crafted input (one child process each, one after the other). */
export async function runAmplification(options: AmplificationOptions = {}): Promise<AmplificationSummary> {
  const size = options.bytes ?? DEFAULT_AMPLIFICATION_BYTES;
  const factor = options.maxBytesPerInputByte ?? crdtLimits.memoryPerInputByte;
  const results: AmplificationRow[] = [];
  const findings: string[] = [];
  for (const [i, input] of amplificationInputs.entries()) {
    if (options.only?.(input) === false) continue;
    const measured = await measure(i, size, options.maxOldSpaceMb);
    const label = `${input.target} ← ${input.name}`;
    if (typeof measured === 'string') {
      findings.push(`${label}: ${measured}`);
      continue;
    }
    const limit = input.bounded === false ? undefined : input.target.includes('merge(bytes)') ? 2 * factor : factor;
    let quarter: AmplificationRow['quarter'];
    if (input.cpu === true) {
      const small = await measure(i, Math.floor(size / 4), options.maxOldSpaceMb);
      if (typeof small === 'string') findings.push(`${label} (a quarter of the size): ${small}`);
      else {
        const growth = +(nsPerByte(measured) / Math.max(nsPerByte(small), 1e-3)).toFixed(2);
        quarter = { bytes: small.bytes, nsPerInputByte: nsPerByte(small), growth };
        if (growth > MAX_TIME_GROWTH)
          findings.push(
            `${label}: ${nsPerByte(measured)} ns per input byte at ${measured.bytes} bytes, ${quarter.nsPerInputByte} at ${small.bytes}: the time grows ${growth}-fold for 4-fold input (limit ${MAX_TIME_GROWTH})`,
          );
      }
    }
    const result: AmplificationRow = {
      ...measured,
      bytesPerInputByte: +(measured.peakBytes / measured.bytes).toFixed(2),
      limit,
      nsPerInputByte: nsPerByte(measured),
      ...(quarter === undefined ? {} : { quarter }),
    };
    results.push(result);
    options.onResult?.(result);
    if (result.outcome.startsWith('untyped')) findings.push(`${label}: ${result.outcome}`);
    else if (input.expect === 'value' && result.outcome !== 'value')
      findings.push(`${label}: a valid state was refused (${result.outcome})`);
    else if (input.expect === 'error' && result.outcome === 'value') findings.push(`${label}: accepted`);
    if (limit !== undefined && result.bytesPerInputByte > limit)
      findings.push(`${label}: ${result.bytesPerInputByte} bytes of memory per input byte (limit ${limit})`);
  }
  return {
    bytes: size,
    results,
    worst: worstOf(results.filter((r) => r.limit !== undefined)),
    worstMeasured: worstOf(results.filter((r) => r.limit === undefined)),
    worstRefused: worstOf(results.filter((r) => r.limit !== undefined && r.expect === 'error')),
    findings,
  };
}

function worstOf(results: readonly AmplificationRow[]): Worst {
  const worst = results.reduce<Worst>((w, r) => (r.bytesPerInputByte > w.bytesPerInputByte ? r : w), {
    input: 'none',
    target: 'none',
    bytesPerInputByte: 0,
  });
  return { input: worst.input, target: worst.target, bytesPerInputByte: worst.bytesPerInputByte };
}
