import { setImmediate as nextTurn } from 'node:timers/promises';
import { createPluginHost, definePlugin } from '@baton/core';
import type { ManagedCrdt, PluginDefinition, PluginHost } from '@baton/core';
import { orSet } from '@baton/kinds';
import type { OrSetOp } from '@baton/kinds';
import type { BenchRow } from './results.js';
import { collectGarbage, median } from './stats.js';

/** A plugin version with only the OR-Set kind. */
function setPlugin(version: string): PluginDefinition {
  return definePlugin({
    name: 'bench-set',
    version,
    register(r) {
      r.crdtKind(orSet());
    },
  });
}

/** What the reloads of one OR-Set measured (medians). */
interface SetPauseCase {
  readonly pauseMs: number;
  readonly prepareMs: number;
  readonly writes: number;
  readonly deltaBytes: number;
  readonly precopyBytes: number;
  /** Reloads whose pause took no delta (the mark saw no change since the pre-copy round). */
  readonly unchanged: number;
  readonly reloads: number;
}

/** Ops a writer applies per event-loop turn, and in the burst that lands while a reload prepares. */
const OPS_PER_TURN = 16;
const BURST = 200;
/** MiB the control case reads between its prepare step and its pause (see {@link SetCaseOptions.readMiB}). */
const CONTROL_MIB = 16;

/** Sums one number per 64-byte cache line of `data`: touches all of it, allocates nothing. */
function readAll(data: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < data.length; i += 8) sum += data[i]!;
  return sum;
}

/** How one case is set up: its size, and whether ops land between its prepare step and its pause. */
interface SetCaseOptions {
  readonly elements: number;
  /** `BURST` ops land after each prepare step, before the gate closes. */
  readonly burst?: boolean;
  /**
   * A control: a `prepared` listener reads this many MiB of an array made once (no allocation, no
   * OR-Set work) after each prepare step, before the gate closes — what an O(state) prepare step
   * does to the CPU caches, and nothing else.
   */
  readonly readMiB?: number;
}

/** One host whose one live resource is an OR-Set, reloaded round by round (see {@link crdtPauseRows}). */
class SetCase {
  readonly pauses: number[] = [];
  readonly prepares: number[] = [];
  readonly deltas: number[] = [];
  readonly precopies: number[] = [];
  unchanged = 0;
  writes = 0;
  #stopped = false;
  #writing: Promise<void> = Promise.resolve();
  readonly #landed: Promise<void>[] = [];
  #next = 0;

  private constructor(
    readonly elements: number,
    private readonly host: PluginHost,
    private readonly set: ManagedCrdt<OrSetOp>,
  ) {}

  /**
   * A set of `elements` elements, and a writer that keeps adding and removing elements
   * (`OPS_PER_TURN` per event-loop turn) until {@link close}; on an empty set it adds and removes one
   * element, so the set stays empty or nearly. With `burst`, `BURST` more ops land after each
   * reload's prepare step, before its gate closes (the worst case: all of them travel in the delta
   * merged inside the pause).
   */
  static async open({ elements, burst = false, readMiB = 0 }: SetCaseOptions): Promise<SetCase> {
    const host = createPluginHost();
    await host.load(setPlugin('1.0.0'));
    const set = await host.openCrdt<OrSetOp>({ name: 'members', key: 'or-set' });
    for (let i = 0; i < elements; i++) await set.apply({ replica: 'seed', add: `member-${i}` });
    const c = new SetCase(elements, host, set);
    c.#writing = (async () => {
      while (!c.#stopped) {
        await Promise.all(Array.from({ length: OPS_PER_TURN }, () => c.#write()));
        await nextTurn();
      }
    })();
    if (burst) host.on('prepared', () => void c.#landed.push(...Array.from({ length: BURST }, () => c.#write())));
    if (readMiB > 0) {
      const data = new Float64Array((readMiB * 1024 * 1024) / 8).fill(1);
      host.on('prepared', () => {
        // Every number is 1: the sum checks the read happened (and keeps it from being optimized away).
        if (readAll(data) !== data.length / 8) throw new Error('the control read a wrong sum');
      });
    }
    return c;
  }

  #write(): Promise<void> {
    const i = this.#next++;
    const element = `member-${(i * 7919) % Math.max(1, this.elements)}`;
    this.writes++;
    return this.set.apply(i % 3 === 2 ? { remove: element } : { replica: 'writer', add: element });
  }

  /** One reload; recorded unless `warmUp`. */
  async reload(round: number, warmUp: boolean): Promise<void> {
    collectGarbage();
    for (let turn = 0; turn < 8; turn++) await nextTurn(); // a writer writes between reloads
    const result = await this.host.reload(setPlugin(`1.${round + 1}.0`));
    await result.retired;
    await Promise.all(this.#landed.splice(0));
    if (warmUp) return;
    this.pauses.push(result.timings.pauseMs);
    this.prepares.push(result.timings.prepareMs);
    const detail = result.handoffs.find((h) => h.kind === 'crdtKind')?.detail;
    if (detail?.['byDelta'] !== true) throw new Error('the OR-Set was not moved by delta');
    this.deltas.push(Number(detail['deltaBytes']));
    this.precopies.push(Number(detail['precopyBytes']));
    if (detail['changed'] === false) this.unchanged++;
  }

  async close(): Promise<void> {
    this.#stopped = true;
    await this.#writing;
    await this.host.close();
  }
}

/** The medians of one case's recorded reloads. */
function summary(c: SetCase): SetPauseCase {
  return {
    pauseMs: median(c.pauses),
    prepareMs: median(c.prepares),
    deltaBytes: median(c.deltas),
    precopyBytes: median(c.precopies),
    unchanged: c.unchanged,
    reloads: c.pauses.length,
    writes: c.writes,
  };
}

/**
 * The OR-Set rows of goal 11: a set of `elements` elements under constant writes against an empty
 * one under the same writes (judged), a set ten times larger, and a burst of ops landing between
 * prepare and pause (reported). A control case (an empty set that reads `CONTROL_MIB` MiB between
 * prepare and pause) goes in the findings: it shows what the CPU caches alone add to a pause.
 */
export async function crdtPauseRows(
  elements: number,
  rounds: number,
): Promise<{ rows: BenchRow[]; findings: string[] }> {
  const opened = {
    empty: await SetCase.open({ elements: 0 }),
    full: await SetCase.open({ elements }),
    large: await SetCase.open({ elements: elements * 10 }),
    burst: await SetCase.open({ elements, burst: true }),
    control: await SetCase.open({ elements: 0, readMiB: CONTROL_MIB }),
  };
  const cases = Object.values(opened);
  // Interleaved rounds (the order alternating), so drift in machine state hits every case alike.
  for (let round = 0; round <= rounds; round++)
    for (const c of round % 2 === 0 ? cases : [...cases].reverse()) await c.reload(round, round === 0);
  for (const c of cases) await c.close();
  // By name, not by position: a case added to `opened` cannot shift the others' figures.
  const { empty, full, large, burst, control } = Object.fromEntries(
    Object.entries(opened).map(([name, c]) => [name, summary(c)]),
  ) as Record<keyof typeof opened, SetPauseCase>;
  const k = (n: number): string => `${n / 1000}k`;
  /** What the pauses of a case merged, as measured: how many took no delta, and the median merged. */
  const inPause = (c: SetPauseCase): string =>
    `the pause took no delta in ${c.unchanged} of ${c.reloads} reloads (median ${c.deltaBytes} bytes merged)`;
  const vsEmpty = { baseline: empty.pauseMs, unit: 'ms', baselineLabel: 'pause, empty OR-Set under the same writes' };
  const rows: BenchRow[] = [
    {
      name: `pause, ${k(elements)}-element OR-Set under constant writes`,
      baton: full.pauseMs,
      ...vsEmpty,
      ratio: full.pauseMs / empty.pauseMs,
      target: { on: 'ratio', cmp: '<=', value: 1.2 },
    },
    {
      name: `pause, ${k(elements * 10)}-element OR-Set under constant writes`,
      baton: large.pauseMs,
      ...vsEmpty,
      ratio: large.pauseMs / empty.pauseMs,
    },
    {
      name: `pause, ${k(elements)}-element OR-Set, ${BURST} ops landing between prepare and the gate closing`,
      baton: burst.pauseMs,
      ...vsEmpty,
      ratio: burst.pauseMs / empty.pauseMs,
    },
  ];
  const findings = [
    `OR-Set reloads (medians of ${rounds} interleaved rounds after one untimed; every set has a writer applying ` +
      `${OPS_PER_TURN} add/remove ops per event-loop turn, ${full.writes} over the run on the ${elements}-element ` +
      'set, and on the empty set adding and removing one element): the set was persisted, read by the new ' +
      `version and checked before the pause (prepare ${full.prepareMs.toFixed(1)} ms, against ` +
      `${empty.prepareMs.toFixed(2)} ms empty and ${large.prepareMs.toFixed(1)} ms for ${elements * 10} elements); ` +
      'a pre-copy round right before the gate closed merged what changed since and moved the mark ' +
      `(median ${full.precopyBytes} bytes); inside the pause the fresh mark said whether anything changed ` +
      'since (the round and the gate closing share one run of promise callbacks, so the writer gets no turn ' +
      `between them): ${inPause(full)}.`,
    'Why the pause of a large set is still longer than the empty one, though it runs the same steps: ' +
      "the CPU caches. Prepare's O(state) work (the persisted bytes read twice, the values compared, the " +
      'elements indexed: megabytes of memory touched) evicts the code and data the pause then runs (drain, ' +
      "dispatch, the mark's changed(), commit, the promise machinery) from the caches, and every step of the " +
      'pause, the drain included, runs slower (in a scratch trace made while writing this bench, the encoding ' +
      'and merging of the delta slowed most; the pause skips them when the mark saw no change). ' +
      `The control: an empty set whose 'prepared' listener only reads a ` +
      `${CONTROL_MIB} MiB array before the gate closes (no allocation, no OR-Set work, the same steps in the ` +
      `pause) pauses ${control.pauseMs.toFixed(3)} ms, ${(control.pauseMs / empty.pauseMs).toFixed(2)}× the ` +
      `empty set (the ${elements}-element set: ${(full.pauseMs / empty.pauseMs).toFixed(2)}×). ` +
      `Ten times the elements adds ${((large.pauseMs / full.pauseMs - 1) * 100).toFixed(0)}% to the pause.`,
    'Ruled out while writing this bench (2-core VM): an event-loop turn, a queued call, a garbage collection ' +
      'or a state-sized provider call inside the pause (a turn counter, a `gc` PerformanceObserver, every ' +
      "provider call timed); V8's background threads and JIT (the ratio is the same under --single-threaded, " +
      '--single-threaded-gc, --no-incremental-marking and --jitless); the thread moving between cores (same when ' +
      'pinned with taskset); the allocation (reading memory without allocating, as the control does, is ' +
      "enough). The pause's slowdown grows with the memory read before it, once that is more than this CPU's " +
      'L2 cache. It is not specific to Baton: outside it, a chain of promise callbacks runs slower right after ' +
      'reading memory or sleeping, and hardly after arithmetic that touches no memory. What brings the cases ' +
      'together is warm caches: a small unrelated reload just before the gate closes, or a full garbage ' +
      'collection between prepare and pause (which doubles every pause). Those were experiments made while ' +
      'writing this bench, not measured on each run (the control case above is); neither is a production step, ' +
      'so the bench does neither.',
    `${BURST} ops landing after the prepare step, before the gate closes (a 'prepared' listener applies them): ` +
      `the pre-copy round carried them (median ${burst.precopyBytes} bytes), and ${inPause(burst)}; the pause ` +
      `is ${burst.pauseMs.toFixed(2)} ms. Before the round existed, all of them were merged inside the pause.`,
  ];
  return { rows, findings };
}
