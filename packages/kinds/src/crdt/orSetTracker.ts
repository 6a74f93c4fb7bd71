/**
 * What one open mark of an OR-Set state records, and the delta it makes (see `orSetDelta` for the
 * format). Recording is copy-on-first-change: the first time an element's dots or a replica's
 * context change after the mark, their values at the mark are kept (the dots array by reference:
 * the state replaces an element's dots, never edits them in place). `delta()` then costs time in
 * what was touched, never in the state's size.
 */
import { comparePrimitives } from './primitive.js';
import type { CrdtPrimitive } from './primitive.js';
import { encodeDelta, markToken, StateMark } from './crdtDelta.js';
import { ElementMap } from './elementMap.js';
import { OR_SET_DELTA_FORMAT } from './orSetDelta.js';
import { encodeVarints } from './varint.js';

interface Touched {
  readonly element: CrdtPrimitive;
  /** Its dots at the mark (state replica indices), empty when it was absent. */
  readonly dots: readonly number[];
}

/** The state a tracker reads when it makes a delta. */
export interface TrackedOrSet {
  readonly replicas: readonly string[];
  readonly context: readonly number[];
  /** The current dots of `element` (absent: none). */
  dotsOf(element: CrdtPrimitive): readonly number[] | undefined;
}

/** The changes since one mark of an OR-Set state. */
export class OrSetTracker {
  readonly token = markToken();
  #seq = 0;
  readonly #elements = new ElementMap<Touched>();
  /** Replica index → its context at the mark, for replicas whose context changed since. */
  readonly #contexts = new Map<number, number>();

  /** The elements and replicas recorded. */
  get size(): number {
    return this.#elements.size + this.#contexts.size;
  }

  /** Records `element`'s dots before its first change since the mark. */
  element(element: CrdtPrimitive, dots: readonly number[]): void {
    if (!this.#elements.has(element)) this.#elements.set(element, { element, dots });
  }

  /** Records replica `r`'s context before its first change since the mark. */
  context(r: number, before: number): void {
    if (!this.#contexts.has(r)) this.#contexts.set(r, before);
  }

  /** The delta of everything recorded, as `or-set.delta` bytes. */
  delta(state: TrackedOrSet): Uint8Array {
    const touched = this.#elements.toArray().sort((a, b) => comparePrimitives(a.element, b.element));
    const now = touched.map(({ element }) => state.dotsOf(element) ?? []);
    const used = new Set(this.#contexts.keys());
    for (const dots of [...touched.map((t) => t.dots), ...now])
      for (let i = 0; i < dots.length; i += 2) used.add(dots[i]!);
    const order = [...used].sort((a, b) => (state.replicas[a]! < state.replicas[b]! ? -1 : 1));
    const index = new Map(order.map((r, i) => [r, i]));
    const pairs = (dots: readonly number[]): [number, number][] => {
      const out: [number, number][] = [];
      for (let i = 0; i < dots.length; i += 2) out.push([index.get(dots[i]!)!, dots[i + 1]!]);
      return out.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    };
    const markDots = pairs(touched.flatMap((t) => t.dots)).filter(
      ([i, k], at, all) => at === 0 || all[at - 1]![0] !== i || all[at - 1]![1] !== k,
    );
    const dots: number[] = [];
    for (const current of now) {
      dots.push(current.length / 2);
      for (const [i, k] of pairs(current)) dots.push(i, k);
    }
    return encodeDelta('or-set', OR_SET_DELTA_FORMAT, [
      this.token,
      ++this.#seq,
      order.map((r) => state.replicas[r]!),
      order.map((r) => this.#contexts.get(r) ?? state.context[r]!),
      order.map((r) => state.context[r]!),
      encodeVarints(markDots.flat()),
      touched.map((t) => t.element),
      encodeVarints(dots),
    ]);
  }
}

/**
 * The open marks of one OR-Set state. With none open, {@link element} and {@link context} return
 * at once: tracking costs nothing then.
 */
export class OrSetMarks {
  #trackers: OrSetTracker[] = [];

  /** True while a mark is open. */
  get active(): boolean {
    return this.#trackers.length > 0;
  }

  /** The elements and replicas recorded, over all open marks. */
  get size(): number {
    return this.#trackers.reduce((sum, t) => sum + t.size, 0);
  }

  /** Records `element`'s dots before a change, for each open mark. */
  element(element: CrdtPrimitive, dots: readonly number[]): void {
    for (const t of this.#trackers) t.element(element, dots);
  }

  /** Records replica `r`'s context before a change, for each open mark. */
  context(r: number, before: number): void {
    for (const t of this.#trackers) t.context(r, before);
  }

  /** Opens a mark over `state` (the live state's own tables, read when a delta is made). */
  open(state: TrackedOrSet): StateMark {
    const tracker = new OrSetTracker();
    this.#trackers.push(tracker);
    return new StateMark(
      'or-set',
      () => tracker.delta(state),
      () => {
        this.#trackers = this.#trackers.filter((t) => t !== tracker);
      },
      // Every change goes through `element` or `context` first: nothing recorded, nothing changed.
      () => tracker.size > 0,
    );
  }
}
