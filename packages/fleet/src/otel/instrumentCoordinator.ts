/**
 * OpenTelemetry for a `FleetCoordinator`, through `@opentelemetry/api` (an optional peer dependency:
 * only this entry point, `@baton/fleet/otel`, imports it). With no SDK registered, the API's tracer
 * and meter are no-ops.
 */
import { SpanStatusCode, context, metrics, trace } from '@opentelemetry/api';
import type { Meter, Span, SpanStatus, Tracer } from '@opentelemetry/api';
import type { FleetCoordinator } from '../rollout/fleetCoordinator.js';

/** Options of {@link instrumentCoordinator}. */
export interface InstrumentCoordinatorOptions {
  /** Where spans go (default: the global tracer provider's `@baton/fleet` tracer). */
  readonly tracer?: Tracer;
  /** Where metrics go (default: the global meter provider's `@baton/fleet` meter). */
  readonly meter?: Meter;
}

/** The instruments {@link instrumentCoordinator} records to, by name. */
export const FLEET_METRICS = {
  rollouts: 'baton.fleet.rollouts',
  rolloutDuration: 'baton.fleet.rollout.duration',
  halts: 'baton.fleet.halts',
  gates: 'baton.fleet.gates',
  stepDuration: 'baton.fleet.step.duration',
  stepRoundTrips: 'baton.fleet.step.round_trips',
} as const;

/** One rollout under way: its span, its open step span, its plugin, when it started. */
interface Open {
  readonly span: Span;
  readonly plugin: string;
  readonly startedAt: number;
  step?: Span;
}

/**
 * Reports what `coordinator` does to OpenTelemetry, from its events:
 * - a trace per rollout: a `baton.fleet.rollout` span (rollout id, plugin, versions, steps, resumed)
 *   with a `baton.fleet.step` child span per step (members, PostgreSQL round trips), and a
 *   `baton.fleet.gate` event on the step for each health gate (passed, violations); a halted rollout
 *   ends its step and its root with an error status and the halt's reason in `baton.fleet.halt`;
 * - metrics: counters `baton.fleet.rollouts` [plugin, outcome], `baton.fleet.halts` [plugin,
 *   reason], `baton.fleet.gates` [plugin, outcome]; histograms `baton.fleet.rollout.duration` (ms)
 *   [plugin, outcome], `baton.fleet.step.duration` (ms) [plugin] and `baton.fleet.step.round_trips`
 *   (the coordinator's PostgreSQL statements per step) [plugin].
 *
 * Returns the function that stops reporting (open spans are ended).
 */
export function instrumentCoordinator(
  coordinator: FleetCoordinator,
  options: InstrumentCoordinatorOptions = {},
): () => void {
  const tracer = options.tracer ?? trace.getTracer('@baton/fleet');
  const meter = options.meter ?? metrics.getMeter('@baton/fleet');
  const rollouts = meter.createCounter(FLEET_METRICS.rollouts, { description: 'Rollouts ended, by outcome' });
  const rolloutDuration = meter.createHistogram(FLEET_METRICS.rolloutDuration, {
    unit: 'ms',
    description: 'Wall time of a rollout, from its start (or resume) to done or rolled back',
  });
  const halts = meter.createCounter(FLEET_METRICS.halts, { description: 'Rollouts halted, by reason' });
  const gates = meter.createCounter(FLEET_METRICS.gates, { description: 'Health gates judged, by outcome' });
  const stepDuration = meter.createHistogram(FLEET_METRICS.stepDuration, { unit: 'ms', description: 'Step wall time' });
  const stepRoundTrips = meter.createHistogram(FLEET_METRICS.stepRoundTrips, {
    description: "The coordinator's PostgreSQL statements per step",
  });
  const open = new Map<string, Open>();
  const end = (rolloutId: string, outcome: 'done' | 'halted', reason?: string): void => {
    const o = open.get(rolloutId);
    if (!o) return;
    open.delete(rolloutId);
    const status: SpanStatus =
      outcome === 'done' ? { code: SpanStatusCode.OK } : { code: SpanStatusCode.ERROR, message: reason ?? 'halted' };
    o.step?.setStatus(status);
    o.step?.end();
    o.span.setStatus(status);
    if (reason !== undefined) o.span.setAttribute('baton.fleet.halt', reason);
    o.span.end();
    rollouts.add(1, { 'baton.plugin': o.plugin, 'baton.outcome': outcome });
    rolloutDuration.record(performance.now() - o.startedAt, { 'baton.plugin': o.plugin, 'baton.outcome': outcome });
  };
  const offs = [
    coordinator.on('started', (e) => {
      const span = tracer.startSpan('baton.fleet.rollout', {
        attributes: {
          'baton.fleet.rollout': e.rolloutId,
          'baton.plugin': e.plugin,
          'baton.version.from': e.fromVersion,
          'baton.version.to': e.toVersion,
          'baton.fleet.steps': e.plan.length,
          'baton.fleet.resumed': e.resumed,
        },
      });
      open.set(e.rolloutId, { span, plugin: e.plugin, startedAt: performance.now() });
    }),
    coordinator.on('stepStarted', (e) => {
      const o = open.get(e.rolloutId);
      if (!o) return;
      o.step?.end();
      o.step = tracer.startSpan(
        'baton.fleet.step',
        {
          attributes: {
            'baton.fleet.step': e.step,
            'baton.fleet.members': [...e.members],
            'baton.fleet.resumed': e.resumed,
          },
        },
        trace.setSpan(context.active(), o.span),
      );
    }),
    coordinator.on('gate', (e) => {
      const o = open.get(e.rolloutId);
      if (!o) return;
      gates.add(1, { 'baton.plugin': o.plugin, 'baton.outcome': e.passed ? 'passed' : 'failed' });
      (o.step ?? o.span).addEvent('baton.fleet.gate', {
        'baton.fleet.step': e.step,
        'baton.fleet.gate.passed': e.passed,
        'baton.fleet.gate.violations': e.violations.map((v) => JSON.stringify(v)),
      });
    }),
    coordinator.on('stepDone', (e) => {
      const o = open.get(e.rolloutId);
      if (!o) return;
      stepDuration.record(e.ms, { 'baton.plugin': o.plugin });
      stepRoundTrips.record(e.roundTrips, { 'baton.plugin': o.plugin });
      o.step?.setAttribute('baton.fleet.round_trips', e.roundTrips);
      o.step?.end();
      delete o.step;
    }),
    coordinator.on('halted', (e) => {
      halts.add(1, { 'baton.plugin': e.plugin, 'baton.fleet.halt': e.reason.type });
      open.get(e.rolloutId)?.span.addEvent('baton.fleet.halted', { 'baton.fleet.halt': e.reason.type });
    }),
    coordinator.on('rolledBack', (e) => {
      const o = open.get(e.rolloutId);
      o?.span.setAttribute('baton.fleet.rolled_back', [...e.summary.rolledBack]);
      end(e.rolloutId, 'halted', e.reason?.type ?? 'halted');
    }),
    coordinator.on('done', (e) => {
      end(e.rolloutId, 'done'); // emitted only for a rollout that is done (a halted one ends at rolledBack)
    }),
  ];
  return () => {
    for (const off of offs) off();
    for (const id of [...open.keys()]) end(id, 'halted', 'stopped reporting');
  };
}
