import type { ManifestSurface } from './manifest.js';

/** What the author declares; `files` are computed by `signPluginDirectory`. */
export interface ManifestDraft {
  readonly name: string;
  readonly version: string;
  readonly entry: string;
  readonly dependsOn?: readonly string[];
  readonly surfaces?: readonly ManifestSurface[];
}
