import { isReloadError } from '@baton/core';
import { checkLogicalTypeCompat } from '@baton/core/kit';
import type { LogicalTypeProvider } from '@baton/core';
import {
  LogicalTypeRegistry,
  extensionMetadataOf,
  extensionNameOf,
  logicalFieldsOf,
  logicalTable,
  valuesOf,
} from '@baton/kinds';
import type { LogicalType } from '@baton/kinds';
import { Schema, tableFromIPC, tableToIPC } from 'apache-arrow';
import fc from 'fast-check';
import { logicalColumns } from '../arbitraries/logicalValues.js';
import { fail, show } from './describe.js';
import { assertParameters } from './runOptions.js';
import type { RunOptions } from './runOptions.js';

/**
 * Proves a new version of a logical type may replace the old one: the Arrow extension contract (name,
 * storage type, encoding version, metadata) is unchanged and the new type's own check agrees — what
 * the host checks before a reload. Throws with the differences otherwise.
 */
export async function assertLogicalTypeCompat(
  oldType: LogicalTypeProvider,
  newType: LogicalTypeProvider,
): Promise<void> {
  const verdict = await checkLogicalTypeCompat(oldType, newType, {
    kind: 'logicalType',
    key: oldType.name,
    signal: new AbortController().signal,
    timeoutMs: 30_000,
    samples: [],
    liveResources: [],
    maxStates: 0,
  });
  if (verdict.type === 'incompatible')
    fail(`logical type '${oldType.name}': a reload would be refused`, verdict.reason);
}

/** Options of {@link assertLogicalTypeRoundTrip}. */
export interface LogicalRoundTripOptions<V> extends RunOptions {
  /** Valid values (default: the built-in arbitrary of the type, see `logicalValues`). */
  readonly values?: fc.Arbitrary<V>;
}

/**
 * Proves values of a logical type survive Arrow IPC (stream and file formats): generated columns
 * with nulls go through `tableToIPC` / `tableFromIPC`; the field keeps its extension name and
 * metadata, resolves to the type through a registry, and reads back the same values (compared by
 * `format`). Also checks `parse(format(v))` gives `v` back. Throws a readable counterexample otherwise.
 */
export async function assertLogicalTypeRoundTrip<V>(
  type: LogicalType<V>,
  options: LogicalRoundTripOptions<V> = {},
): Promise<void> {
  const registry = new LogicalTypeRegistry().register(type as LogicalType);
  await fc.assert(
    fc.asyncProperty(
      logicalColumns(type, options.values === undefined ? {} : { values: options.values }),
      fc.constantFrom('stream' as const, 'file' as const),
      async (column, format) => {
        const table = logicalTable(new Schema([column.field]), { value: column.vector });
        const back = tableFromIPC(tableToIPC(table, format));
        const field = back.schema.fields[0]!;
        if (extensionNameOf(field) !== type.name || extensionMetadataOf(field) !== type.metadata) {
          fail(
            `'${type.name}': the field lost its extension metadata through IPC (${format})`,
            `name ${show(extensionNameOf(field))}, metadata ${show(extensionMetadataOf(field))}`,
          );
        }
        try {
          logicalFieldsOf(back.schema, registry);
        } catch (error) {
          fail(
            `'${type.name}': a field read back from IPC does not resolve to the type`,
            isReloadError(error) ? error.message : String(error),
          );
        }
        const values = valuesOf(type, back.getChild('value')!);
        const text = (v: V | null): string | null => (v === null ? null : type.format(v));
        const row = column.values.findIndex((v, i) => text(v) !== text(values[i] ?? null));
        if (row >= 0)
          fail(
            `'${type.name}': value changed through IPC (${format}) at row ${row}`,
            `wrote ${show(column.values[row])}`,
            `read  ${show(values[row])}`,
          );
        for (const v of column.values) {
          if (v !== null && type.format(type.parse(type.format(v))) !== type.format(v))
            fail(`'${type.name}': parse(format(v)) is not v`, `v = ${show(v)}`, `format(v) = ${show(type.format(v))}`);
        }
      },
    ),
    assertParameters(options),
  );
}
