import { ReloadError } from '../errors/reloadError.js';
import type { MaybePromise } from '../util/maybePromise.js';
import { checkFunctionArg, checkOptionsArg, checkPathArg } from './durableArgs.js';
import { SnapshotSlots } from './snapshotSlots.js';
import type { DamagedSlot } from './snapshotSlots.js';

/** What a journal knows: the version of every loaded plugin, as last committed. */
export interface JournalState {
  /** Plugin name → the version that serves. */
  readonly plugins: Readonly<Record<string, string>>;
  /** Id of the last committed reload (or load/unload). */
  readonly sequence: number;
}

/**
 * Where a host records, durably and before it makes them visible, which plugin versions serve: a
 * process restarted after a crash — even one in the middle of a reload — reads it to load exactly the
 * versions whose state it may have written.
 */
export interface ReloadJournal {
  /** The recorded state (empty on first use). */
  read(): MaybePromise<JournalState>;
  /** Records `state`; resolves once it is durable. */
  write(state: JournalState): MaybePromise<void>;
}

/** Options of {@link fileReloadJournal}. */
export interface FileReloadJournalOptions {
  /**
   * Called by `read()` for each journal slot skipped as damaged (torn or corrupt): the record read
   * is then the previous one, which is right after a crash during a journal write (that reload never
   * committed) and stale after damage to a committed record. Default: the fallback is taken silently.
   * Throw from it to refuse to start instead.
   */
  readonly onDamaged?: (damage: DamagedSlot) => void;
}

/**
 * A {@link ReloadJournal} in two checksummed, atomically replaced snapshot slots in `directory`: a
 * torn or corrupt write falls back to the previous record (reported through `onDamaged`). A file
 * the journal cannot read or write is `IO_FAILED` naming the path. A wrong-typed argument, an
 * unknown option or a `write` of something other than a {@link JournalState} is `INVALID_ARGUMENT`.
 */
export function fileReloadJournal(directory: string, options: FileReloadJournalOptions = {}): ReloadJournal {
  checkPathArg('fileReloadJournal: directory', directory);
  options = checkOptionsArg<FileReloadJournalOptions>('fileReloadJournal options', options, ['onDamaged']);
  if (options.onDamaged !== undefined) checkFunctionArg('fileReloadJournal: onDamaged', options.onDamaged);
  const slots = new SnapshotSlots(directory, 'reload-journal', { maxBytes: 1024 * 1024 });
  return {
    async read() {
      const snapshot = await slots.read();
      if (!snapshot) return { plugins: {}, sequence: 0 };
      for (const damage of snapshot.damaged) options.onDamaged?.(damage);
      let doc: unknown;
      try {
        doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(snapshot.payload));
      } catch (error) {
        throw new ReloadError({
          code: 'CORRUPT_INPUT',
          phase: 'decode',
          message: `reload journal in ${directory} is not JSON`,
          cause: error,
        });
      }
      if (!isJournalState(doc)) {
        throw new ReloadError({
          code: 'CORRUPT_INPUT',
          phase: 'decode',
          message: `reload journal in ${directory} has an unexpected shape`,
        });
      }
      return { plugins: Object.fromEntries(Object.entries(doc.plugins)), sequence: doc.sequence };
    },
    async write(state) {
      if (!isJournalState(state))
        throw new ReloadError({
          code: 'INVALID_ARGUMENT',
          phase: 'call',
          message: `reload journal in ${directory}: write takes { plugins: { name: version }, sequence: whole number }`,
        });
      await slots.write(new TextEncoder().encode(JSON.stringify(state)));
    },
  };
}

/** True when `value` has the shape of a {@link JournalState}. */
function isJournalState(value: unknown): value is JournalState {
  const d = value as Partial<JournalState> | null;
  const plugins = d?.plugins;
  return (
    typeof d === 'object' &&
    d !== null &&
    Number.isSafeInteger(d.sequence) &&
    typeof plugins === 'object' &&
    plugins !== null &&
    !Array.isArray(plugins) &&
    Object.values(plugins).every((v) => typeof v === 'string')
  );
}
