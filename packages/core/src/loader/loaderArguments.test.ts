import { createPrivateKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { main } from '../cli/main.js';
import { isReloadError } from '../errors/reloadError.js';
import { bundlePluginDirectory } from './bundle/bundleArtifact.js';
import { collectRegistrations } from './collectRegistrations.js';
import { installPlugin } from './installRuntime.js';
import { importVerifiedPlugin, loadPluginVersion } from './loadPluginVersion.js';
import { parseManifest, serializeManifest } from './manifest.js';
import { signPluginDirectory } from './signArtifact.js';
import {
  keyIdOf,
  serializeSignature,
  signManifest,
  signingKey,
  trustedKey,
  verifyManifestSignature,
} from './signing.js';
import { verifyPluginDirectory } from './verifyDirectory.js';
import { testKey, testTrusted } from './__tests__/artifactKit.js';

const bytes = new Uint8Array([1]);
const pem = testKey.privateKeyPem;
const manifest = {
  manifestVersion: 1 as const,
  name: 'p',
  version: '1.0.0',
  entry: 'index.js',
  dependsOn: [],
  surfaces: [],
  files: {},
};

/** Wrong-typed arguments: every call must fail with INVALID_ARGUMENT, never a TypeError. */
const calls: [string, () => unknown][] = [
  ['parseManifest(undefined)', () => parseManifest(undefined as never)],
  ['parseManifest("text")', () => parseManifest('text' as never)],
  ['serializeManifest(null)', () => serializeManifest(null as never)],
  ['serializeManifest({})', () => serializeManifest({} as never)],
  ['serializeManifest(files: null)', () => serializeManifest({ ...manifest, files: null } as never)],
  ['serializeManifest(surfaces: [1])', () => serializeManifest({ ...manifest, surfaces: [1] } as never)],
  ['keyIdOf(undefined)', () => keyIdOf(undefined as never)],
  ['keyIdOf(private key)', () => keyIdOf(createPrivateKey(pem))],
  ['trustedKey(undefined)', () => trustedKey(undefined as never)],
  ['trustedKey(42)', () => trustedKey(42 as never)],
  ['signingKey(undefined)', () => signingKey(undefined as never)],
  ['signManifest(undefined, pem)', () => signManifest(undefined as never, pem)],
  ['signManifest(bytes, undefined)', () => signManifest(bytes, undefined as never)],
  ['serializeSignature(null)', () => serializeSignature(null as never)],
  ['verifyManifestSignature(undefined, …)', () => verifyManifestSignature(undefined as never, bytes, testTrusted)],
  ['verifyManifestSignature(…, null, …)', () => verifyManifestSignature(bytes, null as never, testTrusted)],
  ['verifyManifestSignature(…, undefined keys)', () => verifyManifestSignature(bytes, bytes, undefined as never)],
  ['verifyManifestSignature(…, [pem string])', () => verifyManifestSignature(bytes, bytes, [pem] as never)],
  ['verifyPluginDirectory(undefined)', () => verifyPluginDirectory(undefined as never, { trustedKeys: testTrusted })],
  ['verifyPluginDirectory(dir, undefined)', () => verifyPluginDirectory('/nonexistent', undefined as never)],
  ['verifyPluginDirectory(dir, {})', () => verifyPluginDirectory('/nonexistent', {} as never)],
  ['installPlugin(undefined, root)', () => installPlugin(undefined as never, '/nonexistent')],
  ['installPlugin({}, root)', () => installPlugin({} as never, '/nonexistent')],
  ['loadPluginVersion(dir, undefined)', () => loadPluginVersion('/nonexistent', undefined as never)],
  [
    'loadPluginVersion(undefined, options)',
    () => loadPluginVersion(undefined as never, { trustedKeys: testTrusted, runtimeDirectory: '/nonexistent' }),
  ],
  [
    'loadPluginVersion(dir, shared 7)',
    () => loadPluginVersion('/nonexistent', { trustedKeys: testTrusted, shared: 7 } as never),
  ],
  [
    'bundlePluginDirectory(undefined, out, options)',
    () => bundlePluginDirectory(undefined as never, '/x', { privateKeyPem: pem }),
  ],
  [
    'bundlePluginDirectory(dir, undefined, options)',
    () => bundlePluginDirectory('/nonexistent', undefined as never, { privateKeyPem: pem }),
  ],
  ['bundlePluginDirectory(dir, out, undefined)', () => bundlePluginDirectory('/nonexistent', '/x', undefined as never)],
  [
    'bundlePluginDirectory(dir, out, external 7)',
    () => bundlePluginDirectory('/nonexistent', '/x', { privateKeyPem: pem, external: 7 } as never),
  ],
  ['bundlePluginDirectory(dir, dir, options)', () => bundlePluginDirectory('/same', '/same', { privateKeyPem: pem })],
  [
    'loadPluginVersion(dir, runtimeDirectory 7)',
    () => loadPluginVersion('/nonexistent', { trustedKeys: testTrusted, runtimeDirectory: 7 } as never),
  ],
  ['importVerifiedPlugin(null, root)', () => importVerifiedPlugin(null as never, '/nonexistent')],
  ['signPluginDirectory(undefined, pem)', () => signPluginDirectory(undefined as never, pem)],
  ['signPluginDirectory(dir, undefined)', () => signPluginDirectory('/nonexistent', undefined as never)],
  ['signPluginDirectory(dir, pem, draft null)', () => signPluginDirectory('/nonexistent', pem, null as never)],
  [
    'signPluginDirectory(dir, pem, draft surfaces 1)',
    () =>
      signPluginDirectory('/nonexistent', pem, { name: 'p', version: '1.0.0', entry: 'i.js', surfaces: 1 } as never),
  ],
  ['collectRegistrations(p, "x")', () => collectRegistrations({}, 'x' as never)],
  [
    'collectRegistrations(p, [], { timeoutMs: -1 })',
    () => collectRegistrations({ name: 'p', version: '1.0.0', register() {} }, [], { timeoutMs: -1 }),
  ],
  [
    'collectRegistrations(p, [], { timeoutMs: 2^31 })',
    () => collectRegistrations({ name: 'p', version: '1.0.0', register() {} }, [], { timeoutMs: 2 ** 31 }),
  ],
  [
    'collectRegistrations(p, [], { signal: {} })',
    () => collectRegistrations({ name: 'p', version: '1.0.0', register() {} }, [], { signal: {} as never }),
  ],
  [
    'collectRegistrations(p, [], null)',
    () => collectRegistrations({ name: 'p', version: '1.0.0', register() {} }, [], null as never),
  ],
  ['main(undefined)', () => main(undefined as never)],
  ['main(["verify", 7])', () => main(['verify', 7] as never)],
];

describe('every loader and CLI export answers wrong-typed arguments with INVALID_ARGUMENT', () => {
  it.each(calls)('%s', async (_, call) => {
    let error: unknown;
    try {
      await call();
    } catch (caught) {
      error = caught;
    }
    expect(isReloadError(error), String(error)).toBe(true);
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
