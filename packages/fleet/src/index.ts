/**
 * `@baton/fleet`: roll a plugin version across many engine processes through PostgreSQL — a
 * coordinator whose every decision is a row, an agent in each engine process, health gates, halt
 * and roll back, fenced CDC stream ownership, and Kafka-style two-step format switches for state
 * shared between versions. See docs/design/fleet.md.
 *
 * @packageDocumentation
 */

/** The default PostgreSQL schema of the fleet's tables. */
export const FLEET_SCHEMA = 'baton_fleet';
