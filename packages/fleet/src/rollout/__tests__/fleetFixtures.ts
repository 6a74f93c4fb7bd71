/** Test fixtures of the fleet's tests: an engine plugin, hosts, and waiting for a condition. */
import { createPluginHost, definePlugin } from '@baton/core';
import type { PluginDefinition, PluginHost } from '@baton/core';
import { lowerFunction } from '@baton/kinds';
import type { Queryable } from '../../store/queryable.js';
import { parseCommandRow } from '../../store/rowParsing.js';
import type { CommandAction, CommandRow } from '../../store/rows.js';

/** The plugin every test member serves: one scalar function; `fail` makes its `register()` throw. */
export function enginePlugin(version: string, options: { readonly fail?: string | undefined } = {}): PluginDefinition {
  return definePlugin({
    name: 'engine',
    version,
    register(r) {
      if (options.fail !== undefined) throw new Error(options.fail);
      r.scalarFunction(lowerFunction());
    },
  });
}

/** A host serving `engine` at `version` (close it with `await using`). */
export async function engineHost(version: string): Promise<PluginHost> {
  const host = createPluginHost({ logger: false });
  await host.load(enginePlugin(version));
  return host;
}

/** One call on the host's `engine` (its `calls` figure counts it). */
export async function callEngine(host: PluginHost): Promise<void> {
  await host.call('scalarFunction', 'lower', () => undefined);
}

/**
 * Resolves once `check` returns a value other than `undefined` (checked at once, then every 10 ms),
 * or rejects after `timeoutMs` with `what` — a wait for a condition, never a fixed sleep.
 */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A `rollouts` row of plugin `engine` (1.0.0 → 2.0.0) made by hand; returns its id. */
export async function insertRollout(client: Queryable, plugin = 'engine', state = 'done'): Promise<string> {
  const { rows } = await client.query<{ id: string }>(
    `INSERT INTO baton_fleet.rollouts (plugin, from_version, to_version, from_artifact, artifact, policy, plan, state)
     VALUES ($1, '1.0.0', '2.0.0', '{"version":"1.0.0"}', '{"version":"2.0.0"}', '{}', '[]', $2) RETURNING id`,
    [plugin, state],
  );
  return rows[0]!.id;
}

/** Issues a command by hand, as a coordinator would; returns its row. */
export async function issueCommand(
  client: Queryable,
  command: { rolloutId: string; memberId: string; seq?: number; action?: CommandAction; version: string },
): Promise<CommandRow> {
  const { rows } = await client.query(
    `INSERT INTO baton_fleet.commands (rollout_id, member_id, seq, action, artifact)
     VALUES ($1, $2, $3, $4, $5) RETURNING *`,
    [command.rolloutId, command.memberId, command.seq ?? 1, command.action ?? 'reload', { version: command.version }],
  );
  return parseCommandRow(rows[0]!);
}

/** A command's row now. */
export async function readCommand(client: Queryable, id: string): Promise<CommandRow> {
  const { rows } = await client.query('SELECT * FROM baton_fleet.commands WHERE id = $1', [id]);
  return parseCommandRow(rows[0]!);
}

/** A promise and the function that resolves it. */
export function latch(): { readonly promise: Promise<void>; readonly open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}
