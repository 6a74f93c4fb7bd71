/**
 * A separate process that starts file CDC streams when told to (run with
 * `node --import tsx --conditions=@baton/source sinkProcess.ts`). Commands, one JSON object per
 * line on stdin: `{ "op": "start", "dir": "…", "round": n }` starts a stream on `dir`, delivers one
 * batch and checkpoints it; `{ "op": "handoff", "dir": "…", "round": n }` starts a stream, delivers
 * [0, 2) and checkpoints, delivers [2, 4) (buffered), detaches it, has a second provider (1-byte
 * buffer) adopt it and delivers [4, 6) (written, not checkpointed), then answers `started` with the
 * adopted stream kept open; `{ "op": "shutdown", "round": n }` shuts that stream down. Each command
 * is answered with one JSON line on stdout: `{ "round", "pid", "event": "started" | "refused" |
 * "shutdown", "code"?, "message"?, "details"? }`. It prints `{ "event": "ready" }` first.
 */
import { createInterface } from 'node:readline';
import { tableFromArrays } from 'apache-arrow';
import type { CdcBatch } from '@baton/core';
import { fileCdcOutput } from '../fileCdcOutput.js';
import type { FileCdcStream } from '../fileCdcStream.js';

const streams = new Map<number, FileCdcStream>();
const reply = (message: Record<string, unknown>): void => {
  process.stdout.write(
    `${JSON.stringify({ pid: process.pid, ...message }, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}\n`,
  );
};

const batch = (from: bigint): CdcBatch => ({
  lsnStart: from,
  lsnEnd: from + 2n,
  mutations: tableFromArrays({ id: Int32Array.from([Number(from), process.pid]) }).batches[0]!,
  commitTimestamp: Date.now(),
});

/** The `handoff` command: a stream detached and adopted in this process, left running. */
async function handoff(dir: string): Promise<FileCdcStream> {
  const old = await fileCdcOutput({ name: 'feed', directory: dir }).start({ fromLsn: 0n });
  await old.deliver(batch(0n));
  await old.checkpoint();
  await old.deliver(batch(2n));
  const adopted = await fileCdcOutput({ name: 'feed', directory: dir, bufferBytes: 1 }).adopt(await old.detach());
  await adopted!.deliver(batch(4n));
  return adopted!;
}

async function run(command: { op: string; dir?: string; round: number }): Promise<void> {
  const { round } = command;
  if (command.op === 'shutdown') {
    await streams.get(round)?.shutdown();
    streams.delete(round);
    reply({ round, event: 'shutdown' });
    return;
  }
  try {
    if (command.op === 'handoff') {
      const adopted = await handoff(command.dir!);
      streams.set(round, adopted);
      reply({ round, event: 'started', lsn: adopted.position });
      return;
    }
    const stream = await fileCdcOutput({ name: 'feed', directory: command.dir! }).start({});
    const from = stream.position;
    const mutations = tableFromArrays({ id: Int32Array.from([Number(from), process.pid]) }).batches[0]!;
    await stream.deliver({ lsnStart: from, lsnEnd: from + 2n, mutations, commitTimestamp: Date.now() });
    await stream.checkpoint();
    streams.set(round, stream);
    reply({ round, event: 'started', lsn: stream.position });
  } catch (error) {
    const e = error as { code?: string; message?: string; details?: unknown };
    reply({ round, event: 'refused', code: e.code, message: e.message, details: e.details });
  }
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => void run(JSON.parse(line) as { op: string; dir?: string; round: number }));
lines.on('close', () => process.exit(0));
reply({ event: 'ready' });
