import { Compat, ReloadError, isCompatVerdict } from '@baton/core';
import type { CompatVerdict, CrdtKindProvider, CrdtState, MaybePromise } from '@baton/core';
import { describeValue } from '@baton/core/kit';

/**
 * A CRDT provider that WRITES the format of `pinned` and READS everything `newest` reads: what a new
 * plugin version registers in phase `mixed` (Kafka's "new binaries, old protocol"), so that processes
 * of the old version read its states, while it still reads the states of processes already switched.
 *
 * `fromPersisted` reads bytes with `pinned` when it can (no copy); other formats are read by
 * `newest` and merged into a `pinned` empty state, which then persists in the pinned format — the
 * CRDT join with the empty state is the state itself. This needs states of the two providers to
 * merge with each other (true of every kind of `@baton/kinds`, whose states merge across format
 * versions); `checkFleetFormats` verifies it on sample states. `schemaCompatCheck` takes over an old
 * provider as `pinned` does when it can, else as `newest` does. When both write the same format,
 * `newest` itself is returned. Providers of different kinds, or a `pinned` without a
 * `formatVersion`, are `INVALID_ARGUMENT`.
 */
export function pinFormat<Op, Value>(
  newest: CrdtKindProvider<Op, Value>,
  pinned: CrdtKindProvider<Op, Value>,
): CrdtKindProvider<Op, Value> {
  checkProvider(newest, 'newest');
  checkProvider(pinned, 'pinned');
  if (pinned.kind !== newest.kind)
    throw invalid(newest.kind, `pinFormat needs two providers of one kind, not '${newest.kind}' and '${pinned.kind}'`);
  const format: unknown = pinned.formatVersion;
  if (typeof format !== 'number')
    throw invalid(newest.kind, 'pinFormat: the pinned provider must declare the formatVersion it writes');
  if (format === newest.formatVersion) return newest;
  const sampler = newest.samples ? newest : pinned.samples ? pinned : undefined;
  return Object.freeze({
    kind: newest.kind,
    formatVersion: format,
    empty: () => pinned.empty(),
    fromPersisted: (bytes: Uint8Array): MaybePromise<CrdtState<Op, Value>> =>
      attempt(
        () => pinned.fromPersisted(bytes),
        () =>
          chain(newest.fromPersisted(bytes), (read) =>
            chain(pinned.empty(), (into) => chain(into.merge(read), () => into)),
          ),
      ),
    schemaCompatCheck: (old: CrdtKindProvider): MaybePromise<CompatVerdict> =>
      chain(declared(pinned, old), (asPinned) => (asPinned.type === 'incompatible' ? declared(newest, old) : asPinned)),
    ...(sampler === undefined ? {} : { samples: () => sampler.samples!() }),
  });
}

/** The verdict `provider` declares for `old` (absent check: compatible as is). */
function declared(provider: CrdtKindProvider, old: CrdtKindProvider): MaybePromise<CompatVerdict> {
  if (provider.schemaCompatCheck === undefined) return Compat.compatible();
  return chain(provider.schemaCompatCheck(old), (verdict) =>
    isCompatVerdict(verdict)
      ? verdict
      : Compat.incompatible(
          `schemaCompatCheck() of '${provider.kind}' returned something that is not a compat verdict`,
        ),
  );
}

/** `then(value)` now when `value` is not a promise (a synchronous provider stays synchronous). */
function chain<T, R>(value: MaybePromise<T>, then: (value: T) => MaybePromise<R>): MaybePromise<R> {
  return isPromiseLike(value) ? Promise.resolve(value).then(then) : then(value);
}

/** `first()`, or `fallback()` when it throws or rejects. */
function attempt<T>(first: () => MaybePromise<T>, fallback: () => MaybePromise<T>): MaybePromise<T> {
  let result: MaybePromise<T>;
  try {
    result = first();
  } catch {
    return fallback();
  }
  return isPromiseLike(result) ? Promise.resolve(result).catch(fallback) : result;
}

function isPromiseLike<T>(value: MaybePromise<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
}

function checkProvider(provider: unknown, which: string): void {
  const p = provider as Partial<Record<string, unknown>> | null;
  if (
    typeof p !== 'object' ||
    p === null ||
    typeof p['kind'] !== 'string' ||
    typeof p['empty'] !== 'function' ||
    typeof p['fromPersisted'] !== 'function'
  )
    throw invalid('crdtKind', `pinFormat: ${which} must be a CRDT kind provider, not ${describeValue(provider)}`);
}

function invalid(key: string, message: string): ReloadError {
  return new ReloadError({ code: 'INVALID_ARGUMENT', phase: 'stage', kind: 'crdtKind', key, message });
}
