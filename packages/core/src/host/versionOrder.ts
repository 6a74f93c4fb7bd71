import { compare, parse } from 'semver';
import { ReloadError } from '../errors/reloadError.js';

/** What a reload allows beyond a strictly newer version. */
export interface VersionOrderOptions {
  /** Allow replacing a version by an older one (a rollback to a known-good release). */
  readonly allowDowngrade?: boolean | undefined;
  /** Allow replacing a version by the same version (e.g. a rebuilt artifact of one release). */
  readonly allowSameVersion?: boolean | undefined;
}

/**
 * Why `version` is not a semantic version (`MAJOR.MINOR.PATCH`, with optional pre-release and build
 * parts, no leading `v` or spaces), or `undefined` when it is one.
 */
export function semverProblem(version: string): string | undefined {
  if (!/^\d/.test(version) || /\s/.test(version) || parse(version) === null)
    return `'version' ${JSON.stringify(version)} is not a semantic version (MAJOR.MINOR.PATCH, e.g. 1.4.0 or 2.0.0-rc.1)`;
  return undefined;
}

/**
 * Refuses, with `VERSION_ORDER` in the validate phase, a reload of `plugin` from `from` to `to`
 * that is not an upgrade (by semver precedence; build metadata is ignored) unless the options allow
 * it: a downgrade needs `allowDowngrade`, the same version `allowSameVersion`.
 */
export function checkVersionOrder(plugin: string, from: string, to: string, options: VersionOrderOptions): void {
  const order = compare(to, from);
  if (order > 0) return;
  if (order === 0 && options.allowSameVersion === true) return;
  if (order < 0 && options.allowDowngrade === true) return;
  const what = order === 0 ? 'the version that serves' : 'older than the version that serves';
  const flag = order === 0 ? 'allowSameVersion' : 'allowDowngrade';
  throw new ReloadError({
    code: 'VERSION_ORDER',
    phase: 'validate',
    plugin,
    message: `reload of '${plugin}' from ${from} to ${to} refused: ${to} is ${what}; pass { ${flag}: true } to mean it`,
    details: { from, to },
  });
}
