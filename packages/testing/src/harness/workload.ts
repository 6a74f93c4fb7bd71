import type {
  CdcBatch,
  ManagedCdcStream,
  ManagedCrdt,
  ManagedIndex,
  MaybePromise,
  PluginHost,
  SurfaceKind,
} from '@baton/core';
import type { RecordBatch } from 'apache-arrow';
import { tableFromArrays } from 'apache-arrow';
import fc from 'fast-check';
import { batchDifference } from '../checks/batchEquality.js';

/** One call a simulated client makes during a reload. */
export type HarnessCall =
  | { readonly type: 'probe'; readonly query: number }
  | { readonly type: 'deliver'; readonly rows: number }
  | { readonly type: 'apply'; readonly op: number }
  | { readonly type: 'call' };

/** Calls of the kinds the harness has resources for. */
export function harnessCalls(
  kinds: { index: number; cdc: boolean; crdt: number; call: boolean },
  maxCalls: number,
): fc.Arbitrary<HarnessCall[]> {
  const options: fc.Arbitrary<HarnessCall>[] = [];
  if (kinds.index > 0)
    options.push(fc.record({ type: fc.constant('probe' as const), query: fc.nat({ max: kinds.index - 1 }) }));
  if (kinds.cdc)
    options.push(fc.record({ type: fc.constant('deliver' as const), rows: fc.integer({ min: 1, max: 3 }) }));
  if (kinds.crdt > 0)
    options.push(fc.record({ type: fc.constant('apply' as const), op: fc.nat({ max: kinds.crdt - 1 }) }));
  if (kinds.call) options.push(fc.constant({ type: 'call' as const }));
  return options.length === 0 ? fc.constant([]) : fc.array(fc.oneof(...options), { maxLength: maxCalls });
}

/** What the live resources of one case are and what they have seen. */
export interface Workload {
  readonly host: PluginHost;
  readonly index?: {
    readonly handle: ManagedIndex;
    readonly queries: readonly RecordBatch[];
    readonly k: number;
    readonly baseline: readonly RecordBatch[];
  };
  readonly cdc?: { readonly stream: ManagedCdcStream; readonly delivered: CdcBatch[]; nextLsn: bigint };
  /** The CRDT states; an `apply` call's op index runs over their ops in this order. */
  readonly crdts: { readonly state: ManagedCrdt; readonly ops: readonly unknown[]; readonly applied: unknown[] }[];
  readonly call?: {
    readonly kind: SurfaceKind;
    readonly key: string;
    readonly invoke: (provider: never) => MaybePromise<unknown>;
  };
  /** Plugin versions each `call` ran on (its start and its end), to check none ran on a retired one. */
  readonly versionsSeen: { readonly version: string; readonly endedAt: number }[];
  /** Sequence number of each version's retirement. */
  readonly retiredAt: Map<string, number>;
  sequence: number;
}

/** Runs one call; throws (failing the case) when it fails or answers differently than before. */
export async function runCall(call: HarnessCall, w: Workload): Promise<void> {
  switch (call.type) {
    case 'probe': {
      const index = w.index!;
      const answer = await index.handle.probe(index.queries[call.query]!, index.k);
      const difference = batchDifference(index.baseline[call.query]!, answer);
      if (difference)
        throw new Error(`probe of query ${call.query} answered differently than before the reload: ${difference}`);
      return;
    }
    case 'deliver': {
      const cdc = w.cdc!;
      const lsnStart = cdc.nextLsn;
      const lsnEnd = lsnStart + BigInt(call.rows);
      cdc.nextLsn = lsnEnd;
      const batch: CdcBatch = {
        lsnStart,
        lsnEnd,
        mutations: tableFromArrays({ id: Int32Array.from({ length: call.rows }, (_, i) => Number(lsnStart) + i) })
          .batches[0]!,
        commitTimestamp: 0,
      };
      cdc.delivered.push(batch);
      if (!(await cdc.stream.deliver(batch)))
        throw new Error(`batch [${lsnStart}, ${lsnEnd}) was skipped as already delivered`);
      return;
    }
    case 'apply': {
      let index = call.op;
      let crdt = w.crdts[0]!;
      for (const c of w.crdts) {
        crdt = c;
        if (index < c.ops.length) break;
        index -= c.ops.length;
      }
      const op = crdt.ops[index];
      crdt.applied.push(op);
      await crdt.state.apply(op);
      return;
    }
    case 'call': {
      const { kind, key, invoke } = w.call!;
      await w.host.call(kind, key, async (provider, plugin) => {
        await invoke(provider as never);
        w.versionsSeen.push({ version: plugin.version, endedAt: ++w.sequence });
      });
      return;
    }
  }
}

/** Describes a call for a counterexample. */
export function describeCall(call: HarnessCall): string {
  switch (call.type) {
    case 'probe':
      return `probe #${call.query}`;
    case 'deliver':
      return `deliver ${call.rows} row(s)`;
    case 'apply':
      return `apply op #${call.op}`;
    case 'call':
      return 'call';
  }
}
