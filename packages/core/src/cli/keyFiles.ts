import { constants } from 'node:fs';
import type { Stats } from 'node:fs';
import { lstat, mkdir, open, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ReloadError, isReloadError } from '../errors/reloadError.js';
import { errnoOf, fsCall, fsError } from '../loader/fsErrors.js';
import { generateSigningKey, signingKey, trustedKey } from '../loader/signing.js';
import type { SigningKeyPair, TrustedKey } from '../loader/signing.js';

/** Key files are a few hundred bytes; anything much larger is the wrong file. */
export const MAX_KEY_BYTES = 64 * 1024;

/**
 * Reads a PEM key file named on the command line (`--key`, `--trust`). The name may be a symbolic
 * link (secret stores mount keys that way), but what it opens must be a regular file: the file is
 * opened without blocking (a FIFO cannot hang the command), checked through the open handle (a
 * device such as /dev/zero, a directory or a socket is refused), its size is checked before
 * anything is read, and at most {@link MAX_KEY_BYTES} + 1 bytes are ever read. Every refusal is a
 * `ReloadError` (`INVALID_ARGUMENT`) naming the option and the path.
 */
export async function readKeyFile(path: string, option: '--key' | '--trust'): Promise<string> {
  const refuse = (message: string, cause?: unknown): ReloadError =>
    new ReloadError({
      code: 'INVALID_ARGUMENT',
      phase: 'verify',
      message: `${option} ${path}${message}`,
      ...(cause === undefined ? {} : { cause }),
    });
  const context = { doing: `reading the ${option} key`, path, phase: 'verify' } as const;
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') throw refuse(': no such file', error);
    throw fsError(error, context);
  }
  try {
    const stats = await fsCall(context, () => handle.stat());
    if (!stats.isFile()) throw refuse(` is not a file but ${fileType(stats)} (give the PEM key file itself)`);
    if (stats.size > MAX_KEY_BYTES) throw refuse(` is ${stats.size} bytes: not a PEM key file`);
    const buffer = Buffer.alloc(MAX_KEY_BYTES + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await fsCall(context, () => handle.read(buffer, length, buffer.length - length, null));
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > MAX_KEY_BYTES) throw refuse(` is over ${MAX_KEY_BYTES} bytes: not a PEM key file`);
    }
    return buffer.toString('utf8', 0, length);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

function fileType(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Writes a new ed25519 key pair into `outDir` (created if needed): `baton-signing.key` (0600) and
 * `baton-signing.pub` (0644). Refuses (`INVALID_ARGUMENT`) when `outDir` is not a directory or
 * either file exists; never overwrites a key.
 */
export async function writeKeyPair(
  outDir: string,
): Promise<{ pair: SigningKeyPair; privatePath: string; publicPath: string }> {
  const existing = await lstat(outDir).catch((error: unknown) => {
    if (errnoOf(error) === 'ENOENT') return undefined;
    throw fsError(error, { doing: 'checking --out', path: outDir });
  });
  if (existing && !existing.isDirectory())
    throw new ReloadError({
      code: 'INVALID_ARGUMENT',
      message: `--out ${outDir} exists and is not a directory (give a directory for the key pair)`,
    });
  await fsCall({ doing: 'creating the key directory', path: outDir }, () => mkdir(outDir, { recursive: true }));
  const privatePath = join(outDir, 'baton-signing.key');
  const publicPath = join(outDir, 'baton-signing.pub');
  for (const path of [privatePath, publicPath]) {
    const present = await lstat(path).then(
      () => true,
      (error: unknown) => {
        if (errnoOf(error) === 'ENOENT') return false;
        throw fsError(error, { doing: 'checking', path });
      },
    );
    if (present)
      throw new ReloadError({
        code: 'INVALID_ARGUMENT',
        message: `${path} exists; refusing to overwrite a signing key (choose another --out)`,
      });
  }
  const pair = generateSigningKey();
  const write = (path: string, text: string, mode: number): Promise<void> =>
    fsCall({ doing: 'writing', path }, () => writeFile(path, text, { mode, flag: 'wx' }));
  await write(privatePath, pair.privateKeyPem, 0o600);
  try {
    await write(publicPath, pair.publicKeyPem, 0o644);
  } catch (error) {
    await rm(privatePath, { force: true }).catch(() => undefined); // no private key without its public key
    throw error;
  }
  return { pair, privatePath, publicPath };
}

/** The public key in the `--trust` file at `path`; refuses private keys and other key types, naming the file. */
export async function loadTrustedKey(path: string): Promise<TrustedKey> {
  const pem = await readKeyFile(path, '--trust');
  try {
    return trustedKey(pem);
  } catch (error) {
    throw naming(error, `--trust ${path}`);
  }
}

/** The private key PEM in the `--key` file at `path`, checked to be an ed25519 private key. */
export async function loadSigningKey(path: string): Promise<string> {
  const pem = await readKeyFile(path, '--key');
  try {
    signingKey(pem);
  } catch (error) {
    throw naming(error, `--key ${path}`);
  }
  return pem;
}

function naming(error: unknown, what: string): unknown {
  if (!isReloadError(error)) return error;
  return new ReloadError({ code: error.code, phase: 'verify', message: `${what}: ${error.message}`, cause: error });
}
