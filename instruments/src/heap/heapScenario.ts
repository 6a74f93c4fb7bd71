/**
 * One scenario of `npm run heap`, in a process of its own (so one scenario's leak cannot blur
 * another's): a host reloads plugin `heap-probe` `reloads` times, and this prints, as its last line
 * of stdout, the heap growth per reload after forced garbage collection.
 *
 * Usage: node --expose-gc --import tsx heapScenario.ts <same|esm|bundle|script|context> <small|large> <reloads>
 * - `same`: every reload to the same code (what the reload machinery itself keeps);
 * - `esm`: each reload to a new version loaded as an ES module (Node keeps every module graph);
 * - `bundle`: each reload to a new bundled version (`loadPluginVersion`: `vm.compileFunction`);
 * - `script`, `context`: the same verified bundles evaluated the ways Baton does not, for the
 *   record: as a `vm.Script` in this context, and in a `vm` context of their own per version.
 * Each version is built and signed just before it is loaded, and its files removed once loaded.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script, runInNewContext } from 'node:vm';
import * as core from '@baton/core';
import { createPluginHost, definePlugin } from '@baton/core';
import type { PluginDefinition } from '@baton/core';
import { generateSigningKey, loadPluginVersion, trustedKey, verifyPluginDirectory } from '@baton/core/loader';
import type { VerifiedPlugin } from '@baton/core/loader';
import { LARGE_TABLE, SMALL_TABLE, bundledArtifact, moduleArtifact } from './heapPlugins.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
type Mode = 'same' | 'esm' | 'bundle' | 'script' | 'context';
const [mode, size, count] = process.argv.slice(2) as [Mode, 'small' | 'large', string];
if (!['same', 'esm', 'bundle', 'script', 'context'].includes(mode) || !['small', 'large'].includes(size))
  throw new Error('usage: heapScenario.ts <same|esm|bundle|script|context> <small|large> <reloads>');
const reloads = Number(count);
const table = size === 'small' ? SMALL_TABLE : LARGE_TABLE;
const root = await mkdtemp(join(tmpdir(), 'baton-heap-'));
const runtime = fileURLToPath(new URL(`../../.baton-runtime/heap-${process.pid}`, import.meta.url));
const pair = generateSigningKey();
const options = { trustedKeys: [trustedKey(pair.publicKeyPem)], runtimeDirectory: runtime };

/** Builds, signs and loads version `v` (ES module or bundle as `mode` says); removes its files. */
async function version(v: number): Promise<PluginDefinition> {
  const dir =
    mode === 'esm' || mode === 'same'
      ? await moduleArtifact(root, v, table, pair.privateKeyPem)
      : await bundledArtifact(root, v, table, pair.privateKeyPem);
  const definition =
    mode === 'script' || mode === 'context'
      ? evaluateOtherwise(await verifyPluginDirectory(dir, options), mode)
      : (await loadPluginVersion(dir, options)).definition;
  await rm(dir, { recursive: true, force: true });
  await rm(join(root, `src-${v}`), { recursive: true, force: true });
  return definition;
}

/** A verified bundle evaluated as a `vm.Script` here, or in a context of its own (what Baton does not do). */
function evaluateOtherwise(verified: VerifiedPlugin, how: 'script' | 'context'): PluginDefinition {
  const source = Buffer.from(verified.files.get(verified.manifest.entry)!).toString('utf8');
  const module = { exports: {} as { default?: PluginDefinition } };
  const require = (specifier: string): unknown => {
    if (specifier === '@baton/core') return core;
    throw new Error(`not shared: ${specifier}`);
  };
  const filename = `${verified.directory}/${verified.manifest.entry}`;
  if (how === 'script') {
    const body = new Script(`(function (exports, require, module) {${source}\n})`, { filename }).runInThisContext() as (
      ...args: unknown[]
    ) => void;
    body(module.exports, require, module);
  } else runInNewContext(source, { module, exports: module.exports, require }, { filename });
  return module.exports.default!;
}

const heap = (): { used: number; external: number } => {
  gc();
  gc();
  const { heapUsed, external } = process.memoryUsage();
  return { used: heapUsed, external };
};

const host = createPluginHost();
try {
  await host.load(await version(0));
  const same = definePlugin({ ...(await version(0)) });
  // Warm up: the JIT compiles the load and reload paths, the builder starts, and V8's tables reach
  // their working size in the first reloads (with 5 MB versions that takes longer: measured).
  const warmUp = mode === 'same' ? 300 : size === 'large' ? 120 : 50;
  let next = 1;
  /** One reload: to the same code, or to the next new version. */
  const reloadOnce = async (): Promise<void> => {
    await (
      await host.reload(mode === 'same' ? same : await version(next++), { allowSameVersion: true })
    ).retired;
  };
  for (let i = 0; i < warmUp; i++) await reloadOnce();
  // The heap after forced collection, every `every` reloads; the growth per reload is the slope of
  // the least-squares line through them (less noisy than two end points when versions are large).
  const every = Math.max(1, Math.floor(reloads / 20));
  const samples: { at: number; used: number; external: number }[] = [{ at: 0, ...heap() }];
  for (let i = 1; i <= reloads; i++) {
    await reloadOnce();
    if (i % every === 0 || i === reloads) samples.push({ at: i, ...heap() });
  }
  const slope = (y: (s: (typeof samples)[number]) => number): number => {
    const n = samples.length;
    const mx = samples.reduce((a, s) => a + s.at, 0) / n;
    const my = samples.reduce((a, s) => a + y(s), 0) / n;
    const sxy = samples.reduce((a, s) => a + (s.at - mx) * (y(s) - my), 0);
    const sxx = samples.reduce((a, s) => a + (s.at - mx) ** 2, 0);
    return sxy / sxx;
  };
  const perReload = (bytes: number): number => +(bytes / 1024).toFixed(2);
  console.log(
    JSON.stringify({
      mode,
      size,
      reloads,
      heapPerReloadKiB: perReload(slope((s) => s.used)),
      externalPerReloadKiB: perReload(slope((s) => s.external)),
    }),
  );
} finally {
  await host.close();
  await rm(root, { recursive: true, force: true });
  await rm(runtime, { recursive: true, force: true });
}
