import { cp, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { removeRuntimeDirs, runtimeDir, tempDir, writeTree } from '../loader/__tests__/artifactKit.js';
import { runCli } from './__tests__/runCli.js';

const run = runCli;

afterAll(removeRuntimeDirs);

/** What plugin modules of these tests record when they run (in inspect's child process: in a file). */
interface Marks {
  ran?: string[];
  urls?: string[];
  swapped?: boolean;
}
let marksFile = '';
beforeEach(async () => {
  marksFile = join(await tempDir('marks'), 'marks.jsonl');
});
/** Appends `mark` (JS source of a JSON-able value) to the marks file: a statement for plugin code. */
const markCode = (mark: string): string =>
  `(await import('node:fs')).appendFileSync(${JSON.stringify(marksFile)}, JSON.stringify(${mark}) + '\\n');`;
const marks = async (): Promise<Marks> => {
  const text = await readFile(marksFile, 'utf8').catch(() => '');
  const out: Marks = {};
  for (const line of text.split('\n').filter(Boolean)) {
    const mark = JSON.parse(line) as { ran?: string; url?: string; swapped?: boolean };
    if (mark.ran !== undefined) (out.ran ??= []).push(mark.ran);
    if (mark.url !== undefined) (out.urls ??= []).push(mark.url);
    if (mark.swapped) out.swapped = true;
  }
  return out;
};

/** A plugin directory `demo` <version> with one background job; `register` is the body of register(r). */
async function plugin(root: string, version: string, register = '', top = ''): Promise<string> {
  const dir = join(root, `demo-${version}`);
  await writeTree(dir, {
    'package.json': '{ "type": "module" }\n',
    'index.js':
      `${markCode(`{ ran: '${version}', url: import.meta.url }`)}\n${top}\n` +
      `export default { name: 'demo', version: '${version}', async register(r) { ${register}; r.backgroundJob({ name: 'tick', intervalMs: 5, tick() {} }); } };\n`,
    'baton-plugin.json': JSON.stringify({
      name: 'demo',
      version,
      entry: 'index.js',
      surfaces: [{ kind: 'backgroundJob', key: 'tick' }],
    }),
  });
  return dir;
}

async function keys(root: string): Promise<{ key: string; pub: string }> {
  expect((await run('keygen', '--out', join(root, 'keys'))).code).toBe(0);
  return { key: join(root, 'keys', 'baton-signing.key'), pub: join(root, 'keys', 'baton-signing.pub') };
}

const leftovers = async (dir: string): Promise<string[]> =>
  (await readdir(dir)).filter((name) => name.startsWith('.baton-inspect-'));

describe('baton inspect', () => {
  it('verifies by default: without --trust (or an explicit --unsigned) it refuses and runs no plugin code', async () => {
    const root = await tempDir('inspect');
    const [v1, v2] = [await plugin(root, '1.0.0'), await plugin(root, '2.0.0')];
    const result = await run('inspect', v2, '--against', v1);
    expect(result).toMatchObject({ code: 2, err: expect.stringContaining('give --trust <public.pem>') });
    expect((await marks()).ran).toBeUndefined();
  });

  it('refuses an unsigned artifact given --trust, before any of its code runs', async () => {
    const root = await tempDir('inspect');
    const { key, pub } = await keys(root);
    const v1 = await plugin(root, '1.0.0');
    expect((await run('sign', v1, '--key', key)).code).toBe(0);
    const v2 = await plugin(root, '2.0.0');
    const result = await run('inspect', v2, '--against', v1, '--trust', pub);
    expect(result).toMatchObject({ code: 1, err: expect.stringContaining('VERIFICATION_FAILED') });
    expect((await marks()).ran).toBeUndefined();
  });

  it('imports the verified bytes from a private temporary copy: a file swapped after verification does not run', async () => {
    const root = await tempDir('inspect');
    const runtime = await runtimeDir('inspect-runtime');
    const { key, pub } = await keys(root);
    const v2 = await plugin(root, '2.0.0');
    // v1's register() (which runs after both artifacts were verified) swaps v2's code on disk.
    const swapped = `${markCode('{ swapped: true }')} export default { name: 'demo', version: '2.0.0', register() {} };`;
    const v1 = await plugin(
      root,
      '1.0.0',
      `await (await import('node:fs/promises')).writeFile(${JSON.stringify(join(v2, 'index.js'))}, ${JSON.stringify(swapped)})`,
    );
    for (const dir of [v1, v2]) expect((await run('sign', dir, '--key', key)).code).toBe(0);

    const result = await run('inspect', v2, '--against', v1, '--trust', pub, '--runtime', runtime);
    expect(result).toMatchObject({ code: 0, out: expect.stringContaining('verdict: compatible') });
    expect((await marks()).swapped).toBeUndefined();
    expect((await marks()).ran).toEqual(['1.0.0', '2.0.0']);
    for (const url of (await marks()).urls!) {
      const path = fileURLToPath(url);
      expect(path.startsWith(join(runtime, '.baton-inspect-'))).toBe(true); // never the artifact directory
    }
    expect(await leftovers(runtime)).toEqual([]); // the private copy is removed afterwards
  });

  it('--unsigned inspects directories that are not signed yet, still from a private copy', async () => {
    const root = await tempDir('inspect');
    const runtime = await runtimeDir('inspect-runtime');
    const [v1, v2] = [await plugin(root, '1.0.0'), await plugin(root, '2.0.0')];
    const result = await run('inspect', v2, '--against', v1, '--unsigned', '--runtime', runtime);
    expect(result).toMatchObject({ code: 0, out: expect.stringContaining('NOT VERIFIED (--unsigned)') });
    expect(result.out).toContain('verdict: compatible');
    expect(fileURLToPath((await marks()).urls![0]!).startsWith(runtime)).toBe(true);
    expect(await leftovers(runtime)).toEqual([]);
  });

  it('bounds register() by --timeout', { timeout: 15_000 }, async () => {
    const root = await tempDir('inspect');
    const runtime = await runtimeDir('inspect-runtime');
    const [v1, v2] = [await plugin(root, '1.0.0'), await plugin(root, '2.0.0', 'await new Promise(() => {})')];
    const result = await run('inspect', v2, '--against', v1, '--unsigned', '--timeout', '100', '--runtime', runtime);
    expect(result).toMatchObject({
      code: 1,
      err: expect.stringContaining('REGISTRATION_FAILED: register() of demo 2.0.0 did not finish within 100 ms'),
    });
    expect(await leftovers(runtime)).toEqual([]);
    expect((await run('inspect', v2, '--against', v1, '--unsigned', '--timeout', 'soon')).code).toBe(2);
  });
});

describe('baton inspect on the demo’s own signed plugins', () => {
  const examples = fileURLToPath(new URL('../../../../examples/plugins/', import.meta.url));
  const services = join(examples, 'inspect-services.js');

  /** The demo's plugins, copied and signed as examples/src/demo/artifacts.ts does. */
  async function signedDemo(): Promise<{ v1: string; v2: string; v3: string; pub: string }> {
    const root = await tempDir('inspect-demo');
    const { key, pub } = await keys(root);
    const dirs = [];
    for (const name of ['geo-search-v1', 'geo-search-v2', 'geo-search-v3']) {
      await cp(join(examples, name), join(root, name), { recursive: true });
      expect((await run('sign', join(root, name), '--key', key)).code).toBe(0);
      dirs.push(join(root, name));
    }
    const [v1, v2, v3] = dirs as [string, string, string];
    return { v1, v2, v3, pub };
  }

  it('the services example of the core README is this file, as run below', async () => {
    const readme = await readFile(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
    const block = /<!-- example: services[^\n]*\n\n```js\n\/\/ host-services\.js\n([\s\S]*?)```/.exec(readme)?.[1];
    const file = await readFile(services, 'utf8');
    expect(block).toBeDefined();
    expect(file.slice(file.indexOf('import '))).toBe(block);
  });

  it('gives the verdicts the demo expects, with host services from --services', { timeout: 30_000 }, async () => {
    const { v1, v2, v3, pub } = await signedDemo();
    const compatible = await run('inspect', v2, '--against', v1, '--trust', pub, '--services', services);
    expect(compatible.err).toBe('');
    expect(compatible).toMatchObject({ code: 0, out: expect.stringContaining('verdict: compatible') });
    expect(compatible.out).toContain("crdtKind 'g-counter'");
    const incompatible = await run('inspect', v3, '--against', v2, '--trust', pub, '--services', services);
    expect(incompatible).toMatchObject({ code: 1, out: expect.stringContaining('verdict: INCOMPATIBLE') });
    expect(incompatible.out).toContain("logicalType 'baton.geo.point'");
    expect(await leftovers(process.cwd())).toEqual([]);
  });

  it('without --services it says which host service is missing and how to supply it', { timeout: 30_000 }, async () => {
    const { v1, v2, pub } = await signedDemo();
    const result = await run('inspect', v2, '--against', v1, '--trust', pub);
    expect(result.code).toBe(1);
    expect(result.err).toContain('REGISTRATION_FAILED: register() of geo-search 1.0.0 failed');
    expect(result.err).toContain(
      "resolves the host service 'baton.example.env', which no --services module registers: pass --services <module>",
    );
    const broken = join(await tempDir('services'), 'services.js');
    await writeFile(broken, 'export const notDefault = 1;\n');
    expect((await run('inspect', v2, '--against', v1, '--trust', pub, '--services', broken)).err).toContain(
      'its default export must be a function',
    );
    expect((await stat(v1)).isDirectory()).toBe(true);
  });
});
