import { mkdir, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { frameChecked } from './atomicFile.js';
import type { DamagedSlot } from './snapshotSlots.js';
import { fileReloadJournal } from './reloadJournal.js';
import { SnapshotSlots } from './snapshotSlots.js';

const scratch = () => mkdtemp(join(tmpdir(), 'baton-slots-'));
const text = (s: string) => new TextEncoder().encode(s);

describe('SnapshotSlots', () => {
  it('returns the newest snapshot and falls back to the previous good one when the newest is torn or corrupt', async () => {
    const dir = await scratch();
    const slots = new SnapshotSlots(dir, 'index');
    expect(await slots.read()).toBeUndefined();
    await slots.write(text('first'));
    await slots.write(text('second'));
    expect(new TextDecoder().decode((await slots.read())!.payload)).toBe('second');
    // Tear the newest slot (b holds generation 2).
    const newest = await readFile(join(dir, 'index.b'));
    await writeFile(join(dir, 'index.b'), newest.subarray(0, newest.length - 3));
    const fresh = new SnapshotSlots(dir, 'index');
    expect(new TextDecoder().decode((await fresh.read())!.payload)).toBe('first');
    // The next write goes to the damaged slot, not over the good one.
    await fresh.write(text('third'));
    expect(new TextDecoder().decode((await new SnapshotSlots(dir, 'index').read())!.payload)).toBe('third');
    expect(new TextDecoder().decode((await readFile(join(dir, 'index.a'))).subarray(24))).toBe('first');
  });

  it('reports CORRUPT_INPUT only when no slot is good', async () => {
    const dir = await scratch();
    await writeFile(join(dir, 'x.a'), 'garbage');
    await expect(new SnapshotSlots(dir, 'x').read()).rejects.toMatchObject({
      code: 'CORRUPT_INPUT',
      message: expect.stringContaining("snapshot 'x': no good slot"),
    });
    expect(() => new SnapshotSlots(dir, '../escape')).toThrow(/may use letters/);
  });
});

/** A slot file as Baton frames it, with any generation (what a crafted or restored file can hold). */
function slotBytes(generation: bigint, payload: string): Uint8Array {
  const body = text(payload);
  const framed = new Uint8Array(8 + body.byteLength);
  new DataView(framed.buffer).setBigUint64(0, generation, true);
  framed.set(body, 8);
  return frameChecked(framed);
}

describe('SnapshotSlots: generations and damage', () => {
  test.prop([fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.constantFrom('a', 'b'), fc.boolean()], { numRuns: 40 })(
    'a slot with any generation (up to 2^64 - 1) never hides the writes that follow',
    async (generation, slot, otherGood) => {
      const dir = await scratch();
      await writeFile(join(dir, `s.${slot}`), slotBytes(generation, 'crafted'));
      if (otherGood) await writeFile(join(dir, `s.${slot === 'a' ? 'b' : 'a'}`), slotBytes(3n, 'good'));
      const slots = new SnapshotSlots(dir, 's');
      for (const value of ['one', 'two', 'three']) {
        await slots.write(text(value));
        const read = await new SnapshotSlots(dir, 's').read();
        expect(new TextDecoder().decode(read!.payload)).toBe(value);
      }
    },
  );

  it('reports a skipped newest slot in damaged, and an out-of-range generation as damage', async () => {
    const dir = await scratch();
    const slots = new SnapshotSlots(dir, 'idx');
    await slots.write(text('first'));
    await slots.write(text('second'));
    expect((await slots.read())!.damaged).toEqual([]);
    const newest = await readFile(join(dir, 'idx.b'));
    newest[newest.length - 1]! ^= 0x55;
    await writeFile(join(dir, 'idx.b'), newest);
    const fallback = await new SnapshotSlots(dir, 'idx').read();
    expect(new TextDecoder().decode(fallback!.payload)).toBe('first');
    expect(fallback!.damaged).toEqual([
      { path: join(dir, 'idx.b'), error: expect.objectContaining({ code: 'CORRUPT_INPUT' }) as unknown },
    ]);
    await writeFile(join(dir, 'idx.b'), slotBytes(2n ** 64n - 1n, 'max'));
    const huge = await new SnapshotSlots(dir, 'idx').read();
    expect(new TextDecoder().decode(huge!.payload)).toBe('first');
    expect(huge!.damaged[0]!.error.message).toMatch(/generation 18446744073709551615 is outside/);
  });

  it('a slot that cannot be read is IO_FAILED, not a silent fallback', async () => {
    const dir = await scratch();
    const slots = new SnapshotSlots(dir, 'idx');
    await slots.write(text('first'));
    await mkdir(join(dir, 'idx.b'));
    await expect(new SnapshotSlots(dir, 'idx').read()).rejects.toMatchObject({
      code: 'IO_FAILED',
      message: expect.stringContaining(join(dir, 'idx.b')),
      cause: expect.objectContaining({ code: 'EISDIR' }),
    });
    await expect(new SnapshotSlots(join(dir, 'idx.a'), 'x').write(text('v'))).rejects.toMatchObject({
      code: 'IO_FAILED',
      message: expect.stringContaining(join(dir, 'idx.a')),
    });
  });

  it('removes temp files of killed writes on first use, and only those', async () => {
    const dir = await scratch();
    const stale = `.idx.a.${4_194_304 + 99}.00112233aabb.tmp`;
    await writeFile(join(dir, stale), 'half');
    await writeFile(join(dir, 'notes.txt'), 'keep');
    expect(await new SnapshotSlots(dir, 'idx').read()).toBeUndefined();
    expect(await readdir(dir)).toEqual(['notes.txt']);
  });
});

describe('fileReloadJournal', () => {
  it('records which versions serve, durably', async () => {
    const dir = await scratch();
    const journal = fileReloadJournal(dir);
    expect(await journal.read()).toEqual({ plugins: {}, sequence: 0 });
    await journal.write({ plugins: { geo: '1.0.0' }, sequence: 1 });
    await journal.write({ plugins: { geo: '2.0.0' }, sequence: 2 });
    expect(await fileReloadJournal(dir).read()).toEqual({ plugins: { geo: '2.0.0' }, sequence: 2 });
  });

  it('reports a damaged record it falls back from, and refuses to read or write through file-system errors', async () => {
    const dir = await scratch();
    const journal = fileReloadJournal(dir);
    await journal.write({ plugins: { geo: '1.0.0' }, sequence: 1 });
    await journal.write({ plugins: { geo: '2.0.0' }, sequence: 2 });
    const newest = await readFile(join(dir, 'reload-journal.b'));
    await writeFile(join(dir, 'reload-journal.b'), newest.subarray(0, 20));
    const damaged: DamagedSlot[] = [];
    const reopened = fileReloadJournal(dir, { onDamaged: (d) => damaged.push(d) });
    expect(await reopened.read()).toEqual({ plugins: { geo: '1.0.0' }, sequence: 1 });
    expect(damaged.map((d) => d.path)).toEqual([join(dir, 'reload-journal.b')]);

    const blocked = await scratch();
    await mkdir(join(blocked, 'reload-journal.a'));
    await expect(fileReloadJournal(blocked).read()).rejects.toMatchObject({ code: 'IO_FAILED' });
    await expect(fileReloadJournal(blocked).write({ plugins: {}, sequence: 1 })).rejects.toMatchObject({
      code: 'IO_FAILED',
      message: expect.stringContaining(join(blocked, 'reload-journal.a')),
    });
  });
});
