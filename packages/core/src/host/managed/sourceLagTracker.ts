import { ReloadError, isReloadError } from '../../errors/reloadError.js';
import { MAX_TIMER_MS } from '../../settings/settingSpecs.js';
import { checkOptionKeys } from '../../settings/checkSettings.js';
import type { CdcLagBehind, CdcSource, CdcSourceLag, CdcSourcePosition } from '../../surfaces/cdcSource.js';
import { withDeadline } from '../../util/deadline.js';
import { isPromiseLike } from '../../util/maybePromise.js';

/** Options of `ManagedCdcStream.trackSource`. */
export interface TrackSourceOptions {
  /** Milliseconds between readings of the source (default 5000): the resolution of the time lag. */
  readonly intervalMs?: number;
  /** Milliseconds a reading may take before it fails with `STEP_TIMEOUT` (default 2000). */
  readonly timeoutMs?: number;
}

/**
 * Readings kept to date positions; past this many, the one whose neighbours are closest in time goes
 * (never the oldest or the newest), so what is kept stays spread evenly over the time covered.
 */
const MAX_SAMPLES = 256;

/**
 * Commit times of delivered batches kept to date the source's confirmed position; past this many,
 * every other one but the oldest goes (the oldest dates the confirmed position exactly).
 */
const MAX_COMMITS = 1_024;

/** By `at` (the source's clock), the source had logged through `lsn`: a reading's head, or a delivered batch's commit. */
interface Sample {
  readonly lsn: bigint;
  readonly at: number;
}

/** Who the tracker reads for: a stream's name (for errors), and whether that stream closed. */
export interface TrackedStream {
  readonly name: string;
  readonly closed: boolean;
}

/**
 * Reads a {@link CdcSource} every `intervalMs` for one managed stream — one reading at a time, each
 * bounded by `timeoutMs` — and keeps the last one (or its failure), the heads of earlier ones and the
 * commit times of the batches delivered past the confirmed position, which date a position: how
 * long the source has had something past it. Nothing here touches the stream's deliveries. Stops by
 * itself once the stream is closed.
 */
export class SourceLagTracker {
  readonly #intervalMs: number;
  readonly #timeoutMs: number;
  #samples: Sample[] = [];
  /** Delivered batches past the confirmed position: `lsnEnd` and commit time, ascending. */
  #commits: Sample[] = [];
  #last: CdcSourcePosition & { readonly at: number } = { headLsn: 0n, at: 0 };
  #hasReading = false;
  #error: ReloadError | undefined;
  #reading: Promise<void> | undefined;
  /** The source's last `sourcePosition` call has not settled (it ignored the abort at its deadline). */
  #sourceBusy = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;

  constructor(
    readonly source: CdcSource,
    readonly stream: TrackedStream,
    /** What the stream delivered now (samples at or before it are dropped when the source confirms nothing). */
    readonly floor: () => bigint | undefined,
    options: TrackSourceOptions | undefined,
  ) {
    if (typeof (source as { sourcePosition?: unknown } | null)?.sourcePosition !== 'function') {
      throw new ReloadError({
        code: 'INVALID_ARGUMENT',
        phase: 'call',
        kind: 'cdcOutput',
        key: stream.name,
        message: `CDC stream '${stream.name}': trackSource needs a source with a sourcePosition() method`,
      });
    }
    checkOptionKeys(options, ['intervalMs', 'timeoutMs'], 'trackSource options', 'call');
    this.#intervalMs = checkMs(stream.name, 'intervalMs', options?.intervalMs, 5_000);
    this.#timeoutMs = checkMs(stream.name, 'timeoutMs', options?.timeoutMs, 2_000);
  }

  /** The failure of the last reading; `undefined` after one succeeded. */
  get error(): ReloadError | undefined {
    return this.#error;
  }

  /** Starts reading: once now, then every `intervalMs`. */
  start(): void {
    void this.read();
  }

  /** Stops reading; a reading in flight is ignored. Idempotent. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  get stopped(): boolean {
    return this.#stopped || this.stream.closed;
  }

  /** Reads now, or joins the reading in flight; never rejects (see {@link error}). */
  read(): Promise<void> {
    clearTimeout(this.#timer);
    return (this.#reading ??= this.#read().finally(() => {
      this.#reading = undefined;
      this.#schedule();
    }));
  }

  /**
   * {@link read}, for a caller: rejects with the reading's failure, and with `ABORTED` when `signal`
   * aborts first (the reading goes on).
   */
  async readNow(signal: AbortSignal | undefined): Promise<void> {
    try {
      await withDeadline(() => this.read(), { timeoutMs: Infinity, signal });
    } catch (error) {
      throw new ReloadError({
        code: 'ABORTED',
        phase: 'call',
        kind: 'cdcOutput',
        key: this.stream.name,
        step: 'sourcePosition',
        message: `CDC stream '${this.stream.name}': waiting for a reading of its source was aborted`,
        cause: error,
      });
    }
    if (this.#error !== undefined) throw this.#error;
  }

  /**
   * The lags the last reading gives for `delivered` (the stream's position now) and the source's
   * confirmed position; `undefined` before the first reading succeeded or after one failed.
   */
  lag(delivered: bigint | undefined): CdcSourceLag | undefined {
    if (!this.#hasReading || this.#error !== undefined) return undefined;
    const { headLsn, confirmedLsn, at } = this.#last;
    const from = delivered !== undefined && confirmedLsn !== undefined && delivered < confirmedLsn;
    const position = from ? confirmedLsn : delivered;
    return {
      headLsn,
      at,
      ...(position === undefined ? {} : { delivered: this.#behind(position) }),
      ...(confirmedLsn === undefined ? {} : { confirmed: this.#behind(confirmedLsn) }),
    };
  }

  /**
   * The stream delivered a batch ending at `lsnEnd` that committed at `commitTimestamp`: it dates the
   * source's confirmed position until the source confirms past it. Kept only while the source
   * reports a confirmed position (nothing else can be behind a delivered batch).
   */
  delivered(lsnEnd: bigint, commitTimestamp: number): void {
    if (this.#last.confirmedLsn === undefined || lsnEnd <= this.#last.confirmedLsn) return;
    const commits = this.#commits;
    const newest = commits.at(-1);
    if (newest !== undefined && (lsnEnd <= newest.lsn || commitTimestamp < newest.at)) return;
    commits.push({ lsn: lsnEnd, at: commitTimestamp });
    if (commits.length > MAX_COMMITS) this.#commits = commits.filter((_, i) => i % 2 === 0);
  }

  #behind(position: bigint): CdcLagBehind {
    const { headLsn, at } = this.#last;
    if (position >= headLsn) return { lsn: 0n, ms: 0 };
    const past = (sample: Sample): boolean => sample.lsn > position;
    const seen = this.#samples.find(past)?.at ?? at;
    const committed = this.#commits.find(past)?.at ?? at;
    return { lsn: headLsn - position, ms: Math.max(0, at - Math.min(seen, committed)) };
  }

  #schedule(): void {
    if (this.stopped) return;
    this.#timer = setTimeout(() => void this.read(), this.#intervalMs);
    this.#timer.unref();
  }

  async #read(): Promise<void> {
    if (this.stopped) return;
    if (this.#sourceBusy) {
      this.#error = this.#failure(
        'STEP_TIMEOUT',
        `its previous reading has not settled, ${this.#timeoutMs} ms after it was abandoned`,
      );
      return;
    }
    let position: CdcSourcePosition;
    try {
      position = await withDeadline((signal) => this.#call(signal), { timeoutMs: this.#timeoutMs });
    } catch (error) {
      if (!this.stopped) this.#error = this.#wrap(error);
      return;
    }
    if (this.stopped) return;
    const problem = positionProblem(position);
    if (problem !== undefined) {
      this.#error = this.#failure('INVALID_PROVIDER', problem);
      return;
    }
    const reading = { ...position, at: position.at ?? Date.now() };
    this.#last = reading;
    this.#hasReading = true;
    this.#error = undefined;
    this.#keep({ lsn: reading.headLsn, at: reading.at });
  }

  /** Calls the source, noting while its call is unsettled. */
  #call(signal: AbortSignal): ReturnType<CdcSource['sourcePosition']> {
    const result = this.source.sourcePosition({ signal });
    if (isPromiseLike(result)) {
      this.#sourceBusy = true;
      const settled = (): void => {
        this.#sourceBusy = false;
      };
      Promise.resolve(result).then(settled, settled);
    }
    return result;
  }

  /**
   * Adds a reading's head to the samples (ascending LSNs; of equal heads the earliest is kept) and
   * drops those at or before the lowest position still to be dated: the confirmed one, else what
   * the stream delivered (a sample dates a position only when its head is past it).
   */
  #keep(sample: Sample): void {
    let samples = this.#samples;
    const newest = samples.at(-1);
    if (newest !== undefined && sample.lsn < newest.lsn) samples = []; // the source went back (restored)
    if (newest === undefined || sample.lsn !== newest.lsn || samples.length === 0) samples.push(sample);
    const lowest = this.#last.confirmedLsn ?? this.floor();
    if (lowest !== undefined) {
      dropThrough(samples, lowest);
      dropThrough(this.#commits, lowest);
    }
    if (this.#last.confirmedLsn === undefined) this.#commits.length = 0;
    if (samples.length > MAX_SAMPLES) samples.splice(densest(samples), 1);
    this.#samples = samples;
  }

  #wrap(error: unknown): ReloadError {
    if (error instanceof DOMException && error.name === 'TimeoutError')
      return this.#failure('STEP_TIMEOUT', `it did not answer within ${this.#timeoutMs} ms`, error);
    if (isReloadError(error)) return error;
    const detail = error instanceof Error ? error.message : String(error);
    return this.#failure('PROVIDER_FAILED', `it threw: ${detail}`, error);
  }

  #failure(code: 'STEP_TIMEOUT' | 'INVALID_PROVIDER' | 'PROVIDER_FAILED', what: string, cause?: unknown): ReloadError {
    return new ReloadError({
      code,
      phase: 'call',
      kind: 'cdcOutput',
      key: this.stream.name,
      step: 'sourcePosition',
      message: `CDC stream '${this.stream.name}': reading its source's position failed: ${what}`,
      ...(cause === undefined ? {} : { cause }),
    });
  }
}

/** Removes the samples (ascending) at or before `lsn`. */
function dropThrough(samples: Sample[], lsn: bigint): void {
  const keepFrom = samples.findIndex((s) => s.lsn > lsn);
  samples.splice(0, keepFrom === -1 ? samples.length : keepFrom);
}

/** The index (neither first nor last) whose removal leaves the smallest gap in time. */
function densest(samples: readonly Sample[]): number {
  let best = 1;
  for (let i = 2; i < samples.length - 1; i++)
    if (samples[i + 1]!.at - samples[i - 1]!.at < samples[best + 1]!.at - samples[best - 1]!.at) best = i;
  return best;
}

function checkMs(stream: string, name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_TIMER_MS) return value;
  throw new ReloadError({
    code: 'INVALID_ARGUMENT',
    phase: 'call',
    kind: 'cdcOutput',
    key: stream,
    message: `CDC stream '${stream}': trackSource ${name} must be whole milliseconds in [1, ${MAX_TIMER_MS}]; got ${show(value)}`,
  });
}

function positionProblem(position: unknown): string | undefined {
  if (typeof position !== 'object' || position === null) return 'it answered something that is not an object';
  const { headLsn, confirmedLsn, at } = position as Record<string, unknown>;
  if (typeof headLsn !== 'bigint' || headLsn < 0n) return `headLsn must be a bigint ≥ 0 (got ${show(headLsn)})`;
  if (confirmedLsn !== undefined && (typeof confirmedLsn !== 'bigint' || confirmedLsn < 0n))
    return `confirmedLsn must be a bigint ≥ 0 when given (got ${show(confirmedLsn)})`;
  if (at !== undefined && (typeof at !== 'number' || !Number.isFinite(at)))
    return `at must be a finite number of milliseconds when given (got ${show(at)})`;
  return undefined;
}

/** A value as an error message shows it. */
function show(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === undefined || value === null)
    return String(value);
  return `a value of type ${typeof value}`;
}
