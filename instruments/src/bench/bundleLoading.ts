/**
 * Goal 12: a plugin loaded from a bundled artifact (evaluated outside the ES module map, so a
 * retired version is garbage collected) against the same plugin loaded as an ES module: the cost
 * of a call into it (judged), and of loading a new version (verify + evaluate, against verify +
 * install + import; reported).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPluginHost } from '@baton/core';
import type { PluginHost } from '@baton/core';
import {
  bundlePluginDirectory,
  generateSigningKey,
  loadPluginVersion,
  signPluginDirectory,
  trustedKey,
} from '@baton/core/loader';
import type { BenchRow, GoalSection } from './results.js';
import { median } from './stats.js';

/** Options of {@link benchBundleLoading}. */
export interface BundleLoadingOptions {
  /** Rounds of timed calls (each variant, alternating order) and calls per round. */
  readonly rounds: number;
  readonly callsPerRound: number;
  /** New versions loaded per variant for the load rows. */
  readonly loads: number;
}

/**
 * Version `v` of plugin `bench-dot`: one background job whose tick is a 4096-element dot product over
 * module-level data (work enough that the plugin's own code, not the call path, is what is compared).
 */
function source(v: number): string {
  return (
    `const weights = Float64Array.from({ length: 4096 }, (_, i) => (i % 7) / 7 + ${v});\n` +
    'const input = Float64Array.from({ length: 4096 }, (_, i) => i / 4096);\n' +
    'function dot() { let s = 0; for (let i = 0; i < 4096; i++) s += weights[i] * input[i]; return s; }\n' +
    `export default { name: 'bench-dot', version: '${v}.0.0', register(r) {\n` +
    "  r.backgroundJob({ name: 'dot', intervalMs: 3600000, tick: dot });\n" +
    '} };\n'
  );
}

const draft = (v: number, entry: string) => ({ name: 'bench-dot', version: `${v}.0.0`, entry });

/** Artifacts of version `v`: an ES module one and a bundled one, signed with `key`. */
async function artifacts(root: string, v: number, key: string): Promise<{ esm: string; bundle: string }> {
  const esm = join(root, `esm-${v}`);
  await mkdir(esm, { recursive: true });
  await writeFile(join(esm, 'package.json'), '{ "type": "module" }\n');
  await writeFile(join(esm, 'index.js'), source(v));
  await signPluginDirectory(esm, key, draft(v, 'index.js'));
  const src = join(root, `src-${v}`);
  await mkdir(src, { recursive: true });
  await writeFile(join(src, 'index.js'), source(v));
  await writeFile(join(src, 'baton-plugin.json'), JSON.stringify(draft(v, 'index.js')));
  const bundle = join(root, `bundle-${v}`);
  await bundlePluginDirectory(src, bundle, { privateKeyPem: key });
  return { esm, bundle };
}

/** Nanoseconds per call of `calls` sequential awaited ticks through `host`. */
async function timeCalls(host: PluginHost, calls: number): Promise<number> {
  const ref = host.surface('backgroundJob', 'dot');
  const context = { signal: new AbortController().signal, tick: 1, version: 'bench' };
  const t = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) await ref.call((job) => job.tick(context));
  const ns = Number(process.hrtime.bigint() - t) / calls;
  return ns;
}

/** Goal 12 (see the module comment). */
export async function benchBundleLoading(options: BundleLoadingOptions): Promise<Omit<GoalSection, 'seconds'>> {
  const root = await mkdtemp(join(tmpdir(), 'baton-bench-bundle-'));
  const runtime = fileURLToPath(new URL(`../../.baton-runtime/bench-bundle-${process.pid}`, import.meta.url));
  const pair = generateSigningKey();
  const trusted = { trustedKeys: [trustedKey(pair.publicKeyPem)], runtimeDirectory: runtime };
  const hosts = { esm: createPluginHost(), bundle: createPluginHost() };
  try {
    const first = await artifacts(root, 1, pair.privateKeyPem);
    await hosts.esm.load((await loadPluginVersion(first.esm, trusted)).definition);
    await hosts.bundle.load((await loadPluginVersion(first.bundle, trusted)).definition);
    const ns = { esm: [] as number[], bundle: [] as number[] };
    const order = ['esm', 'bundle'] as const;
    for (let round = 0; round <= options.rounds; round++)
      for (const variant of round % 2 === 0 ? order : [...order].reverse()) {
        const perCall = await timeCalls(hosts[variant], options.callsPerRound);
        if (round > 0) ns[variant].push(perCall); // round 0 warms up
      }
    // Loading: a new version each time (an ES module of the same bytes would come from Node's cache).
    const loadMs = { esm: [] as number[], bundle: [] as number[] };
    for (let i = 0; i < options.loads; i++) {
      const next = await artifacts(root, 2 + i, pair.privateKeyPem);
      for (const variant of i % 2 === 0 ? order : [...order].reverse()) {
        const t = performance.now();
        const { definition } = await loadPluginVersion(next[variant], trusted);
        loadMs[variant].push(performance.now() - t);
        await (
          await hosts[variant].reload(definition)
        ).retired;
      }
    }
    const call = { esm: median(ns.esm), bundle: median(ns.bundle) };
    const load = { esm: median(loadMs.esm), bundle: median(loadMs.bundle) };
    const rows: BenchRow[] = [
      {
        name: 'call into a bundled plugin (SurfaceRef.call, 4096-element dot product)',
        baton: call.bundle,
        baseline: call.esm,
        unit: 'ns/call',
        baselineLabel: 'the same plugin loaded as an ES module',
        ratio: call.bundle / call.esm,
        target: { on: 'ratio', cmp: '<=', value: 1.05 },
      },
      {
        name: 'load a new bundled version: verify + evaluate',
        baton: load.bundle,
        baseline: load.esm,
        unit: 'ms',
        baselineLabel: 'ES module: verify + install + import',
        ratio: load.bundle / load.esm,
      },
    ];
    return {
      id: 12,
      title: 'Bundled plugins: calls and loads',
      goal: 'a call into a plugin loaded from a bundle ≤ 1.05× a call into the same plugin loaded as an ES module; load + verify + evaluate time of a bundled artifact vs ES module install-and-import, reported.',
      ratioOf: 'bundled / ES module',
      appliesTo:
        'the call row. Both versions run the same source in one process, each in a host of its own; calls ' +
        'alternate between them round by round.',
      rows,
      findings: [
        `Calls: medians of ${options.rounds} rounds of ${options.callsPerRound} sequential awaited calls each, after one untimed round.`,
        `Loads: medians of ${options.loads} new versions per variant, each verified from its signed directory; the ES ` +
          'module variant also copies the verified bytes into the runtime directory and imports them, the bundled one ' +
          'compiles them in memory (vm.compileFunction).',
      ],
      measuredAt: new Date().toISOString(),
    };
  } finally {
    await hosts.esm.close();
    await hosts.bundle.close();
    await rm(root, { recursive: true, force: true });
    await rm(runtime, { recursive: true, force: true });
  }
}
