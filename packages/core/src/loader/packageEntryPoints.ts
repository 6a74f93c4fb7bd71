import { posix } from 'node:path';

/**
 * The rule for what a verified artifact may make Node import, as far as it can be checked soundly
 * before any code runs.
 *
 * Module resolution is steered by data (the `main`, `exports` and `imports` fields of every
 * `package.json`) and by code (the specifiers modules write). Data can be checked completely, so it
 * is: in every `package.json` inside the artifact,
 *
 * - `main` must resolve inside the artifact, both as Node's ES module resolver reads it (a URL
 *   relative to the `package.json`, where `%2e%2e` and `\` count as `..` and `/`) and as the
 *   CommonJS resolver reads it (a POSIX path);
 * - every target in `exports` must start with `./` and resolve inside the artifact;
 * - every target in `imports` must either start with `./` and resolve inside the artifact, or be a
 *   bare package specifier — a valid package name, then optionally a subpath with no empty, `.` or
 *   `..` segment (percent-decoded) — which Node then resolves like any bare import: first in the
 *   artifact's own `node_modules`, then in the host's packages above the runtime directory.
 *
 * Specifiers written in code are not analysed: JavaScript can compute them, so no static scan of the
 * source is sound. They are part of the signed code itself (a signed `import('/abs/path')` is the
 * signer's act, like a signed `fs.readFileSync`). The runtime directory adds nothing to resolution:
 * it refuses a `node_modules` or `package.json` of its own (see `prepareRuntimeRoot`).
 */
export function entryPointProblems(files: ReadonlyMap<string, Uint8Array>): string[] {
  const problems: string[] = [];
  for (const [path, bytes] of files) {
    if (path !== 'package.json' && !path.endsWith('/package.json')) continue;
    let doc: unknown;
    try {
      doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    } catch {
      problems.push(`'${path}' is not valid JSON (Node would refuse to load the package)`);
      continue;
    }
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) continue;
    const pkg = doc as Record<string, unknown>;
    const dir = posix.dirname(path) === '.' ? '' : `${posix.dirname(path)}/`;
    const main = pkg['main'];
    if (typeof main === 'string' && !staysInside(dir, main))
      problems.push(`'${path}' has "main": ${JSON.stringify(main)}, which resolves outside the artifact`);
    for (const [field, allowBare] of [
      ['exports', false],
      ['imports', true],
    ] as const) {
      const targets: string[] = [];
      if (!collectTargets(pkg[field], targets, 0)) {
        problems.push(`'${path}' "${field}" is nested too deeply to check`);
        continue;
      }
      for (const target of targets) {
        const problem = targetProblem(dir, target, allowBare);
        if (problem) problems.push(`'${path}' "${field}" target ${JSON.stringify(target)} ${problem}`);
      }
    }
  }
  return problems;
}

const ROOT_URL = 'file:///baton-artifact-root/';
const ROOT_PATH = '/baton-artifact-root/';

/** Whether `target`, relative to the directory `dir` of the artifact, stays in the artifact for both resolvers. */
function staysInside(dir: string, target: string): boolean {
  let url: URL;
  try {
    url = new URL(target, ROOT_URL + dir + 'package.json');
  } catch {
    return false;
  }
  if (url.protocol !== 'file:' || url.host !== '' || !url.pathname.startsWith(new URL(ROOT_URL).pathname)) return false;
  return posix.resolve(ROOT_PATH + dir, target).startsWith(ROOT_PATH);
}

function targetProblem(dir: string, target: string, allowBare: boolean): string | undefined {
  if (target.startsWith('./')) {
    // A pattern's `*` is replaced by the importer's subpath, which Node refuses to contain `..`.
    return staysInside(dir, target.replaceAll('*', 'x')) ? undefined : 'resolves outside the artifact';
  }
  if (!allowBare) return "must start with './' (a path inside the package)";
  const problem = bareProblem(target.replaceAll('*', 'x'));
  return problem === undefined ? undefined : `must start with './' or be a bare package name (${problem})`;
}

/** A package name as npm allows it (`dep`, `@scope/dep`; no leading `.` or `_`, no `%`). */
const PACKAGE_NAME = /^(?:@[A-Za-z0-9~-][A-Za-z0-9._~-]*\/)?[A-Za-z0-9~-][A-Za-z0-9._~-]*$/;

/**
 * Why `target` is not a bare package specifier Node resolves inside a package: a valid package name,
 * then optionally a subpath whose segments (percent-decoded, as the resolver decodes them) are not
 * empty, `.` or `..` — `dep/../../outside.js` would name a file outside the artifact.
 */
function bareProblem(target: string): string | undefined {
  if (target.includes('\\')) return 'it contains a backslash';
  const parts = target.split('/');
  const nameLength = target.startsWith('@') ? 2 : 1;
  const name = parts.slice(0, nameLength).join('/');
  if (parts.length < nameLength || !PACKAGE_NAME.test(name)) return `${JSON.stringify(name)} is not a package name`;
  for (const segment of parts.slice(nameLength)) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      return `its subpath segment ${JSON.stringify(segment)} is not valid percent-encoding`;
    }
    if (decoded === '' || decoded === '.' || decoded === '..' || /[/\\]/.test(decoded))
      return `its subpath has an empty, '.' or '..' segment`;
  }
  return undefined;
}

/**
 * Collects every string target of an `exports` or `imports` value (conditions, subpaths and
 * fallback arrays) into `out`; false when it is nested deeper than a real package map ever is.
 */
function collectTargets(value: unknown, out: string[], depth: number): boolean {
  if (typeof value === 'string') {
    out.push(value);
    return true;
  }
  if (typeof value !== 'object' || value === null) return true;
  if (depth >= MAX_DEPTH) return false;
  const children = Array.isArray(value) ? (value as unknown[]) : Object.values(value);
  return children.every((child) => collectTargets(child, out, depth + 1));
}

const MAX_DEPTH = 32;
