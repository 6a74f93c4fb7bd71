import { SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { AggregationTemporality, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import type { DataPoint, Histogram } from '@opentelemetry/sdk-metrics';
import type { RecordBatch } from 'apache-arrow';
import { tableFromArrays } from 'apache-arrow';
import { describe, expect, it, vi } from 'vitest';
import { testPlugin, world } from '../__tests__/plugins.js';
import { createPluginHost } from '../host/pluginHost.js';
import type { CdcSourcePosition } from '../surfaces/cdcSource.js';
import { BATON_METRICS, instrumentHost } from './instrumentHost.js';

/** A metric reader the test collects from when it wants (no timer). */
class TestReader extends MetricReader {
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** `temporality`: DELTA reports only what the last collection observed (a skipped point is absent). */
function telemetry(temporality = AggregationTemporality.CUMULATIVE) {
  const spans = new InMemorySpanExporter();
  const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }).getTracer('test');
  const reader = new TestReader({ aggregationTemporalitySelector: () => temporality });
  const meter = new MeterProvider({ readers: [reader] }).getMeter('test');
  const points = async (name: string): Promise<DataPoint<unknown>[]> => {
    const { resourceMetrics } = await reader.collect();
    const metric = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === name);
    return metric?.dataPoints ?? [];
  };
  return { spans, tracer, meter, points };
}

const byName = (spans: readonly ReadableSpan[], name: string) => spans.filter((s) => s.name === name);
const parentOf = (span: ReadableSpan): string | undefined => span.parentSpanContext?.spanId;

describe('instrumentHost', () => {
  it('a committed reload is one trace: a root span, a span per phase, a span per handoff; and its metrics', async () => {
    const t = telemetry();
    const w = world();
    const host = createPluginHost();
    instrumentHost(host, { tracer: t.tracer, meter: t.meter });
    await host.load(testPlugin('1.0.0', w));
    await host.startCdc({ name: 's', key: 'memory', fromLsn: 0n });
    const result = await host.reload(testPlugin('2.0.0', w));
    await result.retired;
    const spans = t.spans.getFinishedSpans();
    const [root] = byName(spans, 'baton.reload');
    expect(root).toBeDefined();
    expect(root!.attributes).toMatchObject({
      'baton.reload.id': result.reloadId,
      'baton.plugins': ['engine'],
      'baton.versions.from': ['1.0.0'],
      'baton.versions.to': ['2.0.0'],
    });
    const phases = [
      'baton.reload.stage',
      'baton.reload.prepare',
      'baton.reload.quiesce',
      'baton.reload.drain',
      'baton.reload.dispatch',
      'baton.reload.commit',
      'baton.reload.retire',
    ];
    for (const name of phases) {
      const [span] = byName(spans, name);
      expect(span, name).toBeDefined();
      expect(parentOf(span!)).toBe(root!.spanContext().spanId);
      expect(span!.status.code).not.toBe(SpanStatusCode.ERROR);
    }
    const [cdc] = byName(spans, 'baton.handoff cdcOutput');
    expect(cdc).toBeDefined();
    expect(cdc!.attributes).toMatchObject({ 'baton.kind': 'cdcOutput', 'baton.resource': 's' });
    expect(parentOf(cdc!)).toBe(byName(spans, 'baton.reload.dispatch')[0]!.spanContext().spanId);
    const pause = (await t.points(BATON_METRICS.pause)) as DataPoint<Histogram>[];
    expect(pause).toHaveLength(1);
    expect(pause[0]!.attributes).toEqual({ 'baton.plugin': 'engine' });
    expect(pause[0]!.value.count).toBe(1);
    expect(pause[0]!.value.sum).toBeCloseTo(result.timings.pauseMs, 6);
    const handoffs = (await t.points(BATON_METRICS.handoff)) as DataPoint<Histogram>[];
    expect(handoffs.map((p) => p.attributes['baton.kind'])).toContain('cdcOutput');
    expect(await t.points(BATON_METRICS.reloads)).toEqual([
      expect.objectContaining({ attributes: { 'baton.plugin': 'engine', 'baton.outcome': 'committed' }, value: 1 }),
    ]);
    const fn = host.surface('scalarFunction', 'version');
    for (let i = 0; i < 3; i++) await fn.call((f) => f.invoke([]));
    expect(await t.points(BATON_METRICS.calls)).toEqual([
      expect.objectContaining({ attributes: { 'baton.plugin': 'engine', 'baton.version': '2.0.0' }, value: 3 }),
    ]);
    await host.close();
  });

  it('a refused reload ends its phase and its root with an error carrying the code, and counts the refusal', async () => {
    const t = telemetry();
    const w = world();
    const host = createPluginHost();
    const stop = instrumentHost(host, { tracer: t.tracer, meter: t.meter });
    await host.load(testPlugin('1.0.0', w));
    const failing = testPlugin('2.0.0', w, {
      register: () => {
        throw new Error('no register today');
      },
    });
    const error = await host.reload(failing).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'REGISTRATION_FAILED' });
    const spans = t.spans.getFinishedSpans();
    const [root] = byName(spans, 'baton.reload');
    expect(root!.status).toMatchObject({
      code: SpanStatusCode.ERROR,
      message: expect.stringContaining('REGISTRATION_FAILED'),
    });
    expect(root!.attributes['baton.error.code']).toBe('REGISTRATION_FAILED');
    expect(root!.events.map((e) => e.name)).toContain('exception');
    const [stage] = byName(spans, 'baton.reload.stage');
    expect(stage!.status.code).toBe(SpanStatusCode.ERROR);
    expect(byName(spans, 'baton.reload.commit')).toHaveLength(0);
    expect(await t.points(BATON_METRICS.refusals)).toEqual([
      expect.objectContaining({
        attributes: { 'baton.error.code': 'REGISTRATION_FAILED', 'baton.error.phase': 'stage' },
        value: 1,
      }),
    ]);
    stop(); // no more spans after this
    await host.reload(testPlugin('2.0.1', w));
    expect(byName(t.spans.getFinishedSpans(), 'baton.reload')).toHaveLength(1);
    await host.close();
  });

  it("reports each open CDC stream's lag: the LSNs and the time its checkpoint trails what it delivered", async () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    try {
      const t = telemetry();
      const host = createPluginHost();
      instrumentHost(host, { tracer: t.tracer, meter: t.meter });
      await host.load(testPlugin('1.0.0', world()));
      const feed = await host.startCdc({ name: 'orders', key: 'memory', fromLsn: 0n });
      const lag = async () =>
        [await t.points(BATON_METRICS.cdcLagLsn), await t.points(BATON_METRICS.cdcLagTime)].map((points) =>
          points.map((p) => [p.attributes['baton.stream'], p.value]),
        );
      expect(await lag()).toEqual([[['orders', 0]], [['orders', 0]]]);
      const [rows] = tableFromArrays({ id: Int32Array.of(1) }).batches as [RecordBatch];
      await feed.deliver({ lsnStart: 0n, lsnEnd: 5n, mutations: rows, commitTimestamp: 0 });
      vi.advanceTimersByTime(250);
      await feed.deliver({ lsnStart: 5n, lsnEnd: 7n, mutations: rows, commitTimestamp: 0 });
      expect(feed.lag).toEqual({ lsn: 7n, ms: 250 });
      expect(await lag()).toEqual([[['orders', 7]], [['orders', 250]]]);
      expect(await feed.checkpoint()).toBe(7n);
      expect(feed.lag).toBeUndefined();
      expect(await lag()).toEqual([[['orders', 0]], [['orders', 0]]]);
      await feed.close();
      expect(host.cdcStreams()).toEqual([]);
      await host.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it("reports how far each stream with a source trails the source's head, and nothing for one without", async () => {
    const t = telemetry(AggregationTemporality.DELTA);
    const warnings: { fields: object; message: string }[] = [];
    const logger = {
      error: () => undefined,
      warn: (fields: object, message: string) => warnings.push({ fields, message }),
    };
    const host = createPluginHost({ logger: false });
    instrumentHost(host, { tracer: t.tracer, meter: t.meter, logger });
    await host.load(testPlugin('1.0.0', world()));
    const feed = await host.startCdc({ name: 'orders', key: 'memory', fromLsn: 0n });
    await host.startCdc({ name: 'audit', key: 'memory', fromLsn: 0n }); // no source: no points
    let position: CdcSourcePosition | Error = { headLsn: 40n, confirmedLsn: 10n, at: 1_000 };
    let readings = 0;
    feed.trackSource(
      {
        sourcePosition: () => {
          readings++;
          if (position instanceof Error) throw position;
          return position;
        },
      },
      { intervalMs: 3_600_000 },
    );
    const gauges = async () =>
      [await t.points(BATON_METRICS.cdcSourceLagLsn), await t.points(BATON_METRICS.cdcSourceLagTime)].map((points) =>
        points.map((p) => [p.attributes['baton.stream'], p.attributes['baton.position'], p.value]),
      );
    await feed.readSourceLag();
    expect(await gauges()).toEqual([
      [
        ['orders', 'delivered', 30],
        ['orders', 'confirmed', 30],
      ],
      [
        ['orders', 'delivered', 0],
        ['orders', 'confirmed', 0],
      ],
    ]);
    const [rows] = tableFromArrays({ id: Int32Array.of(1) }).batches as [RecordBatch];
    await feed.deliver({ lsnStart: 0n, lsnEnd: 25n, mutations: rows, commitTimestamp: 0 });
    position = { headLsn: 40n, confirmedLsn: 25n, at: 4_000 };
    await feed.readSourceLag();
    expect(await gauges()).toEqual([
      [
        ['orders', 'delivered', 15],
        ['orders', 'confirmed', 15],
      ],
      [
        ['orders', 'delivered', 3_000],
        ['orders', 'confirmed', 3_000],
      ],
    ]);
    expect(readings).toBe(2); // collections read no source
    // A failing reading: no points, one warning however many collections see it, until one succeeds.
    position = new Error('the server went away');
    await expect(feed.readSourceLag()).rejects.toMatchObject({ code: 'PROVIDER_FAILED' });
    expect(await gauges()).toEqual([[], []]);
    expect(await gauges()).toEqual([[], []]);
    expect(warnings).toEqual([
      {
        fields: expect.objectContaining({ stream: 'orders', code: 'PROVIDER_FAILED', err: feed.sourceLagError }),
        message: expect.stringContaining("CDC stream 'orders': reading its source failed (PROVIDER_FAILED)"),
      },
    ]);
    position = { headLsn: 25n, at: 5_000 };
    await feed.readSourceLag();
    expect(await gauges()).toEqual([[['orders', 'delivered', 0]], [['orders', 'delivered', 0]]]);
    await host.close();
  });

  it('refuses what is not a host, and a logger without warn', () => {
    expect(() => instrumentHost({} as never)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    const host = createPluginHost({ logger: false });
    expect(() => instrumentHost(host, { logger: {} as never })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});
