/**
 * The modules the example engine shares with its plugins' bundles (`@baton/core` is shared by Baton
 * itself): left out of each bundle when it is built (`bundlePluginDirectory`'s `external`, or
 * `baton sign --bundle --external`), and passed to `loadPluginVersion` as `shared`, so a plugin
 * uses the engine's own copy of each.
 */
import * as arrow from 'apache-arrow';
import * as duckdb from '@baton/duckdb';
import * as kinds from '@baton/kinds';
import * as postgres from '@baton/postgres';
import * as testing from '@baton/testing';

/** Specifier → module, for `loadPluginVersion(dir, { shared: pluginModules })`. */
export const pluginModules: Readonly<Record<string, unknown>> = Object.freeze({
  'apache-arrow': arrow,
  '@baton/kinds': kinds,
  '@baton/testing': testing,
  '@baton/postgres': postgres,
  '@baton/duckdb': duckdb,
});
