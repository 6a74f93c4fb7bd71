/**
 * Stack traces of bundled plugin code, mapped back to the plugin's sources. Node maps stacks only
 * for code it loaded itself (and only with `--enable-source-maps`); a bundle evaluated by
 * `evaluateBundle` is not such code, so Baton maps its frames with the bundle's verified source map:
 * one `Error.prepareStackTrace` shared by every copy of Baton in the process (kept on `globalThis`
 * under a `Symbol.for` key), which maps the frames of registered bundles, hands the rest to Node's
 * maps when `--enable-source-maps` is on, and chains to a `prepareStackTrace` set before it.
 *
 * A bundle's map is registered for as long as its owner (the loaded plugin definition) is alive,
 * and parsed the first time a stack needs it: the registry keeps no version, and no map of a
 * collected version, alive.
 */
import { SourceMap, findSourceMap } from 'node:module';
import { dirname, isAbsolute, resolve } from 'node:path';

interface BundleMap {
  readonly payload: Uint8Array;
  /** The directory the map's relative `sources` are read from. */
  readonly base: string;
  parsed?: SourceMap | null;
}

/** Bundle file name → its owner, weakly; the owner → its map (so the map goes with the owner). */
interface Mapper {
  readonly owners: Map<string, WeakRef<object>>;
  readonly maps: WeakMap<object, BundleMap>;
}

const KEY = Symbol.for('baton.bundleStackMapper');
type Prepare = (error: Error, stack: NodeJS.CallSite[]) => unknown;

/** The process-wide mapper, installed on first use. */
function mapper(): Mapper {
  const g = globalThis as Record<symbol, Mapper | undefined>;
  const existing = g[KEY];
  if (existing !== undefined) return existing;
  const created: Mapper = { owners: new Map(), maps: new WeakMap() };
  g[KEY] = created;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- V8 calls it unbound; so does this hook
  const previous = Error.prepareStackTrace as Prepare | undefined;
  Error.prepareStackTrace = function batonPrepareStackTrace(error: Error, stack: NodeJS.CallSite[]): unknown {
    const frames = stack.map((site) => mapSite(created, site));
    if (previous !== undefined) return previous(error, frames);
    // A CallSite's own toString is V8's frame text (the default stack format).
    return `${headline(error)}${frames.map((site) => `\n    at ${frameText(site)}`).join('')}`;
  };
  return created;
}

/**
 * Registers the source map of the bundle evaluated as `filename`, for as long as `owner` lives.
 * Its relative `sources` are read from `base` (the directory the bundle was verified in), as Node
 * reads a map's sources relative to the map's own location.
 */
export function registerBundleMap(filename: string, payload: Uint8Array, base: string, owner: object): void {
  const { owners, maps } = mapper();
  // Forget the names of bundles whose owners are gone (their maps went with them).
  for (const [name, ref] of owners) if (ref.deref() === undefined) owners.delete(name);
  owners.set(filename, new WeakRef(owner));
  maps.set(owner, { payload, base });
}

/** What `Error.prototype.toString` would print, without throwing on odd errors. */
function headline(error: unknown): string {
  try {
    return String(Error.prototype.toString.call(error));
  } catch {
    return '<error>';
  }
}

function parse(entry: BundleMap): SourceMap | null {
  if (entry.parsed === undefined) {
    try {
      entry.parsed = new SourceMap(JSON.parse(Buffer.from(entry.payload).toString('utf8')) as never);
    } catch {
      entry.parsed = null; // a map that does not parse maps nothing; the bundle still runs
    }
  }
  return entry.parsed;
}

/** `site` with its position in the original source, when a map knows it; else `site`. */
function mapSite({ owners, maps }: Mapper, site: NodeJS.CallSite): NodeJS.CallSite {
  const file = site.getFileName();
  const line = site.getLineNumber();
  const column = site.getColumnNumber();
  if (file === undefined || file === null || line === null || column === null) return site;
  const owner = owners.get(file)?.deref();
  const entry = owner === undefined ? undefined : maps.get(owner);
  const map =
    entry !== undefined
      ? parse(entry)
      : process.sourceMapsEnabled && isAbsolute(file)
        ? (findSourceMap(file) ?? null)
        : null;
  if (map === null) return site;
  const found = map.findEntry(line - 1, column - 1) as Partial<{
    originalSource: string;
    originalLine: number;
    originalColumn: number;
  }>;
  if (found.originalSource === undefined || found.originalLine === undefined || found.originalColumn === undefined)
    return site;
  const source = /^[a-z][a-z0-9+.-]*:/i.test(found.originalSource)
    ? found.originalSource
    : resolve(entry?.base ?? dirname(file), found.originalSource);
  return mappedSite(site, source, found.originalLine + 1, found.originalColumn + 1);
}

/** V8's text of a frame (`CallSite.prototype.toString`). */
function frameText(site: NodeJS.CallSite): string {
  return (site as unknown as { toString(): string }).toString();
}

/** A call site reading as `site`, but at `source:line:column`. */
function mappedSite(site: NodeJS.CallSite, source: string, line: number, column: number): NodeJS.CallSite {
  const at = `${site.getFileName()}:${site.getLineNumber()}:${site.getColumnNumber()}`;
  return new Proxy(site, {
    get(target, prop) {
      if (prop === 'getFileName' || prop === 'getScriptNameOrSourceURL') return () => source;
      if (prop === 'getLineNumber') return () => line;
      if (prop === 'getColumnNumber') return () => column;
      if (prop === 'toString') return () => frameText(target).replace(at, `${source}:${line}:${column}`);
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
