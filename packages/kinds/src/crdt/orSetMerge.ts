/**
 * The dot arithmetic of an OR-Set merge. Dots are flat `[replicaIndex, counter, …]`; `map`
 * translates the other state's replica indices into ours; `mine` and `theirs` are the two causal
 * contexts, indexed by our replica indices (0 where a state has seen nothing of a replica).
 */

/**
 * The dots of an element after a merge: ours that both hold or that the other state has not seen,
 * plus theirs that we have not seen (a dot both hold is kept once).
 */
export function mergedDots(
  ours: readonly number[],
  other: readonly number[] | undefined,
  map: readonly number[],
  mine: readonly number[],
  theirs: readonly number[],
): number[] {
  const dots: number[] = [];
  for (let i = 0; i < ours.length; i += 2) {
    const [r, k] = [ours[i]!, ours[i + 1]!];
    if (k > theirs[r]! || (other !== undefined && holds(other, map, r, k))) dots.push(r, k);
  }
  if (other === undefined) return dots;
  for (let i = 0; i < other.length; i += 2) {
    const [r, k] = [map[other[i]!]!, other[i + 1]!];
    if (k > mine[r]! && !holds(ours, undefined, r, k)) dots.push(r, k);
  }
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

/** True when flat `dots` hold dot (r, k); `map` translates their replica indices first. */
function holds(dots: readonly number[], map: readonly number[] | undefined, r: number, k: number): boolean {
  for (let i = 0; i < dots.length; i += 2) {
    if (dots[i + 1] === k && (map === undefined ? dots[i] : map[dots[i]!]) === r) return true;
  }
  return false;
}
