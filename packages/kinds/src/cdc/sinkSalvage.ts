import { constants } from 'node:fs';
import { join } from 'node:path';
import { rm } from 'node:fs/promises';
import { ioFailed, openRegularFile, syncDirectory } from '@baton/core/durable';
import type { IoErrorContext } from '@baton/core/durable';
import type { FileHandle } from 'node:fs/promises';
import { SINK_FILE } from './fileCheckpoint.js';

const CHUNK_BYTES = 1024 * 1024;

/**
 * Copies the sink's bytes from `from` to its end into a new file beside it,
 * `changes.bcdc.cut-at-<from>.<time>`, durably (written, synced, directory synced), and returns its
 * path. Recovery `scan` calls it before it cuts bytes that are not provably an unacknowledged tail
 * (a commit marker lies beyond a damaged record, or the sink has no commit marker at all), so
 * adopting what is provably committed never destroys the rest: it can be inspected or repaired by
 * hand. The file is created exclusively, never over an existing one; a failed copy removes it and
 * is `IO_FAILED` naming it (the sink is then left as it was).
 */
export async function salvageSinkTail(
  directory: string,
  sink: FileHandle,
  from: number,
  to: number,
  io: IoErrorContext,
): Promise<string> {
  const path = join(directory, `${SINK_FILE}.cut-at-${from}.${Date.now()}`);
  const { handle } = await openRegularFile(path, {
    flags: constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL,
    mode: 0o600,
    operation: 'create salvage file',
    errorContext: io,
  });
  try {
    const buffer = new Uint8Array(Math.min(CHUNK_BYTES, Math.max(1, to - from)));
    for (let at = from; at < to;) {
      const { bytesRead } = await sink.read(buffer, 0, Math.min(buffer.byteLength, to - at), at);
      if (bytesRead === 0) break;
      for (let written = 0; written < bytesRead;) {
        const { bytesWritten } = await handle.write(buffer, written, bytesRead - written, at - from + written);
        written += bytesWritten;
      }
      at += bytesRead;
    }
    await handle.sync();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(path, { force: true }).catch(() => undefined); // the sink was not cut: it still holds them
    throw ioFailed('write salvage file', path, error, io);
  }
  await handle.close();
  await syncDirectory(directory);
  return path;
}
