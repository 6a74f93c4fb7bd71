import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { encodeEnvelope } from '../codec/envelope.js';
import { orSet } from './orSet.js';
import * as merge from './orSetMerge.js';
import { encodeVarints } from './varint.js';

/**
 * The merge of one element's dots as the OR-Set defines it, by scanning: ours that both hold or
 * that the other state has not seen, then theirs that we have not seen and do not hold.
 */
function modelMergedDots(
  ours: readonly number[],
  other: readonly number[] | undefined,
  map: readonly number[],
  mine: readonly number[],
  theirs: readonly number[],
): number[] {
  const pairs = (flat: readonly number[], m?: readonly number[]): [number, number][] =>
    Array.from({ length: flat.length / 2 }, (_, i) => [
      m === undefined ? flat[2 * i]! : m[flat[2 * i]!]!,
      flat[2 * i + 1]!,
    ]);
  const ourPairs = pairs(ours);
  const theirPairs = other === undefined ? [] : pairs(other, map);
  const has = (list: [number, number][], [r, k]: [number, number]): boolean =>
    list.some(([a, b]) => a === r && b === k);
  return [
    ...ourPairs.filter((dot) => dot[1] > theirs[dot[0]]! || has(theirPairs, dot)),
    ...theirPairs.filter((dot) => dot[1] > mine[dot[0]]! && !has(ourPairs, dot)),
  ].flat();
}

/** Flat dots `[r, k, …]` of distinct replicas below `replicas`, each counter within `context`. */
const dotsArb = (replicas: number, context: readonly number[]): fc.Arbitrary<number[]> =>
  fc
    .subarray(
      Array.from({ length: replicas }, (_, r) => r),
      { minLength: 0 },
    )
    .chain((rs) => fc.tuple(...rs.map((r) => fc.integer({ min: 1, max: context[r]! }).map((k) => [r, k]))))
    .map((dots) => dots.flat());

/** Two states' views of an element: our dots, their dots (in their indices), the map and both contexts. */
const caseArb = fc.integer({ min: 1, max: 6 }).chain((replicas) =>
  fc
    .record({
      mine: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: replicas, maxLength: replicas }),
      theirs: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: replicas, maxLength: replicas }),
      // Their replica j is our replica map[j] (a permutation: replica tables differ in order).
      map: fc.shuffledSubarray(
        Array.from({ length: replicas }, (_, r) => r),
        { minLength: replicas },
      ),
      absent: fc.boolean(),
    })
    .chain(({ mine, theirs, map, absent }) =>
      fc.record({
        mine: fc.constant(mine),
        theirs: fc.constant(theirs),
        map: fc.constant(map),
        ours: dotsArb(replicas, mine),
        // Their dots, in their indices: within their context as our map sees it.
        other: absent
          ? fc.constant(undefined)
          : dotsArb(
              replicas,
              map.map((r) => theirs[r]!),
            ),
      }),
    ),
);

/** An array whose property reads (elements and `length`) are counted in `reads.count`. */
function counted(array: readonly number[], reads: { count: number }): readonly number[] {
  return new Proxy(array, {
    get(target, key, receiver) {
      if (typeof key === 'string') reads.count++;
      return Reflect.get(target, key, receiver) as unknown;
    },
  });
}

describe('or-set dot merge', () => {
  test.prop([fc.array(caseArb, { minLength: 1, maxLength: 4 })])(
    'gives what the definition gives, and leaves its scratch empty for the next element',
    (cases) => {
      const index = new merge.DotIndex(6);
      for (const { ours, other, map, mine, theirs } of cases) {
        expect(merge.mergedDots(ours, other, map, mine, theirs, index)).toStrictEqual(
          modelMergedDots(ours, other, map, mine, theirs),
        );
      }
    },
  );

  // An element holding a dot of each of R replicas on both sides (the shape of a crafted state of
  // R replicas): the merge reads each dot a constant number of times, so its reads grow linearly
  // with R. Scanning the other side's dots per dot read ~R² of them.
  it.each([
    ['the same dots on both sides', 1, 1],
    ['newer dots on their side', 1, 2],
    ['newer dots on our side', 2, 1],
  ])('reads each dot a constant number of times: %s', (_, ourCounter, theirCounter) => {
    for (const replicas of [250, 500, 1000, 2000, 4000]) {
      const reads = { count: 0 };
      const dots = (counter: number): readonly number[] =>
        counted(
          Array.from({ length: 2 * replicas }, (_, i) => (i % 2 === 0 ? replicas - 1 - i / 2 : counter)),
          reads,
        );
      const map = counted(
        Array.from({ length: replicas }, (_, r) => r),
        reads,
      );
      const mine = counted(new Array<number>(replicas).fill(ourCounter), reads);
      const theirs = counted(new Array<number>(replicas).fill(theirCounter), reads);
      const index = new merge.DotIndex(replicas);
      const merged = merge.mergedDots(dots(ourCounter), dots(theirCounter), map, mine, theirs, index);
      expect(merged).toHaveLength(2 * replicas);
      // 4R dot values on the two sides; each read at most a few times, with the map and contexts.
      expect(reads.count, `${replicas} replicas`).toBeLessThanOrEqual(16 * replicas + 16);
    }
  });

  it('reads each dot of an element only the other state holds once', () => {
    const reads = { count: 0 };
    const replicas = 4000;
    const other = counted(
      Array.from({ length: 2 * replicas }, (_, i) => (i % 2 === 0 ? i / 2 : 1)),
      reads,
    );
    const map = Array.from({ length: replicas }, (_, r) => r);
    expect(merge.unseenDots(other, map, new Array<number>(replicas).fill(0))).toHaveLength(2 * replicas);
    // Each counter and replica index once, and the length per dot.
    expect(reads.count).toBeLessThanOrEqual(4 * replicas + 8);
  });
});

/** A valid or-set state: one element, 0, with a dot `(r, counter)` of each of `replicas` replicas. */
function oneElementOfEveryReplica(replicas: number, counter: number): Uint8Array {
  const ids = Array.from({ length: replicas }, (_, i) => `r${String(i).padStart(6, '0')}`);
  const dots = [replicas, ...ids.flatMap((_, r) => [r, counter])];
  const context = new Array<number>(replicas).fill(counter);
  return encodeEnvelope('or-set', 2, [
    ids,
    context,
    [0],
    new Uint8Array(0),
    new Uint8Array(0),
    [],
    encodeVarints(dots),
  ]);
}

describe('or-set merge of an element held by many replicas', () => {
  it('keeps the newer dots, once each, and a remove that saw them all wins', () => {
    const replicas = 5000;
    const [older, newer] = [oneElementOfEveryReplica(replicas, 1), oneElementOfEveryReplica(replicas, 2)];
    const live = orSet().empty();
    live.apply({ replica: 'local', add: 'x' });
    live.merge(orSet().fromPersisted(older));
    live.merge(orSet().fromPersisted(older));
    live.merge(orSet().fromPersisted(newer));
    const expected = orSet().fromPersisted(newer);
    const local = orSet().empty();
    local.apply({ replica: 'local', add: 'x' });
    expected.merge(local);
    expect(live.equals(expected)).toBe(true);
    expect(live.value()).toStrictEqual([0, 'x']);
    // Removing the element on a replica that saw every dot removes it everywhere that merges it.
    const removed = orSet().fromPersisted(newer);
    removed.apply({ remove: 0 });
    live.merge(removed);
    expect(live.value()).toStrictEqual(['x']);
  });

  it('clones a merged state of 200 000 replicas (spreading them into push() overflowed the stack)', () => {
    const live = orSet().empty();
    live.apply({ replica: 'local', add: 'x' });
    live.merge(orSet().fromPersisted(oneElementOfEveryReplica(200_000, 1)));
    const copy = live.clone();
    expect(copy.equals(live)).toBe(true);
    copy.apply({ replica: 'local', add: 'y' });
    expect([live.value(), copy.value()]).toStrictEqual([
      [0, 'x'],
      [0, 'x', 'y'],
    ]);
  });
});
