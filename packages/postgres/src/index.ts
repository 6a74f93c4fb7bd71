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
export type { PostgresServer, PostgresServerOptions } from './server/postgresServer.js';

// LSNs
export { formatLsn, parseLsn, MAX_PG_LSN } from './lsn/lsn.js';
