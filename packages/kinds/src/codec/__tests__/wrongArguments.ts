/**
 * Arguments of the wrong type, and the table runner that feeds them to public exports: every
 * argument position of every row, in turn, gets every wrong value, and the call must either
 * return or throw a `ReloadError` with a code allowed for that position — never a plain
 * `TypeError`/`RangeError`. (Proxies whose getters throw are out of scope.)
 */
import { isReloadError } from '@baton/core';
import { expect } from 'vitest';

/** A Uint8Array whose buffer was transferred away (detached: length 0, every use of its buffer throws). */
function detachedBytes(): Uint8Array {
  const buffer = new ArrayBuffer(8);
  const view = new Uint8Array(buffer);
  structuredClone(buffer, { transfer: [buffer] });
  return view;
}

/** Values of every wrong type a caller can pass, by name. */
const wrongValues: readonly (readonly [string, unknown])[] = [
  ['undefined', undefined],
  ['null', null],
  ['0', 0],
  ['-1', -1],
  ['1.5', 1.5],
  ['NaN', Number.NaN],
  ['Infinity', Number.POSITIVE_INFINITY],
  ['2^53', 2 ** 53],
  ['5n', 5n],
  ["'AAAA'", 'AAAA'],
  ["''", ''],
  ['a 2 MiB string', 'x'.repeat(2 * 1024 * 1024)],
  ['true', true],
  ['a symbol', Symbol('s')],
  ['a function', () => 1],
  ['{}', {}],
  ['an object of wrong fields', { kind: 5, versions: 'x', name: 3, metadata: 7, type: 'x', fields: 1, length: -1 }],
  ['[]', []],
  ['[1, 2]', [1, 2]],
  ['[null]', [null]],
  ['Uint8Array(0)', new Uint8Array(0)],
  ['random bytes', Uint8Array.from({ length: 64 }, (_, i) => (i * 37 + 11) & 255)],
  ['a detached Uint8Array', detachedBytes()],
  ['a Uint8Array over a SharedArrayBuffer', new Uint8Array(new SharedArrayBuffer(16))],
  ['an ArrayBuffer', new ArrayBuffer(8)],
  ['a DataView', new DataView(new ArrayBuffer(8))],
  ['a Float64Array', new Float64Array(4)],
  ['a Buffer', Buffer.from('garbage')],
  ['fake bytes', { byteLength: 1e9, length: 1e9, buffer: new ArrayBuffer(1), byteOffset: 0 }],
  ['a Map', new Map([[1, 2]])],
  ['a Set', new Set([1])],
  ['a Date', new Date(0)],
  ['an Error', new Error('e')],
  ['an object without a prototype', Object.create(null) as object],
];

/** Codes a wrong value may be refused with, for one argument position. */
export type AllowedCodes = readonly string[];

/** Refused as a bad argument. */
export const ARGUMENT: AllowedCodes = ['INVALID_ARGUMENT'];
/** Refused as bad bytes (or storage values). */
export const BYTES: AllowedCodes = ['CORRUPT_INPUT'];

/** One public export (or method of one) and valid arguments for it. */
export interface ArgumentRow {
  readonly name: string;
  /** Valid arguments: the call with them must succeed. */
  readonly args: readonly unknown[];
  /** The codes allowed per position (default {@link ARGUMENT} for every position). */
  readonly codes?: readonly AllowedCodes[];
  readonly call: (...args: unknown[]) => unknown;
}

/** What a call did: returned, threw a ReloadError with a code, or threw something else (the finding). */
async function outcome(call: () => unknown): Promise<{ code?: string; other?: unknown }> {
  try {
    const result = call();
    if (typeof (result as PromiseLike<unknown> | undefined)?.then === 'function') await result;
    return {};
  } catch (error) {
    return isReloadError(error) ? { code: error.code } : { other: error };
  }
}

/** Runs one row: valid arguments succeed; each wrong value in each position returns or throws an allowed ReloadError. */
export async function checkRow(row: ArgumentRow): Promise<void> {
  const valid = await outcome(() => row.call(...row.args));
  expect(valid, `${row.name} with valid arguments`).toEqual({});
  const problems: string[] = [];
  for (let position = 0; position < row.args.length; position++) {
    const allowed = row.codes?.[position] ?? ARGUMENT;
    for (const [label, value] of wrongValues) {
      const args = row.args.slice();
      args[position] = value;
      const { code, other } = await outcome(() => row.call(...args));
      if (other !== undefined) problems.push(`argument ${position} = ${label}: threw ${describe(other)}`);
      else if (code !== undefined && !allowed.includes(code))
        problems.push(`argument ${position} = ${label}: ${code}, expected ${allowed.join(' or ')}`);
    }
  }
  // Every position at once (`compare(x, x)` reaches code one wrong argument does not).
  if (row.args.length > 1) {
    for (const [label, value] of wrongValues) {
      const { code, other } = await outcome(() => row.call(...row.args.map(() => value)));
      if (other !== undefined) problems.push(`every argument = ${label}: threw ${describe(other)}`);
      else if (code !== undefined && !row.args.some((_, p) => (row.codes?.[p] ?? ARGUMENT).includes(code)))
        problems.push(`every argument = ${label}: ${code}`);
    }
  }
  expect(problems, row.name).toEqual([]);
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message.slice(0, 160)}` : typeof error;
}
