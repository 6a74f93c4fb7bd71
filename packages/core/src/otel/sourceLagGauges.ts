import type { BatchObservableResult, Meter } from '@opentelemetry/api';
import type { HostLogger } from '../events/hostLogger.js';
import type { ManagedCdcStream } from '../host/managed/managedCdcStream.js';
import type { PluginHost } from '../host/pluginHost.js';

/** Names of the source-lag gauges (also in `BATON_METRICS`). */
export const SOURCE_LAG_METRICS = {
  cdcSourceLagLsn: 'baton.cdc.source_lag.lsn',
  cdcSourceLagTime: 'baton.cdc.source_lag.time',
} as const;

/**
 * Registers the gauges `baton.cdc.source_lag.lsn` and `baton.cdc.source_lag.time` (ms) on `meter`:
 * per open CDC stream of `host` with a source attached, and per position (`baton.position`:
 * `delivered`, `confirmed`), the stream's last {@link ManagedCdcStream.sourceLag}. A collection only
 * reads what the stream's own readings left (no I/O). A stream whose last reading failed reports
 * nothing and its failure is logged as a warning to `logger`, once per run of failures with the same
 * code. Returns the function that removes the gauges' callback.
 */
export function observeSourceLag(host: PluginHost, meter: Meter, logger: HostLogger | false): () => void {
  const lsnGauge = meter.createObservableGauge(SOURCE_LAG_METRICS.cdcSourceLagLsn, {
    description: "LSNs a CDC stream's position trails its source's head",
  });
  const timeGauge = meter.createObservableGauge(SOURCE_LAG_METRICS.cdcSourceLagTime, {
    unit: 'ms',
    description: "How long a CDC source's head has been past the stream's position",
  });
  /** The code last logged for a stream whose readings fail (cleared by a reading that succeeds). */
  const logged = new WeakMap<ManagedCdcStream, string>();
  const observe = (result: BatchObservableResult): void => {
    for (const stream of host.cdcStreams()) {
      const lag = stream.sourceLag;
      if (lag === undefined) {
        const error = stream.sourceLagError;
        if (error !== undefined && logged.get(stream) !== error.code) {
          logged.set(stream, error.code);
          if (logger)
            logger.warn(
              { stream: stream.name, key: stream.key, code: error.code, err: error },
              `CDC stream '${stream.name}': reading its source failed (${error.code}); its source lag is not reported until a reading succeeds`,
            );
        }
        continue;
      }
      logged.delete(stream);
      const attributes = { 'baton.stream': stream.name, 'baton.key': stream.key, 'baton.plugin': stream.plugin.name };
      for (const position of ['delivered', 'confirmed'] as const) {
        const behind = lag[position];
        if (behind === undefined) continue;
        const at = { ...attributes, 'baton.position': position };
        result.observe(lsnGauge, Number(behind.lsn), at);
        result.observe(timeGauge, behind.ms, at);
      }
    }
  };
  meter.addBatchObservableCallback(observe, [lsnGauge, timeGauge]);
  return () => {
    meter.removeBatchObservableCallback(observe, [lsnGauge, timeGauge]);
  };
}
