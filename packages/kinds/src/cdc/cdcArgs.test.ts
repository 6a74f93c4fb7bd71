import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReloadError } from '@baton/core';
import type { CdcStream } from '@baton/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchAt, ranges } from './__tests__/cdcFixtures.js';
import { callbackCdcOutput } from './callbackCdcOutput.js';
import { CdcChannel } from './cdcChannel.js';
import { CdcPosition } from './cdcPosition.js';
import { ChangeLog } from './changeLog.js';
import { fileCdcOutput } from './fileCdcOutput.js';
import type { FileCdcStream } from './fileCdcStream.js';
import { readFileSink } from './readFileSink.js';

let dir = '';
let stream: FileCdcStream;
let callbackStream: CdcStream;
const noop = (): void => undefined;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'baton-cdc-args-'));
  stream = await fileCdcOutput({ name: 'feed', directory: join(dir, 'sink') }).start({ fromLsn: 0n });
  callbackStream = await callbackCdcOutput({ name: 'cb', position: new CdcPosition(), onBatch: noop }).start({});
});
afterAll(async () => {
  await stream.shutdown();
  await rm(dir, { recursive: true, force: true });
});

const output = (extra: Record<string, unknown> = {}) =>
  fileCdcOutput({ name: 'feed', directory: join(dir, 'other'), ...extra });
const cast = (value: unknown) => value as never;

/** Detaches a stream of its own sink, calls `close(options)`, then closes the takeover for real. */
async function closeWith(options: never): Promise<bigint> {
  const own = await fileCdcOutput({ name: 'feed', directory: join(dir, 'close') }).start({});
  const takeover = await own.detach();
  try {
    return await takeover.close(options);
  } finally {
    expect(await takeover.close()).toBe(0n); // the refused close left it open
  }
}

/** [what, a call with a wrong argument]: each must throw or reject with INVALID_ARGUMENT. */
const CASES: readonly (readonly [string, () => unknown])[] = [
  ['readFileSink(undefined)', () => readFileSink(cast(undefined))],
  ['readFileSink(42)', () => readFileSink(cast(42))],
  ['readFileSink(dir, { maxBatchByte })', () => readFileSink(dir, cast({ maxBatchByte: 1 }))],
  ['readFileSink(dir, null)', () => readFileSink(dir, cast(null))],
  ['readFileSink(dir, { maxBatchBytes: 0 })', () => readFileSink(dir, { maxBatchBytes: 0 })],
  ['fileCdcOutput(null)', () => fileCdcOutput(cast(null))],
  ['fileCdcOutput(undefined)', () => fileCdcOutput(cast(undefined))],
  ['fileCdcOutput({ …, maxBatchByte })', () => output({ maxBatchByte: 1024 })],
  ['fileCdcOutput({ directory: 42 })', () => fileCdcOutput(cast({ name: 'feed', directory: 42 }))],
  ["fileCdcOutput({ recovery: 'scn' })", () => output({ recovery: 'scn' })],
  ["fileCdcOutput({ bufferBytes: '1' })", () => output({ bufferBytes: '1' })],
  ['.start(null)', () => output().start(cast(null))],
  [".start('x')", () => output().start(cast('x'))],
  [".start({ signal: 'x' })", () => output().start(cast({ signal: 'x' }))],
  ['.start({ fromLsn: 1 })', () => output().start(cast({ fromLsn: 1 }))],
  ['stream.deliver(undefined)', () => stream.deliver(cast(undefined))],
  ['stream.deliver({})', () => stream.deliver(cast({}))],
  ['stream.checkpoint(null)', () => stream.checkpoint(cast(null))],
  ['stream.checkpoint({ signal: 42 })', () => stream.checkpoint(cast({ signal: 42 }))],
  ['stream.shutdown(null)', () => stream.shutdown(cast(null))],
  ['stream.detach(null)', () => stream.detach(cast(null))],
  ["stream.detach({ signal: 'x' })", () => stream.detach(cast({ signal: 'x' }))],
  ['.adopt(undefined)', () => output().adopt(cast(undefined))],
  [".adopt('file-cdc/1')", () => output().adopt(cast('file-cdc/1'))],
  ['.adopt({ layout: 1 })', () => output().adopt(cast({ layout: 1 }))],
  ['.adopt(takeover, null)', () => output().adopt(cast({ layout: 'file-cdc/1' }), cast(null))],
  ["takeover.close({ signal: 'x' })", () => closeWith(cast({ signal: 'x' }))],
  ['takeover.close(null)', () => closeWith(cast(null))],
  ['callbackCdcOutput(null)', () => callbackCdcOutput(cast(null))],
  [
    'callbackCdcOutput({ onBach })',
    () => callbackCdcOutput(cast({ name: 'cb', position: new CdcPosition(), onBatch: noop, onBach: noop })),
  ],
  [
    'callbackCdcOutput({ onCheckpoint: 1 })',
    () => callbackCdcOutput(cast({ name: 'cb', position: new CdcPosition(), onBatch: noop, onCheckpoint: 1 })),
  ],
  [
    'callbackCdcOutput(…).start(null)',
    () => callbackCdcOutput({ name: 'cb', position: new CdcPosition(), onBatch: noop }).start(cast(null)),
  ],
  ["callback stream.checkpoint({ signal: 'x' })", () => callbackStream.checkpoint(cast({ signal: 'x' }))],
  ['callback stream.deliver(null)', () => callbackStream.deliver(cast(null))],
  ["new CdcPosition('x')", () => new CdcPosition(cast('x'))],
  ['new CdcPosition(-1n)', () => new CdcPosition(-1n)],
  ['new CdcChannel(null)', () => new CdcChannel(cast(null))],
  ['new CdcChannel({ hwm })', () => new CdcChannel(cast({ hwm: 2 }))],
  ['new CdcChannel({ highWaterMark: 0 })', () => new CdcChannel({ highWaterMark: 0 })],
  ['CdcChannel.push(undefined)', () => new CdcChannel().push(cast(undefined))],
  ['new ChangeLog(null)', () => new ChangeLog(cast(null))],
  ["new ChangeLog({ gaps: 'alow' })", () => new ChangeLog(cast({ gaps: 'alow' }))],
  ['new ChangeLog({ startLsn: 1 })', () => new ChangeLog(cast({ startLsn: 1 }))],
  ['new ChangeLog({ nam })', () => new ChangeLog(cast({ nam: 'x' }))],
  ['changeLog.append(undefined)', () => new ChangeLog().append(cast(undefined))],
  ["changeLog.readFrom('x')", () => new ChangeLog().readFrom(cast('x'))],
  ["changeLog.follow(0n, { signal: 'x' })", () => new ChangeLog().follow(0n, cast({ signal: 'x' })).next()],
  ['changeLog.follow(0n, { sigal })', () => new ChangeLog().follow(0n, cast({ sigal: undefined })).next()],
  ['changeLog.truncateBefore(1)', () => new ChangeLog().truncateBefore(cast(1))],
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

describe('CDC exports answer wrong-typed arguments with INVALID_ARGUMENT', () => {
  it.each(CASES)('%s', async (_what, run) => {
    const error = await failureOf(run);
    expect(error).toBeInstanceOf(ReloadError);
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('names the unknown option, and a refused call loses nothing: the stream goes on', async () => {
    expect(await failureOf(() => output({ maxBatchByte: 1024 }))).toMatchObject({
      message: expect.stringContaining("unknown option(s) 'maxBatchByte'"),
    });
    // No refused output created its directory ('close' is the closeWith cases' own sink).
    expect((await readdir(dir)).filter((name) => name !== 'close')).toEqual(['sink']);
    for (const [what, run] of CASES) if (what.startsWith('stream.')) await failureOf(run);
    await stream.deliver(batchAt(0n, 2));
    expect(await stream.checkpoint()).toBe(2n);
    expect(ranges((await readFileSink(join(dir, 'sink'))).batches)).toEqual(['0-2']);
  });

  it('call options the host passes may carry keys a newer host adds', async () => {
    const started = await output().start(cast({ fromLsn: 0n, deadline: 5 }));
    expect(await started.checkpoint(cast({ deadline: 5 }))).toBe(0n);
    await started.shutdown();
  });
});
