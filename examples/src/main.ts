/**
 * `npm start`: the Baton demo. An embedded data engine serves concurrent clients while its plugin
 * is hot-reloaded from signed artifacts; see `npm start -- --help`.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isReloadError } from '@baton/core';
import { htmlReport } from './demo/htmlReport.js';
import { HELP, parseDemoOptions } from './demo/options.js';
import { textReport } from './demo/report.js';
import { runDemo } from './demo/scenario.js';

const examplesDir = fileURLToPath(new URL('..', import.meta.url));

async function main(): Promise<number> {
  let options;
  try {
    options = parseDemoOptions(process.argv.slice(2), examplesDir);
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n\n${HELP}`);
    return 2;
  }
  if (!options) {
    console.log(HELP);
    return 0;
  }
  console.log(
    `Baton demo: v1 serves ${options.clients} clients; v2 is hot-reloaded mid-load; v3 and a tampered v2 are refused.\n`,
  );
  // Plugins are imported from a runtime directory inside the examples package, so their imports of
  // @baton/core and @baton/kinds resolve to the same modules as the host's.
  const run = await runDemo(options, join(examplesDir, 'plugins'), join(examplesDir, '.baton-runtime'));
  const htmlPath = join(options.dataDirectory, 'report.html');
  const { lines, ok } = textReport(run, htmlPath);
  await writeFile(htmlPath, htmlReport(run, lines));
  console.log(`\n${lines.join('\n')}`);
  return ok ? 0 : 1;
}

main().then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    console.error(isReloadError(error) ? `${error.code}: ${error.message}` : error);
    process.exitCode = 1;
  },
);
