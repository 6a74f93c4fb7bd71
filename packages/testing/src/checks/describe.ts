import { inspect } from 'node:util';

/** A short, readable rendering of any value for counterexamples. */
export function show(value: unknown): string {
  return inspect(value, { depth: 4, breakLength: Infinity, maxArrayLength: 12, maxStringLength: 80 });
}

/**
 * The error a check throws: its message says which kind, which state, LSN or step failed, so a
 * human can read the counterexample without a debugger.
 */
export class CheckFailure extends Error {
  override readonly name = 'CheckFailure';
}

/** Throws a {@link CheckFailure} with `lines` joined. */
export function fail(...lines: string[]): never {
  throw new CheckFailure(lines.join('\n  '));
}
