import { DataType, Utf8, vectorFromArray } from 'apache-arrow';
import type { Vector } from 'apache-arrow';
import type { CallOptions, ScalarFunctionProvider } from '@baton/core';
import { checkSignal, singleArgument } from './functionArgs.js';

/** Options of {@link lowerFunction} and {@link upperFunction}. */
export interface Utf8CaseOptions {
  /** Registry key (default `lower` / `upper`). */
  readonly name?: string;
}

function caseFunction(name: string, convert: (value: string) => string): ScalarFunctionProvider {
  const utf8 = new Utf8();
  return {
    name,
    argumentTypes: [utf8],
    returnType: utf8,
    invoke(args: readonly Vector[], options: CallOptions = {}): Vector<Utf8> {
      checkSignal('scalarFunction', name, options.signal);
      const input = singleArgument(
        'scalarFunction',
        name,
        args,
        (type) => DataType.isUtf8(type),
        'a Utf8 vector',
      ) as Vector<Utf8>;
      const out = new Array<string | null>(input.length);
      for (let row = 0; row < input.length; row++) {
        const value = input.get(row);
        out[row] = value === null ? null : convert(value);
      }
      return vectorFromArray(out, utf8);
    },
  };
}

/**
 * `lower(Utf8) → Utf8`: each string in lower case (Unicode default case mapping, locale-independent);
 * nulls stay null. Clean reload: nothing to hand over.
 */
export function lowerFunction(options: Utf8CaseOptions = {}): ScalarFunctionProvider {
  return caseFunction(options.name ?? 'lower', (value) => value.toLowerCase());
}

/** `upper(Utf8) → Utf8`: each string in upper case (locale-independent); nulls stay null. */
export function upperFunction(options: Utf8CaseOptions = {}): ScalarFunctionProvider {
  return caseFunction(options.name ?? 'upper', (value) => value.toUpperCase());
}
