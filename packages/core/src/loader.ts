/**
 * `@baton/core/loader`: plugin artifacts — the manifest, ed25519 signatures, verification of a
 * directory against its signed manifest, the install of the verified bytes into a private runtime
 * directory (or, for a bundled artifact, their evaluation outside the ES module map), loading a
 * verified version as a `PluginDefinition` for the host, and building a bundled artifact.
 *
 * @packageDocumentation
 */

export { MANIFEST_FILE, SIGNATURE_FILE, parseManifest, serializeManifest } from './loader/manifest.js';
export { generateSigningKey, keyIdOf, signManifest, trustedKey, verifyManifestSignature } from './loader/signing.js';
export { verifyPluginDirectory } from './loader/verifyDirectory.js';
export { installPlugin } from './loader/installRuntime.js';
export { loadPluginVersion } from './loader/loadPluginVersion.js';
export { signPluginDirectory } from './loader/signArtifact.js';
export { collectRegistrations } from './loader/collectRegistrations.js';
export { BUNDLE_FILE, bundlePluginDirectory } from './loader/bundle/bundleArtifact.js';
export type { ManifestSurface, PluginLoader, PluginManifest } from './loader/manifest.js';
export type { BundleOptions } from './loader/bundle/bundleArtifact.js';
export type { SignatureDocument, SigningKeyPair, TrustedKey } from './loader/signing.js';
export type { VerifiedPlugin, VerifyOptions } from './loader/verifyDirectory.js';
export type { InstalledPlugin } from './loader/installRuntime.js';
export type { LoadedPluginVersion, LoadPluginVersionOptions } from './loader/loadPluginVersion.js';
export type { ManifestDraft } from './loader/manifestDraft.js';
export type { CollectRegistrationsOptions } from './loader/collectRegistrations.js';
