import type { CompatReport } from '../compat/compatReport.js';
import { ReloadDispatcher } from '../dispatch/reloadDispatcher.js';
import type { HandoffRecord, ReloadOutcome } from '../dispatch/reloadOutcome.js';
import type { UnrestoredResource } from '../dispatch/rollback.js';
import type { ReloadPhase } from '../errors/codes.js';
import { ReloadError, isReloadError, toReloadError } from '../errors/reloadError.js';
import type { HostEventMap, PluginTransition, ReloadEventBase } from '../events/hostEvents.js';
import { timeoutError, waitWithin } from '../util/deadline.js';
import type { HostCore } from './hostCore.js';
import type { Backing } from './managed/resourceCell.js';
import type { PluginSlot } from './pluginSlot.js';
import type { PluginVersion } from './pluginVersion.js';
import type { PlanStep } from './reloadPlan.js';
import { conflictError } from './surfaceRegistry.js';
import type { ReloadOptions, ReloadResult, RetireReport } from './reloadTypes.js';

const NEVER_ABORTED = new AbortController().signal;

/**
 * One reload, start to end: stage → compat → prepare → pre-copy round → quiesce → drain → dispatch
 * → journal → commit → retire (after-commit steps first), or rollback from any step before commit.
 * Every phase change, event and stats update happens here.
 */
export class ReloadRun {
  readonly id: number;
  readonly #core: HostCore;
  readonly #steps: readonly PlanStep[];
  readonly #options: ReloadOptions;
  readonly #signal: AbortSignal;
  readonly #started: number;
  #phase: ReloadPhase = 'validate';
  readonly #staged: PluginVersion[] = [];
  readonly #reports = new Map<string, CompatReport>();
  /** One dispatcher per plugin of this reload, built after staging: it checks compat, then dispatches. */
  readonly #dispatchers: ReloadDispatcher[] = [];
  /** Resources a failed dispatch lost (its rollback could not restore them). */
  readonly #lost: UnrestoredResource[] = [];
  readonly #outcomes: { readonly slot: PluginSlot; readonly outcome: ReloadOutcome }[] = [];
  readonly #timings = {
    stageMs: 0,
    compatMs: 0,
    prepareMs: 0,
    refreshMs: 0,
    drainMs: 0,
    dispatchMs: 0,
    pauseMs: 0,
    totalMs: 0,
  };
  #pausedAt: number | undefined;
  readonly #plugins: readonly PluginTransition[];

  constructor(core: HostCore, steps: readonly PlanStep[], options: ReloadOptions, started: number) {
    this.#core = core;
    this.#steps = steps;
    this.#options = options;
    this.#signal = options.signal ?? NEVER_ABORTED;
    this.#started = started;
    this.id = core.nextReloadId();
    this.#plugins = steps.map(({ slot, definition }) => ({
      name: slot.name,
      from: slot.current.version,
      to: definition.version,
    }));
  }

  /** Runs the reload; resolves when committed, rejects with a `ReloadError` after rolling back. */
  async execute(): Promise<ReloadResult> {
    try {
      this.#emit('started', {});
      await this.#stage();
      await this.#checkCompat();
      await this.#prepare();
      await this.#refresh();
      this.#quiesce();
      // Inside the pause a step with nothing to wait for returns no promise: no hop, no timer.
      const draining = this.#drain();
      if (draining) await draining;
      await this.#dispatch();
      const journaling = this.#journal();
      if (journaling) await journaling;
      return this.#commit();
    } catch (error) {
      throw await this.#rollback(error);
    } finally {
      for (const { slot } of this.#steps) slot.end();
    }
  }

  #enter(phase: ReloadPhase): number {
    if (this.#signal.aborted) throw toReloadError(this.#signal.reason, { code: 'ABORTED', phase: this.#phase });
    this.#phase = phase;
    return performance.now();
  }

  async #stage(): Promise<void> {
    const t = this.#enter('stage');
    const names = new Set(this.#steps.map((s) => s.slot.name));
    const claimed = new Map<string, PluginVersion>();
    for (const { definition } of this.#steps) {
      const version = await this.#core.stage(
        definition,
        this.#options.signal,
        this.#options.registerTimeoutMs ?? this.#core.settings.registerTimeoutMs,
      );
      this.#staged.push(version);
      const taken = this.#core.registry.conflicts(version.registrations, names)[0];
      if (taken) throw conflictError(version, taken.kind, taken.key, taken);
      for (const { kind, key } of version.registrations) {
        const other = claimed.get(`${kind}\0${key}`);
        if (other)
          throw new ReloadError({
            code: 'SURFACE_CONFLICT',
            phase: 'stage',
            plugin: version.name,
            kind,
            key,
            message: `plugins '${other.name}' and '${version.name}' both register ${kind} '${key}'`,
          });
        claimed.set(`${kind}\0${key}`, version);
      }
    }
    this.#timings.stageMs = performance.now() - t;
  }

  async #checkCompat(): Promise<void> {
    const t = this.#enter('compat');
    for (const [i, { slot }] of this.#steps.entries()) {
      const next = this.#staged[i]!;
      for (const cell of slot.resources) {
        if (!next.registrations.has(cell.kind, cell.key)) {
          throw new ReloadError({
            code: 'RESOURCE_ORPHANED',
            phase: 'compat',
            plugin: slot.name,
            kind: cell.kind,
            key: cell.key,
            message: `${slot.name} ${next.version} no longer provides ${cell.kind} '${cell.key}', which live resource '${cell.name}' uses; close it first or keep providing the surface`,
          });
        }
      }
      const dispatcher = this.#dispatcher(i);
      this.#dispatchers.push(dispatcher);
      this.#reports.set(slot.name, await dispatcher.checkCompat());
    }
    this.#timings.compatMs = performance.now() - t;
    this.#emit('compatChecked', { reports: this.#reports, compatMs: this.#timings.compatMs });
  }

  /** The O(state) part of the handoffs, before the gates close, while the old versions serve. */
  async #prepare(): Promise<void> {
    const t = this.#enter('prepare');
    const handoffs: HandoffRecord[] = [];
    for (const dispatcher of this.#dispatchers) handoffs.push(...(await dispatcher.prepare()));
    this.#timings.prepareMs = performance.now() - t;
    this.#emit('prepared', { prepareMs: this.#timings.prepareMs, handoffs });
  }

  /**
   * One pre-copy round, when something prepared has one: each prepared handoff's `refresh` hands
   * over what changed since its snapshot, so the pause only has what changes after it. The gates
   * close right after it, with no event-loop turn between.
   */
  async #refresh(): Promise<void> {
    const refreshing = this.#dispatchers.filter((d) => d.refreshable);
    if (refreshing.length === 0) return;
    const t = this.#enter('prepare');
    for (const dispatcher of refreshing) await dispatcher.refresh();
    this.#timings.refreshMs = performance.now() - t;
  }

  #quiesce(): void {
    this.#pausedAt = this.#enter('quiesce');
    for (const { slot } of this.#steps) slot.gate.close();
    this.#emit('quiesced', {});
  }

  /** Waits for the gated calls in flight; `undefined` (nothing to wait for) when there are none. */
  #drain(): Promise<void> | undefined {
    const t = this.#enter('drain');
    if (this.#steps.every(({ slot }) => slot.gated.count === 0)) {
      this.#drained(t);
      return undefined;
    }
    return this.#drainBusy(t);
  }

  #drained(t: number): void {
    this.#timings.drainMs = performance.now() - t;
    this.#emit('drained', { drainMs: this.#timings.drainMs });
  }

  async #drainBusy(t: number): Promise<void> {
    const timeoutMs = this.#options.drainTimeoutMs ?? this.#core.settings.drainTimeoutMs;
    try {
      await waitWithin(Promise.all(this.#steps.map(({ slot }) => slot.gated.whenIdle())), timeoutMs, this.#signal);
    } catch (error) {
      if (!(error instanceof DOMException && error.name === 'TimeoutError')) throw error;
      const busy = this.#steps
        .filter(({ slot }) => slot.gated.count > 0)
        .map(({ slot }) => `'${slot.name}' (${slot.gated.count} in flight)`);
      throw new ReloadError({
        code: 'DRAIN_TIMEOUT',
        phase: 'drain',
        plugin: this.#steps[0]!.slot.name,
        message: `in-flight calls did not drain within ${timeoutMs} ms: ${busy.join(', ')}`,
        cause: timeoutError(timeoutMs, 'drain'),
      });
    }
    this.#drained(t);
  }

  async #dispatch(): Promise<void> {
    const t = this.#enter('dispatch');
    for (const [i, { slot }] of this.#steps.entries()) {
      const result = await this.#dispatchers[i]!.dispatch();
      if (!result.ok) {
        slot.reattach(result.rollback, result.error);
        this.#lost.push(...result.rollback.unrestored);
        throw result.error;
      }
      this.#outcomes.push({ slot, outcome: result.outcome });
    }
    this.#timings.dispatchMs = performance.now() - t;
    this.#emit('dispatched', {
      dispatchMs: this.#timings.dispatchMs,
      handoffs: this.#outcomes.flatMap(({ outcome }) => outcome.handoffs),
    });
  }

  /** Records the new versions in the journal, durably, before they become visible; `undefined` without a journal. */
  #journal(): Promise<void> | undefined {
    this.#enter('commit');
    if (this.#core.journal === undefined) return undefined;
    return this.#core.recordVersions(
      Object.fromEntries(this.#steps.map(({ slot }, i) => [slot.name, this.#staged[i]!.version])),
      'commit',
    );
  }

  /** The point of no return: publish, swing managed resources, open the gates. Synchronous. */
  #commit(): ReloadResult {
    const names = new Set(this.#steps.map((s) => s.slot.name));
    this.#core.registry.publish(
      names,
      this.#steps.map(({ slot }, i) => ({ version: this.#staged[i]!, slot })),
    );
    const retiring: PluginVersion[] = [];
    const oldBackings: Backing[] = [];
    for (const [i, { slot }] of this.#steps.entries()) {
      const next = this.#staged[i]!;
      const outcome = this.#outcomes[i]!.outcome;
      retiring.push(slot.commit(next));
      for (const cell of slot.resources) {
        oldBackings.push(
          cell.swap(outcome.resources.get(cell.kind, cell.name), next.registrations.get(cell.kind, cell.key), next),
        );
      }
    }
    const pause = this.#openGates();
    const handoffs = this.#outcomes.flatMap(({ outcome }) => outcome.handoffs);
    for (const { slot, outcome } of this.#outcomes) {
      slot.record({
        type: 'committed',
        version: slot.current.version,
        drainMs: this.#timings.drainMs,
        pauseMs: pause.pauseMs,
        queued: pause.queued,
        maxQueueWaitMs: pause.maxQueueWaitMs,
        handoffs: outcome.handoffs,
      });
    }
    this.#timings.pauseMs = pause.pauseMs;
    this.#timings.totalMs = performance.now() - this.#started;
    this.#emit('committed', { pauseMs: pause.pauseMs, queued: pause.queued, maxQueueWaitMs: pause.maxQueueWaitMs });
    this.#phase = 'retire';
    return {
      reloadId: this.id,
      plugins: this.#transitions(),
      compat: this.#reports,
      handoffs,
      timings: { ...this.#timings },
      queued: pause.queued,
      maxQueueWaitMs: pause.maxQueueWaitMs,
      retired: this.#retire(retiring, oldBackings),
    };
  }

  async #retire(retiring: readonly PluginVersion[], oldBackings: readonly Backing[]): Promise<RetireReport> {
    const t = performance.now();
    const errors: unknown[] = [];
    for (const { outcome } of this.#outcomes) errors.push(...(await outcome.afterCommit()));
    await Promise.all([...retiring.map((v) => v.leases.whenIdle()), ...oldBackings.map((b) => b.leases.whenIdle())]);
    for (const { outcome } of this.#outcomes) await outcome.release().catch((error: unknown) => errors.push(error));
    for (const version of retiring) errors.push(...(await version.retire()));
    this.#emit('retired', { errors });
    const leftovers = retiring.flatMap((v) => v.leftovers.map((l) => ({ ...l, plugin: v.name, version: v.version })));
    return { ms: performance.now() - t, errors, leftovers };
  }

  /** Undoes everything before commit and returns the error to throw. */
  async #rollback(raw: unknown): Promise<ReloadError> {
    const phase = this.#phase;
    const aborted = this.#signal.aborted && !isReloadError(raw);
    const failure = toReloadError(raw, { code: aborted ? 'ABORTED' : 'INTERNAL', phase });
    const lost: UnrestoredResource[] = [];
    for (const { slot, outcome } of [...this.#outcomes].reverse()) {
      const report = await outcome.rollback();
      slot.reattach(report, report.error ?? failure);
      lost.push(...report.unrestored);
    }
    lost.push(...this.#lost);
    // What was prepared before the pause and never caught up (a failure at or after prepare).
    for (const dispatcher of this.#dispatchers) await dispatcher.discardPrepared();
    const pause = this.#openGates();
    for (const version of this.#staged) await version.discard();
    const serving = this.#steps.map(({ slot }) => `${slot.name} ${slot.current.version}`).join(', ');
    const error = new ReloadError({
      code: lost.length > 0 ? 'ROLLBACK_FAILED' : failure.code,
      phase,
      plugin: this.#steps.map((s) => s.slot.name).join(', '),
      ...(failure.kind === undefined ? {} : { kind: failure.kind }),
      ...(failure.key === undefined ? {} : { key: failure.key }),
      ...(failure.step === undefined ? {} : { step: failure.step }),
      message:
        `reload ${this.#transitions()
          .map((p) => `${p.name} ${p.from} → ${p.to}`)
          .join(', ')} failed at ${phase}: ${failure.message}` +
        (lost.length > 0 ? `; not restored: ${lost.map((u) => `${u.kind} '${u.name}'`).join(', ')}` : ''),
      stillServing: serving,
      cause: failure,
      details: failure.details,
    });
    for (const { slot } of this.#steps) {
      slot.record({
        type: 'rolledBack',
        drainMs: this.#timings.drainMs,
        pauseMs: pause.pauseMs,
        queued: pause.queued,
        maxQueueWaitMs: pause.maxQueueWaitMs,
        error: { code: error.code, phase, message: error.message },
      });
    }
    this.#emit('rolledBack', { phase, error, pauseMs: pause.pauseMs });
    return error;
  }

  #openGates(): { pauseMs: number; queued: number; maxQueueWaitMs: number } {
    if (this.#pausedAt === undefined) return { pauseMs: 0, queued: 0, maxQueueWaitMs: 0 };
    let queued = 0;
    let maxQueueWaitMs = 0;
    for (const { slot } of this.#steps) {
      const stats = slot.gate.open();
      queued += stats.queued;
      maxQueueWaitMs = Math.max(maxQueueWaitMs, stats.maxWaitMs);
    }
    const pauseMs = performance.now() - this.#pausedAt;
    this.#pausedAt = undefined;
    return { pauseMs, queued, maxQueueWaitMs };
  }

  /** The dispatcher of the `i`th plugin: its live resources, their handoff parameters read at dispatch. */
  #dispatcher(i: number): ReloadDispatcher {
    const { slot } = this.#steps[i]!;
    const next = this.#staged[i]!;
    const settings = this.#core.settings;
    const samples = this.#options.samples ?? settings.samples;
    return new ReloadDispatcher(slot.current.registrations, next.registrations, {
      handoffs: [...slot.resources].map((cell) => ({
        kind: cell.kind,
        name: cell.name,
        old: cell.backing.value,
        oldProvider: cell.backing.provider,
        next: next.registrations.get(cell.kind, cell.key),
        params: cell.handoffParams,
      })),
      disciplines: this.#core.disciplines,
      concurrency: this.#options.concurrency ?? settings.concurrency,
      stepTimeoutMs: this.#options.stepTimeoutMs ?? settings.stepTimeoutMs,
      prepareTimeoutMs: this.#options.prepareTimeoutMs ?? settings.prepareTimeoutMs,
      rollbackTimeoutMs: settings.rollbackTimeoutMs,
      compatTimeoutMs: this.#options.compatTimeoutMs ?? settings.compatTimeoutMs,
      signal: this.#signal,
      maxStates: settings.maxStates,
      ...(samples === undefined ? {} : { samples }),
    });
  }

  #transitions(): readonly PluginTransition[] {
    return this.#plugins;
  }

  #emit<E extends Exclude<keyof HostEventMap, 'loaded' | 'unloaded' | 'jobFailed' | 'listenerError' | 'queueWait'>>(
    event: E,
    extra: Omit<HostEventMap[E], keyof ReloadEventBase>,
  ): void {
    if (!this.#core.events.has(event)) return;
    const base: ReloadEventBase = {
      reloadId: this.id,
      plugins: this.#transitions(),
      elapsedMs: performance.now() - this.#started,
    };
    this.#core.events.emit(event, { ...base, ...extra } as HostEventMap[E]);
  }
}
