import { createHash } from 'node:crypto';
import { mkdir, open, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fc, test } from '@fast-check/vitest';
import { afterAll, describe, expect, it } from 'vitest';
import { MANIFEST_FILE, MANIFEST_LIMITS, SIGNATURE_FILE, parseManifest, serializeManifest } from './manifest.js';
import type { PluginManifest } from './manifest.js';
import { entryPointProblems } from './packageEntryPoints.js';
import { signPluginDirectory } from './signArtifact.js';
import { serializeSignature, signManifest } from './signing.js';
import { verifyPluginDirectory } from './verifyDirectory.js';
import { loadPluginVersion } from './loadPluginVersion.js';
import {
  jobsPluginFiles,
  removeRuntimeDirs,
  runtimeDir,
  tempDir,
  testKey,
  testTrusted,
  writeTree,
} from './__tests__/artifactKit.js';

afterAll(removeRuntimeDirs);

const sha256 = (text: string | Uint8Array): string => createHash('sha256').update(text).digest('hex');
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

/** Writes `manifestText` and a valid signature of exactly those bytes, as a forger with the key could. */
async function signRaw(dir: string, manifestText: string): Promise<void> {
  await writeFile(join(dir, MANIFEST_FILE), manifestText);
  await writeFile(
    join(dir, SIGNATURE_FILE),
    serializeSignature(signManifest(utf8(manifestText), testKey.privateKeyPem)),
  );
}

const manifestArb: fc.Arbitrary<PluginManifest> = fc
  .record({
    name: fc.stringMatching(/^[a-z][a-z0-9-]{0,12}$/),
    version: fc.constantFrom('1.0.0', '2.1.0-rc.1'),
    dependsOn: fc.uniqueArray(fc.stringMatching(/^[a-z]{1,6}$/), { maxLength: 3 }),
    surfaces: fc.array(fc.record({ kind: fc.constantFrom('scalarFunction', 'indexKind'), key: fc.string() }), {
      maxLength: 3,
    }),
    paths: fc.uniqueArray(fc.stringMatching(/^[a-z0-9_]{1,8}(\/[a-z0-9_]{1,8}){0,2}\.js$/), {
      minLength: 1,
      maxLength: 5,
    }),
    bundle: fc.boolean(),
  })
  .map(({ paths, bundle, name, version, ...rest }) => ({
    manifestVersion: 1 as const,
    name,
    version,
    entry: paths[0]!,
    ...(bundle ? { loader: 'bundle' as const } : {}),
    ...rest,
    files: Object.fromEntries(paths.map((p) => [p, sha256(p)])),
  }));

describe('manifests: only the canonical form', () => {
  test.prop([manifestArb])('what serializeManifest writes parses back to the same manifest', (manifest) => {
    const bytes = serializeManifest(manifest);
    expect(parseManifest(bytes)).toEqual(manifest);
    expect(serializeManifest(parseManifest(bytes))).toEqual(bytes);
  });

  test.prop([
    manifestArb,
    fc.constantFrom<(doc: Record<string, unknown>, text: string) => string>(
      (doc) => JSON.stringify(doc), // another spacing
      (doc) => JSON.stringify(doc, null, 4) + '\n',
      (_, text) => text.replace(/\n$/, ''), // no final newline
      (_, text) => text.replace('\n', '\r\n'),
      (doc) => JSON.stringify(Object.fromEntries(Object.entries(doc).reverse()), null, 2) + '\n', // key order
      (doc) => JSON.stringify({ ...doc, extra: true }, null, 2) + '\n', // unknown key
      (_, text) => text.replace(/("entry": "[^"]*",)\n(?! {2}"loader")/, '$1\n  "loader": "esm",\n'), // the default, spelt out
      (_, text) => text.replace('"manifestVersion": 1,', '"manifestVersion": 1, "manifestVersion": 1,'), // duplicate key
      (_, text) =>
        text.replace(
          /"name": "([a-z])/,
          (_m, c: string) => `"name": "\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
        ),
    ),
  ])('any other encoding of the same manifest is refused', (manifest, reencode) => {
    const text = new TextDecoder().decode(serializeManifest(manifest));
    const other = reencode(JSON.parse(text) as Record<string, unknown>, text);
    fc.pre(other !== text);
    expect(() => parseManifest(utf8(other))).toThrow(/not in canonical form|'loader' must be "bundle"/);
  });

  it('refuses a signed manifest that lists a file twice (JSON.parse would keep the last digest)', async () => {
    const dir = await tempDir('dup');
    await writeTree(dir, jobsPluginFiles('1.0.0'));
    const real = await signPluginDirectory(dir, testKey.privateKeyPem, {
      name: 'jobs',
      version: '1.0.0',
      entry: 'index.js',
    });
    const canonical = await readFile(join(dir, MANIFEST_FILE), 'utf8');
    // The signer's tool listed index.js twice; the first digest is what a reviewer sees.
    const duplicated = canonical.replace(
      `"index.js": "${real.files['index.js']}"`,
      `"index.js": "${sha256('reviewed code')}",\n    "index.js": "${real.files['index.js']}"`,
    );
    expect(duplicated).not.toBe(canonical);
    await signRaw(dir, duplicated);
    await expect(verifyPluginDirectory(dir, { trustedKeys: testTrusted })).rejects.toMatchObject({
      code: 'VERIFICATION_FAILED',
      message: expect.stringContaining('not in canonical form'),
    });
  });

  it('refuses a signature file in a form baton sign never writes', async () => {
    const dir = await tempDir('sig');
    await writeTree(dir, jobsPluginFiles('1.0.0'));
    await signPluginDirectory(dir, testKey.privateKeyPem, { name: 'jobs', version: '1.0.0', entry: 'index.js' });
    const doc = JSON.parse(await readFile(join(dir, SIGNATURE_FILE), 'utf8')) as Record<string, unknown>;
    await writeFile(join(dir, SIGNATURE_FILE), JSON.stringify({ ...doc, note: 'x' }));
    await expect(verifyPluginDirectory(dir, { trustedKeys: testTrusted })).rejects.toThrow(
      /not in the form baton sign writes/,
    );
  });
});

describe('sign and verify share one set of limits', () => {
  it(`what sign accepts verifies: ${MANIFEST_LIMITS.maxFiles} files sign and verify, one more is refused by sign`, async () => {
    const dir = await tempDir('many');
    await writeTree(dir, jobsPluginFiles('1.0.0'));
    const count = MANIFEST_LIMITS.maxFiles - 3; // + package.json, index.js, lib/state.js
    for (let d = 0; d < 10; d++) await mkdir(join(dir, `d${d}`));
    await Promise.all(
      Array.from({ length: count }, (_, i) =>
        writeFile(join(dir, `d${i % 10}`, `${i}.js`), `export const n = ${i};\n`),
      ),
    );
    const manifest = await signPluginDirectory(dir, testKey.privateKeyPem, {
      name: 'jobs',
      version: '1.0.0',
      entry: 'index.js',
    });
    expect(Object.keys(manifest.files)).toHaveLength(MANIFEST_LIMITS.maxFiles);
    const verified = await verifyPluginDirectory(dir, { trustedKeys: testTrusted });
    expect(verified.files.size).toBe(MANIFEST_LIMITS.maxFiles);

    await writeFile(join(dir, 'one-more.js'), '');
    await expect(signPluginDirectory(dir, testKey.privateKeyPem)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining(`more than ${MANIFEST_LIMITS.maxFiles} files`),
    });
  });

  it('sign refuses a file over the size limit and a symbolic link, as verify would', async () => {
    const big = await tempDir('big');
    await writeTree(big, jobsPluginFiles('1.0.0'));
    const handle = await open(join(big, 'blob.bin'), 'w');
    await handle.truncate(MANIFEST_LIMITS.maxFileBytes + 1); // sparse: nothing is written
    await handle.close();
    await expect(
      signPluginDirectory(big, testKey.privateKeyPem, { name: 'jobs', version: '1.0.0', entry: 'index.js' }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('over the limit') });

    const linked = await tempDir('linked');
    await writeTree(linked, jobsPluginFiles('1.0.0'));
    await symlink('/etc/hostname', join(linked, 'link.js'));
    await expect(
      signPluginDirectory(linked, testKey.privateKeyPem, { name: 'jobs', version: '1.0.0', entry: 'index.js' }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('symbolic link') });
  });
});

describe('package.json entry points stay inside the artifact', () => {
  const pkg = (fields: Record<string, unknown>): ReadonlyMap<string, Uint8Array> =>
    new Map([['node_modules/dep/package.json', utf8(JSON.stringify(fields))]]);

  it.each([
    [{ main: '../../../outside.js' }, 'main'],
    [{ main: '/etc/passwd' }, 'main'],
    [{ main: 'file:///etc/passwd' }, 'main'],
    [{ main: '%2e%2e/%2e%2e/%2e%2e/outside.js' }, 'main'], // the ESM resolver reads %2e%2e as ..
    [{ main: '..\\..\\..\\outside.js' }, 'main'], // and \ as /
    [{ exports: './../../../outside.js' }, 'exports'],
    [{ exports: { '.': { import: { node: ['./ok.js', '../../../x.js'] } } } }, 'exports'],
    [{ exports: { './*': './%2e%2e/%2e%2e/%2e%2e/*' } }, 'exports'],
    [{ exports: 'index.js' }, 'exports'],
    [{ imports: { '#x': '/etc/passwd' } }, 'imports'],
    [{ imports: { '#x': '../../../x.js' } }, 'imports'],
    [{ imports: { '#x': 'node:fs' } }, 'imports'],
    // A "bare package name" with a subpath that climbs out: Node resolves dep, then the subpath from it.
    [{ imports: { '#e': 'dep/../../../outside.mjs' } }, 'imports'],
    [{ imports: { '#e': '@s/d/../../../outside.mjs' } }, 'imports'],
    [{ imports: { '#e': 'dep/%2e%2e/%2E%2E/outside.mjs' } }, 'imports'],
    [{ imports: { '#e': 'dep/a%2f..%2f..%2fx.mjs' } }, 'imports'],
    [{ imports: { '#e': 'dep/./x.mjs' } }, 'imports'],
    [{ imports: { '#e': 'dep//x.mjs' } }, 'imports'],
    [{ imports: { '#e': 'dep/%zz' } }, 'imports'],
    [{ imports: { '#e/*': 'dep/*/../../x.mjs' } }, 'imports'],
    [{ imports: { '#e': '.dep/x.mjs' } }, 'imports'],
    [{ imports: { '#e': '@scope' } }, 'imports'],
    [{ imports: { '#e': 'de%70/x.mjs' } }, 'imports'],
  ])('refuses %j', (fields, field) => {
    expect(entryPointProblems(pkg(fields))).toEqual([expect.stringContaining(`'node_modules/dep/package.json'`)]);
    expect(entryPointProblems(pkg(fields))[0]).toContain(field === 'main' ? '"main"' : `"${field}"`);
  });

  it.each([
    [{ main: 'lib/index.js' }],
    [{ main: './lib/../index.js' }],
    [{ main: '../dep2/index.js' }], // another package inside the artifact
    [{ exports: { '.': { import: './index.js', require: './index.cjs' }, './sub/*': './lib/*.js' } }],
    [{ imports: { '#x': './lib/x.js', '#y': 'other-dep', '#z/*': '@scope/pkg/*' } }],
    [{ imports: { '#y': 'dep/lib/x.mjs', '#z': '@scope/pkg/lib/x%20y.mjs', '#w': 'JSONStream' } }],
    [{ name: 'dep', version: '1.0.0', type: 'module' }],
  ])('accepts %j', (fields) => {
    expect(entryPointProblems(pkg(fields))).toEqual([]);
  });

  it('refuses a too deeply nested exports map rather than skipping it', () => {
    let exportsValue: unknown = '../../../x.js';
    for (let i = 0; i < 40; i++) exportsValue = { node: exportsValue };
    expect(entryPointProblems(pkg({ exports: exportsValue }))[0]).toContain('nested too deeply');
  });

  it('a signed node_modules/dep whose "main" points outside is refused by sign and by verify', async () => {
    const dir = await tempDir('main-escape');
    await writeTree(dir, {
      ...jobsPluginFiles('1.0.0'),
      'index.js': `import dep from 'dep';\nexport default { name: 'jobs', version: '1.0.0', register() { dep(); } };\n`,
      'node_modules/dep/package.json': JSON.stringify({ name: 'dep', main: '../../../../../../../tmp/outside.js' }),
    });
    await expect(
      signPluginDirectory(dir, testKey.privateKeyPem, { name: 'jobs', version: '1.0.0', entry: 'index.js' }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('"main"') });
    // Signed anyway, by an older signer: verification refuses it before any code runs.
    const files = Object.fromEntries(
      await Promise.all(
        ['index.js', 'lib/state.js', 'node_modules/dep/package.json', 'package.json'].map(
          async (p) => [p, sha256(await readFile(join(dir, p)))] as const,
        ),
      ),
    );
    await signRaw(
      dir,
      new TextDecoder().decode(
        serializeManifest({
          manifestVersion: 1,
          name: 'jobs',
          version: '1.0.0',
          entry: 'index.js',
          dependsOn: [],
          surfaces: [],
          files,
        }),
      ),
    );
    await expect(verifyPluginDirectory(dir, { trustedKeys: testTrusted })).rejects.toMatchObject({
      code: 'VERIFICATION_FAILED',
      message: expect.stringContaining('resolves outside the artifact'),
    });
  });
});

describe('an imports target cannot climb out of the artifact through a package', () => {
  it('sign and verify refuse "dep/../../../outside.mjs", before any code runs', async () => {
    const dir = await tempDir('imports-climb');
    await writeTree(dir, {
      ...jobsPluginFiles('1.0.0'),
      'package.json': JSON.stringify({ type: 'module', imports: { '#e': 'dep/../../../outside.mjs' } }),
      'node_modules/dep/package.json': '{}',
      'node_modules/dep/index.js': '',
      'index.js': `import '#e';\nglobalThis.__climbRan = true;\nexport default { name: 'jobs', version: '1.0.0', register() {} };\n`,
    });
    await expect(
      signPluginDirectory(dir, testKey.privateKeyPem, { name: 'jobs', version: '1.0.0', entry: 'index.js' }),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining(
        `"imports" target "dep/../../../outside.mjs" must start with './' or be a bare package name`,
      ),
    });
    await signRaw(dir, await rawManifest(dir, { version: '1.0.0' }));
    await expect(verifyPluginDirectory(dir, { trustedKeys: testTrusted })).rejects.toMatchObject({
      code: 'VERIFICATION_FAILED',
      message: expect.stringContaining("its subpath has an empty, '.' or '..' segment"),
    });
    expect((globalThis as { __climbRan?: boolean }).__climbRan).toBeUndefined();
  });
});

describe('manifest versions are semantic versions', () => {
  it('sign refuses a version like "banana"; verify and load refuse one signed anyway, before any code runs', async () => {
    const dir = await tempDir('banana');
    await writeTree(dir, {
      ...jobsPluginFiles('1.0.0'),
      'index.js': `globalThis.__bananaRan = true;\nexport default { name: 'jobs', version: 'banana', register() {} };\n`,
    });
    await expect(
      signPluginDirectory(dir, testKey.privateKeyPem, { name: 'jobs', version: 'banana', entry: 'index.js' }),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining(`'version' "banana" is not a semantic version`),
    });
    await signRaw(dir, await rawManifest(dir, { version: 'banana' }));
    await expect(verifyPluginDirectory(dir, { trustedKeys: testTrusted })).rejects.toMatchObject({
      code: 'VERIFICATION_FAILED',
      message: expect.stringContaining(`'version' "banana" is not a semantic version`),
    });
    const runtime = await runtimeDir('banana');
    await expect(loadPluginVersion(dir, { trustedKeys: testTrusted, runtimeDirectory: runtime })).rejects.toMatchObject(
      { code: 'VERIFICATION_FAILED' },
    );
    expect((globalThis as { __bananaRan?: boolean }).__bananaRan).toBeUndefined();
    expect(() =>
      parseManifest(
        serializeManifest({
          manifestVersion: 1,
          name: 'jobs',
          version: '1.0',
          entry: 'index.js',
          dependsOn: [],
          surfaces: [],
          files: { 'index.js': sha256('') },
        }),
      ),
    ).toThrow(/is not a semantic version/);
  });
});

/** The canonical manifest of every file in `dir` (what an older signer without today's checks wrote). */
async function rawManifest(dir: string, fields: { version: string }): Promise<string> {
  const paths = (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((entry) => entry.isFile() && entry.name !== MANIFEST_FILE && entry.name !== SIGNATURE_FILE)
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1));
  const files = Object.fromEntries(
    await Promise.all(paths.map(async (p) => [p, sha256(await readFile(join(dir, p)))] as const)),
  );
  return new TextDecoder().decode(
    serializeManifest({
      manifestVersion: 1,
      name: 'jobs',
      version: fields.version,
      entry: 'index.js',
      dependsOn: [],
      surfaces: [],
      files,
    }),
  );
}
