import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../../../', import.meta.url));

/** The `sh` block after the marker `<!-- example: name` in `readme`. */
async function shellExample(readme: string, name: string): Promise<string> {
  const text = await readFile(join(root, readme), 'utf8');
  const at = text.indexOf(`<!-- example: ${name} `);
  if (at < 0) throw new Error(`${readme} has no example '${name}'`);
  const block = /```sh\n([\s\S]*?)```/.exec(text.slice(at));
  if (!block) throw new Error(`example '${name}' in ${readme} has no sh block`);
  return block[1]!;
}

/**
 * A project as a newcomer has one after `npm install @baton/core @baton/kinds`: the examples'
 * plugin directories under `plugins/`, the core README's `host-services.js`, and this repository's
 * node_modules (so `npx baton` is the CLI built from these sources).
 */
async function newcomerProject(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'baton-readme-sh-'));
  await cp(join(root, 'examples', 'plugins'), join(dir, 'plugins'), { recursive: true });
  await symlink(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  await writeFile(join(dir, 'package.json'), JSON.stringify({ type: 'module', private: true }));
  const core = await readFile(join(root, 'packages', 'core', 'README.md'), 'utf8');
  const services = /<!-- example: services[^\n]*\n\n```js\n\/\/ host-services\.js\n([\s\S]*?)```/.exec(core)?.[1];
  if (services === undefined) throw new Error('the core README has no host-services.js example');
  await writeFile(join(dir, 'host-services.js'), services);
  return dir;
}

/** Runs a README's commands as written, with `sh -e` (the first failing command fails the block). */
async function runBlock(dir: string, commands: string): Promise<string> {
  try {
    const { stdout } = await run('sh', ['-e', '-c', commands], { cwd: dir, timeout: 120_000 });
    return stdout;
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    throw new Error(`the README's commands failed:\n${commands}\n${e.stdout ?? ''}${e.stderr ?? ''}`, { cause: error });
  }
}

describe("the READMEs' shell commands, run as written", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await newcomerProject();
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('root README: keygen, sign both versions, verify, inspect; then a bundled artifact', async () => {
    const signed = await runBlock(dir, await shellExample('README.md', 'cli-sign'));
    expect(signed).toContain('signed geo-search 2.0.0');
    expect(signed).toMatch(/ok: geo-search 2\.0\.0 signed by [0-9a-f]{16}/);
    expect(signed).toContain('compatible'); // inspect's verdict: v2 may replace v1
    const bundled = await runBlock(dir, await shellExample('README.md', 'cli-bundle'));
    expect(bundled).toContain('signed geo-search 2.0.0');
    const manifest = JSON.parse(
      await readFile(join(dir, 'artifacts', 'geo-search-v2', 'baton-plugin.json'), 'utf8'),
    ) as {
      loader?: string;
    };
    expect(manifest.loader).toBe('bundle');
  }, 180_000);

  it('core README: the CLI block, in a project of its own', async () => {
    const own = await newcomerProject();
    try {
      const out = await runBlock(own, await shellExample('packages/core/README.md', 'cli'));
      expect(out).toContain('signed geo-search 2.0.0');
      expect(out).toContain('compatible');
    } finally {
      await rm(own, { recursive: true, force: true });
    }
  }, 180_000);
});
