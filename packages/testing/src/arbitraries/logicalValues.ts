import { ReloadError } from '@baton/core';
import { extensionField, vectorOf } from '@baton/kinds';
import type { GeoPoint, LogicalType } from '@baton/kinds';
import type { Field, Vector } from 'apache-arrow';
import fc from 'fast-check';

/** Valid values of a built-in logical type of @baton/kinds (`arrow.uuid`, `arrow.json`, `baton.geo.point`). */
export function logicalValues(type: LogicalType): fc.Arbitrary<unknown> {
  switch (type.name) {
    case 'arrow.uuid':
      return fc.uuid();
    case 'arrow.json':
      return fc.jsonValue().filter((v) => v !== null); // a JSON null document is a null slot
    case 'baton.geo.point':
      return fc.record<GeoPoint>({
        lon: fc.double({ min: -180, max: 180, noNaN: true }),
        lat: fc.double({ min: -90, max: 90, noNaN: true }),
      });
    default:
      throw new ReloadError({
        code: 'INVALID_ARGUMENT',
        kind: 'logicalType',
        key: type.name,
        message: `no built-in value arbitrary for logical type '${type.name}'; pass one as options.values`,
      });
  }
}

/** A generated column of a logical type: its Arrow field, its storage vector, and the values (null = null slot). */
export interface LogicalColumn<V> {
  readonly field: Field;
  readonly vector: Vector;
  readonly values: readonly (V | null)[];
}

/** Columns of `type` with up to `maxRows` rows, nulls included, from `values` (default {@link logicalValues}). */
export function logicalColumns<V>(
  type: LogicalType<V>,
  options: { readonly values?: fc.Arbitrary<V>; readonly maxRows?: number; readonly name?: string } = {},
): fc.Arbitrary<LogicalColumn<V>> {
  const values = options.values ?? (logicalValues(type as LogicalType) as fc.Arbitrary<V>);
  return fc.array(fc.option(values, { nil: null, freq: 6 }), { maxLength: options.maxRows ?? 30 }).map((rows) => ({
    field: extensionField(type, options.name ?? 'value', true),
    vector: vectorOf(type, rows),
    values: rows,
  }));
}
