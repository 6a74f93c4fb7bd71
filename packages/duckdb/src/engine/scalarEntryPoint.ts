import type { DuckDBDataChunk, DuckDBVector } from '@duckdb/node-api';
import { isArrowVector } from 'apache-arrow';
import type { DataType, Vector } from 'apache-arrow';
import type { ScalarFunctionProvider, SurfaceRef } from '@baton/core';
import { arrowTypeText, columnTypeName, columnTypeOfArrow, sameColumnType } from '../types/columnTypes.js';
import type { ColumnType } from '../types/columnTypes.js';
import { toArrow } from '../types/toArrow.js';
import { writeArrow } from '../types/fromArrow.js';
import { entryPointError, providerCallError } from './engineErrors.js';
import type { EntryCallSite } from './engineErrors.js';
import type { EntryPoint, EntrySignature } from './entryPoint.js';
import { signatureText } from './entryPoint.js';
import type { QueryScope } from './queryScope.js';

/**
 * A DuckDB scalar function that is a stable entry point of a plugin's `scalarFunction` surface:
 * registered once, it routes every chunk DuckDB hands it to the provider version the query holds a
 * lease on, converting the DuckDB vectors to the Arrow vectors of the provider contract and the
 * result back.
 */
export class ScalarEntryPoint implements EntryPoint {
  readonly kind = 'scalarFunction' as const;
  /** Providers whose declared types were checked against the signature. */
  readonly #checked = new WeakSet<object>();

  constructor(
    /** The SQL name (unique within the engine). */
    readonly key: string,
    /** The surface key of the provider in the plugin host. */
    readonly surfaceKey: string,
    readonly ref: SurfaceRef<'scalarFunction'>,
    readonly signature: EntrySignature,
  ) {}

  /**
   * Computes one chunk with the provider `scope` holds: `input` has one column per parameter, and
   * `output` as many rows. Throws a `ReloadError` (the caller reports it to DuckDB).
   */
  invokeChunk(scope: QueryScope, input: DuckDBDataChunk, output: DuckDBVector): void {
    const lease = scope.lease<ScalarFunctionProvider>(this);
    const site: EntryCallSite = { kind: this.kind, name: this.key, plugin: lease.plugin };
    const provider = lease.provider;
    this.#checkProvider(provider, site);
    const rows = input.rowCount;
    const { parameters, returns } = this.signature;
    const args = parameters.map((type, column) => toArrow(input.getColumnVector(column), type, rows));
    let result: unknown;
    try {
      result = provider.invoke(args, scope.signal ? { signal: scope.signal } : {});
    } catch (error) {
      throw providerCallError(site, 'invoke', error);
    }
    checkResult(result, returns, rows, site);
    writeArrow(result, returns, output);
  }

  /** The provider's declared types must be the entry point's (once per provider object). */
  #checkProvider(provider: ScalarFunctionProvider, site: EntryCallSite): void {
    if (this.#checked.has(provider)) return;
    const declared = declaredSignature(provider, site);
    const { parameters, returns } = this.signature;
    const argumentsDiffer =
      declared.parameters !== undefined &&
      (declared.parameters.length !== parameters.length ||
        declared.parameters.some((type, i) => !sameColumnType(type, parameters[i]!)));
    if (!sameColumnType(declared.returns, returns) || argumentsDiffer) {
      const theirs = `(${declared.parameters?.map(columnTypeName).join(', ') ?? '…'}) → ${columnTypeName(declared.returns)}`;
      throw entryPointError(
        site,
        'INVALID_PROVIDER',
        `the provider is declared ${theirs}, but the DuckDB entry point was registered as ${signatureText(this.signature)}; ` +
          'register a new entry point for the new signature',
      );
    }
    this.#checked.add(provider);
  }
}

/** The provider's declared types as column types (`INVALID_PROVIDER` when DuckDB cannot carry them). */
function declaredSignature(
  provider: ScalarFunctionProvider,
  site: EntryCallSite,
): { parameters: ColumnType[] | undefined; returns: ColumnType } {
  try {
    return {
      parameters: provider.argumentTypes?.map((type) => columnTypeOfArrow(type)),
      returns: columnTypeOfArrow(provider.returnType),
    };
  } catch (error) {
    throw entryPointError(site, 'INVALID_PROVIDER', `declares a type DuckDB cannot carry`, error);
  }
}

/** A provider's result must be an Arrow vector of the entry point's return type, one value per row. */
function checkResult(
  result: unknown,
  returns: ColumnType,
  rows: number,
  site: EntryCallSite,
): asserts result is Vector {
  if (typeof (result as { then?: unknown } | null)?.then === 'function')
    throw entryPointError(
      site,
      'INVALID_PROVIDER',
      'invoke() returned a promise: DuckDB runs functions synchronously, so a provider must return its vector directly',
    );
  if (!isArrowVector(result))
    throw entryPointError(site, 'INVALID_PROVIDER', 'invoke() did not return an Arrow vector');
  let type: ColumnType | undefined;
  try {
    type = columnTypeOfArrow(result.type as DataType);
  } catch {
    type = undefined;
  }
  if (type === undefined || !sameColumnType(type, returns))
    throw entryPointError(
      site,
      'INVALID_PROVIDER',
      `invoke() returned ${arrowTypeText(result.type as DataType)}, but the entry point returns ${columnTypeName(returns)}`,
    );
  if (result.length !== rows)
    throw entryPointError(site, 'INVALID_PROVIDER', `invoke() returned ${result.length} rows for ${rows} input rows`);
}
