import { DataType, Float64, Precision } from 'apache-arrow';
import type { Vector } from 'apache-arrow';
import type { AggregateFunctionProvider } from '@baton/core';
import { addExact, addTo, builderOf, EMPTY_SUM, freezeSum, roundSum } from './exactSum.js';
import type { ExactSum } from './exactSum.js';
import { invalidCall, singleArgument } from './functionArgs.js';

/** Partial state of {@link sumAggregate} and {@link meanAggregate}: how many non-null values, and their exact sum. */
export interface Float64SumState {
  readonly count: number;
  readonly sum: ExactSum;
}

/** Options of the Float64 aggregates. */
export interface Float64AggregateOptions {
  /** Registry key (default `sum` / `mean`). */
  readonly name?: string;
}

const INIT: Float64SumState = Object.freeze({ count: 0, sum: EMPTY_SUM });

function checkState(name: string, state: unknown): Float64SumState {
  const s = state as Partial<Float64SumState> | null;
  if (
    typeof s !== 'object' ||
    s === null ||
    !Number.isSafeInteger(s.count) ||
    typeof s.sum !== 'object' ||
    s.sum === null ||
    !Array.isArray(s.sum.partials)
  ) {
    throw invalidCall('aggregateFunction', name, 'state is not a Float64 sum state (use init())');
  }
  return s as Float64SumState;
}

function float64Aggregate<Result>(
  name: string,
  finish: (state: Float64SumState) => Result,
): AggregateFunctionProvider<Float64SumState, Result> {
  return {
    name,
    returnType: new Float64(),
    init: () => INIT,
    update(state, args) {
      const { count, sum } = checkState(name, state);
      const input = singleArgument(
        'aggregateFunction',
        name,
        args,
        (type) => DataType.isFloat(type) && type.precision === Precision.DOUBLE,
        'a Float64 vector',
      ) as Vector<Float64>;
      const builder = builderOf(sum);
      let added = 0;
      for (const chunk of input.data) {
        const values = chunk.values;
        const bitmap = chunk.nullCount > 0 ? chunk.nullBitmap : undefined;
        // Arrow JS slices value buffers but not validity bitmaps: values[i] is row i, its bit is at offset + i.
        for (let i = 0; i < chunk.length; i++) {
          const bit = chunk.offset + i;
          if (bitmap && ((bitmap[bit >> 3]! >> (bit & 7)) & 1) === 0) continue;
          addTo(builder, values[i]!);
          added++;
        }
      }
      return Object.freeze({ count: count + added, sum: freezeSum(builder) });
    },
    merge(left, right) {
      const a = checkState(name, left);
      const b = checkState(name, right);
      return Object.freeze({ count: a.count + b.count, sum: addExact(a.sum, b.sum) });
    },
    finish: (state) => finish(checkState(name, state)),
  };
}

/**
 * `sum(Float64) → Float64`: the correctly rounded exact sum of the non-null values (null when there
 * are none). Partial states merge exactly, so the result does not depend on how rows were split
 * across batches or workers (while the running sum stays within the double range).
 */
export function sumAggregate(
  options: Float64AggregateOptions = {},
): AggregateFunctionProvider<Float64SumState, number | null> {
  return float64Aggregate(options.name ?? 'sum', (state) => (state.count === 0 ? null : roundSum(state.sum)));
}

/** `mean(Float64) → Float64`: the exact sum (correctly rounded) divided by the count of non-null values; null when none. */
export function meanAggregate(
  options: Float64AggregateOptions = {},
): AggregateFunctionProvider<Float64SumState, number | null> {
  return float64Aggregate(options.name ?? 'mean', (state) =>
    state.count === 0 ? null : roundSum(state.sum) / state.count,
  );
}
