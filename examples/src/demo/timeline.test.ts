import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { OPS, WRITE_OP } from './recorder.js';
import type { CallSamples } from './recorder.js';
import type { Attempt } from './reloadSchedule.js';
import { buildTimeline } from './timeline.js';

const BUCKET_MS = 100;

/** One recorded call: when it ended, its latency, its op, and its version index. */
const call = fc.record({
  end: fc.double({ min: -500, max: 3000, noNaN: true }),
  latency: fc.double({ min: 0, max: 2000, noNaN: true }),
  op: fc.integer({ min: 0, max: OPS.length - 1 }),
  version: fc.integer({ min: 0, max: 2 }),
});

/** Samples as the recorder keeps them (writes carry no version). */
function samples(calls: readonly { end: number; latency: number; op: number; version: number }[]): CallSamples {
  return {
    count: calls.length,
    end: Float64Array.from(calls, (c) => c.end),
    latency: Float64Array.from(calls, (c) => c.latency),
    op: Uint8Array.from(calls, (c) => c.op),
    ok: Uint8Array.from(calls, () => 1),
    version: Uint8Array.from(calls, (c) => (c.op === WRITE_OP ? 0 : c.version)),
    versions: ['', '1.0.0', '2.0.0'],
  };
}

const attempt = (over: Partial<Attempt>): Attempt => ({
  label: 'reload',
  dueMs: 0,
  atMs: 0,
  endedAtMs: 0,
  paused: false,
  queueWaitsMs: [],
  ...over,
});

describe('the report timeline', () => {
  test.prop([fc.array(call, { maxLength: 300 }), fc.integer({ min: 1, max: 3000 })])(
    'counts every engine call and write of the load once, by version, and leaves a gap where no call completed',
    (calls, endMs) => {
      const t = buildTimeline({
        samples: samples(calls),
        attempts: [],
        cdcTimesMs: [],
        loopDelay: [],
        endMs,
        bucketMs: BUCKET_MS,
      });
      const inLoad = calls.filter((c) => c.end >= 0 && c.end < endMs);
      const engine = inLoad.filter((c) => c.op !== WRITE_OP);
      const perBucket = BUCKET_MS / 1000;
      const total = (xs: readonly number[]): number => Math.round(xs.reduce((a, b) => a + b, 0) * perBucket);
      expect(t.t).toHaveLength(Math.ceil(endMs / BUCKET_MS));
      expect(total(t.writesPerSec)).toBe(inLoad.length - engine.length);
      for (const v of [1, 2])
        expect(total(t.callsByVersion.find((s) => s.version === `${v}.0.0`)?.perSec ?? [])).toBe(
          engine.filter((c) => c.version === v).length,
        );
      t.p99Ms.forEach((p99, b) => {
        const here = engine.filter((c) => Math.floor(c.end / BUCKET_MS) === b).map((c) => c.latency);
        if (here.length === 0) {
          expect(p99).toBeNull(); // a gap, not a zero
          expect(t.maxMs[b]).toBeNull();
        } else {
          expect(t.maxMs[b]).toBeCloseTo(Math.max(...here), 2);
          expect(p99).toBeLessThanOrEqual(t.maxMs[b]!);
          expect(t.p50Ms[b]).toBeLessThanOrEqual(p99!);
        }
      });
    },
  );

  test.prop([fc.integer({ min: 0, max: 2000 }), fc.integer({ min: 0, max: 500 })])(
    'draws a pause as the span its gate was closed, and each attempt where it ended',
    (from, length) => {
      const t = buildTimeline({
        samples: samples([]),
        attempts: [
          attempt({
            label: 'up',
            atMs: from - 10,
            pause: { fromMs: from, toMs: from + length },
            committedAtMs: from + length,
            endedAtMs: from + length + 1,
            result: {} as never,
          }),
          attempt({ label: 'bad', atMs: from, endedAtMs: from + 7, error: { code: 'SCHEMA_INCOMPATIBLE' } as never }),
        ],
        cdcTimesMs: [],
        loopDelay: [],
        endMs: 3000,
        bucketMs: BUCKET_MS,
      });
      expect(t.pauses).toEqual([{ fromSec: from / 1000, toSec: (from + length) / 1000, label: 'up: gate closed' }]);
      expect(t.markers).toEqual([
        { atSec: (from + length) / 1000, label: 'up: committed', tone: 'committed' },
        { atSec: (from + 7) / 1000, label: 'bad: refused (SCHEMA_INCOMPATIBLE)', tone: 'refused' },
      ]);
    },
  );

  test('leaves out what happened after the load (the checks), and a CDC batch or delay lands in its bucket', () => {
    const t = buildTimeline({
      samples: samples([
        { end: 50, latency: 3, op: 1, version: 1 },
        { end: 999, latency: 4, op: 1, version: 2 },
        { end: 1000, latency: 500, op: 1, version: 2 },
      ]),
      attempts: [],
      cdcTimesMs: [120, 130, 1500],
      loopDelay: [
        [100, 2],
        [199, 9],
        [1200, 40],
      ],
      endMs: 1000,
      bucketMs: BUCKET_MS,
    });
    expect(t.endSec).toBe(1);
    expect(t.maxMs[9]).toBe(4); // the call ending at 1000 ms is after the load
    expect(t.cdcPerSec[1]).toBe(20);
    expect(t.cdcPerSec.reduce((a, b) => a + b, 0)).toBe(20);
    expect(t.loopDelayMs.slice(0, 3)).toEqual([null, 9, null]);
    expect(() =>
      buildTimeline({ samples: samples([]), attempts: [], cdcTimesMs: [], loopDelay: [], endMs: 1, bucketMs: 0 }),
    ).toThrow(RangeError);
  });
});
