// A module loader hook for the loader tests: the first time a copy's lib/state.js is loaded (after
// Node resolved it, before it reads it) the file is moved aside, as a process repairing the copy at
// that instant would. Node then caches the failed load under that URL.
import { renameSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

let moved = false;

export async function load(url, context, nextLoad) {
  if (!moved && url.endsWith('/lib/state.js')) {
    moved = true;
    const path = fileURLToPath(url);
    renameSync(path, `${path}.moved-aside`);
  }
  return nextLoad(url, context);
}
