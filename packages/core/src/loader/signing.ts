import {
  KeyObject,
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
} from 'node:crypto';
import { ReloadError } from '../errors/reloadError.js';
import { ArgumentChecks } from './argumentChecks.js';

/** A public key a host trusts to sign plugins, with its id. */
export interface TrustedKey {
  /** {@link keyIdOf} the key. */
  readonly keyId: string;
  readonly publicKey: KeyObject;
}

/** A new ed25519 signing key pair, PEM-encoded, and its key id. */
export interface SigningKeyPair {
  readonly keyId: string;
  readonly publicKeyPem: string;
  readonly privateKeyPem: string;
}

/** The signature document written beside a manifest. */
export interface SignatureDocument {
  readonly algorithm: 'ed25519';
  readonly keyId: string;
  /** base64 ed25519 signature of the exact manifest bytes. */
  readonly signature: string;
}

/** The id of a public key: the first 16 hex digits of the sha256 of its SPKI DER encoding. */
export function keyIdOf(publicKey: KeyObject): string {
  if (!(publicKey instanceof KeyObject) || publicKey.type !== 'public')
    throw new ArgumentChecks('keyIdOf', 'verify').invalid('publicKey', 'a public KeyObject', publicKey);
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex')
    .slice(0, 16);
}

/** Generates an ed25519 key pair for signing plugins. */
export function generateSigningKey(): SigningKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return {
    keyId: keyIdOf(publicKey),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

/**
 * A trusted key from a PEM public key (or a public KeyObject). Throws `INVALID_ARGUMENT` when it is
 * not an ed25519 public key, and in particular when it is a private key: hosts must never hold the
 * signing key.
 */
export function trustedKey(publicKey: string | KeyObject): TrustedKey {
  const invalid = (message: string, cause?: unknown): ReloadError =>
    new ReloadError({ code: 'INVALID_ARGUMENT', phase: 'verify', message, ...(cause === undefined ? {} : { cause }) });
  if (typeof publicKey !== 'string' && !(publicKey instanceof KeyObject))
    throw new ArgumentChecks('trustedKey', 'verify').invalid('publicKey', 'a PEM string or a KeyObject', publicKey);
  if (typeof publicKey === 'string' ? isPrivateKeyPem(publicKey) : publicKey.type === 'private')
    throw invalid(
      'this is a private (signing) key; trust the public key instead (baton keygen writes it as baton-signing.pub) and keep the private key away from hosts',
    );
  let key: KeyObject;
  try {
    key = typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey;
  } catch (error) {
    throw invalid('not a PEM public key (expected the -----BEGIN PUBLIC KEY----- file baton keygen writes)', error);
  }
  if (key.type !== 'public') throw invalid(`a trusted key must be a public key (got a ${key.type} key)`);
  if (key.asymmetricKeyType !== 'ed25519')
    throw invalid(`trusted keys must be ed25519 (got ${String(key.asymmetricKeyType)})`);
  return { keyId: keyIdOf(key), publicKey: key };
}

/**
 * The ed25519 private key in `privateKeyPem`. Throws `INVALID_ARGUMENT` saying what it is instead
 * (a public key, another algorithm, not a key) rather than the decoder's error.
 */
export function signingKey(privateKeyPem: string): KeyObject {
  if (typeof privateKeyPem !== 'string')
    throw new ArgumentChecks('signingKey', 'verify').invalid('privateKeyPem', 'a PEM string', privateKeyPem);
  const invalid = (message: string, cause?: unknown): ReloadError =>
    new ReloadError({ code: 'INVALID_ARGUMENT', phase: 'verify', message, ...(cause === undefined ? {} : { cause }) });
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(privateKeyPem);
  } catch (error) {
    if (isPublicKeyPem(privateKeyPem))
      throw invalid(
        'this is a public key; signing needs the private key (baton keygen writes it as baton-signing.key)',
        error,
      );
    throw invalid('not a PEM private key (expected the -----BEGIN PRIVATE KEY----- file baton keygen writes)', error);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519')
    throw invalid(`signing keys must be ed25519 (got ${String(privateKey.asymmetricKeyType)})`);
  return privateKey;
}

function isPrivateKeyPem(pem: string): boolean {
  try {
    createPrivateKey(pem);
    return true;
  } catch {
    return false;
  }
}

function isPublicKeyPem(pem: string): boolean {
  try {
    return createPublicKey(pem).type === 'public';
  } catch {
    return false;
  }
}

/** Signs manifest bytes with a PEM private key; returns the signature document. */
export function signManifest(manifestBytes: Uint8Array, privateKeyPem: string): SignatureDocument {
  const check = new ArgumentChecks('signManifest', 'verify');
  check.bytes('manifestBytes', manifestBytes);
  check.string('privateKeyPem', privateKeyPem);
  const privateKey = signingKey(privateKeyPem);
  return {
    algorithm: 'ed25519',
    keyId: keyIdOf(createPublicKey(privateKey)),
    signature: sign(null, manifestBytes, privateKey).toString('base64'),
  };
}

/** The bytes of a signature document as `baton sign` writes them (the only form verification accepts). */
export function serializeSignature(doc: SignatureDocument): Uint8Array {
  new ArgumentChecks('serializeSignature', 'verify').object('doc', doc);
  const { algorithm, keyId, signature } = doc;
  return new TextEncoder().encode(JSON.stringify({ algorithm, keyId, signature }, null, 2) + '\n');
}

/**
 * Checks `signatureBytes` (a {@link SignatureDocument}) over `manifestBytes` against the trusted
 * keys. Throws `VERIFICATION_FAILED` saying why: malformed, unknown key, or a bad signature.
 */
export function verifyManifestSignature(
  manifestBytes: Uint8Array,
  signatureBytes: Uint8Array,
  trusted: readonly TrustedKey[],
): TrustedKey {
  const check = new ArgumentChecks('verifyManifestSignature', 'verify');
  check.bytes('manifestBytes', manifestBytes);
  check.bytes('signatureBytes', signatureBytes);
  check.trustedKeys('trusted', trusted);
  const fail = (message: string): ReloadError =>
    new ReloadError({ code: 'VERIFICATION_FAILED', phase: 'verify', message });
  let doc: Partial<SignatureDocument>;
  try {
    doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(signatureBytes)) as Partial<SignatureDocument>;
  } catch {
    throw fail('the signature file is not JSON');
  }
  if (
    typeof doc !== 'object' ||
    doc === null ||
    doc.algorithm !== 'ed25519' ||
    typeof doc.keyId !== 'string' ||
    typeof doc.signature !== 'string'
  ) {
    throw fail('the signature file must be { algorithm: "ed25519", keyId, signature }');
  }
  if (!Buffer.from(serializeSignature(doc as SignatureDocument)).equals(signatureBytes))
    throw fail('the signature file is not in the form baton sign writes (extra keys, another order or spacing)');
  const key = trusted.find((k) => k.keyId === doc.keyId);
  if (!key)
    throw fail(
      `signed by key ${doc.keyId}, which is not trusted (trusted: ${trusted.map((k) => k.keyId).join(', ') || 'none'})`,
    );
  // Canonical base64 of 64 bytes only: Node's decoder would skip stray characters silently.
  if (!/^[A-Za-z0-9+/]{86}==$/.test(doc.signature))
    throw fail('the signature is not the base64 of a 64-byte ed25519 signature');
  const signature = Buffer.from(doc.signature, 'base64');
  if (!verify(null, manifestBytes, key.publicKey, signature))
    throw fail(`the manifest signature does not verify with key ${key.keyId} (tampered manifest?)`);
  return key;
}
