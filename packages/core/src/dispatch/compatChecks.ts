import { CompatReport } from '../compat/compatReport.js';
import type { CompatEntry } from '../compat/compatReport.js';
import { Compat } from '../compat/verdict.js';
import type { CompatVerdict } from '../compat/verdict.js';
import type { LiveResource } from '../disciplines/discipline.js';
import type { DisciplineSet } from '../disciplines/disciplineSet.js';
import { ReloadError, toReloadError } from '../errors/reloadError.js';
import { mapBounded } from '../util/boundedMap.js';
import { withDeadline } from '../util/deadline.js';
import { defaultSettings } from '../settings/settingSpecs.js';
import type { RegistrationSet } from './registrationSet.js';
import type { CheckedHandoff } from './resourceHandoff.js';
import type { ReloadDispatcherOptions } from './dispatcherOptions.js';

const NEVER_ABORTED = new AbortController().signal;

/** The compat checks of one dispatcher: every surface both versions register, under deadlines. */
export class CompatChecks {
  constructor(
    private readonly old: RegistrationSet,
    private readonly next: RegistrationSet,
    private readonly disciplines: DisciplineSet,
    private readonly handoffs: readonly CheckedHandoff[],
    private readonly options: ReloadDispatcherOptions,
  ) {}

  /** Checks every surface both versions register; added and removed ones are listed as such. */
  async report(): Promise<CompatReport> {
    const pairs: { kind: string; key: string; old: unknown; next: unknown }[] = [];
    const entries: CompatEntry[] = [];
    for (const kind of new Set([...this.old.kinds(), ...this.next.kinds()])) {
      for (const key of new Set([...this.old.keys(kind), ...this.next.keys(kind)])) {
        const old = this.old.get(kind, key);
        const next = this.next.get(kind, key);
        if (next === undefined) entries.push({ kind, key, status: 'removed' });
        else if (old === undefined) entries.push({ kind, key, status: 'added' });
        else pairs.push({ kind, key, old, next });
      }
    }
    const checked = await mapBounded(
      pairs,
      this.options.concurrency ?? defaultSettings.concurrency,
      ({ kind, key, old, next }) => this.#checkOne(kind, key, old, next),
    );
    for (const result of checked) if (result.status === 'fulfilled') entries.push(result.value);
    const failed = checked.find((r) => r.status === 'rejected');
    if (failed?.status === 'rejected') throw toReloadError(failed.reason, { phase: 'compat' });
    return new CompatReport(entries);
  }

  /** The verdict for one handoff: from the report, or checked now (synchronous when known). */
  verdictFor(handoff: CheckedHandoff, report: CompatReport): CompatVerdict | Promise<CompatVerdict> {
    const discipline = this.disciplines.require(handoff.kind);
    const fromReport = report.verdictFor(handoff.kind, discipline.keyOf(handoff.next));
    if (fromReport) return fromReport;
    if (!discipline.checkCompat || handoff.oldProvider === undefined || handoff.oldProvider === handoff.next)
      return Compat.compatible();
    return this.#checkHandoff(handoff, discipline.keyOf(handoff.next));
  }

  async #checkHandoff(handoff: CheckedHandoff, key: string): Promise<CompatVerdict> {
    const entry = await this.#checkOne(handoff.kind, key, handoff.oldProvider, handoff.next);
    if (entry.verdict?.type === 'incompatible') {
      throw new ReloadError({
        code: 'SCHEMA_INCOMPATIBLE',
        phase: 'compat',
        kind: handoff.kind,
        key: handoff.name,
        message: entry.verdict.reason,
        cause: entry.error,
      });
    }
    return entry.verdict ?? Compat.compatible();
  }

  async #checkOne(kind: string, key: string, old: unknown, next: unknown): Promise<CompatEntry> {
    const discipline = this.disciplines.require(kind);
    if (!discipline.checkCompat || old === next)
      return { kind, key, status: 'compatible', verdict: Compat.compatible() };
    const signal = this.options.signal ?? NEVER_ABORTED;
    const timeoutMs = this.options.compatTimeoutMs ?? defaultSettings.compatTimeoutMs;
    const liveResources: LiveResource[] = this.handoffs
      .filter((handoff) => handoff.kind === kind && handoff.oldProvider === old)
      .map((handoff) => ({ name: handoff.name, resource: handoff.old }));
    const progress = { step: '', subject: '' };
    const controller = new AbortController();
    try {
      const verdict = await withDeadline(
        (s) =>
          discipline.checkCompat!(old, next, {
            kind,
            key,
            signal: s,
            timeoutMs,
            samples: [...(this.options.samples?.(kind, key) ?? [])],
            liveResources,
            maxStates: this.options.maxStates ?? defaultSettings.maxStates,
            progress,
          }),
        { timeoutMs, signal, controller },
      );
      return { kind, key, status: verdict.type, verdict };
    } catch (error) {
      if (signal.aborted)
        throw new ReloadError({
          code: 'ABORTED',
          phase: 'compat',
          kind,
          key,
          message: `the compat check of ${kind} '${key}' was abandoned because the reload was aborted`,
          cause: error,
        });
      // Timed out only when the host's deadline fired (not when a provider throws a TimeoutError).
      const timedOut = controller.signal.aborted && controller.signal.reason === error;
      const where = progress.step ? ` (in ${progress.step}() of ${progress.subject})` : '';
      const reason = timedOut
        ? `the compat check did not finish within ${timeoutMs} ms${where}`
        : `the compat check threw${where}: ${error instanceof Error ? error.message : String(error)}`;
      return { kind, key, status: 'incompatible', verdict: Compat.incompatible(reason), error };
    }
  }
}
