/**
 * In-process fencing of file CDC sinks: the most recent stream started on a sink owns it, and an
 * older stream (a version that was replaced, or one abandoned by a simulated crash) can no longer
 * write to it. The registry lives on `globalThis` under a `Symbol.for` key, so two copies of this
 * module (an old and a new plugin version's module graph) share it.
 */

/** A stream that may own a sink. */
export interface SinkOwner {
  /** Resolves when the owner's in-flight I/O has settled (a new owner waits for it before touching the file). */
  idle(): Promise<void>;
  /** Told it was fenced off: it releases its file (a stream whose shutdown never ran must not leak it). */
  fenced?(): Promise<void>;
}

const REGISTRY = Symbol.for('@baton/kinds.fileCdcOutput.owners');

function registry(): Map<string, SinkOwner> {
  const holder = globalThis as { [REGISTRY]?: Map<string, SinkOwner> };
  holder[REGISTRY] ??= new Map<string, SinkOwner>();
  return holder[REGISTRY];
}

/**
 * Makes `owner` the owner of the sink at `path` (fencing the previous owner at once), then waits
 * until the previous owner's in-flight I/O has settled.
 */
export async function claimSink(path: string, owner: SinkOwner): Promise<void> {
  const owners = registry();
  const previous = owners.get(path);
  owners.set(path, owner);
  if (previous && previous !== owner) {
    await previous.idle().catch(() => undefined);
    await previous.fenced?.().catch(() => undefined);
  }
}

/** True while `owner` owns the sink at `path`. */
export function ownsSink(path: string, owner: SinkOwner): boolean {
  return registry().get(path) === owner;
}

/** Gives up ownership of the sink at `path`, if `owner` still has it. */
export function releaseSink(path: string, owner: SinkOwner): void {
  const owners = registry();
  if (owners.get(path) === owner) owners.delete(path);
}

/** Hands ownership of the sink at `path` from `from` to `to`; false (nothing changed) when `from` no longer owns it. */
export function transferSink(path: string, from: SinkOwner, to: SinkOwner): boolean {
  const owners = registry();
  if (owners.get(path) !== from) return false;
  owners.set(path, to);
  return true;
}
