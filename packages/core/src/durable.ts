/**
 * `@baton/core/durable`: the file primitives Baton's own state files are built on, for providers
 * that persist state of their own — atomic replace with fsync, checksummed frames, two-slot
 * snapshots, file-system errors as typed `IO_FAILED` errors, safe opens of regular files, and the
 * cleanup of temporary files a crash left behind.
 *
 * @packageDocumentation
 */

export {
  frameChecked,
  readChecked,
  syncDirectory,
  unframeChecked,
  writeChecked,
  writeFileAtomic,
} from './durable/atomicFile.js';
export { SnapshotSlots } from './durable/snapshotSlots.js';
export { errnoCode, ioFailed, withIo } from './durable/ioError.js';
export { removeStaleTempFiles, tempFileFor } from './durable/tempFiles.js';
export { openRegularFile, openRegularFileIfExists } from './durable/regularFile.js';
export type { AtomicWriteOptions, ReadCheckedOptions } from './durable/atomicFile.js';
export type { DamagedSlot, Snapshot, SnapshotSlotsOptions } from './durable/snapshotSlots.js';
export type { IoErrorContext } from './durable/ioError.js';
export type { OpenedRegularFile, OpenRegularFileOptions } from './durable/regularFile.js';
