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

type Figure = { reloads: number; heapPerReloadKiB: number };
const heap = JSON.parse(run('src/measureHeap.ts').trim().split('\n').at(-1)!) as {
  machinery: Figure;
  bundleSmall: Figure;
  moduleSmall: Figure;
  bundleLarge: Figure;
  moduleLarge: Figure;
  scriptSmall: Figure;
  contextSmall: Figure;
  node: string;
};
const kib = (f: Figure): string => `${f.heapPerReloadKiB} KiB per reload (${f.reloads} reloads)`;
updateReadmeBlock(
  'heap',
  [
    '| Heap growth after forced GC, each reload to a new version | Bundled (`baton sign --bundle`) | ES module |',
    '| --- | --- | --- |',
    `| plugin with a 2000-entry module-level table | ${kib(heap.bundleSmall)} | ${kib(heap.moduleSmall)} |`,
    `| plugin of about 5 MB | ${kib(heap.bundleLarge)} | ${kib(heap.moduleLarge)} |`,
    '',
    'The same bundles of the small plugin evaluated the ways Baton does not: as a `vm.Script` in the ' +
      `host's context, ${kib(heap.scriptSmall)}; in a \`vm\` context per version, ${kib(heap.contextSmall)}.`,
    '',
    `Reloads to the same code (what the reload machinery itself keeps): ${kib(heap.machinery)}. ` +
      `Node ${heap.node}; \`npm run heap --workspace instruments\`.`,
  ].join('\n'),
);
console.log('README figures updated: heap');
