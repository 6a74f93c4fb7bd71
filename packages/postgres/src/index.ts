/**
 * `@baton/postgres`: PostgreSQL adapters for Baton hosts — an embedded server for tests and demos
 * (or an existing one by URL), a change source that turns a logical replication slot into CDC
 * batches, and a CDC output that writes batches into PostgreSQL tables with its checkpoint in the
 * same transaction.
 *
 * @packageDocumentation
 */

// Server
export { postgresServer } from './server/postgresServer.js';
export type { PostgresRestartOptions, PostgresServer, PostgresServerOptions } from './server/postgresServer.js';
export type { RestartMode } from './server/embeddedServer.js';

// Change source
export { PostgresChangeSource, postgresChangeSource } from './source/postgresChangeSource.js';
export { changeSchema, readChanges } from './source/cdcLayout.js';
export type { PostgresChangeSourceOptions, ReconnectOptions } from './source/sourceOptions.js';
export type { SlotLag } from './source/slotSetup.js';
export type { ChangeOp, ChangeRow, ChangeValues } from './source/changeRow.js';

// LSNs
export { formatLsn, parseLsn, MAX_PG_LSN } from './lsn/lsn.js';

// Sink
export { postgresCdcOutput } from './sink/postgresCdcOutput.js';
export { PostgresCdcStream } from './sink/postgresCdcStream.js';
export { readPostgresSink } from './sink/readPostgresSink.js';
export { POSTGRES_FENCED_SINK_LAYOUT, POSTGRES_SINK_LAYOUT } from './sink/sinkTakeover.js';
export type { SinkFence, SinkFenceOptions, SinkLeasePlace } from './sink/sinkFence.js';
export type { PostgresCdcOutput } from './sink/postgresCdcOutput.js';
export type { PostgresCdcOutputOptions, SinkConfig } from './sink/sinkOptions.js';
export type { SinkBatch, SinkContents } from './sink/readPostgresSink.js';

// Pipeline
export { pumpChanges } from './pipeline/pumpChanges.js';
export type { PumpOptions, PumpReport, PumpTarget } from './pipeline/pumpChanges.js';
export type { PumpRetryOptions } from './pipeline/pumpRetry.js';
