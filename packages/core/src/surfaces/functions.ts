import type { DataType, Vector } from 'apache-arrow';
import type { CallOptions, MaybePromise } from '../util/maybePromise.js';

/**
 * A scalar function: one output value per input row. Registered under its `name`.
 *
 * Reload discipline: clean. Calls that started on the old version finish there; calls that start
 * after commit run on the new version. No state is handed over.
 */
export interface ScalarFunctionProvider {
  /** The function's name in the engine (registry key). */
  readonly name: string;
  /** Arrow types of the arguments, when the function checks them. */
  readonly argumentTypes?: readonly DataType[];
  /** Arrow type of the result. */
  readonly returnType: DataType;
  /** Evaluates the function over argument columns of equal length; returns a column of that length. */
  invoke(args: readonly Vector[], options?: CallOptions): MaybePromise<Vector>;
}

/**
 * An aggregate function with a mergeable partial state (so partial aggregates of several batches or
 * workers can be combined). Registered under its `name`.
 *
 * Reload discipline: clean. An aggregation that started on the old version keeps using it; states
 * are not carried across versions.
 */
export interface AggregateFunctionProvider<State = unknown, Result = unknown> {
  /** The function's name in the engine (registry key). */
  readonly name: string;
  /** Arrow type of the result. */
  readonly returnType: DataType;
  /** A fresh, empty partial state. */
  init(): MaybePromise<State>;
  /** Folds argument columns into a state; returns the new state. */
  update(state: State, args: readonly Vector[]): MaybePromise<State>;
  /** Combines two partial states. Must be associative, with `init()` as identity. */
  merge(left: State, right: State): MaybePromise<State>;
  /** The final value of a state. */
  finish(state: State): MaybePromise<Result>;
}
