import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
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

describe('fileReloadJournal', () => {
  it('records which versions serve, durably', async () => {
    const dir = await scratch();
    const journal = fileReloadJournal(dir);
    expect(await journal.read()).toEqual({ plugins: {}, sequence: 0 });
    await journal.write({ plugins: { geo: '1.0.0' }, sequence: 1 });
    await journal.write({ plugins: { geo: '2.0.0' }, sequence: 2 });
    expect(await fileReloadJournal(dir).read()).toEqual({ plugins: { geo: '2.0.0' }, sequence: 2 });
  });
});
