/**
 * What reloading to new plugin code costs a long-lived host in heap, per loading mode: each
 * scenario of `heap/heapScenario.ts` runs in a process of its own, and this prints one JSON line
 * with every figure (the last line of stdout; `npm run docs:figures` writes them into the README).
 *
 * - `machinery`: 1000 reloads to the same code (what the reload machinery itself keeps);
 * - `bundleSmall`: 1000 reloads, each to a new bundled version of a plugin with a 2000-entry table;
 * - `moduleSmall`: 100 reloads of the same plugin loaded as ES modules (Node keeps every module graph);
 * - `bundleLarge`: 100 reloads, each to a new bundled version of a plugin of about 5 MB;
 * - `moduleLarge`: 10 reloads of that plugin as ES modules;
 * - `scriptSmall`, `contextSmall`: 100 reloads of the small plugin's bundles evaluated the two ways
 *   Baton does not (a `vm.Script` here; a `vm` context per version), the measurement behind its choice.
 *
 * Run: `npm run heap --workspace instruments` (`--quick`: a tenth of the reloads, for a smoke test).
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const quick = process.argv.includes('--quick');
const scenario = fileURLToPath(new URL('./heap/heapScenario.ts', import.meta.url));

/** Runs one scenario in a child process; its growth per reload (KiB of heap, after forced GC). */
function measure(mode: string, size: string, reloads: number): { reloads: number; heapPerReloadKiB: number } {
  const n = quick ? Math.max(5, Math.ceil(reloads / 10)) : reloads;
  const out = execFileSync(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', '--conditions=@baton/source', scenario, mode, size, String(n)],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const result = JSON.parse(out.trim().split('\n').at(-1)!) as { reloads: number; heapPerReloadKiB: number };
  return { reloads: result.reloads, heapPerReloadKiB: result.heapPerReloadKiB };
}

const figures = {
  machinery: measure('same', 'small', 1000),
  bundleSmall: measure('bundle', 'small', 1000),
  moduleSmall: measure('esm', 'small', 100),
  bundleLarge: measure('bundle', 'large', 100),
  moduleLarge: measure('esm', 'large', 10),
  scriptSmall: measure('script', 'small', 100),
  contextSmall: measure('context', 'small', 100),
  node: process.version,
};
console.log(JSON.stringify(figures));
