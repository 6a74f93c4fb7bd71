import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Where `npm run bench` writes its results (the repository root; committed, so `bench:check` works on a clone). */
export const RESULTS_PATH = fileURLToPath(new URL('../../../bench-results.json', import.meta.url));
/** Where the generated report goes (the repository root). */
export const REPORT_PATH = fileURLToPath(new URL('../../../BENCHMARKS.md', import.meta.url));

/** How a row's figure is compared with its goal. */
export type Comparison = '<=' | '>=' | '==';

/**
 * A goal on one row: `on` says which figure is compared — the `ratio` (Baton against the baseline)
 * or the `baton` figure itself (e.g. failed calls must be 0).
 */
export interface Target {
  readonly on: 'ratio' | 'baton';
  readonly cmp: Comparison;
  readonly value: number;
}

/** One measured row: the Baton figure, the baseline figure from the same run, and their ratio. */
export interface BenchRow {
  readonly name: string;
  /** The Baton figure (median unless the unit says otherwise). */
  readonly baton: number;
  /** The baseline figure, measured in the same run (interleaved where possible). */
  readonly baseline: number;
  readonly unit: string;
  /** What the baseline is, shortly. */
  readonly baselineLabel: string;
  /** `baton / baseline`, or `baseline / baton` when the section says so (see {@link GoalSection.ratioOf}). */
  readonly ratio: number;
  /** The goal this row is judged by; rows without one are reported only. */
  readonly target?: Target;
  readonly note?: string;
}

/** The results of one goal: a table of rows plus free-form findings (slopes, explanations). */
export interface GoalSection {
  readonly id: number;
  readonly title: string;
  /** The goal as the issue states it. */
  readonly goal: string;
  /** How the ratio column is computed, e.g. `Baton / baseline`. */
  readonly ratioOf: string;
  /** Which rows the goal applies to, and why. */
  readonly appliesTo: string;
  readonly rows: readonly BenchRow[];
  /** Further findings, one paragraph each (fitted slopes, method notes). */
  readonly findings: readonly string[];
  /** When this section was measured (ISO), and how long it took. */
  readonly measuredAt: string;
  readonly seconds: number;
}

/** The machine a run measured. */
export interface MachineInfo {
  readonly os: string;
  readonly cpuModel: string;
  readonly cpus: number;
  readonly totalMemoryGiB: number;
  readonly node: string;
  readonly v8: string;
  /** Which build of the Baton packages ran: `dist` (as built, what a host runs) or `source` (through tsx). */
  readonly code?: string;
  /** The load average (1, 5 and 15 minutes) when the run started: other work on the machine skews absolute figures. */
  readonly loadAverage?: readonly number[];
}

/** Everything `npm run bench` writes to {@link RESULTS_PATH}. */
export interface BenchResults {
  readonly format: 1;
  readonly date: string;
  readonly machine: MachineInfo;
  readonly goals: readonly GoalSection[];
}

/** The verdict of one row that carries a goal. */
export interface Verdict {
  readonly goal: number;
  readonly row: BenchRow;
  readonly pass: boolean;
  /** The figure compared, and the goal it was compared with, as text. */
  readonly detail: string;
}

/** True when `value` meets `target`. */
export function meets(value: number, target: Target): boolean {
  if (!Number.isFinite(value)) return false;
  switch (target.cmp) {
    case '<=':
      return value <= target.value;
    case '>=':
      return value >= target.value;
    case '==':
      return value === target.value;
  }
}

/** The goal as text, e.g. `ratio ≤ 1.2×` or `Baton = 0`. */
export function describeTarget(target: Target): string {
  const cmp = { '<=': '≤', '>=': '≥', '==': '=' }[target.cmp];
  return target.on === 'ratio' ? `ratio ${cmp} ${target.value}×` : `${cmp} ${target.value}`;
}

/** Judges every row that carries a goal (recomputed from the figures, never read from the file). */
export function verdicts(results: BenchResults): Verdict[] {
  const out: Verdict[] = [];
  for (const section of results.goals) {
    for (const row of section.rows) {
      if (row.target === undefined) continue;
      const value = row.target.on === 'ratio' ? row.ratio : row.baton;
      out.push({
        goal: section.id,
        row,
        pass: meets(value, row.target),
        detail: `${row.target.on === 'ratio' ? 'ratio' : 'Baton'} ${formatNumber(value)} vs goal ${describeTarget(row.target)}`,
      });
    }
  }
  return out;
}

/** A number with about three significant digits (integers as they are). */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value) && Math.abs(value) >= 1) return value.toLocaleString('en-US');
  const abs = Math.abs(value);
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(2);
  if (abs >= 0.01) return value.toFixed(3);
  if (abs === 0) return '0';
  return value.toPrecision(2);
}

/** Reads the results file, or undefined when there is none. */
export function readResults(path = RESULTS_PATH): BenchResults | undefined {
  if (!existsSync(path)) return undefined;
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<BenchResults>;
  if (parsed.format !== 1 || !Array.isArray(parsed.goals)) throw new Error(`${path} is not a results file of format 1`);
  return parsed as BenchResults;
}

/** Writes the results file (sections sorted by goal). */
export function writeResults(results: BenchResults, path = RESULTS_PATH): void {
  const sorted = { ...results, goals: [...results.goals].sort((a, b) => a.id - b.id) };
  writeFileSync(path, JSON.stringify(sorted, null, 2) + '\n');
}

/**
 * Merges freshly measured sections into earlier results (a run of some goals keeps the others), so
 * the file always holds one section per goal.
 */
export function mergeResults(
  previous: BenchResults | undefined,
  fresh: readonly GoalSection[],
  date: string,
  machine: MachineInfo,
): BenchResults {
  const byId = new Map<number, GoalSection>();
  for (const section of previous?.goals ?? []) byId.set(section.id, section);
  for (const section of fresh) byId.set(section.id, section);
  return { format: 1, date, machine, goals: [...byId.values()].sort((a, b) => a.id - b.id) };
}
