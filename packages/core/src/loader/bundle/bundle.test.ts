import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as arrow from 'apache-arrow';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { createPluginHost } from '../../host/pluginHost.js';
import { removeRuntimeDirs, runtimeDir, testKey, testTrusted } from '../__tests__/artifactKit.js';
import { importVerifiedPlugin, loadPluginVersion } from '../loadPluginVersion.js';
import { verifyPluginDirectory } from '../verifyDirectory.js';
import { parseManifest } from '../manifest.js';
import { bundled, calcModule, calcSources } from './__tests__/bundleKit.js';

const shared = { 'apache-arrow': arrow };
const input = arrow.vectorFromArray([1, 2, 3], new arrow.Float64());
const packageRoot = fileURLToPath(new URL('../../../', import.meta.url));
const collectChild = fileURLToPath(new URL('./__tests__/collectChild.ts', import.meta.url));

/** Loads and reloads through `artifacts` in a process of its own; how many retired versions were collected. */
async function collectedInChild(
  artifacts: readonly string[],
  env: Record<string, string> = {},
): Promise<{ retired: number; collected: number }> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', collectChild, testKey.publicKeyPem, ...artifacts],
    { cwd: packageRoot, env: { ...process.env, ...env } },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as { retired: number; collected: number };
}

describe('bundled plugin artifacts', () => {
  afterEach(() => {
    vi.useRealTimers();
  });
  afterAll(removeRuntimeDirs);

  it('are garbage collected once retired, leaky ones too; ES module versions are not', async () => {
    const bundles = [
      await bundled(calcSources('1.0.0', { tableSize: 2000 })),
      await bundled(calcSources('2.0.0', { tableSize: 2000, leaky: true })),
      await bundled(calcSources('3.0.0', { tableSize: 2000 })),
      await bundled(calcSources('4.0.0', { tableSize: 2000 })),
    ];
    expect(await collectedInChild(bundles)).toEqual({ retired: 3, collected: 3 });
    // The same measure on ES module artifacts: Node keeps every imported module, and its data.
    const modules = [await calcModule('1.0.0', 2000), await calcModule('2.0.0', 2000), await calcModule('3.0.0', 2000)];
    expect(await collectedInChild(modules, { BATON_RUNTIME: await runtimeDir('collect') })).toEqual({
      retired: 2,
      collected: 0,
    });
  });

  it('are built into one signed file with its source map, load without a runtime directory, and serve calls', async () => {
    const artifact = await bundled(calcSources('1.0.0'));
    const manifest = parseManifest(await readFile(join(artifact, 'baton-plugin.json')));
    expect(manifest).toMatchObject({ name: 'calc', version: '1.0.0', entry: 'plugin.cjs', loader: 'bundle' });
    expect(Object.keys(manifest.files).sort()).toEqual(['plugin.cjs', 'plugin.cjs.map']);
    const loaded = await loadPluginVersion(artifact, { trustedKeys: testTrusted, shared });
    expect(loaded.installed).toBeUndefined();
    const host = createPluginHost();
    await host.load(loaded.definition);
    const out = await host.surface('scalarFunction', 'calc.double').call((f) => f.invoke([input]));
    expect(Array.from(out.toArray() as Float64Array)).toEqual([2, 4, 6]);
    await host.close();
  });

  it('turn a dynamic import of a shared module into the shared module (no dynamic-import callback needed)', async () => {
    const sources = calcSources('1.0.0');
    sources['src/index.ts'] = sources['src/index.ts']!.replace(
      '  register(r) {',
      "  async register(r) {\n    const { Float64: Lazy } = await import('apache-arrow');\n    if (Lazy !== Float64) throw new Error('two copies');",
    );
    const { definition } = await loadPluginVersion(await bundled(sources), { trustedKeys: testTrusted, shared });
    const host = createPluginHost();
    await host.load(definition);
    const out = await host.surface('scalarFunction', 'calc.double').call((f) => f.invoke([input]));
    expect(Array.from(out.toArray() as Float64Array)).toEqual([2, 4, 6]);
    await host.close();
  });

  it('map stack traces of the bundled code to the plugin sources', async () => {
    const artifact = await bundled(calcSources('1.0.0'));
    const { definition } = await loadPluginVersion(artifact, { trustedKeys: testTrusted, shared });
    const host = createPluginHost();
    await host.load(definition);
    const negative = arrow.vectorFromArray([-1], new arrow.Float64());
    const error = (await host
      .surface('scalarFunction', 'calc.double')
      .call((f) => f.invoke([negative]))
      .catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(RangeError);
    const frames = error.stack!.split('\n').slice(1);
    expect(frames[0]).toMatch(/at double \(.*\/src\/helper\.ts:5:\d+\)$/);
    expect(frames.find((f) => f.includes('/src/index.ts:'))).toMatch(/at Object.invoke \(.*\/src\/index\.ts:11:\d+\)$/);
    expect(error.stack).not.toContain('plugin.cjs');
    await host.close();
  });

  it('cover exactly the evaluated bytes: a changed bundle or map is refused even with matching hashes', async () => {
    const artifact = await bundled(calcSources('1.0.0'));
    const manifestPath = join(artifact, 'baton-plugin.json');
    const original = await readFile(manifestPath, 'utf8');
    for (const file of ['plugin.cjs', 'plugin.cjs.map']) {
      const path = join(artifact, file);
      const bytes = await readFile(path);
      await writeFile(path, Buffer.concat([bytes, Buffer.from('\n;globalThis.__tampered = true;\n')]));
      await expect(loadPluginVersion(artifact, { trustedKeys: testTrusted, shared })).rejects.toMatchObject({
        code: 'VERIFICATION_FAILED',
        message: expect.stringContaining(`'${file}' does not match its sha256`),
      });
      // The crafted case: the manifest re-hashed to match; its signature no longer does.
      const { createHash } = await import('node:crypto');
      const digest = createHash('sha256')
        .update(await readFile(path))
        .digest('hex');
      const doc = JSON.parse(original) as { files: Record<string, string> };
      doc.files[file] = digest;
      await writeFile(manifestPath, JSON.stringify(doc, null, 2) + '\n');
      await expect(loadPluginVersion(artifact, { trustedKeys: testTrusted, shared })).rejects.toMatchObject({
        code: 'VERIFICATION_FAILED',
      });
      expect((globalThis as { __tampered?: boolean }).__tampered).toBeUndefined();
      await writeFile(path, bytes);
      await writeFile(manifestPath, original);
    }
    await expect(loadPluginVersion(artifact, { trustedKeys: testTrusted, shared })).resolves.toBeDefined();
  });

  it('evaluate the verified bytes: a bundle rewritten on disk after verification does not run', async () => {
    const artifact = await bundled(calcSources('1.0.0'));
    const verified = await verifyPluginDirectory(artifact, { trustedKeys: testTrusted });
    const path = join(artifact, 'plugin.cjs');
    await writeFile(
      path,
      "globalThis.__swapped = true; module.exports = { default: { name: 'calc', version: '1.0.0', register() {} } };\n",
    );
    const { definition } = await importVerifiedPlugin(verified, undefined, shared);
    expect((globalThis as { __swapped?: boolean }).__swapped).toBeUndefined();
    const host = createPluginHost();
    await host.load(definition);
    expect(host.surface('scalarFunction', 'calc.double').unleasedProvider).toBeDefined();
    await host.close();
  });

  it('refuse a bundle that requires a module the host does not share, naming it', async () => {
    const artifact = await bundled(calcSources('1.0.0'));
    await expect(loadPluginVersion(artifact, { trustedKeys: testTrusted })).rejects.toMatchObject({
      code: 'INVALID_PLUGIN',
      phase: 'load',
      plugin: 'calc',
      message: expect.stringContaining("requires 'apache-arrow'"),
    });
    await expect(
      loadPluginVersion(artifact, { trustedKeys: testTrusted, shared: { '@baton/core': {} } }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining("shared['@baton/core']") });
  });

  it('name the installed packages that cannot be bundled (native code), and say to mark them external', async () => {
    const sources = calcSources('1.0.0');
    const withNative = {
      ...sources,
      'src/index.ts': "import 'native-thing';\n" + sources['src/index.ts']!,
      'node_modules/native-thing/package.json': '{ "name": "native-thing", "main": "index.js" }\n',
      'node_modules/native-thing/index.js': "module.exports = require('./binding.node');\n",
      'node_modules/native-thing/binding.node': '\u007fELF not really\n',
    };
    await expect(bundled(withNative)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/cannot go into a bundle \(native-thing: .*--external <module>/),
    });
    // Marked external, it is left to the host, and the bundle builds.
    await expect(bundled(withNative, ['apache-arrow', 'native-thing'])).resolves.toEqual(expect.any(String));
  });

  it('clear and report the timers and process listeners a retired version still holds', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const counter = globalThis as { __calcTicks?: number };
    const v1 = await loadPluginVersion(await bundled(calcSources('1.0.0', { leaky: true })), {
      trustedKeys: testTrusted,
      shared,
    });
    const v2 = await loadPluginVersion(await bundled(calcSources('2.0.0')), { trustedKeys: testTrusted, shared });
    const host = createPluginHost();
    const events: unknown[] = [];
    host.on('leftovers', (e) => events.push(e));
    await host.load(v1.definition);
    const listeners = process.listeners('baton-test-event' as never).length;
    expect(listeners).toBeGreaterThan(0);
    vi.advanceTimersByTime(3000);
    expect(counter.__calcTicks).toBe(3);
    const report = await (await host.reload(v2.definition)).retired;
    expect(report.leftovers).toEqual([
      { type: 'timer', what: 'setInterval 1000 ms (keepTicking)', plugin: 'calc', version: '1.0.0' },
      { type: 'listener', what: "process.on('baton-test-event') (onTestEvent)", plugin: 'calc', version: '1.0.0' },
    ]);
    expect(events).toEqual([{ plugin: 'calc', version: '1.0.0', leftovers: expect.any(Array) }]);
    vi.advanceTimersByTime(3000);
    expect(counter.__calcTicks).toBe(3); // cleared: the old code runs no more
    expect(process.listeners('baton-test-event' as never)).toHaveLength(listeners - 1);
    await host.close();
  });
});
