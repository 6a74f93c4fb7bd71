import { inspect } from 'node:util';
import { reloadErrorCodes } from './codes.js';
import type { ReloadErrorCode, ReloadPhase } from './codes.js';

/**
 * The footprint every {@link ReloadError} carries. `Symbol.for` makes it the same symbol in every
 * copy of `@baton/core`, so an error thrown by one copy of the module graph (an old plugin version's)
 * is recognised by another (the host's).
 */
const footprint: unique symbol = Symbol.for('@baton/core.ReloadError') as never;

/** What a {@link ReloadError} is made from. Only `code` is required. */
export interface ReloadErrorInit {
  readonly code: ReloadErrorCode;
  /** What failed, in words. The code's meaning is used when absent. */
  readonly message?: string;
  readonly phase?: ReloadPhase;
  /** Surface kind involved (`indexKind`, `cdcOutput`, …), when one is. */
  readonly kind?: string;
  /** Surface key or resource name involved. */
  readonly key?: string;
  /** Plugin the operation concerned. */
  readonly plugin?: string;
  /** The provider call that failed (`persist`, `open`, `checkpoint`, `start`, `migrate`, …). */
  readonly step?: string;
  /** Version that still serves after the failure, if any (rendered into the message). */
  readonly stillServing?: string;
  readonly cause?: unknown;
  /** Structured details (a compat report, the list of dependents, restored resources…). */
  readonly details?: Readonly<Record<string, unknown>>;
}

const LOCKED_FIELDS = ['code', 'phase', 'kind', 'key', 'plugin', 'step', 'stillServing', 'details'] as const;

/**
 * The one error class of Baton. Every failure has a {@link ReloadErrorCode}, the {@link ReloadPhase}
 * it happened in, the surface `kind` and `key` when one is involved, and the original `cause`.
 *
 * Recognise it with {@link isReloadError} (or `instanceof`, which also works across copies of the
 * package because it checks the footprint, not the prototype chain).
 */
export class ReloadError extends Error {
  declare readonly [footprint]: 1;
  override readonly name = 'ReloadError';
  readonly code: ReloadErrorCode;
  readonly phase: ReloadPhase | undefined;
  readonly kind: string | undefined;
  readonly key: string | undefined;
  readonly plugin: string | undefined;
  readonly step: string | undefined;
  readonly stillServing: string | undefined;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(init: ReloadErrorInit) {
    super(renderMessage(init), init.cause === undefined ? undefined : { cause: init.cause });
    Object.defineProperty(this, footprint, { value: 1, enumerable: false });
    this.code = init.code;
    this.phase = init.phase;
    this.kind = init.kind;
    this.key = init.key;
    this.plugin = init.plugin;
    this.step = init.step;
    this.stillServing = init.stillServing;
    this.details = Object.freeze({ ...init.details });
    // What the host decided cannot be changed by whoever catches the error (a plugin that catches a
    // registrar's verdict and rewrites its code before rethrowing it, say).
    for (const field of LOCKED_FIELDS) Object.defineProperty(this, field, { writable: false, configurable: false });
  }

  /** Whether retrying the same operation unchanged may succeed (see {@link reloadErrorCodes}). */
  get retryable(): boolean {
    return reloadErrorCodes[this.code].retryable;
  }

  /** `instanceof ReloadError` is true for errors made by any copy of `@baton/core`. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return isReloadError(value);
  }

  /**
   * A copy of this error with more context: fields this error leaves unset are taken from `extra`,
   * `details` are merged, and `stillServing` (the version that serves after a rollback) is set.
   */
  with(extra: Partial<ReloadErrorInit>): ReloadError {
    const init = this.toInit();
    return new ReloadError({
      ...extra,
      ...init,
      message: this.baseMessage(),
      details: { ...extra.details, ...this.details },
      ...(extra.stillServing === undefined ? {} : { stillServing: extra.stillServing }),
    });
  }

  /** A plain JSON-able view (cause rendered as its message). */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      phase: this.phase,
      kind: this.kind,
      key: this.key,
      plugin: this.plugin,
      step: this.step,
      stillServing: this.stillServing,
      cause: describeCause(this.cause),
    };
  }

  private baseMessage(): string {
    const suffix = this.stillServing === undefined ? '' : servingSuffix(this.stillServing);
    return suffix && this.message.endsWith(suffix) ? this.message.slice(0, -suffix.length) : this.message;
  }

  private toInit(): ReloadErrorInit {
    const init: { -readonly [K in keyof ReloadErrorInit]: ReloadErrorInit[K] } = {
      code: this.code,
      details: this.details,
    };
    if (this.phase !== undefined) init.phase = this.phase;
    if (this.kind !== undefined) init.kind = this.kind;
    if (this.key !== undefined) init.key = this.key;
    if (this.plugin !== undefined) init.plugin = this.plugin;
    if (this.step !== undefined) init.step = this.step;
    if (this.stillServing !== undefined) init.stillServing = this.stillServing;
    if (this.cause !== undefined) init.cause = this.cause;
    return init;
  }
}

function servingSuffix(version: string): string {
  return ` (${version} still serves; nothing was lost)`;
}

function renderMessage(init: ReloadErrorInit): string {
  const base = init.message ?? reloadErrorCodes[init.code].meaning;
  return init.stillServing === undefined ? base : base + servingSuffix(init.stillServing);
}

function describeCause(cause: unknown): unknown {
  if (cause === undefined) return undefined;
  if (cause instanceof Error) return { name: cause.name, message: cause.message };
  return inspect(cause, { depth: 2, breakLength: Infinity });
}

/**
 * True for a {@link ReloadError} made by any copy of `@baton/core` (checks the `Symbol.for`
 * footprint, so it works across two copies of the module graph).
 */
export function isReloadError(value: unknown): value is ReloadError {
  return typeof value === 'object' && value !== null && (value as { [footprint]?: unknown })[footprint] === 1;
}

/**
 * Returns `value` if it already is a {@link ReloadError}; otherwise wraps it (as `cause`) in one
 * with the given code (default `INTERNAL`) and context. An `AbortError`/`TimeoutError` becomes
 * `ABORTED`/`STEP_TIMEOUT`.
 */
export function toReloadError(value: unknown, context: Partial<ReloadErrorInit> = {}): ReloadError {
  if (isReloadError(value)) return value;
  const name = value instanceof Error || value instanceof DOMException ? value.name : undefined;
  const code =
    name === 'AbortError' ? 'ABORTED' : name === 'TimeoutError' ? 'STEP_TIMEOUT' : (context.code ?? 'INTERNAL');
  const detail = value instanceof Error ? value.message : String(value);
  return new ReloadError({ ...context, code, message: context.message ?? detail, cause: value });
}
