/**
 * The join of an OR-Set state (a dot store and a version-vector context) with a delta (a dot store
 * and a dot-set context, see `orSetDelta`): the usual ORSWOT merge with the delta's dot cloud as
 * the other side's context. Per element, a dot is kept when both hold it, or when one side holds it
 * and the other side's context does not cover it; the context becomes the union, here
 * `max(context, to)` per replica (the delta's `(from, to]` starts at or below the receiver's
 * context in every use that matters, and its mark dots lie below `from`).
 *
 * Elements the delta does not name can lose dots only to the delta's `(from, to]` ranges. The
 * receiver skips looking at them when it holds no dot there: its context of each such replica is at
 * most `from`, or `cleared` says an earlier delta of the same mark already cleared it (then every
 * element holding a dot above `from` is named by this cumulative delta). Otherwise it scans its
 * elements (cost in the state's size), so the result is a join whatever the receiver holds.
 */
import type { CrdtPrimitive } from './primitive.js';
import { ElementMap } from './elementMap.js';
import { deltaSees } from './orSetDelta.js';
import type { OrSetDelta } from './orSetDelta.js';
import type { OrSetEntry } from './orSetPacked.js';

/** The receiving state, as the merge changes it (each change goes through it: marks record them). */
export interface DeltaTarget {
  readonly context: readonly number[];
  entries(): ElementMap<OrSetEntry>;
  intern(id: string): number;
  /** Sets (or adds, or with no dots removes) the dots of `element`. */
  setDots(element: CrdtPrimitive, entry: OrSetEntry | undefined, dots: number[]): void;
  setContext(r: number, value: number): void;
}

/** What the receiver knows after merging a delta: replica id → the context it held no dot above. */
export interface Cleared {
  readonly token: Uint8Array;
  readonly seq: number;
  readonly upTo: ReadonlyMap<string, number>;
}

/** Merges `delta` into `target`; returns what it has cleared (for the next delta of the same mark) and whether it scanned. */
export function mergeOrSetDelta(
  target: DeltaTarget,
  delta: OrSetDelta,
  cleared: Cleared | undefined,
): { cleared: Cleared; scanned: boolean } {
  const map = delta.replicas.map((id) => target.intern(id));
  const mine = map.map((r) => target.context[r]!);
  const deltaIndex = new Map(map.map((r, i) => [r, i]));
  const sameMark =
    cleared !== undefined && delta.seq >= cleared.seq && Buffer.compare(cleared.token, delta.token) === 0;
  const scanned = delta.replicas.some(
    (id, i) =>
      delta.to[i]! > delta.from[i]! &&
      mine[i]! > delta.from[i]! &&
      !(sameMark && mine[i]! <= (cleared.upTo.get(id) ?? -1)),
  );
  const entries = target.entries();
  const named = new ElementMap<true>();
  for (const element of delta.elements) named.set(element, true);
  // Whether the delta's context covers our dot (r, k).
  const sees = (r: number, k: number): boolean => {
    const i = deltaIndex.get(r);
    return i !== undefined && deltaSees(delta, i, k);
  };
  if (scanned)
    for (const entry of entries.values()) {
      if (named.has(entry.element)) continue;
      const dots: number[] = [];
      for (let d = 0; d < entry.dots.length; d += 2)
        if (!sees(entry.dots[d]!, entry.dots[d + 1]!)) dots.push(entry.dots[d]!, entry.dots[d + 1]!);
      if (dots.length < entry.dots.length) target.setDots(entry.element, entry, dots);
    }
  delta.elements.forEach((element, e) => {
    const entry = entries.get(element);
    const ours = entry?.dots ?? [];
    const theirs = new Map<number, number>();
    const deltaDots = delta.dots[e]!;
    for (let d = 0; d < deltaDots.length; d += 2) theirs.set(map[deltaDots[d]!]!, deltaDots[d + 1]!);
    const kept = new Map<number, number>();
    for (let d = 0; d < ours.length; d += 2) {
      const [r, k] = [ours[d]!, ours[d + 1]!];
      if (theirs.get(r) === k || !sees(r, k)) kept.set(r, k);
    }
    for (const [r, k] of theirs) {
      const i = deltaIndex.get(r)!;
      // Unseen here: added (a replica has one dot per element: the newer one stays).
      if (k > mine[i]! && k > (kept.get(r) ?? 0)) kept.set(r, k);
    }
    const dots = [...kept].flat();
    if (dots.length !== ours.length || !sameDots(ours, kept)) target.setDots(element, entry, dots);
  });
  map.forEach((r, i) => {
    if (delta.to[i]! > mine[i]!) target.setContext(r, delta.to[i]!);
  });
  const upTo = new Map<string, number>();
  delta.replicas.forEach((id, i) => {
    if (mine[i]! <= delta.to[i]!) upTo.set(id, delta.to[i]!);
  });
  return { cleared: { token: delta.token, seq: delta.seq, upTo }, scanned };
}

function sameDots(ours: readonly number[], kept: ReadonlyMap<number, number>): boolean {
  for (let d = 0; d < ours.length; d += 2) if (kept.get(ours[d]!) !== ours[d + 1]!) return false;
  return true;
}
