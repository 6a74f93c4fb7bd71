/** The outcome of one fleet format check of one CRDT kind. */
export type FormatCheckStatus = 'compatible' | 'incompatible' | 'notApplicable';

/** One fleet format check of one CRDT kind: its status and, in words, what was found. */
export interface FormatCheck {
  readonly status: FormatCheckStatus;
  /** The verdict (`compatible`, `compatibleAfterMigration: …`), the reason it failed, or why it does not apply. */
  readonly detail: string;
}

/** The fleet format checks of one CRDT kind (see `checkFleetFormats`). */
export interface KindFormatReport {
  /** The kind's registry key (`g-counter`). */
  readonly key: string;
  /** The format each side writes: the old version, the new one in phase `mixed`, and once `switched`. */
  readonly formats: { readonly old?: number; readonly mixed?: number; readonly switched?: number };
  /** (1) The new version takes over the old version's states, in both phases (the reload each process runs). */
  readonly newReadsOld: FormatCheck;
  /** (2) The old version reads what the new version writes in phase `mixed`. */
  readonly oldReadsMixed: FormatCheck;
  /** (2) States written by both versions merge to the same value whichever version merges them. */
  readonly converges: FormatCheck;
  /** The second step: `mixed` → `switched` takes the state over, and `mixed` reads what `switched` writes. */
  readonly switchReads: FormatCheck;
  /** (3) The old version reads what the new version writes once `switched` (a rollback after the switch). */
  readonly rollbackAfterSwitch: FormatCheck;
}

/** The fleet format checks of a rollout from one plugin version to another. */
export interface FleetFormatReport {
  readonly plugin: string;
  readonly fromVersion: string;
  readonly toVersion: string;
  /** One entry per CRDT kind either version registers, by key. */
  readonly kinds: readonly KindFormatReport[];
  /** CRDT kind key → the old version's format, for each kind whose format the new version changes. */
  readonly pinned: Readonly<Record<string, number>>;
  /** Every check but `rollbackAfterSwitch` is compatible or does not apply: the rollout may start. */
  readonly ok: boolean;
  /** Every `rollbackAfterSwitch` is compatible or does not apply. */
  readonly rollbackSafe: boolean;
  /** One line per failed check (`rollbackAfterSwitch` failures included, marked as such). */
  readonly problems: readonly string[];
}

/** The checks of {@link KindFormatReport} that must pass before a rollout starts. */
export const requiredFormatChecks = ['newReadsOld', 'oldReadsMixed', 'converges', 'switchReads'] as const;

/** A passed check. */
export const passed = (detail: string): FormatCheck => Object.freeze({ status: 'compatible', detail });
/** A failed check. */
export const failed = (detail: string): FormatCheck => Object.freeze({ status: 'incompatible', detail });
/** A check that does not apply. */
export const notApplicable = (detail: string): FormatCheck => Object.freeze({ status: 'notApplicable', detail });
