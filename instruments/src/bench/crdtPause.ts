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
}

/** Ops a writer applies per event-loop turn, and in the burst that lands while a reload prepares. */
const OPS_PER_TURN = 16;
const BURST = 200;

/** One host whose one live resource is an OR-Set, reloaded round by round (see {@link crdtPauseRows}). */
class SetCase {
  readonly pauses: number[] = [];
  readonly prepares: number[] = [];
  readonly deltas: number[] = [];
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
   * A set of `elements` elements. With `writer`, a writer keeps adding and removing elements
   * (`OPS_PER_TURN` per event-loop turn) until {@link close}. With `burst`, `BURST` more ops land
   * after each reload's prepare step, before its gate closes (the worst case: all of them travel in
   * the delta merged inside the pause).
   */
  static async open(elements: number, writer: boolean, burst: boolean): Promise<SetCase> {
    const host = createPluginHost();
    await host.load(setPlugin('1.0.0'));
    const set = await host.openCrdt<OrSetOp>({ name: 'members', key: 'or-set' });
    for (let i = 0; i < elements; i++) await set.apply({ replica: 'seed', add: `member-${i}` });
    const c = new SetCase(elements, host, set);
    if (writer)
      c.#writing = (async () => {
        while (!c.#stopped) {
          await Promise.all(Array.from({ length: OPS_PER_TURN }, () => c.#write()));
          await nextTurn();
        }
      })();
    if (burst) host.on('prepared', () => void c.#landed.push(...Array.from({ length: BURST }, () => c.#write())));
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
  }

  async close(): Promise<void> {
    this.#stopped = true;
    await this.#writing;
    await this.host.close();
  }
}

/** The OR-Set rows of goal 11: a 10k-element set under constant writes against an empty one. */
export async function crdtPauseRows(
  elements: number,
  rounds: number,
): Promise<{ rows: BenchRow[]; findings: string[] }> {
  const cases = [
    await SetCase.open(0, false, false),
    await SetCase.open(elements, true, false),
    await SetCase.open(elements, true, true),
  ];
  // Interleaved rounds (the order alternating), so drift in machine state hits every case alike.
  for (let round = 0; round <= rounds; round++)
    for (const c of round % 2 === 0 ? cases : [...cases].reverse()) await c.reload(round, round === 0);
  for (const c of cases) await c.close();
  const [empty, full, burst] = cases.map((c) => ({
    pauseMs: median(c.pauses),
    prepareMs: median(c.prepares),
    deltaBytes: median(c.deltas),
    writes: c.writes,
  })) as [SetPauseCase, SetPauseCase, SetPauseCase];
  const rows: BenchRow[] = [
    {
      name: `pause, ${elements / 1000}k-element OR-Set under constant writes`,
      baton: full.pauseMs,
      baseline: empty.pauseMs,
      unit: 'ms',
      baselineLabel: 'pause, empty OR-Set',
      ratio: full.pauseMs / empty.pauseMs,
      target: { on: 'ratio', cmp: '<=', value: 1.2 },
    },
    {
      name: `pause, ${elements / 1000}k-element OR-Set, ${BURST} ops landing between prepare and the gate closing`,
      baton: burst.pauseMs,
      baseline: empty.pauseMs,
      unit: 'ms',
      baselineLabel: 'pause, empty OR-Set',
      ratio: burst.pauseMs / empty.pauseMs,
    },
  ];
  const findings = [
    `OR-Set reloads (medians of ${rounds} interleaved rounds after one untimed): the ${elements}-element set was persisted, read by the ` +
      `new version and checked before the pause (prepare ${full.prepareMs.toFixed(1)} ms, against ` +
      `${empty.prepareMs.toFixed(2)} ms empty) while a writer applied ${full.writes} add/remove ops over the run ` +
      `(${OPS_PER_TURN} per event-loop turn); inside the pause only the delta since the mark was merged (median ` +
      `${full.deltaBytes} bytes: a reload of synchronous providers gives the writer no turn between its last ` +
      `pre-copy and the gate closing).`,
    'Where the rest of the difference comes from: no event-loop turn, no queued call and no garbage collection ' +
      'fall inside these pauses (checked with a turn counter and a `gc` PerformanceObserver while writing this ' +
      'bench); the catch-up merges an empty delta. Every step of the pause, the drain included, runs slower right ' +
      "after the prepare step's O(state) work (persisting, reading and comparing the 10k elements touches megabytes) " +
      'than after an empty one: the pause pays the cold caches that work leaves, not work of its own.',
    `The worst case: ${BURST} ops landing after the prepare step, before the gate closes (a 'prepared' listener ` +
      `applies them), all travel in the in-pause delta (median ${burst.deltaBytes} bytes) and the pause grows to ` +
      `${burst.pauseMs.toFixed(2)} ms: the cost of the changes, not of the ${elements} elements. Most of it is ` +
      'code that runs once per reload and so runs cold; the same merge warmed up takes a fraction of a millisecond.',
  ];
  return { rows, findings };
}
