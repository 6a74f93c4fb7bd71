import type { FaultMode, FaultPlan, FaultStep } from './faultPlan.js';
import { faultStepRole } from './faultPlan.js';

/** The value a `garbage` fault returns: of no type any step expects. */
export const GARBAGE: unique symbol = Symbol('garbage returned by an injected fault');

/**
 * Arms a {@link FaultPlan} for one reload and fires it, once, at the planned step. Plugins wrapped
 * with `withFaults` consult it on every provider call. It also owns the AbortController whose
 * signal the reload should use, so an `abort` fault can abort the reload from inside a step.
 */
export class FaultSwitch {
  #plan: FaultPlan | undefined;
  #versions: { readonly old: string; readonly next: string } | undefined;
  #fired: FaultPlan | undefined;
  #controller = new AbortController();

  /**
   * Arms `plan` for a reload from version `old` to version `next` (replacing any armed plan), with
   * a fresh abort signal. Steps of the old role fire only in `old`'s code, and so on.
   */
  arm(plan: FaultPlan | undefined, versions: { readonly old: string; readonly next: string }): this {
    this.#plan = plan;
    this.#versions = versions;
    this.#fired = undefined;
    this.#controller = new AbortController();
    return this;
  }

  /** Disarms without firing. */
  disarm(): void {
    this.#plan = undefined;
  }

  /** The signal to pass as the reload's `signal`. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** The plan that fired, if it did. */
  get fired(): FaultPlan | undefined {
    return this.#fired;
  }

  /**
   * Runs `call` as step `step` of plugin version `version`, unless the armed fault is for this step
   * and `version` plays the step's role in the armed reload: then it fires (once) in its mode.
   */
  run<T>(step: FaultStep, version: string, call: () => T, kind?: string): T {
    const plan = this.#plan;
    if (!plan || plan.step !== step || !this.#versions) return call();
    if (plan.kind !== undefined && plan.kind !== kind) return call();
    const role = this.#versions.old === version ? 'old' : this.#versions.next === version ? 'new' : undefined;
    if (faultStepRole[step] !== role) return call();
    this.#plan = undefined;
    this.#fired = plan;
    return this.#fire(plan.mode, step, call);
  }

  #fire<T>(mode: FaultMode, step: FaultStep, call: () => T): T {
    switch (mode) {
      case 'throw':
        throw new Error(`injected fault: ${step} throws`);
      case 'reject':
        return Promise.reject(new Error(`injected fault: ${step} rejects`)) as T;
      case 'hang':
        return new Promise<never>(() => undefined) as T;
      case 'abort':
        this.#controller.abort(new DOMException(`injected fault: the reload is aborted during ${step}`, 'AbortError'));
        return call();
      case 'garbage':
        return GARBAGE as T;
    }
  }
}
