import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReloadError } from '../errors/reloadError.js';
import {
  frameChecked,
  readChecked,
  syncDirectory,
  unframeChecked,
  writeChecked,
  writeFileAtomic,
} from './atomicFile.js';
import { ioFailed, withIo } from './ioError.js';
import { openRegularFile, openRegularFileIfExists } from './regularFile.js';
import { fileReloadJournal } from './reloadJournal.js';
import { SnapshotSlots } from './snapshotSlots.js';
import { removeStaleTempFiles, tempFileFor } from './tempFiles.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'baton-args-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const bytes = new Uint8Array([1, 2, 3]);
const call =
  (fn: (...args: never[]) => unknown, ...args: unknown[]) =>
  () =>
    (fn as (...a: unknown[]) => unknown)(...args);
const at = (name: string): string => join(dir, name);

/** [what, a call with a wrong argument]: each must throw or reject with INVALID_ARGUMENT. */
const CASES: readonly (readonly [string, () => unknown])[] = [
  ['unframeChecked(undefined)', call(unframeChecked, undefined)],
  ['unframeChecked(null)', call(unframeChecked, null)],
  ['unframeChecked(42)', call(unframeChecked, 42)],
  ['unframeChecked({ byteLength: 1e9 })', call(unframeChecked, { byteLength: 1e9 })],
  ['unframeChecked(ArrayBuffer)', call(unframeChecked, new ArrayBuffer(32))],
  ['unframeChecked(bytes, 42)', call(unframeChecked, frameChecked(bytes), 42)],
  ['frameChecked(ArrayBuffer)', call(frameChecked, new ArrayBuffer(4))],
  ['frameChecked(undefined)', call(frameChecked, undefined)],
  ['frameChecked([1, 2])', call(frameChecked, [1, 2])],
  ['frameChecked(Uint16Array)', call(frameChecked, new Uint16Array(2))],
  ['writeFileAtomic(undefined, bytes)', call(writeFileAtomic, undefined, bytes)],
  ['writeFileAtomic(path, "text")', () => writeFileAtomic(at('w1'), 'text' as never)],
  ['writeFileAtomic(path, bytes, { mode: "x" })', () => writeFileAtomic(at('w2'), bytes, { mode: 'x' as never })],
  ['writeFileAtomic(path, bytes, { modee })', () => writeFileAtomic(at('w3'), bytes, { modee: 1 } as never)],
  ['writeFileAtomic(path, bytes, null)', () => writeFileAtomic(at('w4'), bytes, null as never)],
  [
    'writeFileAtomic errorContext { phase: 1 }',
    () => writeFileAtomic(at('w5'), bytes, { errorContext: { phase: 1 } } as never),
  ],
  [
    'writeFileAtomic errorContext { kin }',
    () => writeFileAtomic(at('w6'), bytes, { errorContext: { kin: 'x' } } as never),
  ],
  ['writeChecked(path, ArrayBuffer)', () => writeChecked(at('c1'), new ArrayBuffer(3) as never)],
  ['writeChecked(42, bytes)', call(writeChecked, 42, bytes)],
  ['writeChecked(path, bytes, { maxBytes })', () => writeChecked(at('c2'), bytes, { maxBytes: 1 } as never)],
  ['readChecked(undefined)', call(readChecked, undefined)],
  ['readChecked("")', call(readChecked, '')],
  ['readChecked("a\\0b")', call(readChecked, 'a\0b')],
  ['readChecked(path, { maxByte })', () => readChecked(at('r'), { maxByte: 1 } as never)],
  ['readChecked(path, { maxBytes: -1 })', () => readChecked(at('r'), { maxBytes: -1 })],
  ['readChecked(path, { maxBytes: "1" })', () => readChecked(at('r'), { maxBytes: '1' as never })],
  ['readChecked(path, null)', () => readChecked(at('r'), null as never)],
  ['syncDirectory(undefined)', call(syncDirectory, undefined)],
  ['new SnapshotSlots(undefined, "s")', () => new SnapshotSlots(undefined as never, 's')],
  ['new SnapshotSlots(dir, undefined)', () => new SnapshotSlots(dir, undefined as never)],
  ['new SnapshotSlots(dir, "s", { maxByte })', () => new SnapshotSlots(dir, 's', { maxByte: 1 } as never)],
  ['new SnapshotSlots(dir, "s", { maxBytes: 1.5 })', () => new SnapshotSlots(dir, 's', { maxBytes: 1.5 })],
  ['new SnapshotSlots(dir, "s", null)', () => new SnapshotSlots(dir, 's', null as never)],
  ['SnapshotSlots.write("x")', () => new SnapshotSlots(dir, 's').write('x' as never)],
  ['SnapshotSlots.write(ArrayBuffer)', () => new SnapshotSlots(dir, 's').write(new ArrayBuffer(1) as never)],
  ['fileReloadJournal(undefined)', call(fileReloadJournal, undefined)],
  ['fileReloadJournal(dir, { onDamage })', () => fileReloadJournal(dir, { onDamage: () => undefined } as never)],
  ['fileReloadJournal(dir, { onDamaged: 42 })', () => fileReloadJournal(dir, { onDamaged: 42 as never })],
  ['fileReloadJournal(dir, null)', () => fileReloadJournal(dir, null as never)],
  ['journal.write(null)', () => fileReloadJournal(dir).write(null as never)],
  [
    'journal.write({ plugins: { a: 1 } })',
    () => fileReloadJournal(dir).write({ plugins: { a: 1 }, sequence: 1 } as never),
  ],
  ['journal.write({ sequence: 1.5 })', () => fileReloadJournal(dir).write({ plugins: {}, sequence: 1.5 })],
  ['ioFailed(42, path, error)', call(ioFailed, 42, 'p', new Error('x'))],
  ['ioFailed(op, path, error, { kindd })', call(ioFailed, 'op', 'p', new Error('x'), { kindd: 'x' })],
  ['ioFailed(op, path, error, null)', call(ioFailed, 'op', 'p', new Error('x'), null)],
  ['withIo(op, path, 42)', call(withIo, 'op', 'p', 42)],
  ['withIo(op, path, io, { step: 1 })', call(withIo, 'op', 'p', () => Promise.resolve(), { step: 1 })],
  ['removeStaleTempFiles(undefined)', call(removeStaleTempFiles, undefined)],
  ['removeStaleTempFiles(path, { foo })', () => removeStaleTempFiles(at('t'), { foo: 1 } as never)],
  ['tempFileFor(42)', call(tempFileFor, 42)],
  ['openRegularFile(undefined)', call(openRegularFile, undefined)],
  ['openRegularFile(path, { flag })', () => openRegularFile(at('o'), { flag: 0 } as never)],
  ['openRegularFile(path, { flags: "r" })', () => openRegularFile(at('o'), { flags: 'r' as never })],
  ['openRegularFileIfExists(path, { mode: -1 })', () => openRegularFileIfExists(at('o'), { mode: -1 })],
];

/** The error `run` throws or rejects with (undefined when it succeeds). */
async function failureOf(run: () => unknown): Promise<unknown> {
  try {
    await run();
    return undefined;
  } catch (error) {
    return error;
  }
}

describe('durable-file exports answer wrong-typed arguments with INVALID_ARGUMENT', () => {
  it.each(CASES)('%s', async (_what, run) => {
    const error = await failureOf(run);
    expect(error).toBeInstanceOf(ReloadError);
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', phase: 'call' });
  });

  it('a refused write leaves nothing behind', async () => {
    for (const [what, run] of CASES) if (/write/i.test(what)) await failureOf(run);
    expect(await readdir(dir)).toEqual([]);
  });

  it('names the argument and the unknown option', async () => {
    expect(await failureOf(() => readChecked(at('r'), { maxByte: 1 } as never))).toMatchObject({
      message: expect.stringContaining("unknown option(s) 'maxByte'"),
    });
    expect(await failureOf(call(unframeChecked, { byteLength: 1e9 }))).toMatchObject({
      message: expect.stringContaining('unframeChecked: bytes must be a Uint8Array (got an object)'),
    });
  });
});
