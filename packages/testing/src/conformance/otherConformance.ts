import type { CdcOutputProvider, LogicalTypeProvider } from '@baton/core';
import type { LogicalType } from '@baton/kinds';
import type fc from 'fast-check';
import { assertCdcHandoff } from '../checks/cdcHandoff.js';
import type { CdcHandoffOptions } from '../checks/cdcHandoff.js';
import { assertLogicalTypeCompat, assertLogicalTypeRoundTrip } from '../checks/logicalType.js';
import type { RunOptions } from '../checks/runOptions.js';
import type { ConformanceCase } from './conformanceCase.js';

/**
 * The conformance suite every CDC output runs: `factory(sink)` makes a provider over a sink, as each
 * loaded version would; a handoff between two of them at any cut point — also when the new one fails
 * to start — leaves every batch in the sink exactly once. Where streams have `detach` and providers
 * `adopt`, cases take the in-memory paths too; with `expectAdopt` a case of its own demands them: a
 * stream taken over in memory continues exactly once, and a takeover of a layout the next version
 * does not read is closed and started anew (see `assertCdcHandoff`).
 */
export function cdcOutputConformance<S>(
  name: string,
  factory: (sink: S) => CdcOutputProvider,
  options: CdcHandoffOptions<S>,
): ConformanceCase[] {
  return [
    {
      name: `${name}: exactly once at the sink across a handoff at any cut point`,
      run: () => assertCdcHandoff(factory, factory, { ...options, expectAdopt: false }),
    },
    ...(options.expectAdopt
      ? [
          {
            name: `${name}: a stream taken over in memory continues exactly once (detach → adopt, unknown layouts restart)`,
            run: () => assertCdcHandoff(factory, factory, { ...options, paths: ['adopt', 'unknownLayout'] }),
          },
        ]
      : []),
  ];
}

/**
 * The conformance suite every logical type runs: values survive Arrow IPC with the extension
 * metadata intact, and redeclaring the same contract in a new version is compatible.
 */
export function logicalTypeConformance<V>(
  type: LogicalType<V>,
  redeclared: LogicalTypeProvider,
  options: RunOptions & { readonly values?: fc.Arbitrary<V> } = {},
): ConformanceCase[] {
  return [
    { name: `${type.name}: values round-trip through Arrow IPC`, run: () => assertLogicalTypeRoundTrip(type, options) },
    {
      name: `${type.name}: an unchanged redeclaration is compatible`,
      run: () => assertLogicalTypeCompat(type, redeclared),
    },
  ];
}
