// One engine process of the second-process trial: starts a file CDC stream on a sink directory and
// writes the change log from where the sink stands, in batches of its own size, checkpointing every
// few batches, until the log's end (or until it is killed). Prints one JSON line per event:
// { event: 'refused', code, holder } | { event: 'started', from } | { event: 'done', through }.
// Usage: node --import tsx --conditions=@baton/source sinkWriter.ts <dir> <log end> <seed> [hold]
// With `hold`, it keeps the stream open after the last batch until stdin closes.
import { fileCdcOutput } from '@baton/kinds';
import { tableFromArrays } from 'apache-arrow';
import { Random } from '@baton/examples/engine';

const [dir, end, seed, hold] = process.argv.slice(2) as [string, string, string, string | undefined];
const say = (line: Record<string, unknown>): void =>
  void process.stdout.write(`${JSON.stringify(line, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}\n`);
const logEnd = BigInt(end);
const random = new Random(Number(seed));
let stream;
try {
  stream = await fileCdcOutput({ name: 'audit', directory: dir }).start({});
} catch (error) {
  const e = error as { code?: string; details?: { holder?: unknown } };
  say({ event: 'refused', code: e.code ?? 'raw', holder: e.details?.holder ?? null });
  process.exit(0);
}
say({ event: 'started', from: stream.position });
let lsn = stream.position;
let batches = 0;
while (lsn < logEnd) {
  const width = BigInt(1 + random.int(7));
  const to = lsn + width > logEnd ? logEnd : lsn + width;
  const ids = Int32Array.from({ length: Number(to - lsn) }, (_, i) => Number(lsn) + i);
  await stream.deliver({
    lsnStart: lsn,
    lsnEnd: to,
    mutations: tableFromArrays({ id: ids }).batches[0]!,
    commitTimestamp: 0,
  });
  lsn = to;
  if (++batches % 3 === 0) await stream.checkpoint();
}
await stream.checkpoint();
say({ event: 'done', through: lsn });
if (hold === 'hold') await new Promise((resolve) => process.stdin.on('close', resolve).resume());
await stream.shutdown();
