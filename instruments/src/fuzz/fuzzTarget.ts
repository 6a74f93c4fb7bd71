import { isReloadError } from '@baton/core';
import { garbageBytes } from '@baton/testing';
import fc from 'fast-check';
import type { DecoderTarget } from './decoderTargets.js';

/** What fuzzing one decoder found. */
export interface FuzzResult {
  readonly target: string;
  readonly inputs: number;
  readonly rejected: number;
  readonly accepted: number;
  /** Slowest single input, in milliseconds. */
  readonly maxMs: number;
  readonly findings: readonly string[];
}

const PROTOTYPES = [Object.prototype, Array.prototype, Function.prototype, Map.prototype];
const snapshot = (): string[] => PROTOTYPES.map((p) => Object.getOwnPropertyNames(p).sort().join());

/**
 * Feeds `inputs` random and mutated inputs to a decoder. A finding is any answer other than a value
 * or a `ReloadError` with one of the target's codes, an input taking over `maxMs`, or a change to the
 * built-in prototypes (pollution). `onProgress` is called every 1000 inputs (a heartbeat).
 */
export async function fuzzTarget(
  target: DecoderTarget,
  inputs: number,
  options: { seed?: number; maxMs?: number; onProgress?: (done: number) => void } = {},
): Promise<FuzzResult> {
  const maxAllowedMs = options.maxMs ?? 2_000;
  const before = snapshot();
  const findings: string[] = [];
  let rejected = 0;
  let accepted = 0;
  let maxMs = 0;
  const bytes = garbageBytes({ valid: fc.constantFrom(...target.valid), maxBytes: 1024 });
  const samples = fc.sample(bytes, { numRuns: inputs, ...(options.seed === undefined ? {} : { seed: options.seed }) });
  for (const [i, input] of samples.entries()) {
    const started = performance.now();
    try {
      await target.decode(input);
      accepted++;
    } catch (error) {
      if (isReloadError(error) && target.codes.includes(error.code)) rejected++;
      else if (findings.length < 5)
        findings.push(
          `input ${i} (${input.length} bytes, ${Buffer.from(input.subarray(0, 48)).toString('hex')}…) threw ${isReloadError(error) ? `${error.code}: ${error.message}` : String(error)}`,
        );
    }
    const took = performance.now() - started;
    maxMs = Math.max(maxMs, took);
    if (took > maxAllowedMs && findings.length < 5) findings.push(`input ${i} took ${took.toFixed(0)} ms`);
    if ((i + 1) % 1000 === 0) options.onProgress?.(i + 1);
  }
  const polluted =
    snapshot().some((names, i) => names !== before[i]) || ({} as Record<string, unknown>)['polluted'] !== undefined;
  if (polluted) findings.push('a built-in prototype was changed (prototype pollution)');
  await target.dispose?.();
  return { target: target.name, inputs, rejected, accepted, maxMs: +maxMs.toFixed(2), findings };
}
