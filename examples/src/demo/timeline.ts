import type { CallSamples } from './recorder.js';
import { WRITE_OP, percentile } from './recorder.js';
import type { Attempt } from './reloadSchedule.js';

/** A reload attempt on the timeline. */
export interface TimelineMarker {
  readonly atSec: number;
  readonly label: string;
  readonly tone: 'committed' | 'refused';
}

/** A span when a plugin's gate was closed: stateful calls waited. */
export interface TimelinePause {
  readonly fromSec: number;
  readonly toSec: number;
  readonly label: string;
}

/**
 * What the HTML report draws, in columns over buckets of `bucketMs` (one value per bucket, placed
 * at its middle, `t` in seconds since the run started). Rates are per second. A latency or delay of
 * `null` means nothing completed in that bucket: the charts leave a gap there, since no call says
 * how fast calls were then (the calls waiting through it show up in the buckets they complete in).
 */
export interface ReportTimeline {
  readonly bucketMs: number;
  /** The end of the load, in seconds: nothing after it is drawn. */
  readonly endSec: number;
  readonly t: readonly number[];
  /** Engine calls (queries, CRDT and storage calls) completed per second, by the version serving them. */
  readonly callsByVersion: readonly { readonly version: string; readonly perSec: readonly number[] }[];
  /** PostgreSQL transactions completed per second by the writers. */
  readonly writesPerSec: readonly number[];
  /** CDC batches (one per transaction) delivered to the sink per second. */
  readonly cdcPerSec: readonly number[];
  /** Latency percentiles of the engine calls completed in each bucket, from when each was due (ms). */
  readonly p50Ms: readonly (number | null)[];
  readonly p99Ms: readonly (number | null)[];
  readonly maxMs: readonly (number | null)[];
  /** The largest event-loop delay sampled in each bucket (ms). */
  readonly loopDelayMs: readonly (number | null)[];
  readonly pauses: readonly TimelinePause[];
  readonly markers: readonly TimelineMarker[];
}

/** What {@link buildTimeline} reads. */
export interface TimelineInput {
  readonly samples: CallSamples;
  readonly attempts: readonly Attempt[];
  /** When each CDC batch reached the sink (ms). */
  readonly cdcTimesMs: readonly number[];
  /** Event-loop delay samples: [when (ms), largest delay since the previous sample (ms)]. */
  readonly loopDelay: readonly (readonly [number, number])[];
  /** The end of the load (ms): later completions (the clients' last calls, the checks) are left out. */
  readonly endMs: number;
  readonly bucketMs: number;
}

const round = (n: number): number => Math.round(n * 1000) / 1000;

/** Buckets a run into the columns the HTML report draws (see {@link ReportTimeline}). */
export function buildTimeline(input: TimelineInput): ReportTimeline {
  const { samples, bucketMs, endMs } = input;
  if (!(bucketMs > 0 && endMs >= 0)) throw new RangeError(`bad timeline span: bucket ${bucketMs} ms, end ${endMs} ms`);
  const n = Math.max(1, Math.ceil(endMs / bucketMs));
  const bucketOf = (ms: number): number => (ms >= 0 && ms < endMs ? Math.floor(ms / bucketMs) : -1);
  const perSec = 1000 / bucketMs;
  const byVersion = samples.versions.map(() => new Array<number>(n).fill(0));
  const writes = new Array<number>(n).fill(0);
  const latencies: number[][] = Array.from({ length: n }, () => []);
  for (let i = 0; i < samples.count; i++) {
    const b = bucketOf(samples.end[i]!);
    if (b < 0) continue;
    if (samples.op[i] === WRITE_OP) {
      writes[b]! += perSec;
      continue;
    }
    byVersion[samples.version[i]!]![b]! += perSec;
    latencies[b]!.push(samples.latency[i]!);
  }
  const cdc = new Array<number>(n).fill(0);
  for (const t of input.cdcTimesMs) {
    const b = bucketOf(t);
    if (b >= 0) cdc[b]! += perSec;
  }
  const loop = new Array<number | null>(n).fill(null);
  for (const [t, delay] of input.loopDelay) {
    const b = bucketOf(t);
    if (b >= 0) loop[b] = Math.max(loop[b] ?? 0, round(delay));
  }
  const quantile = (p: number) => (values: number[]) =>
    values.length === 0 ? null : round(percentile(Float64Array.from(values), p));
  const sec = (ms: number): number => round(ms / 1000);
  return {
    bucketMs,
    endSec: sec(endMs),
    t: Array.from({ length: n }, (_, b) => sec((b + 0.5) * bucketMs)),
    callsByVersion: samples.versions
      .map((version, v) => ({ version, perSec: byVersion[v]! }))
      .filter((series) => series.version !== '' || series.perSec.some((x) => x > 0))
      .map((series) => ({ version: series.version || 'no version yet', perSec: series.perSec })),
    writesPerSec: writes,
    cdcPerSec: cdc,
    p50Ms: latencies.map(quantile(0.5)),
    p99Ms: latencies.map(quantile(0.99)),
    maxMs: latencies.map(quantile(1)),
    loopDelayMs: loop,
    pauses: input.attempts.flatMap((a) =>
      a.pause ? [{ fromSec: sec(a.pause.fromMs), toSec: sec(a.pause.toMs), label: `${a.label}: gate closed` }] : [],
    ),
    markers: input.attempts.map((a) => ({
      atSec: sec(a.committedAtMs ?? a.endedAtMs),
      label: a.result ? `${a.label}: committed` : `${a.label}: refused (${a.error?.code ?? '?'})`,
      tone: a.result ? 'committed' : 'refused',
    })),
  };
}
