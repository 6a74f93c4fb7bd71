/**
 * `@baton/fleet/otel`: a fleet coordinator's rollouts as OpenTelemetry traces and metrics. Imports
 * `@opentelemetry/api` (an optional peer dependency of `@baton/fleet`).
 *
 * @packageDocumentation
 */
export { FLEET_METRICS, instrumentCoordinator } from './otel/instrumentCoordinator.js';
export type { InstrumentCoordinatorOptions } from './otel/instrumentCoordinator.js';
