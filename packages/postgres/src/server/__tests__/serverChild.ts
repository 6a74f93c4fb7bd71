/**
 * Test helper run as a child process (`node --import tsx --conditions=@baton/source serverChild.ts
 * [restart]`): starts an embedded server (with `restart`, then restarts it in immediate mode), prints
 * `{ url, dataDirectory, pid }` (pid: the postmaster's, the new one after a restart) as one JSON line,
 * and stays alive until it is killed.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { postgresServer } from '../postgresServer.js';

const server = await postgresServer({ postgresFlags: ['-c', 'fsync=off'] });
if (process.argv[2] === 'restart') await server.restart({ mode: 'immediate' });
const dataDirectory = server.dataDirectory!;
const pid = Number((await readFile(join(dataDirectory, 'postmaster.pid'), 'utf8')).split('\n')[0]);
process.stdout.write(`${JSON.stringify({ url: server.url, dataDirectory, pid })}\n`);
setInterval(() => undefined, 1 << 30);
