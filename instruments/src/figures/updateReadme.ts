/**
 * Rewrites the generated figures of the root README (blocks between `<!-- figures:NAME:start -->` and
 * `<!-- figures:NAME:end -->`) from what the measuring scripts print, so no number in the docs is
 * typed by hand. Run: `npm run docs:figures`.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { updateReadmeBlock } from './readmeBlocks.js';

const instruments = fileURLToPath(new URL('../..', import.meta.url));

function run(script: string, ...args: string[]): string {
  return execFileSync(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', '--conditions=@baton/source', script, ...args],
    { cwd: instruments, encoding: 'utf8' },
  );
}

const heap = JSON.parse(run('src/measureHeap.ts', '100').trim().split('\n').at(-1)!) as {
  reloads: number;
  sameCodeGrowthPerReloadKiB: number;
  newCodeGrowthPerReloadKiB: number;
  node: string;
};
updateReadmeBlock(
  'heap',
  `  ${heap.newCodeGrowthPerReloadKiB} KiB of heap per reload to new code, and ${heap.sameCodeGrowthPerReloadKiB} KiB per reload\n` +
    `  to the same code (what the reload machinery itself keeps), over ${heap.reloads} reloads on Node ${heap.node}.`,
);
console.log('README figures updated: heap');
