/**
 * `@baton/kinds/cdc`: what tools that inspect, back up or check a `fileCdcOutput` sink need besides
 * `readFileSink` — the names of the files in a sink directory and the LSN range. See "CDC outputs"
 * in the package README for the formats.
 *
 * @packageDocumentation
 */

export { CHECKPOINT_FILE, SINK_FILE } from './cdc/fileCheckpoint.js';
export { LOCK_FILE } from './cdc/sinkLock.js';
export { MAX_LSN } from './cdc/batchCheck.js';
