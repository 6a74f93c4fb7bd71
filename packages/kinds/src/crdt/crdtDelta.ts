/**
 * What the CRDT kinds share to move a live state before a reload's pause (`CrdtState.mark` and
 * `mergeDelta`): the delta envelope, its errors, and the mark handle. A delta is an envelope of
 * its own kind name, `<kind>.delta` (so persisted state is never read as a delta nor a delta as
 * state), with its own format versions.
 */
import { randomBytes } from 'node:crypto';
import { ReloadError } from '@baton/core';
import type { CrdtMark } from '@baton/core';
import { decodeEnvelope, DEFAULT_MAX_ENVELOPE_BYTES, encodeEnvelope } from '../codec/envelope.js';
import type { BodySchema } from '../codec/bodySchemaTypes.js';
import { BodyReader } from './bodyReader.js';

/** The envelope kind of the deltas of `kind` (`g-counter.delta`…). */
function deltaKind(kind: string): string {
  return `${kind}.delta`;
}

/** A delta of `kind` in its envelope, format `version`. */
export function encodeDelta(kind: string, version: number, body: unknown): Uint8Array {
  return encodeEnvelope(deltaKind(kind), version, body);
}

/** The largest delta each state accepts, when its provider set one. */
const deltaLimits = new WeakMap<object, number>();

/**
 * Makes `state` accept deltas of up to `maxBytes` (its provider's `maxBytes`, the largest state it
 * reads: a delta is never larger than the state it moves). Returns `state`.
 */
export function limitDeltas<T extends object>(state: T, maxBytes: number): T {
  deltaLimits.set(state, maxBytes);
  return state;
}

/** The largest delta `state` accepts (`DEFAULT_MAX_ENVELOPE_BYTES` unless its provider set one). */
export function deltaLimitOf(state: object): number {
  return deltaLimits.get(state) ?? DEFAULT_MAX_ENVELOPE_BYTES;
}

/**
 * The body of a delta of `kind` (the envelope checked, the body checked against `bodies` on the
 * bytes; at most `maxBytes`) and a reader for its strict checks. Persisted state, another kind's delta, an unknown
 * delta version or corrupt bytes: `CORRUPT_INPUT` naming `kind`.
 */
export function decodeDelta(
  kind: string,
  bytes: Uint8Array,
  bodies: Readonly<Record<number, BodySchema>>,
  maxBytes: number,
): { version: number; body: unknown; reader: BodyReader } {
  const reader = new DeltaReader(kind);
  try {
    const { formatVersion, body } = decodeEnvelope(bytes, {
      kind: deltaKind(kind),
      versions: Object.keys(bodies).map(Number),
      bodies,
      maxBytes,
    });
    return { version: formatVersion, body, reader };
  } catch (error) {
    throw corruptCrdtDelta(kind, error instanceof ReloadError ? error.message : 'unreadable bytes', error);
  }
}

/** The `CORRUPT_INPUT` error of bytes that are not a delta of `kind` this reader can merge. */
function corruptCrdtDelta(kind: string, message: string, cause?: unknown): ReloadError {
  return new ReloadError({
    code: 'CORRUPT_INPUT',
    phase: 'decode',
    kind: 'crdtKind',
    key: kind,
    message: `cannot merge a '${kind}' delta: ${message}`,
    cause,
  });
}

/** A {@link BodyReader} whose errors name a delta, not a state. */
class DeltaReader extends BodyReader {
  override fail(message: string, cause?: unknown): ReloadError {
    return corruptCrdtDelta(this.kind, message, cause);
  }
}

/** A fresh random token naming one mark (16 bytes), carried by its deltas. */
export function markToken(): Uint8Array {
  return new Uint8Array(randomBytes(16));
}

/**
 * The {@link CrdtMark} of a state of `kind`: `delta()` asks `build` and `changed()` asks
 * `changedSince` while open; `release()` calls `stop` once (the state then forgets this mark's
 * tracking) and later `delta()` and `changed()` calls are `RESOURCE_CLOSED`.
 */
export class StateMark implements CrdtMark {
  #open = true;

  constructor(
    private readonly kind: string,
    private readonly build: () => Uint8Array,
    private readonly stop: () => void,
    private readonly changedSince: () => boolean,
  ) {}

  /** True until {@link release}. */
  get open(): boolean {
    return this.#open;
  }

  /** The changes since the mark, cumulative (`RESOURCE_CLOSED` after {@link release}). */
  delta(): Uint8Array {
    if (!this.#open) throw this.#closed('delta');
    return this.build();
  }

  /**
   * Whether the state changed since the mark: `false` only when nothing did, so {@link delta}
   * carries no change (`RESOURCE_CLOSED` after {@link release}).
   */
  changed(): boolean {
    if (!this.#open) throw this.#closed('changed');
    return this.changedSince();
  }

  /** Stops tracking. Idempotent. */
  release(): void {
    if (!this.#open) return;
    this.#open = false;
    this.stop();
  }

  #closed(call: string): ReloadError {
    return new ReloadError({
      code: 'RESOURCE_CLOSED',
      phase: 'call',
      kind: 'crdtKind',
      key: this.kind,
      message: `'${this.kind}': ${call}() of a released mark (take a new mark)`,
    });
  }
}
