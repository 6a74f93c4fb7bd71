import type { CallOptions, MaybePromise } from '../util/maybePromise.js';

/** Where and how a storage backend opens. */
export interface StorageOpenOptions extends CallOptions {
  /** The storage location (a directory, a URL, a namespace): owned by the host, kept across versions. */
  readonly location: string;
}

/** An open storage: a key/value store of bytes at one location. */
export interface Storage {
  get(key: string): MaybePromise<Uint8Array | undefined>;
  put(key: string, value: Uint8Array): MaybePromise<void>;
  delete(key: string): MaybePromise<boolean>;
  /** Keys in ascending order, optionally only those starting with `prefix`. */
  keys(prefix?: string): MaybePromise<readonly string[]>;
  close(): MaybePromise<void>;
}

/**
 * A storage backend. Registered under its `name`.
 *
 * Reload discipline: clean. The data lives at the host's location, so no state is handed over: the
 * new version opens the same location, calls that started on the old storage finish there, and the
 * old storage is closed once they have drained.
 */
export interface StorageBackendProvider {
  /** The backend's name (registry key). */
  readonly name: string;
  open(options: StorageOpenOptions): MaybePromise<Storage>;
}
