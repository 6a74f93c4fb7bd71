/**
 * Test providers for @baton/core's own tests: small but real implementations of the index, CDC,
 * CRDT and function contracts, each tagged with its version and able to inject a fault at any step.
 */
import { RecordBatch, Table, tableFromArrays, vectorFromArray, Utf8 } from 'apache-arrow';
import type { Vector } from 'apache-arrow';
import { Compat } from '../compat/verdict.js';
import type { CdcBatch, CdcOutputProvider, CdcStream, CdcTakeover } from '../surfaces/cdcOutput.js';
import type { CrdtKindProvider, CrdtMark, CrdtState } from '../surfaces/crdtKind.js';
import type { ScalarFunctionProvider } from '../surfaces/functions.js';
import type { IndexHandle, IndexKindProvider, IndexSnapshot } from '../surfaces/indexKind.js';
import { deferred } from '../util/deferred.js';

/**
 * How an injected fault behaves: the modes of `FaultMode` in @baton/testing that need no reload
 * signal. Core's own tests cannot import @baton/testing (it depends on @baton/core), so this is the
 * same small helper as its `injectFault`, with the same modes and messages.
 */
export type Fault = 'throw' | 'reject' | 'hang' | 'garbage';

/** The value a `garbage` fault returns: of no type any step expects. */
const GARBAGE: unique symbol = Symbol('garbage returned by an injected fault');

/**
 * Runs `ok` as step `step` unless `fault` says otherwise: `throw` throws, `reject` returns a
 * rejected promise, `hang` a promise that never settles (it ignores any signal), `garbage` returns
 * {@link GARBAGE}. `onFault` is told first, so a test can act while the step hangs.
 */
export function faulty<T>(
  fault: Fault | undefined,
  step: string,
  ok: () => T | Promise<T>,
  onFault?: (step: string) => void,
): T | Promise<T> {
  if (fault !== undefined) onFault?.(step);
  switch (fault) {
    case undefined:
      return ok();
    case 'throw':
      throw new Error(`injected fault: ${step} throws`);
    case 'reject':
      return Promise.reject(new Error(`injected fault: ${step} rejects`));
    case 'hang':
      return new Promise<T>(() => undefined);
    case 'garbage':
      return GARBAGE as T;
  }
}

// ---------------------------------------------------------------- index

const MAGIC = 0x31584946; // "FIX1"

/** A list of every index handle made, to check which were closed. */
export interface IndexLedger {
  readonly handles: FixtureIndexHandle[];
}

export class FixtureIndexHandle implements IndexHandle {
  closed = false;
  probes = 0;
  constructor(
    readonly version: string,
    readonly values: Float64Array,
    private readonly faults: IndexFaults,
  ) {
    // Only when the kind was made with `byReference` (else the reload persists and opens).
    if (faults.byReference === true)
      (this as IndexHandle).snapshot = () =>
        faulty(
          faults.snapshot,
          'snapshot',
          (): IndexSnapshot => ({
            kind: 'nearest',
            layout: faults.layout ?? 'nearest/1',
            meta: {},
            buffers: [values],
            byteLength: values.byteLength,
          }),
          faults.onFault,
        );
  }

  probe(query: RecordBatch, k: number): RecordBatch {
    if (this.closed) throw new Error(`probe on a closed ${this.version} handle`);
    this.probes++;
    const q = query.getChild('q')!.toArray() as Float64Array;
    const queryRows: number[] = [];
    const rows: number[] = [];
    const distances: number[] = [];
    q.forEach((x, qi) => {
      const order = [...this.values.keys()].sort(
        (a, b) => Math.abs(this.values[a]! - x) - Math.abs(this.values[b]! - x) || a - b,
      );
      for (const row of order.slice(0, k)) {
        queryRows.push(qi);
        rows.push(row);
        distances.push(Math.abs(this.values[row]! - x));
      }
    });
    return tableFromArrays({
      query: Int32Array.from(queryRows),
      row: Int32Array.from(rows),
      distance: Float64Array.from(distances),
    }).batches[0]!;
  }

  persist(): Uint8Array | Promise<Uint8Array> {
    return faulty(
      this.faults.persist,
      'persist',
      () => {
        const out = new Uint8Array(4 + this.values.byteLength);
        new DataView(out.buffer).setUint32(0, MAGIC, true);
        out.set(new Uint8Array(this.values.buffer, this.values.byteOffset, this.values.byteLength), 4);
        return out;
      },
      this.faults.onFault,
    );
  }

  close(): void {
    this.closed = true;
  }
}

/** Faults to inject; read at call time, so a test can change them between steps. */
export interface IndexFaults {
  persist?: Fault | undefined;
  open?: Fault | undefined;
  /** Handles have `snapshot` and the provider `adopt` (hand-over by reference). */
  byReference?: boolean | undefined;
  snapshot?: Fault | undefined;
  adopt?: Fault | undefined;
  /** The layout snapshots claim (default `nearest/1`, the one `adopt` reads). */
  layout?: string | undefined;
  /** Fail `open` only on the n-th call (1-based). */
  openFailsOnCall?: number | undefined;
  /** Told when one of these faults fires, before it acts (a latch for a test that acts while a step hangs). */
  onFault?: ((step: string) => void) | undefined;
}

export interface FixtureIndexKind extends IndexKindProvider {
  readonly ledger: IndexLedger;
  opens: number;
  adopts: number;
  build(source: RecordBatch | Table, options: { column: string }): FixtureIndexHandle;
}

export function fixtureIndexKind(
  version: string,
  ledger: IndexLedger = { handles: [] },
  faults: IndexFaults = {},
): FixtureIndexKind {
  const provider = {
    kind: 'nearest',
    ledger,
    opens: 0,
    adopts: 0,
    ...(faults.byReference === true
      ? {
          adopt(snapshot: IndexSnapshot): IndexHandle | undefined | Promise<IndexHandle | undefined> {
            provider.adopts++;
            return faulty(
              faults.adopt,
              'adopt',
              () => {
                if (snapshot.layout !== 'nearest/1') return undefined;
                const handle = new FixtureIndexHandle(version, snapshot.buffers[0] as Float64Array, faults);
                ledger.handles.push(handle);
                return handle;
              },
              faults.onFault,
            );
          },
        }
      : {}),
    build(source: RecordBatch | Table, options: { column: string }): FixtureIndexHandle {
      const column = source.getChild(options.column);
      if (!column) throw new Error(`no column ${options.column}`);
      const handle = new FixtureIndexHandle(version, Float64Array.from(column.toArray() as ArrayLike<number>), faults);
      ledger.handles.push(handle);
      return handle;
    },
    open(bytes: Uint8Array): IndexHandle | Promise<IndexHandle> {
      provider.opens++;
      const fault =
        faults.openFailsOnCall === undefined || faults.openFailsOnCall === provider.opens ? faults.open : undefined;
      return faulty(
        fault,
        'open',
        () => {
          if (
            bytes.byteLength < 4 ||
            new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true) !== MAGIC ||
            (bytes.byteLength - 4) % 8 !== 0
          ) {
            throw new Error('not a fixture index');
          }
          const values = new Float64Array(bytes.slice(4).buffer);
          const handle = new FixtureIndexHandle(version, values, faults);
          ledger.handles.push(handle);
          return handle;
        },
        faults.onFault,
      );
    },
  };
  return provider;
}

export function valuesTable(values: readonly number[]): Table {
  return tableFromArrays({ v: Float64Array.from(values) });
}

export function queryBatch(values: readonly number[]): RecordBatch {
  return tableFromArrays({ q: Float64Array.from(values) }).batches[0]!;
}

// ---------------------------------------------------------------- CDC

/** A durable sink shared by every version of an output (like a directory on disk). */
export class MemorySink {
  readonly batches: CdcBatch[] = [];
  /** Checkpointed position: everything before it is durable. */
  durable = 0n;
  #hold: Promise<void> | undefined;
  #reached = deferred();

  /** Makes the next delivery wait until the returned function is called (a stuck call). */
  holdNextDelivery(): () => void {
    const hold = deferred();
    this.#hold = hold.promise;
    this.#reached = deferred();
    return () => {
      hold.resolve();
    };
  }

  /** Settles once a delivery reached the hold of {@link holdNextDelivery}: it is stuck in the stream now. */
  get held(): Promise<void> {
    return this.#reached.promise;
  }

  /** @internal */
  takeHold(): Promise<void> | undefined {
    const hold = this.#hold;
    this.#hold = undefined;
    if (hold) this.#reached.resolve();
    return hold;
  }

  /** LSN ranges written, in order, to check exactly-once. */
  ranges(): string[] {
    return this.batches.map((b) => `${b.lsnStart}-${b.lsnEnd}`);
  }
}

/** Faults to inject; read at call time, so a test can change them between steps. */
export interface CdcFaults {
  checkpoint?: Fault | undefined;
  shutdown?: Fault | undefined;
  start?: Fault | undefined;
  /** Fail `start` only on the n-th call (1-based). */
  startFailsOnCall?: number | undefined;
  deliver?: Fault | undefined;
  /** Streams have `detach` and the provider `adopt` (an in-memory takeover). */
  takeover?: boolean | undefined;
  detach?: Fault | undefined;
  adopt?: Fault | undefined;
  /** The layout takeovers claim (default `memory/1`, the one `adopt` reads). */
  layout?: string | undefined;
  /** Told when one of these faults fires, before it acts (a latch for a test that acts while a step hangs). */
  onFault?: ((step: string) => void) | undefined;
}

export class FixtureCdcStream implements CdcStream {
  position: bigint;
  stopped = false;
  delivered = 0;
  constructor(
    readonly version: string,
    readonly sink: MemorySink,
    fromLsn: bigint | undefined,
    private readonly faults: CdcFaults,
  ) {
    this.position = fromLsn ?? sink.durable;
    if (faults.takeover === true) (this as CdcStream).detach = () => this.#detach();
  }

  /** Hands the position over; the sink stays as it is (nothing made durable). */
  #detach(): CdcTakeover | Promise<CdcTakeover> {
    return faulty(
      this.faults.detach,
      'detach',
      (): CdcTakeover => {
        if (this.stopped) throw new Error(`detach of a stopped ${this.version} stream`);
        this.stopped = true;
        let open = true;
        const position = this.position;
        const sink = this.sink;
        return {
          output: 'memory',
          layout: this.faults.layout ?? 'memory/1',
          lsn: position,
          state: { sink, take: () => open && !(open = false) },
          close: () => {
            if (!open) throw new Error('takeover already adopted or closed');
            open = false;
            sink.durable = position;
            return position;
          },
        };
      },
      this.faults.onFault,
    );
  }

  deliver(batch: CdcBatch): void | Promise<void> {
    if (this.stopped) throw new Error(`deliver on a stopped ${this.version} stream`);
    const hold = this.sink.takeHold();
    if (hold) return hold.then(() => this.deliver(batch));
    return faulty(
      this.faults.deliver,
      'deliver',
      () => {
        if (batch.lsnEnd <= this.position) return; // already durable: exactly once
        this.sink.batches.push(batch);
        this.position = batch.lsnEnd;
        this.delivered++;
      },
      this.faults.onFault,
    );
  }

  checkpoint(): bigint | Promise<bigint> {
    return faulty(
      this.faults.checkpoint,
      'checkpoint',
      () => {
        this.sink.durable = this.position;
        return this.position;
      },
      this.faults.onFault,
    );
  }

  shutdown(): void | Promise<void> {
    return faulty(
      this.faults.shutdown,
      'shutdown',
      () => {
        this.stopped = true;
      },
      this.faults.onFault,
    );
  }
}

export function fixtureCdcOutput(
  version: string,
  sink: MemorySink,
  faults: CdcFaults = {},
): CdcOutputProvider & { streams: FixtureCdcStream[]; starts: number; adopts: number } {
  const provider = {
    name: 'memory',
    streams: [] as FixtureCdcStream[],
    starts: 0,
    adopts: 0,
    ...(faults.takeover === true
      ? {
          adopt(takeover: CdcTakeover): CdcStream | undefined | Promise<CdcStream | undefined> {
            provider.adopts++;
            return faulty(
              faults.adopt,
              'adopt',
              () => {
                if (takeover.layout !== 'memory/1') return undefined;
                const state = takeover.state as { sink: MemorySink; take: () => boolean };
                if (state.sink !== sink || !state.take()) throw new Error('not a takeover of this sink');
                const stream = new FixtureCdcStream(version, sink, takeover.lsn, faults);
                provider.streams.push(stream);
                return stream;
              },
              faults.onFault,
            );
          },
        }
      : {}),
    start(options: { fromLsn?: bigint }): CdcStream | Promise<CdcStream> {
      provider.starts++;
      const fault =
        faults.startFailsOnCall === undefined || faults.startFailsOnCall === provider.starts ? faults.start : undefined;
      return faulty(
        fault,
        'start',
        () => {
          const stream = new FixtureCdcStream(version, sink, options.fromLsn, faults);
          provider.streams.push(stream);
          return stream;
        },
        faults.onFault,
      );
    },
  };
  return provider;
}

let lsn = 0n;
/** A CDC batch of `rows` rows following the previous one. */
function nextBatch(rows = 1, start?: bigint): CdcBatch {
  const lsnStart = start ?? lsn;
  const lsnEnd = lsnStart + BigInt(rows);
  lsn = lsnEnd;
  return {
    lsnStart,
    lsnEnd,
    mutations: tableFromArrays({ id: Int32Array.from({ length: rows }, (_, i) => Number(lsnStart) + i) }).batches[0]!,
    commitTimestamp: Date.now(),
  };
}

export function batchAt(lsnStart: bigint, rows = 1): CdcBatch {
  return nextBatch(rows, lsnStart);
}

// ---------------------------------------------------------------- CRDT

/** A grow-only counter; v1 persists JSON `{k,v:1,c:{replica:count}}`. */
class CounterState implements CrdtState<{ replica: string; by: number }, number> {
  constructor(
    readonly format: 1 | 2,
    readonly counts = new Map<string, number>(),
    readonly tags = new Map<string, string>(),
  ) {}
  apply(op: { replica: string; by: number; tag?: string }): void {
    if (!(op.by > 0)) throw new Error('a grow-only counter only grows');
    this.counts.set(op.replica, (this.counts.get(op.replica) ?? 0) + op.by);
    if (op.tag !== undefined) this.tags.set(op.replica, op.tag);
  }
  merge(other: CrdtState<{ replica: string; by: number }, number>): void {
    for (const [r, c] of (other as CounterState).counts) this.counts.set(r, Math.max(c, this.counts.get(r) ?? 0));
  }
  value(): number {
    let sum = 0;
    for (const c of this.counts.values()) sum += c;
    return sum;
  }
  persist(): Uint8Array {
    const doc =
      this.format === 1
        ? { k: 'counter', v: 1, c: Object.fromEntries(this.counts) }
        : { k: 'counter', v: 2, e: [...this.counts] };
    return new TextEncoder().encode(JSON.stringify(doc));
  }
}

function readCounter(bytes: Uint8Array, format: 1 | 2): CounterState {
  const doc = JSON.parse(new TextDecoder().decode(bytes)) as {
    k?: string;
    v?: number;
    c?: Record<string, number>;
    e?: [string, number][];
  };
  if (doc.k !== 'counter') throw new Error(`not a counter (kind ${String(doc.k)})`);
  if (doc.v !== format) throw new Error(`unknown counter format ${String(doc.v)} (this version reads ${format})`);
  return new CounterState(format, new Map(format === 1 ? Object.entries(doc.c ?? {}) : (doc.e ?? [])));
}

/** Counter v1 (format 1). */
export function counterV1(
  samples?: () => Iterable<{ replica: string; by: number }[]>,
): CrdtKindProvider<{ replica: string; by: number }, number> {
  return {
    kind: 'counter',
    formatVersion: 1,
    empty: () => new CounterState(1),
    fromPersisted: (bytes) => readCounter(bytes, 1),
    ...(samples ? { samples } : {}),
  };
}

/** Counter v2 (format 2) that reads v1 through a migration. */
export function counterV2Migrating(): CrdtKindProvider<{ replica: string; by: number }, number> {
  return {
    kind: 'counter',
    formatVersion: 2,
    empty: () => new CounterState(2),
    fromPersisted: (bytes) => readCounter(bytes, 2),
    schemaCompatCheck: (old) =>
      old.formatVersion === 1
        ? Compat.afterMigration(
            (bytes) => new CounterState(2, readCounter(bytes, 1).counts).persist(),
            'counter format 1 → 2',
          )
        : Compat.compatible(),
  };
}

/** Counter v2 that claims compatibility but reads format 1 wrongly: it loses every replica except "a". Empty states round-trip fine. */
export function counterV2Lossy(): CrdtKindProvider<{ replica: string; by: number }, number> {
  return {
    kind: 'counter',
    formatVersion: 1,
    empty: () => new CounterState(1),
    fromPersisted: (bytes) => {
      const state = readCounter(bytes, 1);
      return new CounterState(1, new Map([...state.counts].filter(([r]) => r === 'a')));
    },
  };
}

/** Calls made on a {@link DeltaCounterState}, and whether the reload's gates were closed then. */
export interface CounterLog {
  readonly calls: string[];
  /** Set by a test's `quiesced` listener: calls made from then on are recorded with a `paused:` prefix. */
  paused: boolean;
  /** Marks open now (tracking costs memory until released). */
  openMarks: number;
  /** Whether marks have `changed()` (true when a replica's count changed since the mark). */
  changed: boolean;
  /** Called with each call's name as it is recorded (before the call runs). */
  onCall?: ((call: string) => void) | undefined;
  /** Faults of the delta steps. */
  readonly faults: {
    mark?: Fault | undefined;
    delta?: Fault | undefined;
    mergeDelta?: Fault | undefined;
    changed?: Fault | undefined;
  };
}

/** The counter with marks and deltas (JSON `{k:'counter-delta',c:{replica:count}}`). */
class DeltaCounterState extends CounterState {
  readonly #marks = new Set<Set<string>>();
  constructor(
    readonly log: CounterLog,
    counts?: Map<string, number>,
  ) {
    super(1, counts);
  }
  #note(call: string): void {
    this.log.calls.push(this.log.paused ? `paused:${call}` : call);
    this.log.onCall?.(call);
  }
  override apply(op: { replica: string; by: number }): void {
    super.apply(op);
    for (const touched of this.#marks) touched.add(op.replica);
  }
  override merge(other: CrdtState<{ replica: string; by: number }, number>): void {
    for (const [r, c] of (other as CounterState).counts)
      if (c > (this.counts.get(r) ?? 0)) for (const touched of this.#marks) touched.add(r);
    super.merge(other);
  }
  override persist(): Uint8Array {
    this.#note('persist');
    return super.persist();
  }
  override value(): number {
    this.#note('value');
    return super.value();
  }
  mark(): CrdtMark | Promise<CrdtMark> {
    this.#note('mark');
    return faulty(this.log.faults.mark, 'mark', () => {
      const touched = new Set<string>();
      this.#marks.add(touched);
      this.log.openMarks++;
      let open = true;
      const changed = (): boolean | Promise<boolean> => {
        this.#note('changed');
        return faulty(this.log.faults.changed, 'changed', () => touched.size > 0);
      };
      return {
        ...(this.log.changed ? { changed } : {}),
        delta: () => {
          this.#note('delta');
          return faulty(this.log.faults.delta, 'delta', () => {
            const c = Object.fromEntries([...touched].map((r) => [r, this.counts.get(r) ?? 0]));
            return new TextEncoder().encode(JSON.stringify({ k: 'counter-delta', c }));
          });
        },
        release: () => {
          if (!open) return;
          open = false;
          this.#marks.delete(touched);
          this.log.openMarks--;
        },
      };
    });
  }
  mergeDelta(delta: Uint8Array): void | Promise<void> {
    this.#note('mergeDelta');
    return faulty(this.log.faults.mergeDelta, 'mergeDelta', () => {
      const doc = JSON.parse(new TextDecoder().decode(delta)) as { k?: string; c?: Record<string, number> };
      if (doc.k !== 'counter-delta') throw new Error('not a counter delta');
      for (const [r, c] of Object.entries(doc.c ?? {})) this.counts.set(r, Math.max(c, this.counts.get(r) ?? 0));
    });
  }
}

/** Counter of format 1 whose states have `mark` and `mergeDelta`, logging their calls into `log`. */
export function deltaCounter(log: CounterLog): CrdtKindProvider<{ replica: string; by: number }, number> {
  return {
    kind: 'counter',
    formatVersion: 1,
    empty: () => new DeltaCounterState(log),
    fromPersisted: (bytes) => new DeltaCounterState(log, readCounter(bytes, 1).counts),
  };
}

/** A fresh {@link CounterLog}. */
export function counterLog(): CounterLog {
  return { calls: [], paused: false, openMarks: 0, changed: false, faults: {} };
}

// ---------------------------------------------------------------- functions

/**
 * A scalar function that answers its own version for every row (so a call shows where it ran).
 * With `hold`, each call awaits what `hold()` returns between its start and its end: a latch the
 * test releases when it wants the call to finish.
 */
export function versionFunction(
  version: string,
  log?: { version: string; phase: 'start' | 'end' }[],
  hold?: () => Promise<void> | undefined,
): ScalarFunctionProvider {
  return {
    name: 'version',
    returnType: new Utf8(),
    async invoke(args: readonly Vector[]) {
      log?.push({ version, phase: 'start' });
      const held = hold?.();
      if (held) await held;
      log?.push({ version, phase: 'end' });
      const rows = args[0]?.length ?? 1;
      return vectorFromArray(
        Array.from({ length: rows }, () => version),
        new Utf8(),
      );
    },
  };
}

export { RecordBatch, Table };
