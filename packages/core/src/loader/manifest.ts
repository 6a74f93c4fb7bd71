import { ReloadError } from '../errors/reloadError.js';
import { semverProblem } from '../host/versionOrder.js';
import { ArgumentChecks } from './argumentChecks.js';

/** The manifest file of a plugin artifact directory. */
export const MANIFEST_FILE = 'baton-plugin.json';
/** The signature file of a plugin artifact directory. */
export const SIGNATURE_FILE = 'baton-plugin.sig';

/** One surface a plugin version declares it registers. */
export interface ManifestSurface {
  readonly kind: string;
  readonly key: string;
}

/**
 * How a plugin version's code is loaded. Absent: `entry` is an ES module, imported from a verified
 * copy in the runtime directory (its module graph stays for the life of the process). `'bundle'`:
 * `entry` is one CommonJS bundle (as `baton sign --bundle` builds it), evaluated from the verified
 * bytes outside the ES module map, so an unreachable version's code is garbage collected.
 */
export type PluginLoader = 'bundle';

/**
 * What a plugin version ships: its identity, dependencies, the surfaces it registers, its entry
 * module, how it is loaded, and the sha256 of every file (paths relative to the artifact directory,
 * `/`-separated).
 */
export interface PluginManifest {
  readonly manifestVersion: 1;
  readonly name: string;
  readonly version: string;
  readonly entry: string;
  /** Absent for an ES module artifact; see {@link PluginLoader}. */
  readonly loader?: PluginLoader;
  readonly dependsOn: readonly string[];
  readonly surfaces: readonly ManifestSurface[];
  /** File path → lowercase hex sha256 of its bytes. */
  readonly files: Readonly<Record<string, string>>;
}

/**
 * Limits checked before anything is read or allocated. `baton sign` and verification apply the same
 * ones: a signed artifact always verifies.
 */
export const MANIFEST_LIMITS = {
  maxManifestBytes: 1024 * 1024,
  maxFiles: 10_000,
  maxFileBytes: 64 * 1024 * 1024,
  maxPathLength: 512,
} as const;

const SHA256 = /^[0-9a-f]{64}$/;
const NAME = /^[A-Za-z0-9@][A-Za-z0-9@._/-]{0,127}$/;

function invalid(message: string, plugin?: string): ReloadError {
  return new ReloadError({
    code: 'VERIFICATION_FAILED',
    phase: 'verify',
    ...(plugin === undefined ? {} : { plugin }),
    message: `invalid plugin manifest: ${message}`,
  });
}

/**
 * Checks that `path` is a safe relative path inside the artifact: not absolute, no `..`, no `.`
 * segments, no backslashes or NUL, not the manifest or signature itself. Returns the problem.
 */
function pathProblem(path: string): string | undefined {
  if (typeof path !== 'string' || path.length === 0) return 'an empty path';
  if (path.length > MANIFEST_LIMITS.maxPathLength)
    return `a path longer than ${MANIFEST_LIMITS.maxPathLength} characters`;
  if (path.includes('\\') || path.includes('\0')) return `'${path}' contains a backslash or NUL`;
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) return `'${path}' is absolute`;
  if (path.split('/').some((segment) => segment === '..' || segment === '.' || segment === ''))
    return `'${path}' has an empty, '.' or '..' segment`;
  if (path === MANIFEST_FILE || path === SIGNATURE_FILE) return `'${path}' is reserved`;
  return undefined;
}

/** Parses and validates manifest bytes; throws `VERIFICATION_FAILED` naming every problem. */
export function parseManifest(bytes: Uint8Array): PluginManifest {
  new ArgumentChecks('parseManifest', 'verify').bytes('bytes', bytes);
  if (bytes.byteLength > MANIFEST_LIMITS.maxManifestBytes)
    throw invalid(`${bytes.byteLength} bytes exceeds ${MANIFEST_LIMITS.maxManifestBytes}`);
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    throw invalid(`not UTF-8 JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw invalid('not a JSON object');
  const m = doc as Record<string, unknown>;
  const name = typeof m['name'] === 'string' ? m['name'] : undefined;
  const problems: string[] = [];
  if (m['manifestVersion'] !== 1)
    problems.push(`manifestVersion must be 1 (got ${JSON.stringify(m['manifestVersion'])})`);
  if (name === undefined || !NAME.test(name)) problems.push("'name' must be a plugin name");
  if (typeof m['version'] !== 'string' || m['version'].length === 0 || m['version'].length > 128)
    problems.push("'version' must be a non-empty string of at most 128 characters");
  else {
    const problem = semverProblem(m['version']);
    if (problem !== undefined) problems.push(problem);
  }
  if (m['loader'] !== undefined && m['loader'] !== 'bundle')
    problems.push(`'loader' must be "bundle", or absent for an ES module (got ${JSON.stringify(m['loader'])})`);
  const deps = m['dependsOn'] ?? [];
  if (!Array.isArray(deps) || deps.some((d) => typeof d !== 'string' || !NAME.test(d)))
    problems.push("'dependsOn' must be an array of plugin names");
  const surfaces = m['surfaces'] ?? [];
  if (
    !Array.isArray(surfaces) ||
    surfaces.some(
      (s) =>
        typeof s !== 'object' ||
        s === null ||
        typeof (s as ManifestSurface).kind !== 'string' ||
        typeof (s as ManifestSurface).key !== 'string',
    )
  ) {
    problems.push("'surfaces' must be an array of { kind, key }");
  }
  const files = m['files'];
  if (typeof files !== 'object' || files === null || Array.isArray(files)) {
    problems.push("'files' must map paths to sha256 hex digests");
  } else {
    const entries = Object.entries(files);
    if (entries.length > MANIFEST_LIMITS.maxFiles) problems.push(`more than ${MANIFEST_LIMITS.maxFiles} files`);
    for (const [path, digest] of entries.slice(0, MANIFEST_LIMITS.maxFiles)) {
      const problem = pathProblem(path);
      if (problem) problems.push(`file ${problem}`);
      if (typeof digest !== 'string' || !SHA256.test(digest))
        problems.push(`file '${path}' needs a lowercase hex sha256`);
    }
    if (typeof m['entry'] !== 'string' || !Object.hasOwn(files, m['entry']))
      problems.push("'entry' must be one of the listed files");
  }
  if (problems.length > 0) throw invalid(problems.join('; '), name);
  const manifest: PluginManifest = Object.freeze({
    manifestVersion: 1,
    name: name!,
    version: m['version'] as string,
    entry: m['entry'] as string,
    ...(m['loader'] === 'bundle' ? { loader: 'bundle' as const } : {}),
    dependsOn: Object.freeze([...(deps as string[])]),
    surfaces: Object.freeze((surfaces as ManifestSurface[]).map(({ kind, key }) => Object.freeze({ kind, key }))),
    files: Object.freeze({ ...(files as Record<string, string>) }),
  });
  // Only the bytes `baton sign` writes: no duplicate keys (JSON.parse keeps the last), no unknown
  // fields, no other order, spacing or escaping. What was signed is then exactly what is read.
  const canonical = serializeManifest(manifest);
  if (!sameBytes(canonical, bytes))
    throw invalid(
      `not in canonical form (${firstDifference(canonical, bytes)}); only the exact bytes 'baton sign' writes are accepted (duplicate or unknown keys, another key order or spacing are refused)`,
      name,
    );
  return manifest;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

function firstDifference(canonical: Uint8Array, bytes: Uint8Array): string {
  let i = 0;
  while (i < canonical.byteLength && i < bytes.byteLength && canonical[i] === bytes[i]) i++;
  return `differs from the canonical encoding at byte ${i}`;
}

/** Canonical manifest bytes (sorted file list, stable key order), as `baton sign` writes them. */
export function serializeManifest(manifest: PluginManifest): Uint8Array {
  checkManifestShape(manifest);
  const files = Object.fromEntries(Object.entries(manifest.files).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const doc = {
    manifestVersion: 1,
    name: manifest.name,
    version: manifest.version,
    entry: manifest.entry,
    ...(manifest.loader === 'bundle' ? { loader: 'bundle' } : {}),
    dependsOn: manifest.dependsOn,
    surfaces: manifest.surfaces,
    files,
  };
  return new TextEncoder().encode(JSON.stringify(doc, null, 2) + '\n');
}

/** Refuses (`INVALID_ARGUMENT`) a value {@link serializeManifest} cannot encode as a manifest. */
function checkManifestShape(manifest: unknown): void {
  const check = new ArgumentChecks('serializeManifest', 'verify');
  const m = check.object('manifest', manifest);
  for (const field of ['name', 'version', 'entry'] as const) check.string(`manifest.${field}`, m[field]);
  if (m['loader'] !== undefined && m['loader'] !== 'bundle')
    throw check.invalid('manifest.loader', '"bundle" or absent', m['loader']);
  check.strings('manifest.dependsOn', m['dependsOn']);
  const surfaces = m['surfaces'];
  if (
    !Array.isArray(surfaces) ||
    !surfaces.every(
      (s: unknown) =>
        typeof s === 'object' &&
        s !== null &&
        typeof (s as ManifestSurface).kind === 'string' &&
        typeof (s as ManifestSurface).key === 'string',
    )
  )
    throw check.invalid('manifest.surfaces', 'an array of { kind, key } strings', surfaces);
  const files = check.object('manifest.files', m['files']);
  if (!Object.values(files).every((digest) => typeof digest === 'string'))
    throw check.invalid('manifest.files', 'an object mapping paths to sha256 hex strings', files);
}
