/** What the Arrow layout check needs to know about types: names, children, value widths. */
import { Type } from 'apache-arrow';
import type { DataType, Field } from 'apache-arrow';

/** The name of a type's id (`Int`, `Utf8`, `Dictionary`, …): a plain string to switch on. */
export const typeName = (type: DataType): string => Type[type.typeId] ?? `type ${type.typeId}`;

/** The child fields of a nested type. */
export const childrenOf = (type: DataType): readonly Field<DataType>[] => type.children as Field<DataType>[];

/** Bytes per value of a fixed-width type (`Int`, `Float`, `Decimal`, …), or undefined when its parameters are not valid. */
export function fixedWidth(type: DataType): number | undefined {
  const t = type as DataType & { bitWidth?: number; precision?: number; unit?: number; byteWidth?: number };
  switch (typeName(type)) {
    case 'Int':
      if ([8, 16, 32, 64].includes(t.bitWidth!)) return t.bitWidth! / 8;
      break;
    case 'Float':
      if (t.precision === 0 || t.precision === 1 || t.precision === 2) return 2 ** (t.precision + 1);
      break;
    case 'Decimal':
      if ([32, 64, 128, 256].includes(t.bitWidth!)) return t.bitWidth! / 8;
      break;
    case 'Date':
      if (t.unit === 0 || t.unit === 1) return t.unit === 0 ? 4 : 8;
      break;
    case 'Time':
      if (t.bitWidth === 32 || t.bitWidth === 64) return t.bitWidth / 8;
      break;
    case 'Timestamp':
    case 'Duration':
      return 8;
    case 'Interval':
      if (t.unit === 0 || t.unit === 1 || t.unit === 2) return [4, 8, 16][t.unit]!;
      break;
    case 'FixedSizeBinary':
      if (Number.isSafeInteger(t.byteWidth) && t.byteWidth! >= 1 && t.byteWidth! <= 2 ** 20) return t.byteWidth!;
      break;
  }
  return undefined;
}
