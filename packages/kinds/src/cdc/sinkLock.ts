import { join } from 'node:path';
import { throwIfAborted } from './batchCheck.js';
import { acquireLockFile, releaseLockFile, releaseLockFileSync } from './lockFile.js';
import { newLockOwner } from './lockOwner.js';
import type { LockOwner } from './lockOwner.js';
import type { FileCheckpoint } from './fileCheckpoint.js';

/** File name of a file CDC sink's cross-process lock (see `lockFile.ts`). */
export const LOCK_FILE = 'sink.lock';

/**
 * The cross-process lock of file CDC sinks, held per process and counted per stream: the first
 * stream started on a sink takes the lock file, later streams on the same sink (a reload's new
 * version, a restarted one) share it, and the lock file is given up only when no stream of this
 * process uses the sink any more *and* no `start` is in progress — checked one event-loop turn
 * after the last stream let go. A reload's handoff (`shutdown` of the old stream, then `start` of
 * the new one) therefore never leaves a window in which another process could take the sink.
 *
 * The registry lives on `globalThis` under a `Symbol.for` key, so the copies of this module loaded
 * by successive plugin versions share it. It also remembers the checkpoint this process last
 * validated or wrote for the sink, so a handoff does not re-scan what the old stream wrote.
 */
interface LockEntry {
  count: number;
  ready: Promise<void>;
  owner: LockOwner | undefined;
  /** The committed state this process validated or wrote while holding the lock (scan cache). */
  validated: FileCheckpoint | undefined;
}

interface LockRegistry {
  readonly entries: Map<string, LockEntry>;
  /** Lock files being given up: a new holder waits for that first. */
  readonly releasing: Map<string, Promise<void>>;
  /** Lock file path → owner, for every lock file this process holds (removed at exit). */
  readonly held: Map<string, LockOwner>;
  pendingStarts: number;
  exitHook: boolean;
}

const REGISTRY = Symbol.for('@baton/kinds.fileCdcOutput.locks.v1');

function registry(): LockRegistry {
  const holder = globalThis as { [REGISTRY]?: LockRegistry };
  holder[REGISTRY] ??= { entries: new Map(), releasing: new Map(), held: new Map(), pendingStarts: 0, exitHook: false };
  return holder[REGISTRY];
}

/** A stream's share of the process's lock on a sink. */
export interface SinkLease {
  /** Path of the lock file. */
  readonly lockFile: string;
  /** The record in the lock file. */
  readonly owner: LockOwner;
  /** The checkpoint this process last validated or committed on the sink (undefined: scan it). */
  validated: FileCheckpoint | undefined;
  /** Gives this share up (idempotent). */
  release(): void;
}

function openEntry(reg: LockRegistry, directory: string, key: string): LockEntry {
  const lockFile = join(directory, LOCK_FILE);
  const previous = reg.releasing.get(directory);
  const entry: LockEntry = { count: 0, ready: Promise.resolve(), owner: undefined, validated: undefined };
  entry.ready = (async () => {
    await previous;
    const owner = await newLockOwner();
    await acquireLockFile(lockFile, owner, { key, what: `the sink in ${directory}` });
    entry.owner = owner;
    reg.held.set(lockFile, owner);
    if (!reg.exitHook) {
      reg.exitHook = true;
      process.once('exit', () => {
        for (const [path, holder] of reg.held) releaseLockFileSync(path, holder);
      });
    }
  })();
  entry.ready.catch(() => {
    if (reg.entries.get(directory) === entry) reg.entries.delete(directory);
  });
  reg.entries.set(directory, entry);
  return entry;
}

/** Gives the lock file up if nobody in this process uses or is starting a stream on the sink. */
function settle(reg: LockRegistry, directory: string, entry: LockEntry, key: string): void {
  if (entry.count > 0 || reg.pendingStarts > 0 || reg.entries.get(directory) !== entry || !entry.owner) return;
  reg.entries.delete(directory);
  const lockFile = join(directory, LOCK_FILE);
  const owner = entry.owner;
  const done: Promise<void> = releaseLockFile(lockFile, owner, key)
    .catch(() => undefined) // left behind, it is taken over as stale once this process exits
    .finally(() => {
      reg.held.delete(lockFile);
      if (reg.releasing.get(directory) === done) reg.releasing.delete(directory);
    });
  reg.releasing.set(directory, done);
}

/** `promise`, or `ABORTED` as soon as `signal` aborts (the promise itself goes on). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined, key: string): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      try {
        throwIfAborted(signal, { key }, 'start');
      } catch (error) {
        reject(error);
      }
    };
    if (signal.aborted) {
      onAbort();
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/**
 * Takes a share of this process's lock on the sink in `directory` (a real path), taking the lock
 * file first if this process does not hold it yet. Rejects with `LOCKED` naming the holder when
 * another live process holds the sink, and with `ABORTED` as soon as `signal` aborts: the share is
 * then given back (a lock file taken meanwhile is released once nobody in the process uses it).
 */
export async function holdSinkLock(directory: string, key: string, signal?: AbortSignal): Promise<SinkLease> {
  const reg = registry();
  const entry = reg.entries.get(directory) ?? openEntry(reg, directory, key);
  entry.count++;
  try {
    await untilAborted(entry.ready, signal, key);
  } catch (error) {
    entry.count--;
    if (entry.count === 0)
      entry.ready.then(
        () =>
          setImmediate(() => {
            settle(reg, directory, entry, key);
          }),
        () => undefined,
      );
    throw error;
  }
  let released = false;
  return {
    lockFile: join(directory, LOCK_FILE),
    owner: entry.owner!,
    get validated() {
      return entry.validated;
    },
    set validated(checkpoint) {
      entry.validated = checkpoint;
    },
    release() {
      if (released) return;
      released = true;
      entry.count--;
      if (entry.count === 0)
        setImmediate(() => {
          settle(reg, directory, entry, key);
        });
    },
  };
}

/**
 * Marks a `start` in progress (call synchronously when it begins, and the returned function when it
 * settles): no lock file of this process is given up meanwhile, so a start that follows a shutdown
 * within the same turn keeps the lock.
 */
export function beginSinkStart(key: string): () => void {
  const reg = registry();
  reg.pendingStarts++;
  let ended = false;
  return () => {
    if (ended) return;
    ended = true;
    reg.pendingStarts--;
    if (reg.pendingStarts > 0) return;
    for (const [directory, entry] of reg.entries)
      if (entry.count === 0)
        setImmediate(() => {
          settle(reg, directory, entry, key);
        });
  };
}
