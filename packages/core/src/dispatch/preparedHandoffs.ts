import type { DisciplineSet } from '../disciplines/disciplineSet.js';
import type { PreparedHandoff, PreparedSnapshot } from '../disciplines/discipline.js';
import { ReloadError } from '../errors/reloadError.js';
import { mapBounded } from '../util/boundedMap.js';
import type { CompatVerdict } from '../compat/verdict.js';
import type { HandoffRecord } from './reloadOutcome.js';
import { firstFailure, handoffInput, paramsOf } from './resourceHandoff.js';
import type { CheckedHandoff } from './resourceHandoff.js';
import { StepRecorder } from './stepRecorder.js';
import type { StepSignal } from './stepSignal.js';

/** One handoff prepared before the pause: what `prepare` made, and how long it took. */
interface PreparedEntry {
  readonly snapshot: PreparedSnapshot<unknown>;
  readonly context: StepRecorder;
  readonly ms: number;
  /** What the pre-copy rounds reported (see `PreparedSnapshot.refresh`). */
  readonly facts?: Readonly<Record<string, unknown>>;
}

/** What {@link PreparedHandoffs.prepare} needs besides the handoffs. */
export interface PrepareSettings {
  readonly signal: AbortSignal;
  readonly concurrency: number;
  readonly timeoutMs: number;
  readonly rollbackTimeoutMs: number;
  readonly shared: StepSignal;
  /** The compat verdict of one handoff (already checked). */
  readonly verdictOf: (handoff: CheckedHandoff) => CompatVerdict | Promise<CompatVerdict>;
}

/**
 * The handoffs of one dispatcher that were prepared before the pause, by position: each is either
 * consumed by `catchUp` (inside the pause) or discarded (refusal, rollback, or a dispatcher that
 * never dispatched) — exactly once.
 */
export class PreparedHandoffs {
  readonly #entries: (PreparedEntry | undefined)[];
  readonly #handoffs: readonly CheckedHandoff[];
  readonly #disciplines: DisciplineSet;

  constructor(handoffs: readonly CheckedHandoff[], disciplines: DisciplineSet) {
    this.#handoffs = handoffs;
    this.#disciplines = disciplines;
    this.#entries = handoffs.map(() => undefined);
  }

  /** Records of what was prepared (for the `prepared` event and reports). */
  get records(): readonly HandoffRecord[] {
    return this.#entries.flatMap((e, i) =>
      e === undefined
        ? []
        : [{ kind: this.#handoffs[i]!.kind, name: this.#handoffs[i]!.name, ms: e.ms, detail: detailOf(e) }],
    );
  }

  /**
   * Runs `prepare` of every handoff whose discipline has one (up to `concurrency` at once). On the
   * first failure, discards what was prepared and rejects with a `ReloadError` in phase `prepare`.
   */
  async prepare(settings: PrepareSettings): Promise<void> {
    const results = await mapBounded(this.#handoffs, settings.concurrency, async (h) => {
      const discipline = this.#disciplines.require(h.kind);
      if (!discipline.prepare) return undefined;
      settings.signal.throwIfAborted();
      const known = settings.verdictOf(h);
      const verdict = known instanceof Promise ? await known : known;
      const context = new StepRecorder(
        h.kind,
        h.name,
        settings.signal,
        settings.timeoutMs,
        'prepare',
        settings.rollbackTimeoutMs,
        settings.shared,
      );
      const started = performance.now();
      const snapshot = await discipline.prepare(handoffInput(h, verdict), context);
      return snapshot === undefined ? undefined : { snapshot, context, ms: performance.now() - started };
    });
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') this.#entries[i] = r.value;
    });
    await this.#failed(firstFailure(this.#handoffs, results, 'prepare'));
  }

  /** After a failed prepare or refresh: discards everything prepared, then throws the failure. */
  async #failed(failure: ReturnType<typeof firstFailure>): Promise<void> {
    if (failure === undefined) return;
    const { failed, cause } = failure;
    const errors = await this.discardAll();
    if (errors.length === 0) throw cause;
    throw new ReloadError({
      code: cause.code,
      phase: 'prepare',
      kind: failed.kind,
      key: failed.name,
      ...(cause.step === undefined ? {} : { step: cause.step }),
      message: `${cause.message}; discarding ${errors.length} prepared resource(s) failed too (the old ones serve)`,
      cause: new AggregateError([cause, ...errors]),
    });
  }

  /** True when some prepared handoff has a pre-copy round (`refresh`). */
  get refreshable(): boolean {
    return this.#entries.some((e) => e?.snapshot.refresh !== undefined);
  }

  /**
   * One pre-copy round: `refresh` of every prepared handoff that has one (up to `concurrency` at
   * once), its facts merged into the handoff's detail. On the first failure, discards everything
   * prepared and rejects with a `ReloadError` in phase `prepare` (nothing paused).
   */
  async refresh(concurrency: number): Promise<void> {
    const results = await mapBounded(this.#entries, concurrency, async (e, i) => {
      if (e?.snapshot.refresh === undefined) return;
      const started = performance.now();
      const facts = await e.snapshot.refresh(e.context);
      this.#entries[i] = { ...e, facts: { ...e.facts, ...facts, refreshMs: performance.now() - started } };
    });
    await this.#failed(firstFailure(this.#handoffs, results, 'prepare'));
  }

  /**
   * Inside the pause: the `catchUp` of handoff `i` when it was prepared (the entry is consumed,
   * and discarded if `catchUp` rejects), else `undefined`.
   */
  catchUp(i: number, context: StepRecorder): Promise<PreparedHandoff<unknown>> | undefined {
    const entry = this.#entries[i];
    if (entry === undefined) return undefined;
    this.#entries[i] = undefined;
    const handoff = this.#handoffs[i]!;
    return entry.snapshot.catchUp(paramsOf(handoff), context).then(
      (prepared) => withDetail(prepared, { ...detailOf(entry), prepareMs: entry.ms }),
      async (error: unknown) => {
        await entry.snapshot.discard(context.undoContext()).catch(() => undefined);
        throw error;
      },
    );
  }

  /** Discards every entry not consumed; resolves with the discard failures (the old resources serve regardless). */
  async discardAll(): Promise<unknown[]> {
    const pending = this.#entries.flatMap((e, i) => (e === undefined ? [] : [{ e, i }]));
    for (const { i } of pending) this.#entries[i] = undefined;
    const settled = await Promise.allSettled(pending.map(({ e }) => e.snapshot.discard(e.context.undoContext())));
    return settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as unknown] : []));
  }
}

/** What prepare found about an entry, and what its pre-copy rounds reported. */
function detailOf(entry: PreparedEntry): Readonly<Record<string, unknown>> {
  return { ...entry.snapshot.detail, ...entry.facts };
}

/** `prepared` with `detail` in front of its own detail (what prepare found, then what catchUp did). */
function withDetail<R>(prepared: PreparedHandoff<R>, detail: Readonly<Record<string, unknown>>): PreparedHandoff<R> {
  return {
    next: prepared.next,
    detail: { ...detail, ...prepared.detail },
    release: (context) => prepared.release(context),
    undo: (context) => prepared.undo(context),
    ...(prepared.afterCommit === undefined ? {} : { afterCommit: (context) => prepared.afterCommit!(context) }),
  };
}
