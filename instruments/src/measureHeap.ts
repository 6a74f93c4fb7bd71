/**
 * Measures what Node's unkillable ESM cache costs a host: reloads a plugin 100 times, each time to a
 * new artifact (new code, new URL, as a real upgrade is), and reports heap growth per reload after
 * forced garbage collection. Node cannot unload an ES module (nodejs/node#49442): every version's
 * module graph stays. Run: `npm run heap --workspace instruments` (needs --expose-gc, which the script sets).
 */
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPluginHost, definePlugin } from '@baton/core';
import { generateSigningKey, loadPluginVersion, signPluginDirectory, trustedKey } from '@baton/core/loader';
import { pluginsDirectory } from '@baton/examples/engine';

const instrumentsDir = fileURLToPath(new URL('..', import.meta.url));
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

/** A plugin artifact with enough code to be realistic: a job whose module holds a 50 KB table. */
async function artifact(root: string, version: number, key: string): Promise<string> {
  const dir = join(root, `v${version}`);
  await cp(join(pluginsDirectory, 'geo-search-v1', 'package.json'), join(dir, 'package.json'));
  const table = JSON.stringify(Array.from({ length: 2000 }, (_, i) => `entry-${version}-${i}`));
  await writeFile(
    join(dir, 'index.js'),
    `const table = ${table};\nexport default { name: 'heap-probe', version: '${version}.0.0', register(r) { r.backgroundJob({ name: 'probe', intervalMs: 1000, tick() { return table.length; } }); } };\n`,
  );
  await writeFile(
    join(dir, 'baton-plugin.json'),
    JSON.stringify({ name: 'heap-probe', version: `${version}.0.0`, entry: 'index.js' }),
  );
  await signPluginDirectory(dir, key);
  return dir;
}

const reloads = Number(process.argv[2] ?? 100);
const root = await mkdtemp(join(tmpdir(), 'baton-heap-'));
const runtime = join(instrumentsDir, '.baton-runtime', 'heap');
const pair = generateSigningKey();
const trusted = [trustedKey(pair.publicKeyPem)];
const host = createPluginHost();
const load = async (v: number) =>
  (
    await loadPluginVersion(await artifact(root, v, pair.privateKeyPem), {
      trustedKeys: trusted,
      runtimeDirectory: runtime,
    })
  ).definition;
await host.load(await load(0));
// Reloads to the same code (no new module): what the reload machinery itself keeps (should be ~0).
const same = definePlugin({ ...(await load(0)) });
// Warm up first: the JIT compiles the reload path during the first few hundred reloads.
for (let i = 0; i < 300; i++) await (await host.reload(same, { allowSameVersion: true })).retired;
const heap = (): number => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};
const start = heap();
for (let i = 0; i < reloads; i++) await (await host.reload(same, { allowSameVersion: true })).retired;
const afterSame = heap();
// Reloads to new code: each version's module graph stays in Node's ESM cache.
for (let v = 1; v <= reloads; v++) await (await host.reload(await load(v))).retired;
const afterNew = heap();
await host.close();
await rm(root, { recursive: true, force: true });
await rm(runtime, { recursive: true, force: true });
const kib = (bytes: number): number => +(bytes / 1024 / reloads).toFixed(1);
console.log(
  JSON.stringify({
    reloads,
    sameCodeGrowthPerReloadKiB: kib(afterSame - start),
    newCodeGrowthPerReloadKiB: kib(afterNew - afterSame),
    node: process.version,
  }),
);
