/**
 * `npm start`: the Baton demo on a real stack. PostgreSQL (embedded, or `--postgres-url`) takes
 * writes; a logical replication slot feeds a Baton-managed CDC stream into PostgreSQL sink tables;
 * DuckDB runs the queries that call the plugin's functions; the plugin is hot-reloaded from signed
 * artifacts under that load. See `npm start -- --help`.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import exitHook from 'async-exit-hook';
import { isReloadError } from '@baton/core';
import { htmlReport } from './demo/htmlReport.js';
import { HELP, parseDemoOptions } from './demo/options.js';
import { textReport } from './demo/report.js';
import { runDemo } from './demo/scenario.js';

const examplesDir = fileURLToPath(new URL('..', import.meta.url));

/**
 * Ctrl-C (SIGINT), SIGTERM and SIGHUP stop the run: the clients, the CDC pump (its slot dropped),
 * DuckDB and the plugin host are closed, and an embedded PostgreSQL is stopped (its own hook does
 * that too). async-exit-hook, which the embedded server uses, waits for this hook before it exits.
 */
const interrupted = new AbortController();
let running: Promise<unknown> = Promise.resolve();
exitHook((done?: () => void) => {
  if (typeof done !== 'function') return; // the process is exiting already: nothing asynchronous runs
  if (!interrupted.signal.aborted) {
    console.error('\nInterrupted: stopping the clients, the CDC pump, DuckDB and PostgreSQL…');
    interrupted.abort(new Error('interrupted'));
  }
  void Promise.race([running, new Promise((resolve) => setTimeout(resolve, 8_000))]).finally(done);
});

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
    `Baton demo: v1 serves ${options.clients} query clients and ${options.writers} writers; v2 is hot-reloaded mid-load; v3 and a tampered v2 are refused.\n`,
  );
  // Plugins are imported from a runtime directory inside the examples package, so their imports of
  // @baton/* resolve to the same modules as the host's.
  const run = runDemo(options, join(examplesDir, 'plugins'), join(examplesDir, '.baton-runtime'), interrupted.signal);
  running = run.catch(() => undefined);
  const result = await run;
  const htmlPath = join(options.dataDirectory, 'report.html');
  const { lines, ok } = textReport(result, htmlPath);
  await writeFile(htmlPath, htmlReport(result, lines));
  console.log(`\n${lines.join('\n')}`);
  return ok ? 0 : 1;
}

// The process exits as soon as the run is over, whatever handles a library still keeps open.
main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (interrupted.signal.aborted) return; // the exit hook ends the process once the run is stopped
    console.error(isReloadError(error) ? `${error.code}: ${error.message}` : error);
    process.exit(1);
  },
);
