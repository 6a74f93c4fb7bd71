import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { definePlugin } from '@baton/core';
import type { CdcOutputProvider, IndexHandle, IndexKindProvider, MaybePromise, PluginDefinition } from '@baton/core';
import { bundlePluginDirectory, generateSigningKey, loadPluginVersion, trustedKey } from '@baton/core/loader';
import * as kinds from '@baton/kinds';
import { fileCdcOutput, flatVectorIndex, gCounter, lowerFunction, orSet, readFileSink } from '@baton/kinds';
import { ReloadHarness, describeFault, faultStepKinds, faultSteps, harnessCalls, vectorBatch } from '@baton/testing';
import type { FaultMode, FaultPlan, FaultStep, HarnessResources } from '@baton/testing';
import { Utf8, vectorFromArray } from 'apache-arrow';
import fc from 'fast-check';

/**
 * How the plugin's index and CDC output move on reload: `byReference` as shipped (index snapshot →
 * adopt, CDC stream detach → adopt), `byCopy` with those hooks hidden (index persist → open, CDC
 * checkpoint → shutdown → start). CRDTs are the same in both: a g-counter migrated inside the pause
 * and an or-set moved by delta before it. The `byReference` versions are loaded as shipped too: from
 * signed bundled artifacts (see `bundledVersions`), so every fault there runs in code loaded outside
 * Node's module map.
 */
export type MatrixWorld = 'byReference' | 'byCopy';

/** One cell of the matrix: a fault plan, how often it ran and fired, and what the reloads answered. */
export interface MatrixCell {
  readonly world: MatrixWorld;
  readonly plan: FaultPlan;
  readonly cases: number;
  readonly fired: number;
  readonly codes: Readonly<Record<string, number>>;
}

/** What the whole matrix found. */
export interface FaultMatrixResult {
  readonly cells: readonly MatrixCell[];
  readonly cases: number;
  readonly faultsInjected: number;
  readonly calls: number;
  readonly failures: readonly string[];
}

/** `provider` whose handles have no `snapshot` and which has no `adopt`: reloads persist and open. */
function withoutSnapshots(provider: IndexKindProvider): IndexKindProvider {
  const plain = async (handle: MaybePromise<IndexHandle>): Promise<IndexHandle> => {
    const h = await handle;
    return { probe: (q, k) => h.probe(q, k), persist: (o) => h.persist(o), close: () => h.close() };
  };
  return {
    kind: provider.kind,
    build: (source, options) => plain(provider.build(source, options)),
    open: (bytes, options) => plain(provider.open(bytes, options)),
  };
}

/** `provider` whose streams have no `detach` and which has no `adopt`: reloads checkpoint and restart. */
function withoutTakeovers(provider: CdcOutputProvider): CdcOutputProvider {
  return {
    name: provider.name,
    async start(options) {
      const s = await provider.start(options);
      return { deliver: (b) => s.deliver(b), checkpoint: (o) => s.checkpoint(o), shutdown: (o) => s.shutdown(o) };
    },
  };
}

/** The source of the `byReference` plugin, bundled: the same surfaces as {@link plugin} builds. */
const BUNDLE_SOURCE = `import { definePlugin } from '@baton/core';
import { fileCdcOutput, flatVectorIndex, gCounter, lowerFunction, orSet } from '@baton/kinds';
import env from 'baton-matrix-env';
export default definePlugin({
  name: 'engine',
  version: VERSION,
  register(r) {
    r.scalarFunction(lowerFunction());
    r.indexKind(flatVectorIndex());
    r.cdcOutput(fileCdcOutput({ name: 'audit', directory: env.directory, bufferBytes: 128 }));
    r.crdtKind(VERSION === '1.0.0' ? gCounter() : gCounter({ format: 2 }));
    r.crdtKind(orSet());
  },
});
`;

/**
 * Versions 1.0.0 and 2.0.0 of the `byReference` plugin as signed bundled artifacts under `root`,
 * and how to load one for a case: its CDC directory reaches it as the shared module `baton-matrix-env`.
 */
async function bundledVersions(
  root: string,
): Promise<(version: string, directory: string) => Promise<PluginDefinition>> {
  const key = generateSigningKey();
  const dirs = new Map<string, string>();
  for (const version of ['1.0.0', '2.0.0']) {
    const source = join(root, `src-${version}`);
    await mkdir(source, { recursive: true });
    await writeFile(join(source, 'index.js'), `const VERSION = '${version}';\n${BUNDLE_SOURCE}`);
    await writeFile(join(source, 'baton-plugin.json'), JSON.stringify({ name: 'engine', version, entry: 'index.js' }));
    const out = join(root, `bundle-${version}`);
    await bundlePluginDirectory(source, out, {
      privateKeyPem: key.privateKeyPem,
      external: ['@baton/kinds', 'baton-matrix-env'],
    });
    dirs.set(version, out);
  }
  const trustedKeys = [trustedKey(key.publicKeyPem)];
  return async (version, directory) =>
    (
      await loadPluginVersion(dirs.get(version)!, {
        trustedKeys,
        shared: { '@baton/kinds': kinds, 'baton-matrix-env': { directory } },
      })
    ).definition;
}

function plugin(version: string, directory: string, world: MatrixWorld): PluginDefinition {
  const index = flatVectorIndex();
  const cdc = fileCdcOutput({ name: 'audit', directory, bufferBytes: 128 });
  return definePlugin({
    name: 'engine',
    version,
    register(r) {
      r.scalarFunction(lowerFunction());
      r.indexKind(world === 'byReference' ? index : withoutSnapshots(index));
      r.cdcOutput(world === 'byReference' ? cdc : withoutTakeovers(cdc));
      // Two CRDTs: the g-counter migrates (format 1 → 2), so it moves inside the pause; the or-set
      // needs no migration and moves by delta (mark → persist → read → pre-copy, catch-up inside).
      r.crdtKind(version === '1.0.0' ? gCounter() : gCounter({ format: 2 }));
      r.crdtKind(orSet());
    },
  });
}

const vectors = Float32Array.from({ length: 40 * 4 }, (_, i) => Math.sin(i * 1.7));
const resources: HarnessResources = {
  index: {
    key: 'flat-vector',
    source: vectorBatch('embedding', 4, vectors),
    column: 'embedding',
    queries: [vectorBatch('vector', 4, vectors.slice(0, 8))],
    k: 3,
  },
  cdc: { key: 'audit' },
  crdt: [
    {
      key: 'g-counter',
      ops: [
        { replica: 'h', by: 1 },
        { replica: 'h', by: 4 },
      ],
    },
    {
      key: 'or-set',
      ops: [
        { replica: 'h', add: 'x' },
        { replica: 'h', remove: 'x' },
        { replica: 'h', add: 'y' },
      ],
    },
  ],
  call: {
    kind: 'scalarFunction',
    key: 'lower',
    invoke: (f: { invoke(a: unknown[]): unknown }) => f.invoke([vectorFromArray(['A'], new Utf8())]),
  },
};

/**
 * Every reload step × every way to fail (throw, reject, hang, abort, garbage where a value is used),
 * each under several generated interleavings of concurrent calls, through the `ReloadHarness` of
 * @baton/testing: a fault must fail the reload with a `ReloadError` naming the step and kind, no call
 * may fail, and the old version must keep serving with its resources intact.
 */
export async function runFaultMatrix(interleavings: number, seed = 1): Promise<FaultMatrixResult> {
  const artifacts = await mkdtemp(join(tmpdir(), 'baton-matrix-artifacts-'));
  try {
    return await matrix(interleavings, seed, await bundledVersions(artifacts));
  } finally {
    await rm(artifacts, { recursive: true, force: true });
  }
}

async function matrix(
  interleavings: number,
  seed: number,
  bundled: (version: string, directory: string) => Promise<PluginDefinition>,
): Promise<FaultMatrixResult> {
  const harness = (world: MatrixWorld): ReloadHarness =>
    new ReloadHarness({
      setup: async () => {
        const directory = await mkdtemp(join(tmpdir(), 'baton-matrix-'));
        return {
          old: world === 'byReference' ? await bundled('1.0.0', directory) : plugin('1.0.0', directory, world),
          next: world === 'byReference' ? await bundled('2.0.0', directory) : plugin('2.0.0', directory, world),
          readSink: async () => (await readFileSink(directory)).batches,
          dispose: () => rm(directory, { recursive: true, force: true }),
        };
      },
      resources,
      host: { stepTimeoutMs: 200, prepareTimeoutMs: 200, compatTimeoutMs: 1_000 },
    });
  const harnesses = { byReference: harness('byReference'), byCopy: harness('byCopy') };
  const modes: FaultMode[] = ['throw', 'reject', 'hang', 'abort', 'garbage'];
  // Steps whose return value is not used: garbage is no fault there.
  const unused = new Set(['register', 'shutdown', 'mergeDelta']);
  const cells: MatrixCell[] = [];
  const failures: string[] = [];
  let calls = 0;
  const schedules = fc.sample(
    fc.tuple(fc.scheduler(), harnessCalls({ index: 1, cdc: true, crdt: 5, call: true }, 10)),
    { numRuns: interleavings * 64, seed },
  );
  let next = 0;
  const present = new Set(['indexKind', 'crdtKind', 'cdcOutput']); // the kinds the harness plugin has
  // The index and CDC steps of the by-copy path run only where those hooks are hidden; every other step where they are not.
  const byCopy = (step: FaultStep, kind?: string): boolean =>
    (step === 'persist' && kind === 'indexKind') || ['open', 'checkpoint', 'shutdown', 'start'].includes(step);
  const targets = faultSteps.flatMap((step): { step: FaultStep; kind?: string }[] => {
    const kinds = faultStepKinds[step].filter((k) => present.has(k));
    return kinds.length === 0 ? [{ step }] : kinds.map((kind) => ({ step, kind }));
  });
  for (const target of targets) {
    const step = target.step;
    const world: MatrixWorld = byCopy(step, target.kind) ? 'byCopy' : 'byReference';
    for (const mode of modes) {
      if (mode === 'garbage' && unused.has(step)) continue;
      const plan: FaultPlan = { ...target, mode };
      const codes: Record<string, number> = {};
      let fired = 0;
      for (let i = 0; i < interleavings; i++) {
        const [scheduler, workload] = schedules[next++ % schedules.length]!;
        try {
          const result = await harnesses[world].runCase(scheduler, workload, plan);
          if (result.fired) fired++;
          calls += result.calls;
          codes[result.code ?? 'committed'] = (codes[result.code ?? 'committed'] ?? 0) + 1;
        } catch (error) {
          failures.push(
            `${describeFault(plan)} (${world}): ${error instanceof Error ? error.message.split('\n').slice(0, 3).join(' | ') : String(error)}`,
          );
        }
      }
      cells.push({ world, plan, cases: interleavings, fired, codes });
    }
  }
  return {
    cells,
    cases: cells.reduce((n, c) => n + c.cases, 0),
    faultsInjected: cells.reduce((n, c) => n + c.fired, 0),
    calls,
    failures,
  };
}
