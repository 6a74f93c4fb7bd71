import { crc32 } from 'node:zlib';

/** A Baton envelope (valid CRC-32) of `[kind, formatVersion, body]`, the body given as raw msgpack bytes. */
export function craftedEnvelope(kind: string, formatVersion: number, body: ArrayLike<number>): Uint8Array {
  const name = Buffer.from(kind, 'utf8');
  const head = Uint8Array.from([0x93, 0xa0 | name.length, ...name, formatVersion]);
  const payload = new Uint8Array(head.length + body.length);
  payload.set(head);
  payload.set(body, head.length);
  const out = new Uint8Array(13 + payload.length);
  out.set([0x42, 0x54, 0x4e, 0x45, 1]);
  const view = new DataView(out.buffer);
  view.setUint32(5, crc32(payload), true);
  view.setUint32(9, payload.length, true);
  out.set(payload, 13);
  return out;
}

/** Raw msgpack of an array32 header declaring `count` items followed by `count` empty maps (0x80). */
export function listOfEmptyMaps(count: number): Uint8Array {
  const body = new Uint8Array(5 + count).fill(0x80);
  body[0] = 0xdd;
  new DataView(body.buffer).setUint32(1, count);
  return body;
}
