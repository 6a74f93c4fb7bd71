import type { MaybePromise } from '../util/maybePromise.js';

/** Rewrites persisted state of the old version into bytes the new version reads. */
export type StateMigration = (bytes: Uint8Array) => MaybePromise<Uint8Array>;

/** The new version reads the old version's state as it is. */
export interface CompatibleVerdict {
  readonly type: 'compatible';
}

/** The new version reads the old state once `migrate` has rewritten it (Flink's "after migration"). */
export interface CompatibleAfterMigrationVerdict {
  readonly type: 'compatibleAfterMigration';
  readonly migrate: StateMigration;
  /** What the migration does, for reports (e.g. "g-counter v1 → v2: varint counts"). */
  readonly description: string;
}

/** The new version cannot take over the old state; a reload is refused before anything pauses. */
export interface IncompatibleVerdict {
  readonly type: 'incompatible';
  /** Why, naming the old and new values that differ. */
  readonly reason: string;
}

/**
 * The answer of a compat check old → new, in the style of Flink's serializer compatibility.
 * Build one with {@link Compat}.
 */
export type CompatVerdict = CompatibleVerdict | CompatibleAfterMigrationVerdict | IncompatibleVerdict;

/** The three {@link CompatVerdict} constructors. */
export const Compat = {
  compatible(): CompatibleVerdict {
    return COMPATIBLE;
  },
  afterMigration(migrate: StateMigration, description = 'state migration'): CompatibleAfterMigrationVerdict {
    return Object.freeze({ type: 'compatibleAfterMigration', migrate, description });
  },
  incompatible(reason: string): IncompatibleVerdict {
    return Object.freeze({ type: 'incompatible', reason });
  },
} as const;

const COMPATIBLE: CompatibleVerdict = Object.freeze({ type: 'compatible' });

/** True when `value` is a well-formed {@link CompatVerdict} (providers are untrusted code). */
export function isCompatVerdict(value: unknown): value is CompatVerdict {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<Record<'type' | 'migrate' | 'reason', unknown>>;
  switch (v.type) {
    case 'compatible':
      return true;
    case 'compatibleAfterMigration':
      return typeof v.migrate === 'function';
    case 'incompatible':
      return typeof v.reason === 'string';
    default:
      return false;
  }
}
