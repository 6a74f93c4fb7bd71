import type { DuckDBDataChunk, DuckDBVector } from '@duckdb/node-api';
import { columnTypeName } from '../types/columnTypes.js';
import type { ColumnType } from '../types/columnTypes.js';
import type { LeaseSource, QueryScope } from './queryScope.js';

/** The signature an entry point was registered with: what DuckDB binds calls against. */
export interface EntrySignature {
  readonly parameters: readonly ColumnType[];
  readonly returns: ColumnType;
}

/** `(VARCHAR, DOUBLE) → BOOLEAN`. */
export function signatureText(signature: EntrySignature): string {
  return `(${signature.parameters.map(columnTypeName).join(', ')}) → ${columnTypeName(signature.returns)}`;
}

/**
 * A DuckDB function standing for a plugin surface: what the engine registers once and calls with
 * each chunk of a query, under the query's lease.
 */
export interface EntryPoint extends LeaseSource {
  /** The surface kind it calls (`scalarFunction`, `aggregateFunction`). */
  readonly kind: 'scalarFunction' | 'aggregateFunction';
  /** The surface key of the provider in the plugin host. */
  readonly surfaceKey: string;
  readonly signature: EntrySignature;
  /**
   * Computes one chunk with the provider `scope` holds: `input` has one column per parameter, and
   * `output` as many rows. Throws a `ReloadError` (the engine reports it to DuckDB).
   */
  invokeChunk(scope: QueryScope, input: DuckDBDataChunk, output: DuckDBVector): void;
}
