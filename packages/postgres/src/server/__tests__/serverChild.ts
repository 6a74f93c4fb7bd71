/**
 * Test helper run as a child process (`node --import tsx --conditions=@baton/source serverChild.ts`):
 * starts an embedded server, prints `{ url, dataDirectory, pid }` (pid: the postmaster's) as one JSON
 * line, and stays alive until it is killed. With `--exit-code <n>` it stops the server instead, sets
 * `process.exitCode` and lets the process end by itself.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { postgresServer } from '../postgresServer.js';

const server = await postgresServer({ postgresFlags: ['-c', 'fsync=off'] });
const dataDirectory = server.dataDirectory!;
const pid = Number((await readFile(join(dataDirectory, 'postmaster.pid'), 'utf8')).split('\n')[0]);
process.stdout.write(`${JSON.stringify({ url: server.url, dataDirectory, pid })}\n`);
const exitCode = process.argv.indexOf('--exit-code');
if (exitCode > 0) {
  await server.stop();
  process.exitCode = Number(process.argv[exitCode + 1]);
} else setInterval(() => undefined, 1 << 30);
