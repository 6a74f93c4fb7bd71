/**
 * Rewrites the generated figures of the READMEs (blocks between `<!-- figures:NAME:start -->` and
 * `<!-- figures:NAME:end -->`) from what the measuring scripts print, so no number in the docs is
 * typed by hand. Run: `npm run docs:figures` (every block), or `npm run docs:figures -- heap demo`.
 *
 * - `heap`: the root README's heap growth per reload (`src/measureHeap.ts`).
 * - `demo`: what `npm start -- --no-progress` printed, in examples/README.md, with its wall time.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { updateReadmeBlock } from './readmeBlocks.js';

const instruments = fileURLToPath(new URL('../..', import.meta.url));
const examples = fileURLToPath(new URL('../../../examples', import.meta.url));
const wanted = new Set(process.argv.slice(2));
const blocks = ['heap', 'demo'];
for (const name of wanted)
  if (!blocks.includes(name)) throw new Error(`no figures block '${name}' (there are: ${blocks.join(', ')})`);
const want = (name: string): boolean => wanted.size === 0 || wanted.has(name);

function run(script: string, ...args: string[]): string {
  return execFileSync(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', '--conditions=@baton/source', script, ...args],
    { cwd: instruments, encoding: 'utf8' },
  );
}

if (want('heap')) heapFigures();
if (want('demo')) demoFigures();

function heapFigures(): void {
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
}

/** Runs the demo as a user would, from the examples workspace, and writes what it printed. */
function demoFigures(): void {
  const started = performance.now();
  const printed = execFileSync(
    process.execPath,
    ['--import', 'tsx', '--conditions=@baton/source', 'src/main.ts', '--no-progress'],
    { cwd: examples, encoding: 'utf8' },
  );
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  updateReadmeBlock(
    'demo',
    [
      `\`npm start -- --no-progress\` on the 2-core development machine (Node ${process.versions.node}): ` +
        `${seconds} s of wall time, PostgreSQL's start included:`,
      '',
      '```text',
      printed.replaceAll(examples, 'examples').trimEnd(),
      '```',
    ].join('\n'),
    fileURLToPath(new URL('../../../examples/README.md', import.meta.url)),
  );
  console.log('README figures updated: demo (examples/README.md)');
}
