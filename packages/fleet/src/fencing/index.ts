/**
 * Fencing: each CDC stream owned by one member at a time through its `cdc_leases` row, with a
 * fencing token the PostgreSQL sink checks inside its own transactions (see docs/design/fleet.md,
 * "Fencing", and `@baton/postgres`'s `fence` option).
 */
export { acquireCdcLease } from './acquireCdcLease.js';
export { CdcLease } from './cdcLease.js';
export type { CdcLeaseState } from './cdcLease.js';
export { ensureLeaseSchema, LEASE_TABLE } from './leaseSchema.js';
export type { LeaseSchemaOptions } from './leaseSchema.js';
export type { CdcLeaseOptions } from './leaseOptions.js';
