import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The repository's README. */
const readmePath = fileURLToPath(new URL('../../../README.md', import.meta.url));

/** Replaces the generated block `name` (between `<!-- figures:NAME:start -->` and `…:end -->`) of `text`. */
function replaceBlock(text: string, name: string, body: string): string {
  const start = `<!-- figures:${name}:start -->`;
  const end = `<!-- figures:${name}:end -->`;
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i < 0 || j < i) throw new Error(`README has no figures block '${name}'`);
  return text.slice(0, i + start.length) + '\n' + body.trimEnd() + '\n' + text.slice(j);
}

/** Rewrites block `name` of the README (the root one unless `path` names another) with `body`. */
export function updateReadmeBlock(name: string, body: string, path = readmePath): void {
  writeFileSync(path, replaceBlock(readFileSync(path, 'utf8'), name, body));
}
