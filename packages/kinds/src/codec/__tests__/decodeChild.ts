/**
 * Child process of `decodeAmplification.test.ts`:
 * `node --max-old-space-size=<MB> … decodeChild.ts <input> <bytes> <path>` builds one input of
 * about `bytes` bytes — `emptyMaps` (a g-counter envelope with a valid CRC-32 whose body is a list
 * of empty maps) or `validPn` (a valid PN-Counter of as many 1–3 character replicas as fit) — then
 * reads it through `fromPersisted` or through `ManagedCrdt.merge(bytes)` of a plugin host, and
 * prints `result <json>`: the outcome (`value` or the error code) and the heap used before.
 */
import { createPluginHost, definePlugin, isReloadError } from '@baton/core';
import { gCounter, pnCounter } from '../../index.js';
import { craftedEnvelope, listOfEmptyMaps } from './craftedEnvelope.js';

const [input, size, path] = [process.argv[2]!, Number(process.argv[3]), process.argv[4]!];

/** A valid PN-Counter body `[ids, p, n]` of `count` distinct short ids, every count 1. */
function validPn(count: number): Uint8Array {
  const out = new Uint8Array(15 + 9 * count);
  const view = new DataView(out.buffer);
  let at = 0;
  const header = (token: number, n: number): void => {
    out[at] = token;
    view.setUint32(at + 1, n);
    at += 5;
  };
  out[at++] = 0x93;
  header(0xdd, count);
  for (let i = 0; i < count; i++) {
    const id = (i + 1).toString(36);
    out[at++] = 0xa0 | id.length;
    for (let c = 0; c < id.length; c++) out[at++] = id.charCodeAt(c);
  }
  for (let half = 0; half < 2; half++) {
    header(0xdd, count);
    out.fill(1, at, at + count);
    at += count;
  }
  return craftedEnvelope('pn-counter', 1, out.subarray(0, at));
}

const bytes =
  input === 'emptyMaps' ? craftedEnvelope('g-counter', 1, listOfEmptyMaps(size)) : validPn(Math.floor(size / 7));
const provider = input === 'emptyMaps' ? gCounter() : pnCounter();
const heapBefore = process.memoryUsage().heapUsed;
let outcome = 'value';
try {
  if (path === 'fromPersisted') provider.fromPersisted(bytes);
  else {
    await using host = createPluginHost();
    await host.load(definePlugin({ name: 'engine', version: '1.0.0', register: (r) => void r.crdtKind(provider) }));
    const state = await host.openCrdt({ name: 'state', key: provider.kind });
    await state.merge(bytes);
  }
} catch (error) {
  outcome = isReloadError(error) ? error.code : `untyped: ${String(error)}`;
}
process.stdout.write(`result ${JSON.stringify({ outcome, bytes: bytes.byteLength, heapBefore })}\n`);
