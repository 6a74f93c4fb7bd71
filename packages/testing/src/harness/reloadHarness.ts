import { isDeepStrictEqual } from 'node:util';
import { createPluginHost, isReloadError } from '@baton/core';
import type {
  CrdtKindProvider,
  MaybePromise,
  PluginDefinition,
  PluginHostOptions,
  ReloadError,
  SurfaceKind,
} from '@baton/core';
import type { RecordBatch, Table } from 'apache-arrow';
import fc from 'fast-check';
import { lsnRanges } from '../arbitraries/cdcBatches.js';
import { stateOf } from '../arbitraries/crdtOps.js';
import { batchDifference } from '../checks/batchEquality.js';
import { fail, show } from '../checks/describe.js';
import { assertParameters } from '../checks/runOptions.js';
import type { RunOptions } from '../checks/runOptions.js';
import { describeFault, faultPlans } from '../faults/faultPlan.js';
import type { FaultPlan } from '../faults/faultPlan.js';
import { FaultSwitch } from '../faults/faultSwitch.js';
import { withFaults } from '../faults/withFaults.js';
import { describeCall, harnessCalls, runCall } from './workload.js';
import type { HarnessCall, Workload } from './workload.js';

/** One case's world: the two versions of the plugin, over a fresh environment (sink directory, …). */
export interface HarnessSetup {
  readonly old: PluginDefinition;
  readonly next: PluginDefinition;
  /** What reached the CDC sink durably, in order (needed when `resources.cdc` is given). */
  readonly readSink?: () => MaybePromise<readonly { readonly lsnStart: bigint; readonly lsnEnd: bigint }[]>;
  readonly dispose?: () => MaybePromise<void>;
}

/** A CRDT state the simulated host opens and the operations its callers apply. */
export interface HarnessCrdt {
  /** Registry key of the CRDT kind. */
  readonly key: string;
  /** Operations the simulated callers apply to the state (`apply` calls pick them by index). */
  readonly ops: readonly unknown[];
}

/** The CRDTs of `resources` as a list. */
function crdtsOf(resources: HarnessResources): readonly HarnessCrdt[] {
  const crdt = resources.crdt;
  return crdt === undefined ? [] : 'key' in crdt ? [crdt] : crdt;
}

/** The live resources the simulated host opens from the old version and uses throughout. */
export interface HarnessResources {
  readonly index?: {
    /** Registry key of the index kind (as in `host.openIndex`). */
    readonly key: string;
    readonly source: Table | RecordBatch;
    readonly column: string;
    readonly params?: Readonly<Record<string, unknown>>;
    readonly queries: readonly RecordBatch[];
    readonly k: number;
  };
  readonly cdc?: { /** Registry key of the CDC output. */ readonly key: string };
  /**
   * CRDT states to open and update: one, or several (e.g. one migrated inside the pause and one
   * moved by delta before it). Apply calls pick among all their ops.
   */
  readonly crdt?: HarnessCrdt | readonly HarnessCrdt[];
  readonly call?: {
    readonly kind: SurfaceKind;
    readonly key: string;
    readonly invoke: (provider: never) => MaybePromise<unknown>;
  };
}

/** What one case did: the fault that fired (if any), how the reload ended, the calls it served. */
export interface HarnessCaseResult {
  readonly fired: FaultPlan | undefined;
  readonly outcome: 'committed' | 'rolledBack';
  /** The error code of a rolled-back reload. */
  readonly code: string | undefined;
  readonly calls: number;
}

/** Options of a {@link ReloadHarness}. */
export interface ReloadHarnessOptions {
  /** A fresh world per case. */
  readonly setup: () => MaybePromise<HarnessSetup>;
  readonly resources: HarnessResources;
  /** Faults to inject, or undefined for none (default: every step, throw/reject/abort/garbage). */
  readonly faults?: fc.Arbitrary<FaultPlan | undefined>;
  /** Concurrent calls per case at most (default 16). */
  readonly maxCalls?: number;
  /** Host settings (e.g. short `stepTimeoutMs` and `prepareTimeoutMs` when plans include `hang`). */
  readonly host?: PluginHostOptions;
}

/**
 * A simulated host that runs a reload of a plugin under concurrent callers, CDC traffic, index probes
 * and CRDT updates, with a generated fault plan and a generated interleaving (`fc.scheduler`), and
 * checks the promises Baton makes: no call failed; every call ran on a version that was not yet
 * retired; a fault fails the reload with a `ReloadError` and the old version keeps serving, while a
 * clean reload commits; every CDC batch reached the sink exactly once; index answers never changed;
 * CRDT updates were not lost.
 */
export class ReloadHarness {
  readonly #options: ReloadHarnessOptions;

  constructor(options: ReloadHarnessOptions) {
    this.#options = options;
  }

  /** Runs generated cases; throws a readable counterexample on the first broken promise. */
  async check(options: RunOptions = {}): Promise<void> {
    const r = this.#options.resources;
    const calls = harnessCalls(
      {
        index: r.index?.queries.length ?? 0,
        cdc: r.cdc !== undefined,
        crdt: crdtsOf(r).reduce((n, c) => n + c.ops.length, 0),
        call: r.call !== undefined,
      },
      this.#options.maxCalls ?? 16,
    );
    const faults =
      this.#options.faults ??
      fc.option(faultPlans({ modes: ['throw', 'reject', 'abort', 'garbage'] }), { nil: undefined });
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), calls, faults, async (s, workload, fault) => {
        await this.runCase(s, workload, fault);
      }),
      assertParameters({ numRuns: 50, ...options }),
    );
  }

  /** Runs one case (exposed to replay a failing case, or to run a chosen fault matrix); throws on a broken promise. */
  async runCase(
    s: fc.Scheduler,
    calls: readonly HarnessCall[],
    fault: FaultPlan | undefined,
  ): Promise<HarnessCaseResult> {
    const setup = await this.#options.setup();
    const faults = new FaultSwitch();
    const retiredAt = new Map<string, number>();
    const w: { -readonly [K in keyof Workload]: Workload[K] } = {
      host: createPluginHost({
        drainTimeoutMs: 10_000,
        stepTimeoutMs: 10_000,
        prepareTimeoutMs: 10_000,
        ...this.#options.host,
      }),
      versionsSeen: [],
      crdts: [],
      retiredAt,
      sequence: 0,
    };
    const probe = (plugin: PluginDefinition): PluginDefinition => ({
      ...plugin,
      register: async (r) => {
        r.onRetire(() => void retiredAt.set(plugin.version, ++w.sequence));
        await plugin.register(r);
      },
    });
    const where = `fault: ${describeFault(fault)}; calls: ${calls.map(describeCall).join(', ') || 'none'}`;
    try {
      await w.host.load(withFaults(probe(setup.old), faults));
      const { index, cdc, call } = this.#options.resources;
      const references: CrdtKindProvider[] = [];
      if (index) {
        const handle = await w.host.openIndex({
          name: 'harness.index',
          key: index.key,
          source: index.source,
          column: index.column,
          ...(index.params ? { params: index.params } : {}),
        });
        const baseline = await Promise.all(index.queries.map((q) => handle.probe(q, index.k)));
        w.index = { handle, queries: index.queries, k: index.k, baseline };
      }
      if (cdc)
        w.cdc = {
          stream: await s.waitFor(w.host.startCdc({ name: 'harness.cdc', key: cdc.key, fromLsn: 0n })),
          delivered: [],
          nextLsn: 0n,
        };
      for (const [i, crdt] of crdtsOf(this.#options.resources).entries()) {
        const reference = w.host.unleasedProvider('crdtKind', crdt.key);
        if (!reference) fail(`the old version registers no CRDT kind '${crdt.key}'`, where);
        references.push(reference);
        w.crdts.push({
          state: await w.host.openCrdt({ name: i === 0 ? 'harness.crdt' : `harness.crdt.${i}`, key: crdt.key }),
          ops: crdt.ops,
          applied: [],
        });
      }
      if (call) w.call = call;

      faults.arm(fault, { old: setup.old.version, next: setup.next.version });
      const running = calls.map((c, i) =>
        s.schedule(Promise.resolve(), `start ${describeCall(c)} #${i}`).then(() => runCall(c, w)),
      );
      const reload = s
        .schedule(Promise.resolve(), 'start the reload')
        .then(() => w.host.reload(withFaults(probe(setup.next), faults), { signal: faults.signal }));
      const settled = await s.waitFor(Promise.allSettled([reload, ...running]));

      const failed = settled
        .slice(1)
        .flatMap((r, i) =>
          r.status === 'rejected'
            ? [`${describeCall(calls[i]!)}: ${r.reason instanceof Error ? r.reason.message : show(r.reason)}`]
            : [],
        );
      if (failed.length > 0) fail('calls failed during the reload', where, ...failed);
      const outcome = settled[0];
      const fired = faults.fired;
      if (fired && outcome.status === 'fulfilled')
        fail(`the fault went unnoticed: ${describeFault(fired)}, yet the reload committed`, where);
      if (!fired && outcome.status === 'rejected') fail('a reload without a fault failed', where, show(outcome.reason));
      if (outcome.status === 'rejected' && !isReloadError(outcome.reason))
        fail('a failed reload did not reject with a ReloadError', where, show(outcome.reason));
      if (outcome.status === 'rejected') {
        const error = outcome.reason as ReloadError;
        if (!error.message.includes(`${setup.old.version} still serves`))
          fail('a failed reload did not say the old version still serves', where, error.message);
        // The error names the step that failed and the surface kind (a registration has no kind).
        // An abort is noticed by whichever step runs next: it must surface as ABORTED.
        if (fired?.mode === 'abort' && error.code !== 'ABORTED')
          fail('an aborted reload did not fail with ABORTED', where, `${error.code}: ${error.message}`);
        const callName =
          { register: 'register()', compat: 'ompatCheck()' }[fired?.step as string] ?? `${fired?.step}()`;
        const stepNamed = fired && (error.step === fired.step || error.message.includes(callName));
        if (fired && fired.mode !== 'abort' && !stepNamed)
          fail(
            `the reload error does not name the failed step '${fired.step}'`,
            where,
            `${error.code}: ${error.message}`,
          );
        if (fired && fired.step !== 'register' && error.kind === undefined && error.code !== 'ABORTED') {
          fail('the reload error does not name the surface kind', where, `${error.code}: ${error.message}`);
        }
      }
      const serving = outcome.status === 'fulfilled' ? setup.next.version : setup.old.version;
      const actual = w.host.plugins().find((p) => p.name === setup.old.name)?.version;
      if (actual !== serving) fail(`version ${show(actual)} serves, expected ${serving}`, where);
      for (const handle of [w.index?.handle, w.cdc?.stream, ...w.crdts.map((c) => c.state)]) {
        if (handle && handle.version !== serving)
          fail(`managed resource '${handle.name}' is backed by version ${handle.version}, expected ${serving}`, where);
      }
      if (outcome.status === 'fulfilled') await s.waitFor(outcome.value.retired);
      for (const seen of w.versionsSeen) {
        const retired = retiredAt.get(seen.version);
        if (retired !== undefined && retired < seen.endedAt)
          fail(`a call on version ${seen.version} was still running when that version retired`, where);
      }
      if (w.index) {
        for (const [i, query] of w.index.queries.entries()) {
          const difference = batchDifference(w.index.baseline[i]!, await w.index.handle.probe(query, w.index.k));
          if (difference) fail(`index answers changed after the reload (query ${i})`, where, difference);
        }
      }
      for (const [i, crdt] of w.crdts.entries()) {
        const expected = await (await stateOf(references[i]!, crdt.applied)).value();
        const actualValue = await crdt.state.value();
        if (!isDeepStrictEqual(expected, actualValue))
          fail(
            `CRDT updates were lost ('${crdt.state.name}')`,
            where,
            `expected ${show(expected)}`,
            `actual   ${show(actualValue)}`,
          );
      }
      faults.disarm();
      if (w.cdc) {
        await s.waitFor(w.cdc.stream.checkpoint());
        await s.waitFor(w.cdc.stream.close());
        const got = lsnRanges((await setup.readSink?.()) ?? []);
        const want = lsnRanges(w.cdc.delivered);
        if (got.join() !== want.join())
          fail(
            'the CDC sink does not hold every batch exactly once',
            where,
            `expected ${show(want)}`,
            `sink     ${show(got)}`,
          );
      }
      return {
        fired,
        outcome: outcome.status === 'fulfilled' ? 'committed' : 'rolledBack',
        code: outcome.status === 'rejected' ? (outcome.reason as ReloadError).code : undefined,
        calls: calls.length,
      };
    } finally {
      faults.disarm();
      await s.waitFor(w.host.close()).catch(() => undefined);
      await setup.dispose?.();
    }
  }
}
