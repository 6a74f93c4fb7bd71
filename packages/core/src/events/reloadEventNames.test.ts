import { expect, it } from 'vitest';
import { testPlugin, world } from '../__tests__/plugins.js';
import { rejection } from '../__tests__/rejection.js';
import { createPluginHost } from '../host/pluginHost.js';
import { reloadEventNames } from './reloadEventNames.js';

it('lists the events of a reload in the order a reload emits them', async () => {
  const w = world();
  await using host = createPluginHost();
  await host.load(testPlugin('1.0.0', w));
  await host.startCdc({ name: 's', key: 'memory', fromLsn: 0n });
  const seen: string[] = [];
  for (const name of reloadEventNames) host.on(name, () => seen.push(name));
  await (
    await host.reload(testPlugin('2.0.0', w))
  ).retired;
  expect(seen).toEqual(reloadEventNames.filter((name) => name !== 'rolledBack'));
  seen.length = 0;
  await rejection(host.reload(testPlugin('3.0.0', w, { cdc: { start: 'throw' } }))); // fails in dispatch
  expect(seen).toEqual([...reloadEventNames.slice(0, reloadEventNames.indexOf('dispatched')), 'rolledBack']);
  expect(Object.isFrozen(reloadEventNames)).toBe(true);
});
