import type { StepCallOptions, StepContext } from '../disciplines/discipline.js';
import type { ReloadPhase } from '../errors/codes.js';
import { ReloadError } from '../errors/reloadError.js';
import { withDeadline } from '../util/deadline.js';
import type { MaybePromise } from '../util/maybePromise.js';
import { StepSignal } from './stepSignal.js';
import { defaultSettings } from '../settings/settingSpecs.js';

const NEVER_ABORTED = new AbortController().signal;

/**
 * Default milliseconds an undo step may take. Undo restores what serves, so it gets more room than a
 * forward step (a slow restart must not turn a rollback into a lost stream), but it is still bounded.
 */
const DEFAULT_ROLLBACK_TIMEOUT_MS = defaultSettings.rollbackTimeoutMs;

/**
 * The {@link StepContext} the dispatcher gives a discipline for one resource: every provider call
 * runs under the step deadline and the reload's signal, and failures become `ReloadError`s naming
 * the phase, the kind, the resource and the step. It also records what the handoff handed back.
 */
export class StepRecorder implements StepContext {
  handedBack: { readonly resource: unknown; readonly checkpointLsn: bigint | undefined } | undefined;
  oldLost = false;
  readonly checkpoints: bigint[] = [];

  constructor(
    readonly kind: string,
    readonly name: string,
    readonly signal: AbortSignal,
    readonly timeoutMs: number,
    readonly phase: ReloadPhase,
    /** Milliseconds an undo step (rolling back, restarting what a handoff stopped) may take. */
    readonly rollbackTimeoutMs: number = Math.max(timeoutMs, DEFAULT_ROLLBACK_TIMEOUT_MS),
    /**
     * The signal these steps share until one is abandoned: by default this recorder's own; the
     * dispatcher gives every resource of one dispatch the same one (see {@link StepSignal}).
     */
    readonly shared: StepSignal = new StepSignal(),
  ) {}

  async call<T>(
    step: string,
    fn: (signal: AbortSignal) => MaybePromise<T>,
    options: StepCallOptions<T> = {},
  ): Promise<T> {
    let value: T;
    const controller = this.shared.current();
    try {
      value = await withDeadline(fn, {
        timeoutMs: this.timeoutMs,
        signal: this.signal,
        onLate: options.onLate,
        controller,
      });
    } catch (error) {
      // Abandoned by the host (deadline or abort) only when the rejection is the abort reason itself:
      // a provider that throws a TimeoutError of its own does not get the host's retryable code.
      const abandoned = controller.signal.aborted && controller.signal.reason === error;
      if (controller.signal.aborted) this.shared.renew(controller);
      throw this.describeFailure(step, error, abandoned);
    }
    const problem = options.check?.(value);
    if (problem !== undefined) throw this.fail(step, `${step}() returned an unusable value: ${problem}`);
    return value;
  }

  fail(step: string, message: string, cause?: unknown): ReloadError {
    return new ReloadError({
      code: 'HANDOFF_FAILED',
      phase: this.phase,
      kind: this.kind,
      key: this.name,
      step,
      message: `${this.kind} '${this.name}': ${message}`,
      cause,
    });
  }

  handBack(resource: unknown, checkpointLsn?: bigint): void {
    this.handedBack = { resource, checkpointLsn };
  }

  noteCheckpoint(lsn: bigint): void {
    this.checkpoints.push(lsn);
  }

  markOldLost(): void {
    this.oldLost = true;
  }

  undoContext(): StepRecorder {
    return this.forPhase('rollback', NEVER_ABORTED);
  }

  /** The same context for another phase (undo runs in `rollback`, release in `retire`). */
  forPhase(phase: ReloadPhase, signal: AbortSignal = this.signal): StepRecorder {
    const timeoutMs = phase === 'rollback' ? this.rollbackTimeoutMs : this.timeoutMs;
    return new StepRecorder(this.kind, this.name, signal, timeoutMs, phase, this.rollbackTimeoutMs);
  }

  /**
   * The host's error for a failed provider call: `STEP_TIMEOUT` or `ABORTED` when the host abandoned
   * it, else `HANDOFF_FAILED` — whatever the provider threw (a `ReloadError` of its own included)
   * is the cause, never the code.
   */
  private describeFailure(step: string, error: unknown, abandoned: boolean): ReloadError {
    const name = error instanceof Error || error instanceof DOMException ? error.name : '';
    const context = { phase: this.phase, kind: this.kind, key: this.name, step, cause: error } as const;
    if (abandoned && name === 'TimeoutError') {
      return new ReloadError({
        ...context,
        code: 'STEP_TIMEOUT',
        message: `${this.kind} '${this.name}': ${step}() did not settle within ${this.timeoutMs} ms`,
      });
    }
    if (this.signal.aborted) {
      return new ReloadError({
        ...context,
        code: 'ABORTED',
        message: `${this.kind} '${this.name}': ${step}() was abandoned because the reload was aborted`,
      });
    }
    const detail = error instanceof Error ? error.message : String(error);
    return new ReloadError({
      ...context,
      code: 'HANDOFF_FAILED',
      message: `${this.kind} '${this.name}': ${step}() failed: ${detail}`,
    });
  }
}
