import { ReloadError } from '../errors/reloadError.js';
import type { MaybePromise } from '../util/maybePromise.js';
import { SnapshotSlots } from './snapshotSlots.js';

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

/**
 * A {@link ReloadJournal} in two checksummed, atomically replaced snapshot slots in `directory`: a
 * torn or corrupt write falls back to the previous record.
 */
export function fileReloadJournal(directory: string): ReloadJournal {
  const slots = new SnapshotSlots(directory, 'reload-journal', { maxBytes: 1024 * 1024 });
  return {
    async read() {
      const snapshot = await slots.read();
      if (!snapshot) return { plugins: {}, sequence: 0 };
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
      const d = doc as Partial<JournalState> | null;
      const plugins = d?.plugins;
      if (
        typeof d?.sequence !== 'number' ||
        typeof plugins !== 'object' ||
        plugins === null ||
        Object.values(plugins).some((v) => typeof v !== 'string')
      ) {
        throw new ReloadError({
          code: 'CORRUPT_INPUT',
          phase: 'decode',
          message: `reload journal in ${directory} has an unexpected shape`,
        });
      }
      return { plugins: Object.fromEntries(Object.entries(plugins)), sequence: d.sequence };
    },
    async write(state) {
      await slots.write(new TextEncoder().encode(JSON.stringify(state)));
    },
  };
}
