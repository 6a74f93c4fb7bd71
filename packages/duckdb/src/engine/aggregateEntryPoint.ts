import { DuckDBListVector } from '@duckdb/node-api';
import type { DuckDBDataChunk, DuckDBValue, DuckDBVector } from '@duckdb/node-api';
import type { AggregateFunctionProvider, SurfaceRef } from '@baton/core';
import { columnTypeName, columnTypeOfArrow, sameColumnType } from '../types/columnTypes.js';
import type { ColumnType } from '../types/columnTypes.js';
import { toArrow } from '../types/toArrow.js';
import { entryPointError, providerCallError } from './engineErrors.js';
import type { EntryCallSite } from './engineErrors.js';
import type { EntryPoint, EntrySignature } from './entryPoint.js';
import type { QueryScope } from './queryScope.js';

type Aggregate = AggregateFunctionProvider;

/** Whether `value` is a value of the scalar column type `type` (null is one of every type). */
function fits(type: ColumnType, value: unknown): boolean {
  if (value === null) return true;
  switch (type.id) {
    case 'double':
    case 'float':
      return typeof value === 'number';
    case 'integer':
      return Number.isInteger(value) && (value as number) >= -(2 ** 31) && (value as number) < 2 ** 31;
    case 'bigint':
      return typeof value === 'bigint' && BigInt.asIntN(64, value) === value;
    case 'boolean':
      return typeof value === 'boolean';
    case 'varchar':
      return typeof value === 'string';
    case 'list':
    case 'array':
      return false;
  }
}

/**
 * A plugin's `aggregateFunction` surface as a DuckDB scalar function over a LIST:
 * `name(list(x))` aggregates each list (one group's values, as DuckDB's `list` aggregate collects
 * them) with `init` → `update(state, [values])` → `finish` of the provider the query leased.
 * `@duckdb/node-api` has no aggregate functions, so this is how a query aggregates with a plugin
 * (`SELECT g, plugin_sum(list(x)) FROM t GROUP BY g`); `merge` is not used (each group is one list).
 * A NULL list (no rows) aggregates nothing: the result is `finish(init())`.
 */
export class AggregateEntryPoint implements EntryPoint {
  readonly kind = 'aggregateFunction' as const;

  constructor(
    /** The SQL name (unique within the engine). */
    readonly key: string,
    /** The surface key of the provider in the plugin host. */
    readonly surfaceKey: string,
    readonly ref: SurfaceRef<'aggregateFunction'>,
    /** One parameter, the element type of the list (DuckDB's parameter is a LIST of it). */
    readonly signature: EntrySignature,
  ) {}

  invokeChunk(scope: QueryScope, input: DuckDBDataChunk, output: DuckDBVector): void {
    const lease = scope.lease<Aggregate>(this);
    const site: EntryCallSite = { kind: this.kind, name: this.key, plugin: lease.plugin };
    const provider = lease.provider;
    this.#checkProvider(provider, site);
    const element = this.signature.parameters[0]!;
    const lists = input.getColumnVector(0);
    if (!(lists instanceof DuckDBListVector)) throw entryPointError(site, 'INTERNAL', 'the argument is not a LIST');
    const child = lists.childVector;
    for (let row = 0; row < input.rowCount; row++) {
      const length = lists.getItemVector(row) === null ? 0 : lists.getEntryLength(row);
      const values = toArrow(child.slice(length === 0 ? 0 : lists.getEntryOffset(row), length), element, length);
      let state = this.#step(site, 'init', () => provider.init());
      state = this.#step(site, 'update', () => provider.update(state, [values]));
      const result = this.#step(site, 'finish', () => provider.finish(state));
      const value = result === undefined ? null : result;
      if (!fits(this.signature.returns, value))
        throw entryPointError(
          site,
          'INVALID_PROVIDER',
          `finish() returned ${typeof value}, not a ${columnTypeName(this.signature.returns)} value`,
        );
      output.setItem(row, value as DuckDBValue);
    }
    output.flush();
  }

  /** Runs one provider call; a promise or a throw is the query's typed error. */
  #step<T>(site: EntryCallSite, step: string, call: () => T | PromiseLike<T>): T {
    let result: T | PromiseLike<T>;
    try {
      result = call();
    } catch (error) {
      throw providerCallError(site, step, error);
    }
    if (typeof (result as { then?: unknown } | null)?.then === 'function')
      throw entryPointError(
        site,
        'INVALID_PROVIDER',
        `${step}() returned a promise: DuckDB runs functions synchronously, so a provider must return its value directly`,
      );
    return result as T;
  }

  #checkProvider(provider: Aggregate, site: EntryCallSite): void {
    let declared: ColumnType | undefined;
    try {
      declared = columnTypeOfArrow(provider.returnType);
    } catch {
      declared = undefined;
    }
    if (declared === undefined || !sameColumnType(declared, this.signature.returns))
      throw entryPointError(
        site,
        'INVALID_PROVIDER',
        `the provider returns ${declared ? columnTypeName(declared) : 'a type DuckDB cannot carry'}, but the DuckDB entry point was registered returning ${columnTypeName(this.signature.returns)}`,
      );
  }
}
