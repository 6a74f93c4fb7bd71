import type { CallOptions, IndexBuildOptions, IndexKindProvider, IndexSnapshot } from '@baton/core';
import { DataType } from 'apache-arrow';
import type { Data, RecordBatch, Table } from 'apache-arrow';
import { corruptIndex, invalidIndexArgument, throwIfAborted, typeName } from './indexErrors.js';
import { checksum, META_CRC32, META_ROWS, metaInt, readIndexFile, verifyChecksum } from './indexFile.js';
import { checkBuildOptions, indexOptions } from './indexArguments.js';
import { MAX_INDEX_ROWS, ORDERED_KIND } from './indexLimits.js';
import { ORDERED_FORMAT_VERSION, OrderedIndexHandle, orderedChecksumViews } from './orderedIndexHandle.js';
import { readOrderedSnapshot } from './orderedSnapshot.js';
import { keyFamily, sortedKeyBytes, sortKeys, SUPPORTED_KEY_TYPES } from './orderedKeys.js';
import type { KeyFamily, NumericKeyArray, SortedKeys } from './orderedKeys.js';
import { requireColumn } from './sourceColumn.js';

/** Options of {@link orderedIndex}: limits and checks. */
export interface OrderedIndexOptions {
  /** Largest index data (keys + offsets + row ids) `build` and `open` accept, checked before allocating. */
  readonly maxBytes?: number;
  /** Largest result a probe may produce, checked before allocating. */
  readonly maxProbeResults?: number;
  /** Verify the CRC-32 of the key and row data on `open` (default true). */
  readonly verifyChecksum?: boolean;
}

/** The ordered index provider: an {@link IndexKindProvider} whose handles are {@link OrderedIndexHandle}. */
export interface OrderedIndexProvider extends IndexKindProvider {
  readonly kind: typeof ORDERED_KIND;
  build(source: RecordBatch | Table, options: IndexBuildOptions): OrderedIndexHandle;
  open(bytes: Uint8Array, options?: CallOptions): OrderedIndexHandle;
  /**
   * A handle sharing the buffers of another version's `ordered/1` snapshot (no copy, no CRC pass);
   * `undefined` for a layout this version does not read; `INVALID_ARGUMENT` for a malformed snapshot
   * or one of another kind; `ABORTED` for an aborted signal.
   */
  adopt(snapshot: IndexSnapshot, options?: CallOptions): OrderedIndexHandle | undefined;
}

/**
 * The ordered index kind (`ordered`): equality and range lookups over a scalar column of type
 * Int8..Int64, Uint8..Uint64, Float32/64, Utf8, Timestamp or Date. `build(source, { column })`
 * (no params) sorts the non-null, non-NaN keys once by key then row id into typed arrays. `persist()`
 * writes an Arrow IPC file; `open(bytes)` validates it (kind, format version, schema, sizes,
 * CRC-32) and keeps views over `bytes` when `bytes.byteOffset` is 8-byte aligned (no copy; the
 * caller must not modify `bytes` afterwards), copying once otherwise. `adopt(snapshot)` takes over
 * another version's {@link OrderedIndexHandle.snapshot} (layout `ordered/1`) in this process: the
 * new handle shares its keys and row ids (no copy, no CRC pass, O(1)) and persists to the same bytes.
 * A malformed snapshot, or one of another kind, is `INVALID_ARGUMENT` (a snapshot is an argument
 * handed over in-process, not bytes read from outside); an ordered snapshot of a layout this version
 * does not read answers `undefined`, so the host persists and opens. Each call makes an
 * independent provider, as a new plugin version would. Wrong options (not an object, a limit that
 * is not a safe integer, an unknown option) are `INVALID_ARGUMENT`.
 */
export function orderedIndex(options?: OrderedIndexOptions): OrderedIndexProvider {
  const { maxBytes, maxProbeResults, verify } = indexOptions(ORDERED_KIND, options);
  return {
    kind: ORDERED_KIND,
    build(source: RecordBatch | Table, build: IndexBuildOptions): OrderedIndexHandle {
      checkBuildOptions(ORDERED_KIND, build);
      throwIfAborted(ORDERED_KIND, 'build', build);
      const params = build.params ?? {};
      if (typeof params !== 'object' || params === null || Object.keys(params).length > 0) {
        throw invalidIndexArgument(ORDERED_KIND, 'build', 'the ordered index takes no params');
      }
      const column = requireColumn(source, build.column, ORDERED_KIND, 'build');
      const type = column.type as DataType;
      const family = keyFamily(type);
      if (family === undefined)
        throw invalidIndexArgument(
          ORDERED_KIND,
          'build',
          `cannot index ${typeName(type)} keys (supported: ${SUPPORTED_KEY_TYPES})`,
        );
      if (column.length > MAX_INDEX_ROWS)
        throw invalidIndexArgument(
          ORDERED_KIND,
          'build',
          `${column.length} rows exceed the limit of ${MAX_INDEX_ROWS}`,
        );
      const bytes = sortedKeyBytes(column, family);
      if (bytes > maxBytes || (family === 'utf8' && bytes > 0x7fffffff)) {
        throw invalidIndexArgument(
          ORDERED_KIND,
          'build',
          `the index would hold ${bytes} bytes, over the limit of ${Math.min(maxBytes, family === 'utf8' ? 0x7fffffff : maxBytes)}`,
        );
      }
      const keys = sortKeys(column, family);
      return OrderedIndexHandle.create({ keys, crc32: checksum(orderedChecksumViews(keys)), maxProbeResults });
    },
    open(bytes: Uint8Array, call?: CallOptions): OrderedIndexHandle {
      throwIfAborted(ORDERED_KIND, 'open', call);
      const { schema, batch } = readIndexFile(bytes, {
        kind: ORDERED_KIND,
        versions: [ORDERED_FORMAT_VERSION],
        maxBytes,
        align: 8,
      });
      const fail = (reason: string): Error => corruptIndex(ORDERED_KIND, reason);
      const count = metaInt(schema, META_ROWS, MAX_INDEX_ROWS, ORDERED_KIND);
      const names = schema.fields.map((f) => f.name).join(',');
      if (names !== 'key,row') throw fail(`unexpected columns [${names}]`);
      const type = schema.fields[0]!.type as DataType;
      const family = keyFamily(type);
      if (family === undefined) throw fail(`unsupported key type ${typeName(type)}`);
      if (batch.numRows !== count) throw fail(`metadata says ${count} rows, the batch has ${batch.numRows}`);
      const keys = readKeys(batch.data.children[0], batch.data.children[1], type, family, count, fail);
      const views = orderedChecksumViews(keys);
      const dataBytes = views.reduce((sum, view) => sum + view.byteLength, 0);
      if (dataBytes > maxBytes) throw fail(`the index holds ${dataBytes} bytes, over the limit of ${maxBytes}`);
      const crc32 = verify
        ? verifyChecksum(schema, views, ORDERED_KIND)
        : metaInt(schema, META_CRC32, 0xffffffff, ORDERED_KIND);
      return OrderedIndexHandle.create({ keys, crc32, maxProbeResults });
    },
    adopt(snapshot: IndexSnapshot, call?: CallOptions): OrderedIndexHandle | undefined {
      throwIfAborted(ORDERED_KIND, 'adopt', call);
      const adopted = readOrderedSnapshot(snapshot, maxBytes);
      return adopted === undefined ? undefined : OrderedIndexHandle.create({ ...adopted, maxProbeResults });
    },
  };
}

/** The sorted keys of an opened file: views over the input, after checking types, nulls and sizes. */
function readKeys(
  keyData: Data | undefined,
  rowData: Data | undefined,
  type: DataType,
  family: KeyFamily,
  count: number,
  fail: (reason: string) => Error,
): SortedKeys {
  if (keyData === undefined || rowData === undefined) throw fail('a column is missing from the batch');
  if (keyData.length !== count || keyData.nullCount !== 0) throw fail('the key column has nulls or a wrong length');
  const rowType = rowData.type;
  const rowValues: unknown = rowData.values;
  if (
    !DataType.isInt(rowType) ||
    rowType.bitWidth !== 32 ||
    rowType.isSigned ||
    rowData.length !== count ||
    rowData.nullCount !== 0 ||
    !(rowValues instanceof Uint32Array) ||
    rowValues.length < count
  ) {
    throw fail('the row column is not a non-null Uint32 column of the right length');
  }
  const rowIds = rowValues.subarray(0, count);
  if (family === 'utf8') {
    const offsets: unknown = keyData.valueOffsets;
    const bytes: unknown = keyData.values;
    if (!(offsets instanceof Int32Array) || offsets.length < count + 1 || !(bytes instanceof Uint8Array))
      throw fail('the key column is not valid Utf8');
    const end = offsets[count]!;
    if (offsets[0] !== 0 || end < 0 || end > bytes.length) throw fail('the key offsets do not fit the key bytes');
    return {
      type,
      family,
      count,
      values: undefined,
      offsets: offsets.subarray(0, count + 1),
      bytes: bytes.subarray(0, end),
      rowIds,
    };
  }
  const values: unknown = keyData.values;
  const ArrayType = type.ArrayType as abstract new (...args: never[]) => NumericKeyArray;
  if (!(values instanceof ArrayType) || values.length < count) throw fail(`the key data is shorter than ${count} keys`);
  return { type, family, count, values: values.subarray(0, count), offsets: undefined, bytes: undefined, rowIds };
}
