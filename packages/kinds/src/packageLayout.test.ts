/**
 * The package's shape: its entry points are exactly the `exports` of package.json, each a
 * `src/<name>.ts` file reachable by its package name; the entries share no name and hold no
 * duplicate spelling of a kind or counterexample; and no source module imports itself through a
 * cycle (type-only imports included).
 */
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as cdcEntry from './cdc.js';
import * as codecEntry from './codec.js';
import * as mainEntry from './index.js';

const src = dirname(fileURLToPath(import.meta.url));
const entries: Record<string, Record<string, unknown>> = { '.': mainEntry, './codec': codecEntry, './cdc': cdcEntry };

/** The source modules of the package (tests and test helpers excepted), as paths relative to `src`. */
async function sourceModules(): Promise<string[]> {
  const found = await readdir(src, { recursive: true });
  return found
    .map((path) => path.split('\\').join('/'))
    .filter((path) => path.endsWith('.ts') && !path.endsWith('.test.ts') && !path.includes('__tests__'))
    .sort();
}

/** The relative modules `path` imports or re-exports (`import type` too), as paths relative to `src`. */
async function importsOf(path: string): Promise<string[]> {
  const text = await readFile(join(src, path), 'utf8');
  const specifiers = [...text.matchAll(/^\s*(?:import|export)\b[^'";]*?from\s+'(\.{1,2}\/[^']+)'/gm)].map((m) => m[1]!);
  return specifiers.map((specifier) =>
    relative(src, resolve(src, dirname(path), specifier))
      .split('\\')
      .join('/')
      .replace(/\.js$/, '.ts'),
  );
}

/** Every cycle of the import graph, each as the list of modules it passes through. */
function cyclesOf(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): void => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return cycles;
}

describe('the package layout of @baton/kinds', () => {
  it('has no import cycle between its source modules', async () => {
    const modules = await sourceModules();
    const graph = new Map(await Promise.all(modules.map(async (m) => [m, await importsOf(m)] as const)));
    for (const [module, imports] of graph)
      for (const imported of imports) expect(modules, `${module} imports ${imported}`).toContain(imported);
    expect(cyclesOf(graph).map((cycle) => cycle.join(' → '))).toEqual([]);
  });

  it('exports exactly its entry files, each from src and from dist', async () => {
    const manifest = JSON.parse(await readFile(join(src, '..', 'package.json'), 'utf8')) as {
      exports: Record<string, unknown>;
    };
    const subpaths = Object.keys(manifest.exports).filter((key) => key !== './package.json');
    const entryFiles = (await sourceModules()).filter((path) => !path.includes('/'));
    expect(subpaths.map((subpath) => (subpath === '.' ? 'index.ts' : `${subpath.slice(2)}.ts`)).sort()).toEqual(
      entryFiles,
    );
    expect(subpaths.sort()).toEqual(Object.keys(entries).sort());
    for (const subpath of subpaths) {
      const name = subpath === '.' ? 'index' : subpath.slice(2);
      expect(manifest.exports[subpath], subpath).toEqual({
        types: { '@baton/source': `./src/${name}.ts`, default: `./dist/${name}.d.ts` },
        '@baton/source': `./src/${name}.ts`,
        default: `./dist/${name}.js`,
      });
    }
  });

  it('resolves every subpath by the package name to its entry file', async () => {
    const byName: Record<string, Record<string, unknown>> = {
      '.': await import('@baton/kinds'),
      './codec': await import('@baton/kinds/codec'),
      './cdc': await import('@baton/kinds/cdc'),
    };
    for (const [subpath, entry] of Object.entries(entries)) {
      const resolved = byName[subpath]!;
      expect(Object.keys(resolved).sort(), subpath).toEqual(Object.keys(entry).sort());
      for (const [name, value] of Object.entries(entry)) expect(resolved[name], `${subpath} ${name}`).toBe(value);
    }
  });

  it('names each export once: no entry repeats another, no duplicate spelling, no counterexample', () => {
    const owners = new Map<string, string[]>();
    for (const [subpath, entry] of Object.entries(entries))
      for (const name of Object.keys(entry)) owners.set(name, [...(owners.get(name) ?? []), subpath]);
    expect([...owners].filter(([, where]) => where.length > 1)).toEqual([]);
    const names = [...owners.keys()];
    // One factory per kind: no `createX` beside `x`, no `V2` spelling of a kind (formats are options).
    expect(names.filter((name) => /^create[A-Z]|V\d+(Type)?$/.test(name))).toEqual([]);
    // Deliberately broken providers live in @baton/testing, and msgpackr's configured Packr is private.
    expect(names.filter((name) => /lossy|unmigrated|^packr$/i.test(name))).toEqual([]);
  });

  it('makes every kind with a lowercase factory named after it', () => {
    const factories = ['gCounter', 'pnCounter', 'lwwRegister', 'orSet', 'flatVectorIndex', 'orderedIndex'];
    const more = ['fileCdcOutput', 'callbackCdcOutput', 'memoryStorageBackend', 'geoPointType', 'uuidType', 'jsonType'];
    for (const name of [...factories, ...more])
      expect(typeof mainEntry[name as keyof typeof mainEntry], name).toBe('function');
    const made = [
      mainEntry.gCounter({ format: 2 }),
      mainEntry.pnCounter(),
      mainEntry.lwwRegister(),
      mainEntry.orSet(),
      mainEntry.flatVectorIndex({ format: 1 }),
      mainEntry.orderedIndex(),
    ];
    expect(made.map((provider) => provider.kind)).toEqual([
      'g-counter',
      'pn-counter',
      'lww-register',
      'or-set',
      'flat-vector',
      'ordered',
    ]);
    expect(mainEntry.gCounter({ format: 2 }).formatVersion).toBe(2);
    expect(mainEntry.geoPointType({ version: 2 }).encodingVersion).toBe(2);
    expect(mainEntry.geoPointType().encodingVersion).toBe(1);
  });
});
