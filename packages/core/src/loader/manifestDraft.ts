import type { ManifestSurface, PluginLoader } from './manifest.js';

/** What the author declares; `files` are computed by `signPluginDirectory`. */
export interface ManifestDraft {
  readonly name: string;
  readonly version: string;
  readonly entry: string;
  /** `'bundle'` for a bundled artifact (see `PluginLoader`); absent for an ES module. */
  readonly loader?: PluginLoader;
  readonly dependsOn?: readonly string[];
  readonly surfaces?: readonly ManifestSurface[];
}
