import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { frameChecked, readChecked, unframeChecked, writeChecked, writeFileAtomic } from './atomicFile.js';

const scratch = () => mkdtemp(join(tmpdir(), 'baton-atomic-'));

describe('writeFileAtomic / readChecked', () => {
  it('replaces a file and leaves no temporary file behind', async () => {
    const dir = await scratch();
    const path = join(dir, 'checkpoint');
    await writeFileAtomic(path, new Uint8Array([1, 2]));
    await writeFileAtomic(path, new Uint8Array([3]));
    expect(new Uint8Array(await readFile(path))).toEqual(new Uint8Array([3]));
    expect(await readdir(dir)).toEqual(['checkpoint']);
  });

  it('round-trips checked files and reports missing ones as undefined', async () => {
    const dir = await scratch();
    const path = join(dir, 'state');
    expect(await readChecked(path)).toBeUndefined();
    await writeChecked(path, new TextEncoder().encode('hello'));
    expect(new TextDecoder().decode(await readChecked(path))).toBe('hello');
  });

  it('detects a torn file and a flipped byte', async () => {
    const dir = await scratch();
    const path = join(dir, 'state');
    const framed = frameChecked(new TextEncoder().encode('payload'));
    await writeFile(path, framed.subarray(0, framed.length - 2));
    await expect(readChecked(path)).rejects.toMatchObject({
      code: 'CORRUPT_INPUT',
      message: expect.stringContaining('torn write'),
    });
    const flipped = framed.slice();
    flipped[flipped.length - 1]! ^= 0xff;
    await writeFile(path, flipped);
    await expect(readChecked(path)).rejects.toMatchObject({
      code: 'CORRUPT_INPUT',
      message: expect.stringContaining('checksum'),
    });
    await expect(readChecked(path, { maxBytes: 2 })).rejects.toMatchObject({
      code: 'CORRUPT_INPUT',
      message: expect.stringContaining('exceeds the limit'),
    });
  });
});

test.prop([fc.uint8Array({ maxLength: 64 })])(
  'unframeChecked of random bytes is a typed error or the exact payload',
  (bytes) => {
    try {
      const payload = unframeChecked(bytes);
      expect(frameChecked(payload)).toEqual(bytes);
    } catch (error) {
      expect(error).toMatchObject({ code: 'CORRUPT_INPUT' });
    }
  },
);

test.prop([fc.uint8Array({ maxLength: 64 }), fc.nat(), fc.integer({ min: 1, max: 255 })])(
  'any single corrupted byte of a frame is detected',
  (payload, at, xor) => {
    const framed = frameChecked(payload);
    const i = at % framed.length;
    const bad = framed.slice();
    bad[i]! ^= xor;
    expect(() => unframeChecked(bad)).toThrow(expect.objectContaining({ code: 'CORRUPT_INPUT' }) as Error);
  },
);
