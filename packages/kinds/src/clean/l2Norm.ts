import { DataType, Field, FixedSizeList, Float32, Float64, makeData, makeVector, Precision } from 'apache-arrow';
import type { Data, Vector } from 'apache-arrow';
import type { CallOptions, ScalarFunctionProvider } from '@baton/core';
import { checkSignal, invalidCall, singleArgument, validityBitmap } from './functionArgs.js';

/** Options of {@link l2NormFunction}. */
export interface L2NormOptions {
  /** Registry key (default `l2norm`). */
  readonly name?: string;
  /** Vector dimension the function is declared for; absent: any `FixedSizeList<Float32>`. */
  readonly dimension?: number;
}

const isBitSet = (bitmap: Uint8Array | null | undefined, index: number): boolean =>
  !bitmap || bitmap.byteLength === 0 || ((bitmap[index >> 3]! >> (index & 7)) & 1) === 1;

function isFloat32List(type: DataType, dimension: number | undefined): boolean {
  if (!DataType.isFixedSizeList(type)) return false;
  const child = type.children[0]?.type as DataType | undefined;
  return (
    child !== undefined &&
    DataType.isFloat(child) &&
    child.precision === Precision.SINGLE &&
    (dimension === undefined || type.listSize === dimension)
  );
}

/**
 * `l2norm(FixedSizeList<Float32>) → Float64`: the Euclidean norm of each embedding, summed in double
 * precision. A null list, or a list holding a null element, gives null.
 */
export function l2NormFunction(options: L2NormOptions = {}): ScalarFunctionProvider {
  const name = options.name ?? 'l2norm';
  const { dimension } = options;
  if (dimension !== undefined && !(Number.isSafeInteger(dimension) && dimension > 0))
    throw invalidCall('scalarFunction', name, `dimension must be a positive integer (got ${String(dimension)})`);
  const returnType = new Float64();
  return {
    name,
    ...(dimension === undefined
      ? {}
      : { argumentTypes: [new FixedSizeList(dimension, new Field('item', new Float32(), true))] }),
    returnType,
    invoke(args: readonly Vector[], callOptions: CallOptions = {}): Vector<Float64> {
      checkSignal('scalarFunction', name, callOptions.signal);
      const expected =
        dimension === undefined ? 'a FixedSizeList<Float32> vector' : `a FixedSizeList[${dimension}]<Float32> vector`;
      const input = singleArgument(
        'scalarFunction',
        name,
        args,
        (type) => isFloat32List(type, dimension),
        expected,
      ) as Vector<FixedSizeList<Float32>>;
      const norms = new Float64Array(input.length);
      const valid = new Uint8Array(input.length);
      let row = 0;
      for (const chunk of input.data) {
        const size = chunk.type.listSize;
        const child = chunk.children[0] as Data<Float32>;
        const values = child.values;
        for (let i = 0; i < chunk.length; i++, row++) {
          if (!isBitSet(chunk.nullBitmap, chunk.offset + i)) continue;
          // Arrow JS slices children and value buffers but not validity bitmaps (those need the offset).
          const start = i * size;
          let sum = 0;
          let ok = true;
          for (let j = 0; j < size; j++) {
            if (child.nullCount > 0 && !isBitSet(child.nullBitmap, child.offset + start + j)) ok = false;
            const v = values[start + j]!;
            sum += v * v;
          }
          if (!ok) continue;
          norms[row] = Math.sqrt(sum);
          valid[row] = 1;
        }
      }
      const { bitmap, nullCount } = validityBitmap(input.length, (r) => valid[r] === 1);
      return makeVector(
        makeData({
          type: returnType,
          length: input.length,
          nullCount,
          data: norms,
          ...(bitmap ? { nullBitmap: bitmap } : {}),
        }),
      );
    },
  };
}
