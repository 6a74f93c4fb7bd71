/**
 * `@baton/core/otel`: OpenTelemetry traces and metrics of a `PluginHost`'s reloads, through
 * `@opentelemetry/api` (install it; it is an optional peer dependency of `@baton/core`).
 *
 * @packageDocumentation
 */

export { BATON_METRICS, instrumentHost } from './otel/instrumentHost.js';
export type { InstrumentOptions } from './otel/instrumentHost.js';
