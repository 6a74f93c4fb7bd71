import type { CompatVerdict } from './verdict.js';

/** The compat status of one surface across a reload. */
export type CompatStatus = CompatVerdict['type'] | 'added' | 'removed';

/** One surface's line in a {@link CompatReport}. */
export interface CompatEntry {
  readonly kind: string;
  readonly key: string;
  readonly status: CompatStatus;
  /** Present for surfaces both versions register. */
  readonly verdict?: CompatVerdict;
  /** The error a compat check threw (it then counts as incompatible). */
  readonly error?: unknown;
}

/** Every surface of a reload with its compat status, old → new. */
export class CompatReport {
  constructor(readonly entries: readonly CompatEntry[]) {}

  /** The surfaces that block the reload. */
  get incompatible(): CompatEntry[] {
    return this.entries.filter((entry) => entry.status === 'incompatible');
  }

  /** True when no surface is incompatible. */
  get compatible(): boolean {
    return this.incompatible.length === 0;
  }

  /** The verdict for `kind`/`key`, when both versions register it. */
  verdictFor(kind: string, key: string): CompatVerdict | undefined {
    return this.entries.find((entry) => entry.kind === kind && entry.key === key)?.verdict;
  }

  /** One line per surface, for logs and `baton inspect`. */
  toLines(): string[] {
    return this.entries.map((entry) => {
      const verdict = entry.verdict;
      const why =
        verdict?.type === 'incompatible'
          ? `: ${verdict.reason}`
          : verdict?.type === 'compatibleAfterMigration'
            ? ` (${verdict.description})`
            : '';
      return `${entry.kind} '${entry.key}': ${entry.status}${why}`;
    });
  }
}
