/**
 * An engine process for zombieProcess.test.ts (run with `node --import tsx --conditions=@baton/source
 * zombieChild.ts <url> <stream> <sinkUrl>`): takes the lease of `stream` (time to live 1 s, renewed
 * every 250 ms), starts a sink writer fenced by it, writes batches [0, 1) and [1, 2), and prints
 * `{ ready, token, pid }`. Then, one JSON command a line on stdin: `{ deliver: n }` writes batch
 * [n, n + 1) whatever its lease says — a zombie that does not look — and prints `{ delivered: code }`;
 * `{ lost: true }` waits until the lease knows it is lost and prints `{ lost: code, leaseOwner }`.
 * Ends when stdin closes.
 */
import { createInterface } from 'node:readline';
import { isReloadError } from '@baton/core';
import type { ReloadError } from '@baton/core';
import { postgresCdcOutput } from '@baton/postgres';
import { acquireCdcLease } from '../acquireCdcLease.js';
import { batchAt } from './batchAt.js';

const [url, stream, sinkUrl] = process.argv.slice(2) as [string, string, string];
const send = (message: object): void => {
  process.stdout.write(`${JSON.stringify(message)}\n`);
};

const lease = await acquireCdcLease({ url, stream, owner: `child-${process.pid}`, ttlMs: 1000, renewEveryMs: 250 });
const lost = new Promise<ReloadError>((resolve) => {
  lease.signal.addEventListener('abort', () => {
    resolve(lease.signal.reason as ReloadError);
  });
});
const writer = await postgresCdcOutput({ name: 'sink', url: sinkUrl, output: stream, fence: lease.sinkFence() }).start(
  {},
);
await writer.deliver(batchAt(0));
await writer.deliver(batchAt(1));
send({ ready: true, token: String(lease.token), pid: process.pid });

for await (const line of createInterface({ input: process.stdin })) {
  const command = JSON.parse(line) as { deliver?: number; lost?: boolean };
  if (command.deliver !== undefined) {
    const code = await writer.deliver(batchAt(command.deliver)).then(
      () => 'resolved',
      (error: unknown) => (isReloadError(error) ? error.code : String(error)),
    );
    send({ delivered: code });
  } else if (command.lost) {
    const reason = await lost;
    send({ lost: reason.code, leaseOwner: reason.details['leaseOwner'] ?? null });
  }
}
await writer.shutdown();
await lease.release();
