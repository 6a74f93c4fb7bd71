/**
 * The dot arithmetic of an OR-Set merge. Dots are flat `[replicaIndex, counter, …]`, at most one
 * per replica in an element (the decoders check it; ops and merges keep it); `map` translates the
 * other state's replica indices into ours; `mine` and `theirs` are the two causal contexts, indexed
 * by our replica indices (0 where a state has seen nothing of a replica).
 *
 * Each function touches every dot it is given a constant number of times: whether the other side
 * holds a dot is answered by a {@link DotIndex} (one slot per replica), never by scanning the other
 * side's dots, so a merge costs time linear in the dots of both states (an element of `R` dots on
 * both sides costs `O(R)`, not `O(R²)`).
 */

/**
 * Scratch space of one merge: a slot per replica of the merged state (our indices), holding the
 * counter of the other side's dot of the element being merged (0: none; counters are ≥ 1). The
 * slots are filled from one element's dots and cleared again from the same dots, so using it for
 * an element costs time linear in that element's dots, whatever the number of replicas.
 */
export class DotIndex {
  readonly #counters: Float64Array;

  /** Scratch for a merged state of `replicas` replicas (all slots empty). */
  constructor(replicas: number) {
    this.#counters = new Float64Array(replicas);
  }

  /** Fills the slots of `dots` (in the other state's indices, translated by `map`). */
  load(dots: readonly number[], map: readonly number[]): void {
    const counters = this.#counters;
    for (let i = 0; i < dots.length; i += 2) counters[map[dots[i]!]!] = dots[i + 1]!;
  }

  /** The counter held for replica `r` (0: none). */
  get(r: number): number {
    return this.#counters[r]!;
  }

  /** Empties the slot of replica `r`. */
  take(r: number): void {
    this.#counters[r] = 0;
  }

  /** Empties the slots of `dots` (as given to {@link load}): every slot is empty again. */
  clear(dots: readonly number[], map: readonly number[]): void {
    const counters = this.#counters;
    for (let i = 0; i < dots.length; i += 2) counters[map[dots[i]!]!] = 0;
  }
}

/**
 * The dots of an element after a merge: ours that both hold or that the other state has not seen,
 * plus theirs that we have not seen (a dot both hold is kept once). `index` is the merge's
 * scratch, empty on entry and on return.
 */
export function mergedDots(
  ours: readonly number[],
  other: readonly number[] | undefined,
  map: readonly number[],
  mine: readonly number[],
  theirs: readonly number[],
  index: DotIndex,
): number[] {
  const dots: number[] = [];
  if (other === undefined) {
    for (let i = 0; i < ours.length; i += 2) {
      const [r, k] = [ours[i]!, ours[i + 1]!];
      if (k > theirs[r]!) dots.push(r, k);
    }
    return dots;
  }
  index.load(other, map);
  for (let i = 0; i < ours.length; i += 2) {
    const [r, k] = [ours[i]!, ours[i + 1]!];
    const held = index.get(r) === k;
    // A dot both hold is kept here, once: its slot is emptied so theirs is not added again.
    if (held) index.take(r);
    if (held || k > theirs[r]!) dots.push(r, k);
  }
  for (let i = 0; i < other.length; i += 2) {
    const [r, k] = [map[other[i]!]!, other[i + 1]!];
    // Still in its slot: ours do not hold it.
    if (k > mine[r]! && index.get(r) === k) dots.push(r, k);
  }
  index.clear(other, map);
  return dots;
}

/** The dots, in our replica indices, of an element only the other state holds that we have not seen. */
export function unseenDots(other: readonly number[], map: readonly number[], mine: readonly number[]): number[] {
  const dots: number[] = [];
  for (let i = 0; i < other.length; i += 2) {
    const [r, k] = [map[other[i]!]!, other[i + 1]!];
    if (k > mine[r]!) dots.push(r, k);
  }
  return dots;
}

/** True when two flat dot lists are the same pairs in the same order. */
export function samePairs(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => b[i] === x);
}
