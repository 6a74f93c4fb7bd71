import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { ReloadError, isReloadError } from '../errors/reloadError.js';
import { forEachFile, listArtifactFiles, readArtifactFile } from './artifactFiles.js';
import { MANIFEST_FILE, MANIFEST_LIMITS, parseManifest, serializeManifest } from './manifest.js';
import type { ManifestSurface, PluginManifest } from './manifest.js';
import { ArgumentChecks } from './argumentChecks.js';
import { entryPointProblems } from './packageEntryPoints.js';
import type { ManifestDraft } from './manifestDraft.js';

/** An artifact directory read once: the manifest its files make, and their bytes. */
export interface ArtifactSnapshot {
  readonly manifest: PluginManifest;
  /** The canonical manifest bytes (what `baton sign` signs). */
  readonly manifestBytes: Uint8Array;
  readonly files: ReadonlyMap<string, Uint8Array>;
  /** sha256 of the manifest bytes. */
  readonly digest: string;
}

/** `INVALID_ARGUMENT` about an artifact to sign (what verification would refuse), with its cause. */
export const invalid = (message: string, cause?: unknown): ReloadError =>
  new ReloadError({
    code: 'INVALID_ARGUMENT',
    phase: 'verify',
    message,
    ...(cause === undefined ? {} : { cause }),
  });

/**
 * Reads every file of an artifact directory (the rules and limits verification applies: no links,
 * no special files, at most `MANIFEST_LIMITS.maxFiles` files of at most `maxFileBytes`) and builds
 * the canonical manifest from `draft`, or from the directory's own manifest when `draft` is absent.
 * Refuses what verification would refuse, with `INVALID_ARGUMENT`: `baton sign` uses it, so a
 * signed artifact always verifies.
 */
export async function snapshotArtifact(directory: string, draft?: ManifestDraft): Promise<ArtifactSnapshot> {
  const base = draft ?? (await readDraft(directory));
  new ArgumentChecks('baton sign', 'verify').draft(
    draft === undefined ? `the manifest of ${directory}` : 'draft',
    base,
  );
  const paths = await listArtifactFiles(directory, 'sign');
  const contents = await forEachFile(paths, (path) =>
    readArtifactFile(join(directory, ...path.split('/')), {
      reader: 'sign',
      maxBytes: MANIFEST_LIMITS.maxFileBytes,
      what: `'${path}'`,
    }),
  );
  const files = new Map(paths.map((path, i) => [path, contents[i]!]));
  const digests: Record<string, string> = {};
  for (const [path, bytes] of files) digests[path] = createHash('sha256').update(bytes).digest('hex');
  const manifestBytes = serializeManifest({
    manifestVersion: 1,
    name: base.name,
    version: base.version,
    entry: base.entry,
    ...(base.loader === undefined ? {} : { loader: base.loader }),
    dependsOn: base.dependsOn ?? [],
    surfaces: base.surfaces ?? [],
    files: digests,
  });
  let manifest: PluginManifest;
  try {
    manifest = parseManifest(manifestBytes); // paths, entry, names and the manifest size limit
  } catch (error) {
    throw isReloadError(error) ? invalid(`${directory}: ${error.message}`, error) : error;
  }
  const escapes = entryPointProblems(files);
  if (escapes.length > 0) throw invalid(`${directory}: ${escapes.join('; ')}`);
  return { manifest, manifestBytes, files, digest: createHash('sha256').update(manifestBytes).digest('hex') };
}

/** The draft fields of the manifest already in `directory`. */
export async function readDraft(directory: string): Promise<ManifestDraft> {
  const path = join(directory, MANIFEST_FILE);
  const bytes = await readArtifactFile(path, {
    reader: 'sign',
    maxBytes: MANIFEST_LIMITS.maxManifestBytes,
    what: MANIFEST_FILE,
    missing: `${directory} has no ${MANIFEST_FILE} (write one with at least "name", "version" and "entry")`,
  });
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    throw invalid(`${path} is not UTF-8 JSON: ${error instanceof Error ? error.message : String(error)}`, error);
  }
  const d = (typeof doc === 'object' && doc !== null ? doc : {}) as Record<string, unknown>;
  if (typeof d['name'] !== 'string' || typeof d['version'] !== 'string' || typeof d['entry'] !== 'string')
    throw invalid(`${path} needs "name", "version" and "entry" strings`);
  return {
    name: d['name'],
    version: d['version'],
    entry: d['entry'],
    ...(d['loader'] === undefined ? {} : { loader: d['loader'] as 'bundle' }),
    ...(d['dependsOn'] === undefined ? {} : { dependsOn: d['dependsOn'] as string[] }),
    ...(d['surfaces'] === undefined ? {} : { surfaces: d['surfaces'] as readonly ManifestSurface[] }),
  };
}
