import { SpanStatusCode } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import type { DataPoint, Histogram } from '@opentelemetry/sdk-metrics';
import { beforeAll, describe, expect, it } from 'vitest';
import { testDatabase } from '../__tests__/testDatabase.js';
import { enginePlugin } from '../rollout/__tests__/fleetFixtures.js';
import { startFleet } from '../rollout/__tests__/fleetHarness.js';
import { FleetCoordinator } from '../rollout/fleetCoordinator.js';
import { FLEET_METRICS, instrumentCoordinator } from './instrumentCoordinator.js';

/** A metric reader the test collects from when it wants. */
class TestReader extends MetricReader {
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

function telemetry() {
  const spans = new InMemorySpanExporter();
  const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }).getTracer('test');
  const reader = new TestReader();
  const meter = new MeterProvider({ readers: [reader] }).getMeter('test');
  const points = async (name: string): Promise<DataPoint<unknown>[]> => {
    const { resourceMetrics } = await reader.collect();
    return (
      resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === name)?.dataPoints ?? []
    );
  };
  return { spans, tracer, meter, points };
}

let url: string;
beforeAll(async () => {
  url = await testDatabase('fleet_otel');
});

const request = {
  plugin: 'engine',
  from: { version: '1.0.0' },
  to: { version: '2.0.0' },
  policy: { gateWaitMs: 30, staleAfterMs: 2000, stepTimeoutMs: 10_000, canary: 1, maxUnavailable: 2 },
};

describe('instrumentCoordinator', () => {
  it('a rollout is one trace (a span per step under the rollout, a gate event on each) with its metrics', async () => {
    const t = telemetry();
    const schema = 'otel_done';
    await using _fleet = await startFleet(url, schema, ['m1', 'm2', 'm3']);
    await using coordinator = await FleetCoordinator.open({ url, schema, pollMs: 200 });
    const stop = instrumentCoordinator(coordinator, { tracer: t.tracer, meter: t.meter });
    const outcome = await coordinator.rollout(request);
    stop();
    expect(outcome.status).toBe('done');
    const spans = t.spans.getFinishedSpans();
    const root = spans.find((s) => s.name === 'baton.fleet.rollout')!;
    expect(root.attributes).toMatchObject({
      'baton.plugin': 'engine',
      'baton.version.from': '1.0.0',
      'baton.version.to': '2.0.0',
      'baton.fleet.steps': 2,
    });
    expect(root.status.code).toBe(SpanStatusCode.OK);
    const steps = spans.filter((s) => s.name === 'baton.fleet.step');
    expect(steps.map((s) => s.attributes['baton.fleet.members'])).toEqual([['m1'], ['m2', 'm3']]);
    for (const step of steps) {
      expect(step.parentSpanContext?.spanId).toBe(root.spanContext().spanId);
      expect(step.events.map((e) => [e.name, e.attributes?.['baton.fleet.gate.passed']])).toEqual([
        ['baton.fleet.gate', true],
      ]);
      expect(step.attributes['baton.fleet.round_trips']).toBeGreaterThan(0);
    }
    expect((await t.points(FLEET_METRICS.rollouts)).map((p) => [p.attributes, p.value])).toEqual([
      [{ 'baton.plugin': 'engine', 'baton.outcome': 'done' }, 1],
    ]);
    expect((await t.points(FLEET_METRICS.gates)).map((p) => p.value)).toEqual([2]);
    const trips = (await t.points(FLEET_METRICS.stepRoundTrips))[0]!.value as Histogram;
    expect(trips.count).toBe(2);
    expect(trips.sum).toBe(steps.reduce((n, s) => n + Number(s.attributes['baton.fleet.round_trips']), 0));
  });

  it('a halted rollout: its step and root end in error, the halt counted by reason', async () => {
    const t = telemetry();
    const schema = 'otel_halted';
    await using _fleet = await startFleet(url, schema, ['m1', 'm2'], {
      loaders: {
        m1: async (artifact) =>
          enginePlugin(artifact.version, { fail: artifact.version === '2.0.0' ? 'no' : undefined }),
      },
    });
    await using coordinator = await FleetCoordinator.open({ url, schema, pollMs: 200 });
    instrumentCoordinator(coordinator, { tracer: t.tracer, meter: t.meter });
    expect((await coordinator.rollout(request)).status).toBe('halted');
    const spans = t.spans.getFinishedSpans();
    const root = spans.find((s) => s.name === 'baton.fleet.rollout')!;
    expect(root.status.code).toBe(SpanStatusCode.ERROR);
    expect(root.events.map((e) => e.attributes?.['baton.fleet.halt'])).toEqual(['commandFailed']);
    expect(root.attributes['baton.fleet.halt']).toBe('commandFailed');
    expect(spans.find((s) => s.name === 'baton.fleet.step')!.status.code).toBe(SpanStatusCode.ERROR);
    expect((await t.points(FLEET_METRICS.halts)).map((p) => [p.attributes['baton.fleet.halt'], p.value])).toEqual([
      ['commandFailed', 1],
    ]);
    expect((await t.points(FLEET_METRICS.rollouts)).map((p) => p.attributes['baton.outcome'])).toEqual(['halted']);
  });
});
