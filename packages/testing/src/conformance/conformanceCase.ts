/**
 * One named check of a conformance suite. Suites return arrays of cases so any runner can register
 * them: `for (const c of suite) it(c.name, c.run)` (vitest, jest) or `test(c.name, c.run)` (node:test).
 */
export interface ConformanceCase {
  readonly name: string;
  readonly run: () => Promise<void>;
}
