/**
 * One grow-only count per replica: the state of a G-Counter and each half of a PN-Counter. Counts
 * are positive safe integers (a replica with no count is absent, never stored as 0). Merge takes
 * the maximum per replica, which is commutative, associative and idempotent.
 */
export class ReplicaCounts {
  #counts: Map<string, number>;
  /** Per open mark, the replicas whose count changed since it (first change first); none: no cost. */
  #marks: Set<Set<string>> | undefined;

  /** Counts from trusted, already validated entries (positive safe integers, distinct replicas). */
  constructor(entries?: Iterable<readonly [string, number]>) {
    this.#counts = new Map(entries);
  }

  /**
   * Counts held in `counts` itself (validated: positive safe integers), which the caller hands over:
   * a decoder's fresh map becomes the state without a copy.
   */
  static adopt(counts: Map<string, number>): ReplicaCounts {
    const adopted = new ReplicaCounts();
    adopted.#counts = counts;
    return adopted;
  }

  /** The number of replicas with a count. */
  get size(): number {
    return this.#counts.size;
  }

  /** The count of `replica` (0 when it has none). */
  get(replica: string): number {
    return this.#counts.get(replica) ?? 0;
  }

  /** How much `replica` may still grow before its count leaves the safe-integer range. */
  headroom(replica: string): number {
    return Number.MAX_SAFE_INTEGER - this.get(replica);
  }

  /** Adds `by` (> 0, within {@link headroom}) to `replica`'s count. */
  add(replica: string, by: number): void {
    this.#counts.set(replica, this.get(replica) + by);
    if (this.#marks !== undefined) this.#note(replica);
  }

  /** Takes, per replica, the larger of the two counts. */
  mergeMax(other: ReplicaCounts): void {
    if (other === this) return;
    for (const [replica, count] of other.#counts) {
      if (count > this.get(replica)) {
        this.#counts.set(replica, count);
        if (this.#marks !== undefined) this.#note(replica);
      }
    }
  }

  /** Starts recording which replicas' counts change; the returned set fills as they do. */
  track(): Set<string> {
    const touched = new Set<string>();
    (this.#marks ??= new Set()).add(touched);
    return touched;
  }

  /** Stops filling `touched` (from {@link track}); with no mark left, changes cost nothing again. */
  untrack(touched: Set<string>): void {
    this.#marks?.delete(touched);
    if (this.#marks?.size === 0) this.#marks = undefined;
  }

  /** The replicas recorded for open marks, summed over the marks (0 when none is open). */
  get tracked(): number {
    let total = 0;
    for (const touched of this.#marks ?? []) total += touched.size;
    return total;
  }

  /** The ids and counts of `replicas` (in their order), the body of a counts delta. */
  countsOf(replicas: Iterable<string>): [string[], number[]] {
    const ids = [...replicas];
    return [ids, ids.map((id) => this.get(id))];
  }

  #note(replica: string): void {
    for (const touched of this.#marks!) touched.add(replica);
  }

  /** The exact sum of all counts. */
  sumBig(): bigint {
    let sum = 0n;
    for (const count of this.#counts.values()) sum += BigInt(count);
    return sum;
  }

  /**
   * The sum of all counts: exact up to `Number.MAX_SAFE_INTEGER`, beyond that the nearest double
   * of the exact sum (so equal states give equal sums whatever their insertion order).
   */
  sum(): number {
    let sum = 0;
    for (const count of this.#counts.values()) sum += count;
    return sum <= Number.MAX_SAFE_INTEGER ? sum : Number(this.sumBig());
  }

  /** The replicas and their counts, in insertion order. */
  entries(): MapIterator<[string, number]> {
    return this.#counts.entries();
  }

  /** True when both hold the same count for every replica. */
  equals(other: ReplicaCounts): boolean {
    if (other.#counts.size !== this.#counts.size) return false;
    for (const [replica, count] of this.#counts) if (other.#counts.get(replica) !== count) return false;
    return true;
  }

  /** An independent copy. */
  clone(): ReplicaCounts {
    return new ReplicaCounts(this.#counts);
  }
}
