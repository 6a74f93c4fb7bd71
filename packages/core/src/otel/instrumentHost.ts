/**
 * OpenTelemetry for a `PluginHost`, through `@opentelemetry/api` (an optional peer dependency: only
 * this entry point imports it, so a host that never imports `@baton/core/otel` pays nothing). With
 * no SDK registered, the API's tracer and meter are no-ops.
 */
import { metrics, trace } from '@opentelemetry/api';
import type { Attributes, BatchObservableResult, Meter, Tracer } from '@opentelemetry/api';
import type { PluginHost } from '../host/pluginHost.js';
import { ReloadError } from '../errors/reloadError.js';
import { consoleLogger } from '../events/hostLogger.js';
import type { HostLogger } from '../events/hostLogger.js';
import { ReloadTrace } from './reloadTrace.js';
import { SOURCE_LAG_METRICS, observeSourceLag } from './sourceLagGauges.js';

/** Options of {@link instrumentHost}. */
export interface InstrumentOptions {
  /** Where spans go (default: the global tracer provider's `@baton/core` tracer). */
  readonly tracer?: Tracer;
  /** Where metrics go (default: the global meter provider's `@baton/core` meter). */
  readonly meter?: Meter;
  /**
   * Where a failed reading of a CDC stream's source is logged as a warning, once per run of failures
   * with the same code (pass
   * the host's `logger`; default `consoleLogger`, the host's default; `false`: nowhere).
   */
  readonly logger?: HostLogger | false;
}

/** The instruments {@link instrumentHost} records to, by name. */
export const BATON_METRICS = {
  pause: 'baton.reload.pause',
  drain: 'baton.reload.drain',
  handoff: 'baton.handoff.duration',
  reloads: 'baton.reloads',
  refusals: 'baton.reload.refusals',
  queued: 'baton.gate.queued',
  queueWait: 'baton.gate.queue_wait',
  leftovers: 'baton.retire.leftovers',
  jobFailures: 'baton.job.failures',
  calls: 'baton.calls',
  cdcLagLsn: 'baton.cdc.lag.lsn',
  cdcLagTime: 'baton.cdc.lag.time',
  ...SOURCE_LAG_METRICS,
} as const;

/**
 * Reports what `host` does to OpenTelemetry, from its events:
 * - a trace per reload: a `baton.reload` span (reload id, plugins, versions) with a child span per
 *   phase (`baton.reload.stage` … `baton.reload.retire`) and a `baton.handoff <kind>` span per
 *   handoff under the phase that ran it (resource name and what its record says: bytes, LSN, …); a
 *   reload that rolls back ends its phase and its root with an error status, the `ReloadError`'s
 *   code in `baton.error.code` and the error recorded;
 * - metrics (milliseconds; attributes in brackets): histograms `baton.reload.pause`,
 *   `baton.reload.drain` [plugin], `baton.handoff.duration` [kind], `baton.gate.queue_wait`
 *   [plugin] and `baton.gate.queued` (calls that waited per reload) [plugin]; counters
 *   `baton.reloads` [plugin, outcome], `baton.reload.refusals` [code, phase], `baton.retire.leftovers`
 *   [plugin, version, type] and `baton.job.failures` [plugin, job, version]; an observable counter
 *   `baton.calls` [plugin, version]: calls on each serving version (`PluginStats.calls`); observable
 *   gauges `baton.cdc.lag.lsn` and `baton.cdc.lag.time` (ms) [stream, key, plugin]: how far each
 *   open CDC stream's checkpoint trails what it delivered (`ManagedCdcStream.lag`; 0 when none);
 *   observable gauges `baton.cdc.source_lag.lsn` and `baton.cdc.source_lag.time` (ms) [stream,
 *   key, plugin, position]: for each open stream with a source attached
 *   (`ManagedCdcStream.trackSource`), how far `position` — `delivered` (what the stream delivered)
 *   and `confirmed` (the source's confirmed position, when it keeps one) — trails the source's
 *   head, from the last reading (`ManagedCdcStream.sourceLag`). A stream without a source, or
 *   whose last reading failed, reports none; the failure is logged to `options.logger`.
 *   Observables are read when metrics are collected; no collection reads a source (the stream
 *   reads it on its own interval).
 *
 * Returns a function that stops reporting (spans of reloads in flight are left open).
 */
export function instrumentHost(host: PluginHost, options: InstrumentOptions = {}): () => void {
  if (typeof host !== 'object' || host === null || typeof (host as { on?: unknown }).on !== 'function')
    throw new ReloadError({ code: 'INVALID_ARGUMENT', message: 'instrumentHost: host must be a PluginHost' });
  const optionLogger: unknown = options.logger;
  if (
    optionLogger !== undefined &&
    optionLogger !== false &&
    typeof (optionLogger as { warn?: unknown }).warn !== 'function'
  )
    throw new ReloadError({
      code: 'INVALID_ARGUMENT',
      message: 'instrumentHost: logger must be false or a logger with warn() (console, a pino logger)',
    });
  const tracer = options.tracer ?? trace.getTracer('@baton/core');
  const meter = options.meter ?? metrics.getMeter('@baton/core');
  const ms = { unit: 'ms' } as const;
  const pause = meter.createHistogram(BATON_METRICS.pause, {
    ...ms,
    description: 'Reload pause: gate closed to opened',
  });
  const drain = meter.createHistogram(BATON_METRICS.drain, { ...ms, description: 'Drain of in-flight calls' });
  const handoff = meter.createHistogram(BATON_METRICS.handoff, { ...ms, description: 'One resource handoff' });
  const queueWait = meter.createHistogram(BATON_METRICS.queueWait, {
    ...ms,
    description: 'Wait of a call at a closed gate',
  });
  const queued = meter.createHistogram(BATON_METRICS.queued, {
    description: 'Calls that waited at the gates in one reload',
  });
  const reloads = meter.createCounter(BATON_METRICS.reloads, { description: 'Reloads, by outcome' });
  const refusals = meter.createCounter(BATON_METRICS.refusals, { description: 'Reloads refused, by ReloadError code' });
  const leftovers = meter.createCounter(BATON_METRICS.leftovers, {
    description: 'Timers and listeners a retired version still held',
  });
  const jobFailures = meter.createCounter(BATON_METRICS.jobFailures, {
    description: 'Background job ticks that threw',
  });

  const calls = meter.createObservableCounter(BATON_METRICS.calls, { description: 'Calls on the serving version' });
  const observeCalls = (result: { observe(value: number, attributes: Attributes): void }): void => {
    for (const { name } of host.plugins()) {
      const stats = host.stats(name);
      result.observe(stats.calls, { 'baton.plugin': name, 'baton.version': stats.version });
    }
  };
  calls.addCallback(observeCalls);
  const lagLsn = meter.createObservableGauge(BATON_METRICS.cdcLagLsn, {
    description: 'LSNs a CDC stream delivered past its last checkpoint',
  });
  const lagTime = meter.createObservableGauge(BATON_METRICS.cdcLagTime, {
    unit: 'ms',
    description: 'How long the oldest delivery past the last checkpoint has waited',
  });
  const observeLag = (result: BatchObservableResult): void => {
    for (const stream of host.cdcStreams()) {
      const lag = stream.lag;
      const attributes = { 'baton.stream': stream.name, 'baton.key': stream.key, 'baton.plugin': stream.plugin.name };
      result.observe(lagLsn, lag === undefined ? 0 : Number(lag.lsn), attributes);
      result.observe(lagTime, lag?.ms ?? 0, attributes);
    }
  };
  meter.addBatchObservableCallback(observeLag, [lagLsn, lagTime]);
  const stopSourceLag = observeSourceLag(host, meter, options.logger === undefined ? consoleLogger : options.logger);

  const traces = new Map<number, ReloadTrace>();
  const names = (plugins: readonly { name: string }[]): string => plugins.map((p) => p.name).join(',');
  const offs = [
    host.on('started', (e) => void traces.set(e.reloadId, new ReloadTrace(tracer, e))),
    host.on('compatChecked', (e) => traces.get(e.reloadId)?.phase('compatChecked', e)),
    host.on('prepared', (e) => {
      traces.get(e.reloadId)?.phase('prepared', e);
      for (const h of e.handoffs) handoff.record(h.ms, { 'baton.kind': h.kind });
    }),
    host.on('quiesced', (e) => traces.get(e.reloadId)?.phase('quiesced', e)),
    host.on('drained', (e) => {
      traces.get(e.reloadId)?.phase('drained', e);
      drain.record(e.drainMs, { 'baton.plugin': names(e.plugins) });
    }),
    host.on('dispatched', (e) => {
      traces.get(e.reloadId)?.phase('dispatched', e);
      for (const h of e.handoffs) handoff.record(h.ms, { 'baton.kind': h.kind });
    }),
    host.on('committed', (e) => {
      traces.get(e.reloadId)?.phase('committed', e);
      const plugin = { 'baton.plugin': names(e.plugins) };
      pause.record(e.pauseMs, plugin);
      queued.record(e.queued, plugin);
      reloads.add(1, { ...plugin, 'baton.outcome': 'committed' });
    }),
    host.on('retired', (e) => {
      traces.get(e.reloadId)?.phase('retired', e);
      traces.delete(e.reloadId);
    }),
    host.on('rolledBack', (e) => {
      traces.get(e.reloadId)?.rolledBack(e);
      traces.delete(e.reloadId);
      const plugin = { 'baton.plugin': names(e.plugins) };
      if (e.pauseMs > 0) pause.record(e.pauseMs, plugin);
      reloads.add(1, { ...plugin, 'baton.outcome': 'rolledBack' });
      refusals.add(1, { 'baton.error.code': e.error.code, 'baton.error.phase': e.phase });
    }),
    host.on('queueWait', (e) => {
      queueWait.record(e.waitedMs, { 'baton.plugin': e.plugin });
    }),
    host.on('leftovers', (e) => {
      for (const l of e.leftovers)
        leftovers.add(1, { 'baton.plugin': e.plugin, 'baton.version': e.version, 'baton.leftover.type': l.type });
    }),
    host.on('jobFailed', (e) => {
      jobFailures.add(1, { 'baton.plugin': e.plugin, 'baton.job': e.job, 'baton.version': e.version });
    }),
  ];
  return () => {
    for (const off of offs) off();
    calls.removeCallback(observeCalls);
    meter.removeBatchObservableCallback(observeLag, [lagLsn, lagTime]);
    stopSourceLag();
  };
}
