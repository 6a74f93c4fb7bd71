import type { CrdtState } from '@baton/core';
import { encodeEnvelope } from '../codec/envelope.js';
import { sameKindState } from './crdtProvider.js';
import { invalidCrdtArgument } from './crdtErrors.js';
import { ElementMap } from './elementMap.js';
import { OpFields } from './opFields.js';
import { encodeOrSetBody, OR_SET_FORMAT } from './orSetFormats.js';
import { isPackedOrSet, packedDots, packedIndexOf, packOrSet, replicaTable, unpackOrSet } from './orSetPacked.js';
import type { OrSetEntry, PackedOrSet, ReplicaTable } from './orSetPacked.js';
import { DotIndex, mergedDots, samePairs, unseenDots } from './orSetMerge.js';
import { recordEdit, repackBase, repackOrSet } from './orSetRepack.js';
import type { RepackBase } from './orSetRepack.js';
import { comparePrimitives, ownPrimitive, primitiveProblem } from './primitive.js';
import { deltaLimitOf, limitDeltas } from './crdtDelta.js';
import type { StateMark } from './crdtDelta.js';
import { decodeOrSetDelta } from './orSetDelta.js';
import { mergeOrSetDelta } from './orSetDeltaMerge.js';
import type { Cleared, DeltaTarget } from './orSetDeltaMerge.js';
import { OrSetMarks } from './orSetTracker.js';
import type { CrdtPrimitive } from './primitive.js';

/** The kind name of the OR-Set. */
export const OR_SET = 'or-set';

/**
 * An OR-Set operation. `{ replica, add }`: replica `replica` (the replica applying it) adds an
 * element; `{ remove }`: removes an element as observed here (`replica` may be given, and is then
 * validated, but a remove creates no metadata).
 */
export type OrSetOp =
  | { readonly replica: string; readonly add: CrdtPrimitive }
  | { readonly replica?: string; readonly remove: CrdtPrimitive };

/**
 * An add-wins observed-remove set without tombstones (an "optimized OR-Set" / ORSWOT): a dot store
 * (element → its dots, a dot being (replica, counter)) plus a causal context, the version vector of
 * every dot this state has seen. An add makes a fresh dot (and drops the adding replica's own
 * earlier dot of that element, keeping other replicas' dots: exactly the shape concurrent adds
 * produce); a remove just drops the element's dots, which the context still covers. Merge keeps a
 * dot that both states hold or that the other state has not seen yet, so a remove wins only over
 * the adds it observed and a concurrent add wins. Removed elements leave nothing behind.
 *
 * The value is the elements, sorted by {@link comparePrimitives}. Each replica applies only its own
 * adds (`op.replica` is the local replica's id).
 *
 * A state read by `fromPersisted` stays in its packed form (see {@link PackedOrSet}) until an op
 * or a merge needs the element index, so reading, `value()`, `has()` and persisting it again cost
 * no hashing; the packed form and the bytes of an unchanged state are cached. A changed state is
 * re-packed from its last pack: only the entries changed since are placed and encoded, the rest
 * is copied as bytes (see {@link repackOrSet}).
 */
export class OrSetState implements CrdtState<OrSetOp, CrdtPrimitive[]> {
  readonly #replicas: string[];
  /** Replica id → index in `#replicas`; built on first use (a state only read and merged never needs it). */
  #index: Map<string, number> | undefined;
  readonly #context: number[];
  /** The element index; `undefined` while only the packed form exists (its replica order is then ours). */
  #entries: ElementMap<OrSetEntry> | undefined;
  /** The canonical form of the current state, when known. */
  #packed: PackedOrSet | undefined;
  /** The persisted bytes of the current state, when known. */
  #bytes: Uint8Array | undefined;
  /** The last pack, its entries and the changes since, while tracked (else the next pack starts over). */
  #base: RepackBase | undefined;
  /** The open marks (none: changes record nothing). */
  readonly #marks = new OrSetMarks();
  /** What the last `mergeDelta` cleared, while nothing else changed this state since. */
  #cleared: Cleared | undefined;
  /** @internal Whether the last `mergeDelta` had to scan every element (tests). */
  lastDeltaScanned = false;

  /** @internal The kind's own way to make one (providers, formats, tests). */
  static create(packed?: PackedOrSet): OrSetState {
    return new OrSetState(packed);
  }

  /**
   * Use a provider. Takes a checked packed form (shared: it is immutable), one a format's
   * decoder or a pack made (`INVALID_ARGUMENT` for anything else).
   */
  private constructor(packed?: PackedOrSet) {
    if (packed !== undefined && !isPackedOrSet(packed))
      throw invalidCrdtArgument(OR_SET, 'an OrSetState is made by a provider (orSet().empty(), fromPersisted)');
    this.#replicas = packed === undefined ? [] : packed.replicas.slice();
    this.#context = packed === undefined ? [] : packed.context.slice();
    this.#packed = packed;
    this.#entries = packed === undefined ? new ElementMap() : undefined;
  }

  /** The number of elements. */
  get size(): number {
    return this.#entries?.size ?? this.#packed?.elements.length ?? 0;
  }

  /** True when `element` is in the set. */
  has(element: CrdtPrimitive): boolean {
    if (primitiveProblem(element) !== undefined) return false;
    if (this.#entries !== undefined) return this.#entries.has(element);
    return this.#packed !== undefined && packedIndexOf(this.#packed, element === 0 ? 0 : element) >= 0;
  }

  /** Adds or removes an element. `INVALID_ARGUMENT` for a bad op (neither or both of add/remove). */
  apply(op: OrSetOp): void {
    const fields = new OpFields(OR_SET, op);
    const adding = fields.has('add');
    if (adding === fields.has('remove'))
      throw fields.fail(
        adding ? 'add/remove' : 'add',
        adding ? 'an op either adds or removes' : 'an op needs add or remove',
      );
    if (!adding) {
      if (fields.has('replica')) fields.replica();
      const element = fields.primitive('remove');
      const entry = this.#store().get(element);
      if (entry === undefined) return;
      this.#setDots(element, entry, []);
      this.#changed();
      return;
    }
    const replica = fields.replica();
    const element = fields.primitive('add');
    const entries = this.#store();
    const r = this.#intern(replica);
    const counter = this.#context[r]! + 1;
    if (counter > Number.MAX_SAFE_INTEGER) throw fields.fail('replica', `${replica} has made 2^53 − 1 dots`);
    this.#marks.context(r, this.#context[r]!);
    this.#context[r] = counter;
    this.#changed();
    const entry = entries.get(element);
    const dots: number[] = [];
    for (let i = 0; i < (entry?.dots.length ?? 0); i += 2)
      if (entry!.dots[i] !== r) dots.push(entry!.dots[i]!, entry!.dots[i + 1]!);
    dots.push(r, counter);
    this.#setDots(element, entry, dots);
  }

  /**
   * Merges another OR-Set state: keeps the dots both hold and the dots the other has not seen. A
   * state still in its packed form (read by `fromPersisted`) is read as it is, not indexed; merged
   * into an empty state, it becomes that state's packed form itself.
   */
  merge(other: CrdtState<OrSetOp, CrdtPrimitive[]>): void {
    const that = sameKindState(OR_SET, other, OrSetState);
    if (that === this) return;
    this.#cleared = undefined;
    if (this.#replicas.length === 0 && that.#entries === undefined && !this.#marks.active) {
      this.#adopt(that);
      return;
    }
    const entries = this.#store();
    const theirEntries = that.#entries;
    const packed = that.#packed!;
    const scratch: number[] = [];
    const theirDots = (element: CrdtPrimitive): readonly number[] | undefined => {
      if (theirEntries !== undefined) return theirEntries.get(element)?.dots;
      const e = packedIndexOf(packed, element);
      return e < 0 ? undefined : packedDots(packed, e, scratch);
    };
    const map = that.#replicas.map((id) => this.#intern(id));
    const mine = this.#context.slice();
    const theirs = new Array<number>(mine.length).fill(0);
    for (const [j, r] of map.entries()) theirs[r] = that.#context[j]!;
    if (this.#base !== undefined) this.#base.allDots = true;
    const index = new DotIndex(mine.length);
    for (const entry of entries.values()) {
      const before = entry.dots;
      entry.dots = mergedDots(before, theirDots(entry.element), map, mine, theirs, index);
      if (this.#marks.active && !samePairs(before, entry.dots)) this.#marks.element(entry.element, before);
      if (entry.dots.length > 0) continue;
      entries.delete(entry.element);
      this.#touch(entry);
    }
    const offer = (element: CrdtPrimitive, dots: readonly number[]): void => {
      if (entries.has(element)) return;
      const unseen = unseenDots(dots, map, mine);
      if (unseen.length === 0) return;
      this.#marks.element(element, []);
      this.#add({ element, dots: unseen });
    };
    if (theirEntries !== undefined) for (const entry of theirEntries.values()) offer(entry.element, entry.dots);
    else for (let e = 0; e < packed.elements.length; e++) offer(packed.elements[e]!, packedDots(packed, e, scratch));
    for (let r = 0; r < mine.length; r++) {
      if (theirs[r]! > mine[r]!) this.#marks.context(r, this.#context[r]!);
      this.#context[r] = Math.max(mine[r]!, theirs[r]!);
    }
    this.#changed();
  }

  /**
   * Starts tracking what changes from now on (ops, merges, deltas). Its `delta()` is an
   * `or-set.delta` (see `orSetDelta`): the touched elements with their dots and the context seen
   * since, costing time in what was touched. Marks are independent; none open, none costs.
   */
  mark(): StateMark {
    const dotsOf = (element: CrdtPrimitive): readonly number[] | undefined => this.#entries?.get(element)?.dots;
    return this.#marks.open({ replicas: this.#replicas, context: this.#context, dotsOf });
  }

  /**
   * Joins a delta (see `orSetDeltaMerge`): costs time in the delta when this state is the one
   * persisted after the mark (or holds no later dot of its replicas), else also scans the state.
   * Anything but a sound `or-set.delta` of format 1 is `CORRUPT_INPUT`, and nothing changes. The
   * first one into a state read by `fromPersisted` indexes its elements (time in its size): a
   * pre-copy merge before the pause takes that cost there.
   */
  mergeDelta(delta: Uint8Array): void {
    const read = decodeOrSetDelta(delta, deltaLimitOf(this));
    let changed = false;
    const target: DeltaTarget = {
      context: this.#context,
      entries: () => this.#store(),
      intern: (id) => this.#intern(id),
      setDots: (element, entry, dots) => {
        changed = true;
        this.#setDots(element, entry, dots);
      },
      setContext: (r, value) => {
        changed = true;
        this.#marks.context(r, this.#context[r]!);
        this.#context[r] = value;
      },
    };
    const { cleared, scanned } = mergeOrSetDelta(target, read, this.#cleared);
    if (changed) this.#changed();
    [this.#cleared, this.lastDeltaScanned] = [cleared, scanned];
  }

  /** @internal The elements and replicas recorded for open marks (0 when none is open). */
  get trackedChanges(): number {
    return this.#marks.size;
  }

  /** The elements, sorted by {@link comparePrimitives} (bytes as copies). */
  value(): CrdtPrimitive[] {
    return this.#pack().elements.map(ownPrimitive);
  }

  /** The state in an `or-set` envelope of format 2 (the canonical {@link PackedOrSet}: equal states, equal bytes). */
  persist(): Uint8Array {
    this.#bytes ??= encodeEnvelope(OR_SET, OR_SET_FORMAT, encodeOrSetBody(this.#pack()));
    return this.#bytes.slice();
  }

  /** True when `other` is an OR-Set with the same elements, dots and causal context. */
  equals(other: CrdtState<OrSetOp, CrdtPrimitive[]>): boolean {
    if (!(other instanceof OrSetState)) return false;
    const [a, b] = [this.#pack(), other.#pack()];
    if (a.elements.length !== b.elements.length || Buffer.compare(a.dots.bytes, b.dots.bytes) !== 0) return false;
    if (a.replicas.some((id, i) => b.replicas[i] !== id || b.context[i] !== a.context[i])) return false;
    return a.elements.every((element, i) => comparePrimitives(element, b.elements[i]!) === 0);
  }

  /** An independent copy. */
  clone(): OrSetState {
    const copy = limitDeltas(
      OrSetState.create(this.#entries === undefined ? this.#packed : undefined),
      deltaLimitOf(this),
    );
    if (this.#entries === undefined) return copy;
    // Element by element: spreading a large array into push() overflows the stack.
    for (const [i, id] of this.#replicas.entries()) {
      copy.#replicas.push(id);
      copy.#context.push(this.#context[i]!);
    }
    for (const entry of this.#entries.values())
      copy.#entries!.set(entry.element, { element: entry.element, dots: entry.dots.slice() });
    [copy.#packed, copy.#bytes] = [this.#packed, this.#bytes];
    return copy;
  }

  /** The element index, unpacked from the packed form on first use. */
  #store(): ElementMap<OrSetEntry> {
    if (this.#entries === undefined) {
      const packed = this.#packed!;
      const { entries, sorted } = unpackOrSet(packed);
      this.#entries = entries;
      this.#base = repackBase(packed, sorted);
    }
    return this.#entries;
  }

  /** The canonical form: re-packed from the last pack while tracked, else packed from scratch. */
  #pack(): PackedOrSet {
    if (this.#packed === undefined) {
      const entries = this.#store();
      const table = replicaTable(this.#replicas, this.#context);
      const { packed, sorted } =
        this.#base === undefined ? packFromScratch(table, entries.toArray()) : repackOrSet(this.#base, table);
      this.#packed = packed;
      this.#base = repackBase(packed, sorted);
    }
    return this.#packed;
  }

  /** Replaces `element`'s dots (a new entry, or none: removed), recorded for open marks. */
  #setDots(element: CrdtPrimitive, entry: OrSetEntry | undefined, dots: number[]): void {
    this.#marks.element(element, entry?.dots ?? []);
    if (entry === undefined) this.#add({ element, dots });
    else {
      entry.dots = dots;
      if (dots.length === 0) this.#entries!.delete(element);
      this.#touch(entry);
    }
  }

  /** Indexes a new entry. */
  #add(entry: OrSetEntry): void {
    this.#entries!.set(entry.element, entry);
    this.#touch(entry);
  }

  /** Records a created, changed or removed entry for the next re-pack (many changes: it starts over). */
  #touch(entry: OrSetEntry): void {
    if (this.#base !== undefined && !recordEdit(this.#base, entry)) this.#base = undefined;
  }

  /** Becomes `that`, a state in its packed form (this one is empty: no replica, no element). */
  #adopt(that: OrSetState): void {
    for (const id of that.#replicas) this.#intern(id);
    that.#context.forEach((count, r) => (this.#context[r] = count));
    [this.#entries, this.#packed, this.#bytes, this.#base] = [undefined, that.#packed, that.#bytes, undefined];
  }

  #changed(): void {
    this.#cleared = undefined;
    this.#packed = undefined;
    this.#bytes = undefined;
  }

  #intern(id: string): number {
    let index = this.#index;
    if (index === undefined) {
      index = this.#index = new Map();
      for (const [i, known] of this.#replicas.entries()) index.set(known, i);
    }
    let r = index.get(id);
    if (r === undefined) {
      r = this.#replicas.push(id) - 1;
      this.#context.push(0);
      index.set(id, r);
    }
    return r;
  }
}

const byElement = (a: OrSetEntry, b: OrSetEntry): number => comparePrimitives(a.element, b.element);

/** The pack of every entry, sorted here. */
function packFromScratch(table: ReplicaTable, entries: OrSetEntry[]): { packed: PackedOrSet; sorted: OrSetEntry[] } {
  const sorted = entries.sort(byElement);
  return { packed: packOrSet(table, sorted), sorted };
}
