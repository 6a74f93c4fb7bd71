/**
 * The code table of {@link ReloadError}: every failure Baton reports has one of these codes.
 *
 * Each entry says what the code means, whether retrying the same operation can succeed without a
 * change (for example after an in-flight call completes), and whether a provider may report it to
 * its caller (`provider: true`); every other code is the host's to assign.
 */
export const reloadErrorCodes = {
  INVALID_PLUGIN: {
    retryable: false,
    meaning: 'The plugin definition is malformed (name, version, dependsOn or register).',
  },
  INVALID_PROVIDER: { retryable: false, meaning: 'A registered provider does not implement its surface contract.' },
  INVALID_ARGUMENT: { retryable: false, provider: true, meaning: 'An argument passed to a Baton API is invalid.' },
  UNKNOWN_KIND: { retryable: false, meaning: 'No discipline is registered for this surface kind.' },
  DUPLICATE_SURFACE: { retryable: false, meaning: 'One plugin registered the same surface key twice.' },
  SURFACE_CONFLICT: { retryable: false, meaning: 'Another loaded plugin already owns this surface key.' },
  SURFACE_NOT_FOUND: { retryable: false, meaning: 'No loaded plugin provides this surface key.' },
  ALREADY_LOADED: { retryable: false, meaning: 'A plugin with this name is already loaded; use reload.' },
  NOT_LOADED: { retryable: false, meaning: 'No plugin with this name is loaded.' },
  DEPENDENCY_MISSING: { retryable: false, meaning: 'A plugin depends on a plugin that is not loaded.' },
  DEPENDENCY_CYCLE: { retryable: false, meaning: 'Plugin dependencies form a cycle.' },
  DEPENDENTS_BLOCK: {
    retryable: false,
    meaning: 'Other loaded plugins depend on this one; reload them together (reloadMany) or unload them first.',
  },
  RELOAD_IN_PROGRESS: { retryable: true, meaning: 'A reload or unload of this plugin is already running.' },
  REGISTRATION_FAILED: { retryable: false, meaning: "The new version's register() threw, rejected or timed out." },
  SCHEMA_INCOMPATIBLE: {
    retryable: false,
    meaning: 'A compat check between the old and new version failed; nothing was paused.',
  },
  RESOURCE_ORPHANED: {
    retryable: false,
    meaning: 'The new version no longer provides a surface that live resources use.',
  },
  RESOURCES_OPEN: { retryable: true, meaning: 'Live resources still use this plugin; close them first.' },
  DRAIN_TIMEOUT: { retryable: true, meaning: 'In-flight calls did not finish within the drain timeout.' },
  QUEUE_FULL: { retryable: true, meaning: 'The bounded queue of calls waiting for a reload is full.' },
  ABORTED: { retryable: true, provider: true, meaning: 'The operation was aborted through its AbortSignal.' },
  STEP_TIMEOUT: { retryable: true, meaning: 'A provider call made by a reload did not settle within its timeout.' },
  HANDOFF_FAILED: {
    retryable: false,
    meaning: 'A per-resource handoff (persist/open, checkpoint/start, migrate) failed.',
  },
  ROLLBACK_FAILED: {
    retryable: false,
    meaning: 'Undoing a partial reload failed; the error lists what needs attention.',
  },
  RESOURCE_CLOSED: { retryable: false, provider: true, meaning: 'The managed resource was closed.' },
  HOST_CLOSED: { retryable: false, meaning: 'The plugin host was closed.' },
  CORRUPT_INPUT: {
    retryable: false,
    provider: true,
    meaning: 'Bytes or a document could not be decoded (wrong kind, unknown version, truncated, corrupt).',
  },
  VERIFICATION_FAILED: { retryable: false, meaning: 'A plugin artifact failed signature or hash verification.' },
  UNSAFE_PATH: {
    retryable: false,
    meaning:
      'A directory Baton loads code from or writes state to is owned by another user or writable by others; fix its owner and mode.',
  },
  VERSION_ORDER: {
    retryable: false,
    meaning:
      'The new plugin version is not newer than the serving one (semver); pass allowDowngrade or allowSameVersion to mean it.',
  },
  DELIVERY_BLOCKED: {
    retryable: false,
    meaning:
      'An earlier delivery on this CDC stream failed; deliver that batch again (or restart from the checkpoint) before later ones.',
  },
  LOCKED: {
    retryable: true,
    provider: true,
    meaning: 'Another live process holds the exclusive lock on this resource (the message names it).',
  },
  IO_FAILED: {
    retryable: false,
    provider: true,
    meaning: 'A file-system operation failed (the message names the path, the cause holds the system error).',
  },
  JOURNAL_FAILED: { retryable: true, meaning: 'The reload journal could not be written; the change was not made.' },
  PROVIDER_FAILED: {
    retryable: false,
    meaning:
      "A provider's call failed with an error of its own (not one of the codes a provider may report); the cause holds it.",
  },
  INTERNAL: { retryable: false, meaning: 'An unexpected error; the cause holds the original.' },
} as const satisfies Record<
  string,
  { readonly retryable: boolean; readonly meaning: string; readonly provider?: true }
>;

/**
 * True for a code a provider may report to its caller (a bad argument, corrupt bytes, a closed or
 * locked resource, a failed file operation, an abort the caller asked for). Any other code describes
 * the host's own state: a provider's error carrying one reaches the caller as the cause of
 * `PROVIDER_FAILED`, so a plugin cannot pass itself off as the host.
 */
export function isProviderCode(code: ReloadErrorCode): boolean {
  return (reloadErrorCodes[code] as { readonly provider?: true }).provider === true;
}

/** A code from {@link reloadErrorCodes}. */
export type ReloadErrorCode = keyof typeof reloadErrorCodes;

/** Where an error happened: a phase of a reload, or the operation outside one. */
export type ReloadPhase =
  | 'validate'
  | 'stage'
  | 'compat'
  | 'prepare'
  | 'quiesce'
  | 'drain'
  | 'dispatch'
  | 'commit'
  | 'retire'
  | 'rollback'
  | 'load'
  | 'unload'
  | 'call'
  | 'decode'
  | 'verify';

/** The reload phases in the order a reload runs them (rollback only on failure). */
export const reloadPhases = [
  'validate',
  'stage',
  'compat',
  'prepare',
  'quiesce',
  'drain',
  'dispatch',
  'commit',
  'retire',
] as const satisfies readonly ReloadPhase[];
