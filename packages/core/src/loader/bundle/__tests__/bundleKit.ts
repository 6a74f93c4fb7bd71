import { join } from 'node:path';
import { tempDir, testKey, writeTree } from '../../__tests__/artifactKit.js';
import { signPluginDirectory } from '../../signArtifact.js';
import { bundlePluginDirectory } from '../bundleArtifact.js';

/**
 * The TypeScript sources of a plugin `calc` at `version`: a scalar function `calc.double` (Float64
 * in, Float64 out, through the host's `apache-arrow`) whose helper (in `src/helper.ts`) throws on a negative input, a module-level table of `tableSize`
 * entries, and, with `leaky`, an interval and a `process` listener started in `register` and never
 * stopped.
 */
export function calcSources(
  version: string,
  options: { tableSize?: number; leaky?: boolean } = {},
): Record<string, string> {
  const { tableSize = 10, leaky = false } = options;
  return {
    'baton-plugin.json': JSON.stringify({ name: 'calc', version, entry: 'src/index.ts' }),
    'src/helper.ts': [
      `export const table: string[] = Array.from({ length: ${tableSize} }, (_, i) => 'entry-${version}-' + i);`,
      '// What the collection test watches: this module-level table, through a weak reference.',
      '((globalThis as { __batonProbes?: WeakRef<object>[] }).__batonProbes ??= []).push(new WeakRef(table));',
      'export function double(x: number): number {',
      "  if (x < 0) throw new RangeError('negative input');",
      '  return 2 * x + table.length * 0;',
      '}',
      '',
    ].join('\n'),
    'src/index.ts': [
      "import { definePlugin } from '@baton/core';",
      "import { Float64, vectorFromArray } from 'apache-arrow';",
      "import { double } from './helper.js';",
      'export default definePlugin({',
      "  name: 'calc',",
      `  version: '${version}',`,
      '  register(r) {',
      ...(leaky
        ? [
            '    setInterval(function keepTicking() { (globalThis as { __calcTicks?: number }).__calcTicks = ((globalThis as { __calcTicks?: number }).__calcTicks ?? 0) + 1; }, 1000);',
            "    process.on('baton-test-event', function onTestEvent() {});",
          ]
        : []),
      '    r.scalarFunction({',
      "      name: 'calc.double',",
      '      returnType: new Float64(),',
      '      invoke: ([xs]) => vectorFromArray(Array.from(xs!.toArray() as Float64Array, double), new Float64()),',
      '    });',
      '  },',
      '});',
      '',
    ].join('\n'),
  };
}

/** Writes `sources` to a fresh directory and bundles them into another (apache-arrow left out); returns the artifact's directory. */
export async function bundled(
  sources: Record<string, string>,
  external: readonly string[] = ['apache-arrow'],
): Promise<string> {
  const source = await tempDir('bundle-src');
  await writeTree(source, sources);
  const out = join(await tempDir('bundle-out'), 'artifact');
  await bundlePluginDirectory(source, out, { privateKeyPem: testKey.privateKeyPem, external });
  return out;
}

/**
 * The same plugin `calc` as an ES module artifact's files (plain JavaScript, no imports): its
 * module-level table watched the same way, and a background job in place of the function.
 */
function calcModuleFiles(version: string, tableSize = 10): Record<string, string> {
  return {
    'package.json': '{ "type": "module" }\n',
    'index.js': [
      `const table = Array.from({ length: ${tableSize} }, (_, i) => 'entry-${version}-' + i);`,
      '(globalThis.__batonProbes ??= []).push(new WeakRef(table));',
      `export default { name: 'calc', version: '${version}', register(r) { r.backgroundJob({ name: 'calc.count', intervalMs: 60000, tick() { return table.length; } }); } };`,
      '',
    ].join('\n'),
  };
}

/** A signed ES module artifact of {@link calcModuleFiles}. */
export async function calcModule(version: string, tableSize?: number): Promise<string> {
  const dir = await tempDir('calc-esm');
  await writeTree(dir, calcModuleFiles(version, tableSize));
  await signPluginDirectory(dir, testKey.privateKeyPem, { name: 'calc', version, entry: 'index.js' });
  return dir;
}
