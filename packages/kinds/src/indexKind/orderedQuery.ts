import { DataType, Precision } from 'apache-arrow';
import type { Data, RecordBatch, Vector } from 'apache-arrow';
import { invalidIndexArgument, typeName } from './indexErrors.js';
import { ORDERED_KIND } from './indexLimits.js';
import type { KeyFamily, NumericKeyArray } from './orderedKeys.js';
import type { KeyBound, KeyRange } from './orderedSearch.js';

/**
 * Reads the lookups of an ordered-index query batch, one per row (`undefined`: matches nothing).
 *
 * - Equality: a `key` column; a null key matches nothing.
 * - Range: a `lo` and/or a `hi` column (a null bound is unbounded on that side), with optional Bool
 *   columns `loInclusive` / `hiInclusive` (default and null: inclusive).
 *
 * Bound columns must have the key's type family: Utf8 for a string index; any Int or Float column
 * for an Int/Float index; for a Timestamp/Date index the same type and unit, or an Int column of
 * raw values in the index's unit. Other columns are ignored. A NaN bound is `INVALID_ARGUMENT`.
 */
export function readRanges(query: RecordBatch, keyType: DataType, family: KeyFamily): (KeyRange | undefined)[] {
  if (typeof query !== 'object' || query === null || typeof (query as Partial<RecordBatch>).getChild !== 'function') {
    throw invalidIndexArgument(ORDERED_KIND, 'probe', 'the query must be an Arrow RecordBatch');
  }
  const key = query.getChild('key');
  const lo = query.getChild('lo');
  const hi = query.getChild('hi');
  if (key !== null && (lo !== null || hi !== null))
    throw invalidIndexArgument(
      ORDERED_KIND,
      'probe',
      "a query has either a 'key' column or 'lo'/'hi' columns, not both",
    );
  if (key === null && lo === null && hi === null)
    throw invalidIndexArgument(
      ORDERED_KIND,
      'probe',
      "the query needs a 'key' column (equality) or 'lo'/'hi' columns (range)",
    );
  const rows = query.numRows;
  if (key !== null) {
    const keys = readBounds(key, 'key', keyType, family);
    return keys.map((v) => (v === null ? undefined : { lo: v, loInclusive: true, hi: v, hiInclusive: true }));
  }
  const los = lo === null ? undefined : readBounds(lo, 'lo', keyType, family);
  const his = hi === null ? undefined : readBounds(hi, 'hi', keyType, family);
  const loInclusive = readFlags(query.getChild('loInclusive'), 'loInclusive');
  const hiInclusive = readFlags(query.getChild('hiInclusive'), 'hiInclusive');
  const ranges: KeyRange[] = [];
  for (let i = 0; i < rows; i++) {
    ranges.push({
      lo: los?.[i] ?? undefined,
      loInclusive: loInclusive?.[i] ?? true,
      hi: his?.[i] ?? undefined,
      hiInclusive: hiInclusive?.[i] ?? true,
    });
  }
  return ranges;
}

function readBounds(vector: Vector, name: string, keyType: DataType, family: KeyFamily): (KeyBound | null)[] {
  const type = vector.type as DataType;
  checkBoundType(type, name, keyType, family);
  const out: (KeyBound | null)[] = [];
  for (const data of vector.data as Data[]) {
    for (let i = 0; i < data.length; i++) {
      if (!data.getValid(i)) {
        out.push(null);
      } else if (family === 'utf8') {
        const offsets = data.valueOffsets as Int32Array;
        out.push((data.values as Uint8Array).subarray(offsets[i], offsets[i + 1]));
      } else {
        const value = (data.values as NumericKeyArray)[i]!;
        if (value !== value)
          throw invalidIndexArgument(ORDERED_KIND, 'probe', `'${name}' of query row ${out.length} is NaN`);
        out.push(value);
      }
    }
  }
  return out;
}

function checkBoundType(type: DataType, name: string, keyType: DataType, family: KeyFamily): void {
  const numeric = DataType.isInt(type) || (DataType.isFloat(type) && type.precision !== Precision.HALF);
  const temporal = DataType.isTimestamp(keyType) || DataType.isDate(keyType);
  const ok =
    family === 'utf8'
      ? DataType.isUtf8(type)
      : temporal
        ? DataType.isInt(type) || sameTemporalType(type, keyType)
        : numeric;
  if (!ok)
    throw invalidIndexArgument(
      ORDERED_KIND,
      'probe',
      `'${name}' has type ${typeName(type)}, which cannot bound keys of type ${typeName(keyType)}`,
    );
}

/** Same temporal type id, unit and time zone (an absent time zone equals a null one). */
function sameTemporalType(a: DataType, b: DataType): boolean {
  const unit = (t: DataType): unknown => (t as { unit?: unknown }).unit;
  const zone = (t: DataType): unknown => (t as { timezone?: unknown }).timezone ?? null;
  return a.typeId === b.typeId && unit(a) === unit(b) && zone(a) === zone(b);
}

function readFlags(vector: Vector | null, name: string): (boolean | null)[] | undefined {
  if (vector === null) return undefined;
  if (!DataType.isBool(vector.type as DataType))
    throw invalidIndexArgument(ORDERED_KIND, 'probe', `'${name}' must be a Bool column, got ${typeName(vector.type)}`);
  const out: (boolean | null)[] = [];
  for (let i = 0; i < vector.length; i++) out.push((vector.get(i) as boolean | null) ?? null);
  return out;
}
