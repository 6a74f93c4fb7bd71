import { readFile, readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readmeWorkspaces } from './readmeSnippet.js';

const root = fileURLToPath(new URL('../../../..', import.meta.url));
const workspaces = readmeWorkspaces;

/** The folders the `## Files` table of a README names (`src/…/`), in its order. */
function mappedFolders(readme: string): string[] | undefined {
  const at = readme.indexOf('\n## Files');
  if (at < 0) return undefined;
  const section = readme.slice(at + 1).split(/\n## /)[0]!;
  return [...section.matchAll(/^\| `([^`]+\/)` /gm)].map((m) => m[1]!);
}

/** Every folder under `src/` (test-only `__tests__` folders excepted), as `src/…/`. */
async function sourceFolders(workspace: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (directory: string): Promise<void> => {
    found.push(`${relative(workspace, directory)}/`);
    for (const entry of await readdir(directory, { withFileTypes: true }))
      if (entry.isDirectory() && entry.name !== '__tests__') await walk(join(directory, entry.name));
  };
  await walk(join(workspace, 'src'));
  return found.sort();
}

describe('the file map of each package README', () => {
  for (const workspace of workspaces) {
    it(`${workspace}: names every source folder, and only folders that exist`, async () => {
      const readme = await readFile(join(root, workspace, 'README.md'), 'utf8');
      const mapped = mappedFolders(readme);
      expect(mapped, `${workspace}/README.md has no "## Files" section`).toBeDefined();
      // Test-only `__tests__` folders may be named (they must exist) but need not be.
      const helpers = mapped!.filter((folder) => folder.endsWith('/__tests__/'));
      for (const folder of helpers)
        await expect(stat(join(root, workspace, folder)), `${workspace}/${folder}`).resolves.toBeDefined();
      const rest = mapped!.filter((folder) => !helpers.includes(folder));
      expect(rest.sort()).toEqual(await sourceFolders(join(root, workspace)));
    });
  }
});
