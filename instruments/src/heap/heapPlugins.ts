/**
 * The plugin versions `npm run heap` reloads through: each a distinct version (new code, as a real
 * upgrade is) of a plugin `heap-probe` whose module holds a table of module-level data, as an ES
 * module artifact or as a bundled one (`bundlePluginDirectory`, what `baton sign --bundle` does).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bundlePluginDirectory, signPluginDirectory } from '@baton/core/loader';

/** How big a version's module-level data is: a table of `entries` strings of about `entryBytes` each. */
export interface TableShape {
  readonly entries: number;
  readonly entryBytes: number;
}

/** A 2000-entry table (the small plugin), and one of about 5 MB. */
export const SMALL_TABLE: TableShape = { entries: 2000, entryBytes: 16 };
export const LARGE_TABLE: TableShape = { entries: 50_000, entryBytes: 100 };

/** The module source of version `version`: its table, and one background job reading it. */
function moduleSource(version: number, { entries, entryBytes }: TableShape): string {
  const pad = 'x'.repeat(Math.max(0, entryBytes - 12));
  const rows = Array.from({ length: entries }, (_, i) => JSON.stringify(`${version}-${i}-${pad}`));
  return (
    `const table = [${rows.join(',')}];\n` +
    `export default { name: 'heap-probe', version: '${version}.0.0', register(r) {\n` +
    `  r.backgroundJob({ name: 'probe', intervalMs: 60000, tick() { return table.length; } });\n` +
    `} };\n`
  );
}

const draft = (version: number, entry: string) => ({
  name: 'heap-probe',
  version: `${version}.0.0`,
  entry,
  surfaces: [{ kind: 'backgroundJob', key: 'probe' }],
});

/** Writes and signs version `version` as an ES module artifact under `root`; returns its directory. */
export async function moduleArtifact(root: string, version: number, table: TableShape, key: string): Promise<string> {
  const dir = join(root, `esm-${version}`);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'package.json'), '{ "type": "module" }\n');
  await writeFile(join(dir, 'index.js'), moduleSource(version, table));
  await signPluginDirectory(dir, key, draft(version, 'index.js'));
  return dir;
}

/** Writes version `version`'s sources under `root` and bundles them into a signed artifact; returns its directory. */
export async function bundledArtifact(root: string, version: number, table: TableShape, key: string): Promise<string> {
  const source = join(root, `src-${version}`);
  await mkdir(source, { recursive: true });
  await writeFile(join(source, 'index.js'), moduleSource(version, table));
  await writeFile(join(source, 'baton-plugin.json'), JSON.stringify(draft(version, 'index.js')));
  const out = join(root, `bundle-${version}`);
  await bundlePluginDirectory(source, out, { privateKeyPem: key });
  return out;
}
