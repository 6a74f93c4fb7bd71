import { link, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEMO_MARKER, prepareDataDirectory } from './dataDirectory.js';
import { runDemo } from './scenario.js';

describe("the demo's --data-dir never deletes what the demo did not make", () => {
  let root: string;
  beforeEach(async () => (root = await mkdtemp(join(tmpdir(), 'baton-data-dir-'))));
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('refuses a non-empty directory without the marker and leaves every file in it', async () => {
    const dir = join(root, 'mine');
    await mkdir(join(dir, 'photos'), { recursive: true });
    await writeFile(join(dir, 'thesis.tex'), 'years of work');
    await writeFile(join(dir, 'photos', 'a.jpg'), 'pixels');
    await expect(prepareDataDirectory(dir)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('did not make'),
    });
    expect((await readdir(dir)).sort()).toEqual(['photos', 'thesis.tex']);
    expect(await readFile(join(dir, 'thesis.tex'), 'utf8')).toBe('years of work');
  });

  it('runDemo refuses such a directory before touching it', async () => {
    const dir = join(root, 'home');
    await mkdir(dir);
    await writeFile(join(dir, '.bashrc'), 'alias ll="ls -l"');
    const options = {
      durationSec: 1,
      clients: 1,
      writers: 1,
      rate: 50,
      writeRate: 20,
      dataDirectory: dir,
      seed: 1,
      rows: 100,
      progress: false,
    };
    await expect(runDemo(options, join(root, 'no-plugins'), join(root, 'runtime'))).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    expect(await readdir(dir)).toEqual(['.bashrc']);
  });

  it('creates an absent directory and marks it; an empty one is used and marked', async () => {
    await prepareDataDirectory(join(root, 'new', 'deep'));
    expect(await readdir(join(root, 'new', 'deep'))).toEqual([DEMO_MARKER]);
    await mkdir(join(root, 'empty'));
    await prepareDataDirectory(join(root, 'empty'));
    expect(await readdir(join(root, 'empty'))).toEqual([DEMO_MARKER]);
  });

  it('empties a directory an earlier run made, keeping only the marker', async () => {
    const dir = join(root, 'run');
    await prepareDataDirectory(dir);
    await mkdir(join(dir, 'cdc', 'audit'), { recursive: true });
    await writeFile(join(dir, 'report.html'), '<html>');
    await prepareDataDirectory(dir);
    expect(await readdir(dir)).toEqual([DEMO_MARKER]);
  });

  it('refuses a file, and a marker that is a symbolic link', async () => {
    await writeFile(join(root, 'file'), 'x');
    await expect(prepareDataDirectory(join(root, 'file'))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    const dir = join(root, 'linked');
    await mkdir(dir);
    await writeFile(join(dir, 'keep'), 'x');
    await symlink(join(root, 'file'), join(dir, DEMO_MARKER));
    await expect(prepareDataDirectory(dir)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect((await readdir(dir)).sort()).toEqual([DEMO_MARKER, 'keep']);
  });

  it('refuses a marker that is a hard link to another file, and leaves that file as it was', async () => {
    await writeFile(join(root, 'precious.txt'), 'mine');
    const dir = join(root, 'hard');
    await mkdir(dir);
    await link(join(root, 'precious.txt'), join(dir, DEMO_MARKER));
    await writeFile(join(dir, 'other'), 'x');
    await expect(prepareDataDirectory(dir)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(await readFile(join(root, 'precious.txt'), 'utf8')).toBe('mine');
    expect((await readdir(dir)).sort()).toEqual([DEMO_MARKER, 'other']);
  });
});
