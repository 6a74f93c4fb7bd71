import { isProviderCode } from '../../errors/codes.js';
import { ReloadError, isReloadError } from '../../errors/reloadError.js';

/** What names the provider call that failed. */
export interface ProviderCallSite {
  /** Surface kind of the resource (`indexKind`, `crdtKind`, …). */
  readonly kind: string;
  /** The resource's name. */
  readonly name: string;
  /** The plugin that provided it, when one is known. */
  readonly plugin?: string;
  /** That plugin's version. */
  readonly version?: string;
}

/**
 * The error a caller gets when a provider's call made on its behalf (an open, a probe, an apply, a
 * delivery…) fails. A `ReloadError` whose code a provider may report (a bad argument, corrupt bytes,
 * a closed or locked resource, a failed file operation, an abort) reaches the caller as it is; any
 * other error — a `TypeError`, or a `ReloadError` with a code that describes the host's own state,
 * such as `QUEUE_FULL` or `DRAIN_TIMEOUT` — becomes the cause of `PROVIDER_FAILED`, so the host
 * assigns the codes its callers act on.
 */
export function providerError(site: ProviderCallSite, step: string, error: unknown): ReloadError {
  if (isReloadError(error) && (isProviderCode(error.code) || error.code === 'PROVIDER_FAILED')) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new ReloadError({
    code: 'PROVIDER_FAILED',
    phase: 'call',
    kind: site.kind,
    key: site.name,
    ...(site.plugin === undefined ? {} : { plugin: site.plugin }),
    step,
    message: `${site.kind} '${site.name}'${site.plugin === undefined ? '' : ` (${site.plugin} ${site.version ?? '?'})`}: ${step}() failed: ${detail}`,
    cause: error,
  });
}
