/**
 * The delta law of `mark`/`mergeDelta` for a kind: with ops and merges before the mark, between
 * the mark and the persist, and after it (remote replicas with histories of their own),
 * `fromPersisted(persisted after the mark)` joined with the mark's delta is the live state (same
 * value, same bytes), with or without a pre-copy delta; merging a delta twice changes nothing; a
 * receiver merged with another replica first still gets the join.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import type { StateMark } from '../crdtDelta.js';
import type { CrdtProvider } from '../crdtProvider.js';
import { REPLICAS, scenarioArb } from './crdtHarness.js';
import type { Step, TestedState } from './crdtHarness.js';

/** A state with the delta hooks (all kinds here are synchronous). */
export interface DeltaState<Op, Value> extends TestedState<Op, Value> {
  mark(): StateMark;
  mergeDelta(delta: Uint8Array): void;
  readonly trackedChanges: number;
}

/** Replays `steps` on `replicas` (replica 0 is the live state). */
export function play<Op, Value>(replicas: DeltaState<Op, Value>[], steps: readonly Step<Op>[]): void {
  for (const step of steps) {
    if ('op' in step) replicas[step.at]!.apply(step.op);
    else replicas[step.to]!.merge(replicas[step.from]!);
  }
}

/** The delta law suite of `provider`; `reader` (default `provider`) reads the persisted bytes and merges the delta. */
export function deltaLawSuite<Op, Value, S extends DeltaState<Op, Value>>(
  name: string,
  provider: CrdtProvider<S, Op, Value>,
  opOf: (replica: string) => fc.Arbitrary<Op>,
  reader: CrdtProvider<S, Op, Value> = provider,
): void {
  const steps = scenarioArb(opOf, 16);
  describe(`${name}: the delta law`, () => {
    test.prop([steps, steps, steps, steps, fc.boolean()])(
      'fromPersisted(after the mark) ⊔ delta = the live state, pre-copy or not, twice or once, an earlier delta late',
      (before, toPersist, toPrecopy, toEnd, precopy) => {
        const replicas = REPLICAS.map(() => provider.empty());
        play(replicas, before);
        const live = replicas[0]!;
        const mark = live.mark();
        play(replicas, toPersist);
        const moved = reader.fromPersisted(live.persist());
        play(replicas, toPrecopy);
        const early = mark.delta();
        if (precopy) moved.mergeDelta(early);
        play(replicas, toEnd);
        const delta = mark.delta();
        moved.mergeDelta(delta);
        expect(moved.value()).toStrictEqual(live.value());
        expect(Buffer.from(moved.persist()).equals(Buffer.from(reader.fromPersisted(live.persist()).persist()))).toBe(
          true,
        );
        moved.mergeDelta(delta);
        moved.mergeDelta(early); // an earlier delta, late: already covered
        expect(Buffer.from(moved.persist()).equals(Buffer.from(reader.fromPersisted(live.persist()).persist()))).toBe(
          true,
        );
        mark.release();
        expect(live.trackedChanges).toBe(0);
      },
    );

    test.prop([steps, steps, steps, steps, fc.integer({ min: 1, max: REPLICAS.length - 1 }), fc.boolean()])(
      'a receiver that merged another replica (after a pre-copy or not) gets the join of that replica and the live state',
      (before, afterMark, afterPersist, afterPrecopy, other, precopy) => {
        const replicas = REPLICAS.map(() => provider.empty());
        play(replicas, before);
        const live = replicas[0]!;
        const mark = live.mark();
        play(replicas, afterMark);
        const moved = reader.fromPersisted(live.persist());
        play(replicas, afterPersist);
        if (precopy) moved.mergeDelta(mark.delta());
        play(replicas, afterPrecopy);
        moved.merge(reader.fromPersisted(replicas[other]!.persist()));
        moved.mergeDelta(mark.delta());
        const expected = reader.fromPersisted(live.persist());
        expected.merge(reader.fromPersisted(replicas[other]!.persist()));
        expect(moved.value()).toStrictEqual(expected.value());
        expect(moved.equals(expected)).toBe(true);
      },
    );

    test.prop([steps, steps])('with several marks open, each delta covers its own mark', (first, second) => {
      const replicas = REPLICAS.map(() => provider.empty());
      const live = replicas[0]!;
      const a = live.mark();
      const atA = reader.fromPersisted(live.persist());
      play(replicas, first);
      const b = live.mark();
      const atB = reader.fromPersisted(live.persist());
      play(replicas, second);
      atA.mergeDelta(a.delta());
      atB.mergeDelta(b.delta());
      expect(atA.value()).toStrictEqual(live.value());
      expect(Buffer.from(atA.persist()).equals(Buffer.from(atB.persist()))).toBe(true);
      a.release();
      b.release();
      expect(live.trackedChanges).toBe(0);
      play(replicas, first);
      expect(live.trackedChanges).toBe(0);
    });
  });
}
