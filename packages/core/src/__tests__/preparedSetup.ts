import { counterLog, deltaCounter, valuesTable } from './fixtures.js';
import type { CounterLog } from './fixtures.js';
import { testPlugin, world } from './plugins.js';
import type { PluginOptions, World } from './plugins.js';
import { createPluginHost } from '../host/pluginHost.js';
import type { CrdtKindProvider } from '../surfaces/crdtKind.js';

/** The fixture counter's op. */
export type CounterOp = { replica: string; by: number };

/** What {@link setUp} can change: the index handed over by reference, the v1 counter provider. */
export interface SetUpOptions {
  readonly byReference?: boolean;
  /** The v1 counter provider, made from the shared log (default: `deltaCounter(log)`). */
  readonly crdt?: (log: CounterLog) => CrdtKindProvider<CounterOp, number>;
}

/**
 * A host on v1 with one index and one counter (3 + 4) whose states take deltas; `log.paused`
 * follows the gates, and `openedAtQuiesce` lists how many v2 index handles existed when they closed.
 */
export async function setUp(options: SetUpOptions = {}) {
  const w: World = world();
  w.faults.index.byReference = options.byReference;
  const log = counterLog();
  const host = createPluginHost({ drainTimeoutMs: 200, stepTimeoutMs: 200 });
  await host.load(testPlugin('1.0.0', w, { crdt: (options.crdt ?? deltaCounter)(log) }));
  const index = await host.openIndex({ name: 'idx', key: 'nearest', source: valuesTable([1, 2, 3]), column: 'v' });
  const counter = await host.openCrdt<CounterOp, number>({ name: 'hits', key: 'counter' });
  await counter.apply({ replica: 'a', by: 3 });
  await counter.apply({ replica: 'b', by: 4 });
  const openedAtQuiesce: number[] = [];
  host.on('quiesced', () => {
    log.paused = true;
    openedAtQuiesce.push(w.ledger.handles.filter((h) => h.version === '2.0.0').length);
  });
  host.on('committed', () => void (log.paused = false));
  host.on('rolledBack', () => void (log.paused = false));
  log.calls.length = 0;
  return { host, w, log, index, counter, openedAtQuiesce };
}

/** Version 2.0.0 of the test plugin, its counter on the same log. */
export const v2 = (w: World, log: CounterLog, options: PluginOptions = {}) =>
  testPlugin('2.0.0', w, { crdt: deltaCounter(log), ...options });
