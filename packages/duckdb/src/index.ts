/**
 * `@baton/duckdb`: Baton inside DuckDB. Plugin scalar functions become stable DuckDB entry points
 * that route every call to the version serving the calling query; a query holds one lease per
 * function for its whole run, so every row of one query is computed by one version and a reload
 * commits between queries. Plugin storage and CRDT state live in DuckDB tables.
 *
 * @packageDocumentation
 */

// The engine: entry points and queries
export { BatonDuckDB } from './engine/batonDuckDB.js';
export { BatonConnection } from './engine/batonConnection.js';
export type {
  AggregateEntryPointOptions,
  BatonDuckDBOptions,
  EntryPointInfo,
  ScalarEntryPointOptions,
} from './engine/batonDuckDB.js';
export type { QueryOptions, QueryValues, SearchRequest } from './engine/batonConnection.js';

// Column types the entry points convert between DuckDB and Arrow
export { arrowTypeOf, columnTypeOfArrow, columnTypeOfDuckDB, duckdbTypeOf } from './types/columnTypes.js';
export { toArrow } from './types/toArrow.js';
export { writeArrow } from './types/fromArrow.js';
export type { ColumnType } from './types/columnTypes.js';

// State in DuckDB
export { duckdbStorageBackend } from './state/duckdbStorageBackend.js';
export { CrdtStateTable } from './state/crdtStateTable.js';
export type { DuckDBStorageBackendOptions } from './state/duckdbStorageBackend.js';
export type { CrdtStateTableOptions, SavedCrdtState } from './state/crdtStateTable.js';
