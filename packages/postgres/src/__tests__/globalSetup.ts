/**
 * Vitest global setup: ONE embedded PostgreSQL server for every test file of this package, and of
 * @baton/fleet, whose vitest.config.ts names this file (starting one per file cost ~1.5–2 s of CPU
 * each on 2 cores). Each file makes its own database
 * (`testDatabase`) and uses slot names of its own, so files stay independent. Tests that must own a
 * server (start, stop, restart, the watchdog) still start their own with `testServer()`.
 *
 * The server runs in a child process (sharedServerChild.ts, which says why). The teardown closes the
 * child's stdin, and the child stops the server and removes its directory, whether the tests passed
 * or failed; if vitest itself dies, the pipe closes all the same (and the server's watchdog covers
 * the child dying too).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the shared server's `postgres` database (see `testDatabase`). */
    postgresUrl: string;
  }
}

const program = fileURLToPath(new URL('./sharedServerChild.ts', import.meta.url));
const packageDir = fileURLToPath(new URL('../..', import.meta.url));

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@baton/source', program], {
    cwd: packageDir,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(child, 'exit');
  const line = await Promise.race([
    once(createInterface({ input: child.stdout }), 'line').then(([text]) => String(text)),
    exited.then(() => {
      throw new Error(`the shared PostgreSQL test server did not start:\n${stderr}`);
    }),
  ]);
  project.provide('postgresUrl', (JSON.parse(line) as { url: string }).url);
  return async () => {
    child.stdin.end(); // the child stops the server, removes its directory, and exits
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000); // its watchdog still cleans up
    await exited;
    clearTimeout(timer);
  };
}
