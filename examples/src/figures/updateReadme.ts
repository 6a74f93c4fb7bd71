/**
 * Rewrites the generated figures of the root README (blocks between `<!-- figures:NAME:start -->` and
 * `<!-- figures:NAME:end -->`) from what the measuring scripts print, so no number in the docs is
 * typed by hand. Run: `npm run docs:figures`.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const examples = fileURLToPath(new URL('../..', import.meta.url));
const readmePath = fileURLToPath(new URL('../../../README.md', import.meta.url));

function run(script: string, ...args: string[]): string {
  return execFileSync(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', '--conditions=@baton/source', script, ...args],
    { cwd: examples, encoding: 'utf8' },
  );
}

/** Replaces the block `name` of `text` with `body`. */
export function replaceBlock(text: string, name: string, body: string): string {
  const start = `<!-- figures:${name}:start -->`;
  const end = `<!-- figures:${name}:end -->`;
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i < 0 || j < i) throw new Error(`README has no figures block '${name}'`);
  return text.slice(0, i + start.length) + '\n' + body.trimEnd() + '\n' + text.slice(j);
}

const heap = JSON.parse(run('src/measureHeap.ts', '100').trim().split('\n').at(-1)!) as {
  reloads: number;
  sameCodeGrowthPerReloadKiB: number;
  newCodeGrowthPerReloadKiB: number;
  node: string;
};
let readme = readFileSync(readmePath, 'utf8');
readme = replaceBlock(
  readme,
  'heap',
  `  ${heap.newCodeGrowthPerReloadKiB} KiB of heap per reload to new code, and ${heap.sameCodeGrowthPerReloadKiB} KiB per reload\n` +
    `  to the same code (what the reload machinery itself keeps), over ${heap.reloads} reloads on Node ${heap.node}.`,
);
writeFileSync(readmePath, readme);
console.log('README figures updated: heap');
