/**
 * Decoders bound memory by the input size: hostile bytes (a valid checksum, a body of millions of
 * empty maps) are refused within a heap far smaller than decoding them would take, through
 * `fromPersisted` and through `ManagedCrdt.merge(bytes)`; and the worst valid state still decodes
 * within `crdtLimits.memoryPerInputByte` bytes per input byte. Each case runs in a child process
 * with a heap limit (running out of memory kills the child, and the case fails).
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { crdtLimits } from '../crdt/primitive.js';

const child = fileURLToPath(new URL('./__tests__/decodeChild.ts', import.meta.url));
const MiB = 1024 * 1024;

/** What the child printed, or how it died. */
function decodeInChild(
  heapMb: number,
  input: string,
  bytes: number,
  path: string,
): Promise<{ outcome: string; bytes: number }> {
  const args = [
    `--max-old-space-size=${heapMb}`,
    '--import',
    'tsx',
    '--conditions=@baton/source',
    child,
    input,
    String(bytes),
    path,
  ];
  return new Promise((resolve) => {
    execFile(process.execPath, args, { timeout: 120_000 }, (error, stdout, stderr) => {
      const line = stdout.split('\n').find((l) => l.startsWith('result '));
      if (line !== undefined) {
        resolve(JSON.parse(line.slice(7)) as { outcome: string; bytes: number });
        return;
      }
      const died = /out of memory/i.test(stderr)
        ? 'out of memory'
        : `died: ${error?.message ?? ''} ${stderr.slice(-300)}`;
      resolve({ outcome: died, bytes: 0 });
    });
  });
}

describe('decoding memory is bounded by the input size', () => {
  it('a 4 MiB envelope of empty maps is CORRUPT_INPUT in a 96 MB heap (fromPersisted)', async () => {
    expect(await decodeInChild(96, 'emptyMaps', 4 * MiB, 'fromPersisted')).toMatchObject({ outcome: 'CORRUPT_INPUT' });
  }, 120_000);

  it('the same bytes through ManagedCrdt.merge(bytes) of a plugin host are CORRUPT_INPUT in a 96 MB heap', async () => {
    expect(await decodeInChild(96, 'emptyMaps', 4 * MiB, 'merge')).toMatchObject({ outcome: 'CORRUPT_INPUT' });
  }, 120_000);

  it('a valid state of the worst kind (PN-Counter, 1–3 character replicas) decodes within memoryPerInputByte', async () => {
    // The heap the child needs without decoding anything (modules, the host), then the factor.
    const baseMb = 64;
    const size = 4 * MiB;
    const heapMb = baseMb + Math.ceil((crdtLimits.memoryPerInputByte * size) / MiB);
    const read = await decodeInChild(heapMb, 'validPn', size, 'fromPersisted');
    expect(read).toMatchObject({ outcome: 'value' });
    expect(read.bytes).toBeGreaterThan(size * 0.9);
    // Merging it into a live state holds the state read and the merged one: twice the factor.
    const merged = await decodeInChild(baseMb + 2 * (heapMb - baseMb), 'validPn', size, 'merge');
    expect(merged).toMatchObject({ outcome: 'value' });
  }, 120_000);
});
