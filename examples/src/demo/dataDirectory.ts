import { lstat, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ReloadError } from '@baton/core';

/** The file that marks a directory as the demo's own: only such a directory is ever emptied. */
export const DEMO_MARKER = '.baton-demo-data';

const MARKER_TEXT = 'Made by the Baton demo (npm start). The demo empties this directory at each run.\n';

/**
 * Makes `directory` ready for a demo run without deleting anything the demo did not make: an absent
 * directory is created, an empty one is used, one holding the demo's marker file is emptied (the
 * marker stays). Anything else — a non-empty directory without the marker, a file, a symbolic or
 * hard link as the marker — is refused with `INVALID_ARGUMENT` and left as it is.
 */
export async function prepareDataDirectory(directory: string): Promise<void> {
  const refuse = (why: string): ReloadError =>
    new ReloadError({
      code: 'INVALID_ARGUMENT',
      message: `--data-dir ${directory}: ${why}; the demo only empties a directory it made (marked by ${DEMO_MARKER}). Pass an empty or new directory.`,
    });
  let entries: string[];
  try {
    entries = await readdir(directory);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') throw refuse('it is not a directory');
    if (code !== 'ENOENT') throw refuse(`it cannot be read (${code ?? String(error)})`);
    await mkdir(directory, { recursive: true });
    entries = [];
  }
  if (entries.length > 0) {
    if (!entries.includes(DEMO_MARKER)) throw refuse(`it holds ${entries.length} entries the demo did not make`);
    const marker = await lstat(join(directory, DEMO_MARKER));
    // A hard link would make the marker someone else's file too (and writing it would change theirs).
    if (!marker.isFile() || marker.nlink !== 1) throw refuse(`${DEMO_MARKER} is not a regular file of its own`);
    for (const entry of entries)
      if (entry !== DEMO_MARKER) await rm(join(directory, entry), { recursive: true, force: true });
    return;
  }
  await writeFile(join(directory, DEMO_MARKER), MARKER_TEXT, { flag: 'wx' });
}
