import { mkdtemp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './__tests__/runCli.js';

const run = runCli;

async function pluginDir(root: string, version: string, jobs: string[]): Promise<string> {
  const dir = join(root, `p${version}`);
  await mkdir(dir);
  await writeFile(join(dir, 'package.json'), '{ "type": "module" }\n');
  await writeFile(
    join(dir, 'index.js'),
    `export default { name: 'demo', version: '${version}', register(r) { ${jobs.map((j) => `r.backgroundJob({ name: '${j}', intervalMs: 5, tick() {} });`).join(' ')} } };\n`,
  );
  await writeFile(
    join(dir, 'baton-plugin.json'),
    JSON.stringify({
      name: 'demo',
      version,
      entry: 'index.js',
      surfaces: jobs.map((key) => ({ kind: 'backgroundJob', key })),
    }),
  );
  return dir;
}

describe('baton CLI', () => {
  it('keygen, sign, verify and inspect with a compat verdict', async () => {
    const root = await mkdtemp(join(tmpdir(), 'baton-cli-'));
    const keys = join(root, 'keys');
    expect((await run('keygen', '--out', keys)).out).toMatch(/key id {6}[0-9a-f]{16}/);
    expect((await run('keygen', '--out', keys)).err).toContain('refusing to overwrite');
    const v1 = await pluginDir(root, '1.0.0', ['tick']);
    const v2 = await pluginDir(root, '2.0.0', ['tick', 'extra']);
    for (const dir of [v1, v2]) expect((await run('sign', dir, '--key', join(keys, 'baton-signing.key'))).code).toBe(0);
    const verified = await run('verify', v2, '--trust', join(keys, 'baton-signing.pub'));
    expect(verified).toMatchObject({ code: 0, out: expect.stringContaining('ok: demo 2.0.0 signed by') });
    const inspected = await run('inspect', v2, '--against', v1, '--trust', join(keys, 'baton-signing.pub'));
    expect(inspected.code).toBe(0);
    expect(inspected.out).toContain("backgroundJob 'extra': added");
    expect(inspected.out).toContain('verdict: compatible');
    await writeFile(join(v2, 'index.js'), 'export default {};\n');
    const tampered = await run('verify', v2, '--trust', join(keys, 'baton-signing.pub'));
    expect(tampered).toMatchObject({
      code: 1,
      err: expect.stringContaining("VERIFICATION_FAILED: 'index.js' does not match"),
    });
  });

  it('sign --bundle builds a bundled artifact that verifies and inspects (with the modules a host shares)', async () => {
    const root = await mkdtemp(join(tmpdir(), 'baton-cli-'));
    const keys = join(root, 'keys');
    await run('keygen', '--out', keys);
    const [key, pub] = [join(keys, 'baton-signing.key'), join(keys, 'baton-signing.pub')];
    const v1 = await pluginDir(root, '1.0.0', ['tick']);
    expect((await run('sign', v1, '--key', key)).code).toBe(0);
    const v2 = await pluginDir(root, '2.0.0', ['tick', 'extra']);
    // v2 uses a module the host shares: left out of the bundle, supplied at load.
    await writeFile(
      join(v2, 'index.js'),
      "import { gCounter } from '@baton/kinds';\n" +
        "export default { name: 'demo', version: '2.0.0', register(r) { r.backgroundJob({ name: 'tick', intervalMs: 5, tick() { return gCounter().kind; } }); r.backgroundJob({ name: 'extra', intervalMs: 5, tick() {} }); } };\n",
    );
    const out = join(root, 'v2-bundle');
    const signed = await run('sign', v2, '--key', key, '--bundle', out, '--external', '@baton/kinds');
    expect(signed).toMatchObject({
      code: 0,
      out: expect.stringMatching(/bundled and signed demo 2\.0\.0: .*plugin\.cjs \(\d+ bytes\)/),
    });
    expect(await run('verify', out, '--trust', pub)).toMatchObject({
      code: 0,
      out: expect.stringContaining('2 file(s)'),
    });
    const unshared = await run('inspect', out, '--against', v1, '--trust', pub);
    expect(unshared).toMatchObject({ code: 1, err: expect.stringContaining("requires '@baton/kinds'") });
    const inspected = await run('inspect', out, '--against', v1, '--trust', pub, '--shared', '@baton/kinds');
    expect(inspected).toMatchObject({ code: 0, out: expect.stringContaining("backgroundJob 'extra': added") });
    expect((await run('inspect', out, '--trust', pub, '--against', v1, '--shared', 'no-such-module')).err).toContain(
      '--shared no-such-module: not found',
    );
    expect((await run('sign', v2, '--key', key, '--bundle', v1)).err).toContain('holds files of its own');
    expect((await run('sign', v2, '--key', key, '--external', 'x')).err).toContain(
      '--external only goes with --bundle',
    );
  });

  it('sign lists the surfaces from register() when the manifest does not, for a bundle too', async () => {
    const root = await mkdtemp(join(tmpdir(), 'baton-cli-'));
    const keys = join(root, 'keys');
    await run('keygen', '--out', keys);
    const key = join(keys, 'baton-signing.key');
    const dir = await pluginDir(root, '1.0.0', ['tick', 'other']);
    await writeFile(
      join(dir, 'baton-plugin.json'),
      JSON.stringify({ name: 'demo', version: '1.0.0', entry: 'index.js' }),
    );
    const signed = await run('sign', dir, '--key', key);
    expect(signed).toMatchObject({
      code: 0,
      out: expect.stringContaining('surfaces: backgroundJob tick, backgroundJob other (from register())'),
    });
    const manifest = JSON.parse(await readFile(join(dir, 'baton-plugin.json'), 'utf8')) as { surfaces: unknown };
    expect(manifest.surfaces).toEqual([
      { kind: 'backgroundJob', key: 'tick' },
      { kind: 'backgroundJob', key: 'other' },
    ]);
    const source = await pluginDir(root, '2.0.0', ['tick']);
    await writeFile(
      join(source, 'baton-plugin.json'),
      JSON.stringify({ name: 'demo', version: '2.0.0', entry: 'index.js' }),
    );
    const out = join(root, 'bundle');
    expect((await run('sign', source, '--key', key, '--bundle', out)).code).toBe(0);
    const bundled = JSON.parse(await readFile(join(out, 'baton-plugin.json'), 'utf8')) as {
      surfaces: unknown;
      loader: string;
    };
    expect(bundled).toMatchObject({ loader: 'bundle', surfaces: [{ kind: 'backgroundJob', key: 'tick' }] });
    expect((await run('verify', out, '--trust', join(keys, 'baton-signing.pub'))).code).toBe(0);
    // A register() that needs a host service nobody gave: sign says what to do.
    const needy = join(root, 'needy');
    await mkdir(needy);
    await writeFile(join(needy, 'package.json'), '{ "type": "module" }\n');
    await writeFile(
      join(needy, 'index.js'),
      "export default { name: 'needy', version: '1.0.0', register(r) { r.scope.resolve('my.env'); } };\n",
    );
    await writeFile(
      join(needy, 'baton-plugin.json'),
      JSON.stringify({ name: 'needy', version: '1.0.0', entry: 'index.js' }),
    );
    const refused = await run('sign', needy, '--key', key);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('pass --services for the host services it needs, or write "surfaces"');
  });

  it('explains usage errors', async () => {
    expect((await run()).code).toBe(2);
    expect((await run('sign', 'x')).err).toContain('sign needs <plugin-dir> and --key');
    expect((await run('frobnicate')).err).toContain("unknown command 'frobnicate'");
    expect((await run('--help')).out).toContain('baton keygen');
  });
});
