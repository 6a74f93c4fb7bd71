/**
 * The README reliability rows of a fuzz run (`npm run reliability` writes them): the random and
 * mutated inputs, and the crafted high-amplification inputs with the worst memory and time per
 * input byte.
 */
import { crdtLimits } from '@baton/kinds';
import { MAX_TIME_GROWTH } from './amplification.js';
import type { AmplificationSummary } from './amplification.js';

/** What `fuzz.ts` writes to its summary file. */
export interface FuzzSummary {
  readonly decoders: number;
  readonly inputs: number;
  readonly findings: readonly string[];
  readonly results: readonly { readonly maxMs: number }[];
  readonly amplification: AmplificationSummary;
}

/** The `Fuzz` and `Amplification` rows of the reliability table. */
export function fuzzRows(fuzz: FuzzSummary): string[] {
  const amp = fuzz.amplification;
  const refused = amp.results.filter((r) => r.expect === 'error' && r.limit !== undefined);
  const valid = amp.results.filter((r) => r.expect === 'value' && r.limit !== undefined);
  const slowest = Math.max(...amp.results.filter((r) => r.limit !== undefined).map((r) => r.ms));
  const ampFindings = amp.findings.length;
  const cpu = amp.results.filter((r) => r.quarter !== undefined);
  const growth = Math.max(0, ...cpu.map((r) => r.quarter!.growth));
  const nsPerByte = Math.max(0, ...cpu.map((r) => r.nsPerInputByte));
  const f = crdtLimits.memoryPerInputByte;
  return [
    `| Fuzz | ${fuzz.inputs.toLocaleString('en-US')} random and mutated inputs into ${fuzz.decoders} decoders (CRDT envelopes and merges, index bytes, checked frames, CDC checkpoints and sink records, manifests, signatures, logical-type literals) | ${fuzz.findings.length - ampFindings} findings: every input gave a value or a typed error; slowest input ${Math.max(...fuzz.results.map((r) => r.maxMs)).toFixed(1)} ms; no prototype changed; worst memory ${amp.worst.bytesPerInputByte.toFixed(1)} bytes per input byte (crafted inputs, next row) |`,
    `| Amplification | ${amp.results.length} crafted inputs of ${(amp.bytes / 2 ** 20).toFixed(0)} MiB, each decoded in a child process: ${refused.length} hostile (valid checksums with absurd declared counts, a million levels of nesting, empty maps, arrays and byte strings by the million, duplicate keys, msgpackr records, patched Arrow row, field and node counts) and ${valid.length} valid ones (CRDT states of the smallest items, read and merged; indexes; JSON literals; frames; ${cpu.length} OR-Sets with dots of about a million replicas merged twice, also at a quarter of the size, for time) | ${ampFindings} findings; every hostile input a typed error, at most ${amp.worstRefused.bytesPerInputByte.toFixed(2)} bytes of memory per input byte; worst ${amp.worst.bytesPerInputByte.toFixed(1)} bytes per input byte (${amp.worst.target}, ${amp.worst.input.replace(/^valid: /, '')}), limit ${f} (${2 * f} for a merge); slowest ${(slowest / 1000).toFixed(1)} s; the CPU inputs at most ${nsPerByte.toFixed(0)} ns per input byte, growing at most ×${growth} for 4× the input (limit ×${MAX_TIME_GROWTH}: linear time); the loader's JSON, measured only: ${amp.worstMeasured.bytesPerInputByte.toFixed(1)} |`,
  ];
}
