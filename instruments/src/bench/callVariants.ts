import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Int32, Utf8, vectorFromArray } from 'apache-arrow';
import type { RecordBatch, Vector } from 'apache-arrow';
import { createPluginHost, definePlugin } from '@baton/core';
import type {
  CdcOutputProvider,
  CdcStream,
  CrdtState,
  IndexHandle,
  MaybePromise,
  ScalarFunctionProvider,
} from '@baton/core';
import { fileCdcOutput, flatVectorIndex, gCounter, lowerFunction } from '@baton/kinds';
import type { GCounterOp } from '@baton/kinds';
import { batchAt, fakeCdcOutput } from './fakeCdc.js';
import { queryBatch, VECTOR_COLUMN, vectorTable } from './vectorData.js';

/** A variant: `calls` sequential awaited calls per timed sample (the harness's cost spread over them). */
export interface Variant {
  readonly calls: number;
  readonly run: () => Promise<void>;
}

/** Every variant goal 1 measures, and how to tear the host down afterwards. */
export interface CallVariants {
  readonly variants: Readonly<Record<VariantName, Variant>>;
  close(): Promise<void>;
}

/** The variants, by name. */
export type VariantName =
  | 'directNoop'
  | 'refNoop'
  | 'hostNoop'
  | 'leasePerCallNoop'
  | 'tryFinallyNoop'
  | 'heldLeaseNoop'
  | 'floorNoop'
  | 'directCrdt'
  | 'managedCrdt'
  | 'directLower'
  | 'refLower'
  | 'directProbe'
  | 'managedProbe'
  | 'directDeliver'
  | 'managedDeliver'
  | 'directDeliverNoop'
  | 'managedDeliverNoop';

const loop = (calls: number, call: () => unknown): Variant => ({
  calls,
  run: async () => {
    for (let i = 0; i < calls; i++) await call();
  },
});

/**
 * A host with one plugin providing a no-op async scalar function, `lower()`, a flat vector index
 * kind, the G-Counter, a file CDC output and one that does nothing, and every call variant of goal 1: each Baton path
 * beside a direct call of the very same provider object, handle or state.
 */
export async function callVariants(): Promise<CallVariants> {
  const result = vectorFromArray([1], new Int32());
  const noop: ScalarFunctionProvider = { name: 'noop', returnType: new Int32(), invoke: async () => result };
  const lower = lowerFunction();
  const names = [
    vectorFromArray(
      Array.from({ length: 64 }, (_, i) => `Name-${i} ÄÖÜ`),
      new Utf8(),
    ),
  ];
  const noArgs: Vector[] = [];
  const directory = mkdtempSync(join(tmpdir(), 'baton-bench-calls-'));
  const cdc = fileCdcOutput({ name: 'sink', directory });
  const noopCdc = fakeCdcOutput('noop-sink', 0);
  // Capture what the host makes, so the direct calls go to the very same objects.
  let handle: IndexHandle | undefined;
  let state: CrdtState<GCounterOp, number> | undefined;
  const streams = new Map<string, CdcStream>();
  /** `provider`, remembering the stream it starts (the direct deliveries go to that stream). */
  const capture = (provider: CdcOutputProvider): CdcOutputProvider => ({
    name: provider.name,
    start: async (options) => {
      const stream = await provider.start(options);
      streams.set(provider.name, stream);
      return stream;
    },
  });
  const index = flatVectorIndex();
  const host = createPluginHost();
  await host.load(
    definePlugin({
      name: 'bench-calls',
      version: '1.0.0',
      register(r) {
        r.scalarFunction(noop).scalarFunction(lower).cdcOutput(capture(cdc)).cdcOutput(capture(noopCdc));
        r.indexKind({
          kind: index.kind,
          open: (b, o) => index.open(b, o),
          build: (s, o) => (handle = index.build(s, o)),
        });
        r.crdtKind({ ...gCounter(), empty: () => (state = gCounter().empty()) });
      },
    }),
  );
  const managedIndex = await host.openIndex({
    name: 'i',
    key: index.kind,
    source: vectorTable(1024, 64),
    column: VECTOR_COLUMN,
  });
  const managedCrdt = await host.openCrdt<GCounterOp, number>({ name: 'c', key: gCounter().kind });
  const managedStream = await host.startCdc({ name: 's', key: 'sink', fromLsn: 0n });
  const managedNoopStream = await host.startCdc({ name: 'n', key: 'noop-sink', fromLsn: 0n });
  const [directStream, directNoopStream] = [streams.get('sink'), streams.get('noop-sink')];
  if (!handle || !state || !directStream || !directNoopStream)
    throw new Error('the plugin did not build the index, the CRDT state or the CDC streams');
  const [directIndex, directState] = [handle, state];
  const query: RecordBatch = queryBatch(1, 64);
  const op: GCounterOp = { replica: 'r', by: 1 };
  const noopRef = host.surface('scalarFunction', 'noop');
  const lowerRef = host.surface('scalarFunction', 'lower');
  const invokeNoop = (f: ScalarFunctionProvider): MaybePromise<Vector> => f.invoke(noArgs);
  const invokeLower = (f: ScalarFunctionProvider): MaybePromise<Vector> => f.invoke(names);
  // Maintained by the calls as a lease's bookkeeping would be (the cost measured), never read.
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  let inFlight = 0;
  const release = (): void => {
    inFlight--;
  };
  // One LSN sequence per stream, shared by its direct and managed deliveries (each batch is new to
  // the stream; the managed handle's cursor only sees its own, which are always ahead of it).
  let [fileLsn, noopLsn] = [0n, 0n];

  const variants: Record<VariantName, Variant> = {
    directNoop: loop(1000, () => noop.invoke(noArgs)),
    refNoop: loop(1000, () => noopRef.call(invokeNoop)),
    hostNoop: loop(1000, () => host.call('scalarFunction', 'noop', invokeNoop)),
    leasePerCallNoop: {
      calls: 1000,
      run: async () => {
        for (let i = 0; i < 1000; i++) {
          const lease = noopRef.acquire();
          try {
            await lease.provider.invoke(noArgs);
          } finally {
            lease.release();
          }
        }
      },
    },
    tryFinallyNoop: {
      calls: 1000,
      run: async () => {
        for (let i = 0; i < 1000; i++) {
          try {
            await noop.invoke(noArgs);
          } finally {
            inFlight = 0; // a store, as lease.release() does in the lease-per-call variant
          }
        }
      },
    },
    heldLeaseNoop: {
      calls: 1000,
      run: async () => {
        const lease = noopRef.acquire();
        try {
          for (let i = 0; i < 1000; i++) await lease.provider.invoke(noArgs);
        } finally {
          lease.release();
        }
      },
    },
    floorNoop: loop(1000, () => {
      inFlight++;
      const p = noop.invoke(noArgs) as Promise<Vector>;
      p.then(release, release);
      return p;
    }),
    directCrdt: loop(1000, () => directState.apply(op)),
    managedCrdt: loop(1000, () => managedCrdt.apply(op)),
    directLower: loop(100, () => lower.invoke(names)),
    refLower: loop(100, () => lowerRef.call(invokeLower)),
    directProbe: loop(10, () => directIndex.probe(query, 10)),
    managedProbe: loop(10, () => managedIndex.probe(query, 10)),
    directDeliver: loop(400, () => directStream.deliver(batchAt(fileLsn++))),
    managedDeliver: loop(400, () => managedStream.deliver(batchAt(fileLsn++))),
    directDeliverNoop: loop(1000, () => directNoopStream.deliver(batchAt(noopLsn++))),
    managedDeliverNoop: loop(1000, () => managedNoopStream.deliver(batchAt(noopLsn++))),
  };
  return {
    variants,
    close: async () => {
      await host.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
