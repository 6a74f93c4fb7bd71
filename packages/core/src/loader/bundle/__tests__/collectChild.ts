// A second process for the bundle tests, run with --expose-gc: loads and reloads plugin `calc` through
// the artifacts given, and prints, as the last line of stdout, how many retired versions' module-level
// tables (each module pushes a WeakRef to its own onto globalThis.__batonProbes) were garbage collected. Usage: node --expose-gc --import tsx collectChild.ts <public key PEM> <artifact>...
// Each artifact is loaded as it comes (an ES module artifact needs the runtime directory in BATON_RUNTIME).
import * as arrow from 'apache-arrow';
import { createPluginHost } from '../../../host/pluginHost.js';
import { loadPluginVersion } from '../../loadPluginVersion.js';
import { trustedKey } from '../../signing.js';

const gc = (globalThis as { gc?: () => void }).gc!;
const [publicKeyPem, ...artifacts] = process.argv.slice(2) as [string, ...string[]];
const options = {
  trustedKeys: [trustedKey(publicKeyPem)],
  shared: { 'apache-arrow': arrow },
  ...(process.env['BATON_RUNTIME'] ? { runtimeDirectory: process.env['BATON_RUNTIME'] } : {}),
};
const host = createPluginHost();
for (const [i, artifact] of artifacts.entries()) {
  const { definition } = await loadPluginVersion(artifact, options);
  if (i === 0) await host.load(definition);
  else await (await host.reload(definition)).retired;
}
const probes = (globalThis as { __batonProbes?: WeakRef<object>[] }).__batonProbes ?? [];
if (probes.length !== artifacts.length) throw new Error(`${probes.length} modules ran, ${artifacts.length} expected`);
const retired = probes.slice(0, -1);
// Let pending finalizers and microtasks settle between collections.
for (let i = 0; i < 4; i++) {
  gc();
  await new Promise((resolve) => setImmediate(resolve));
}
console.log(
  JSON.stringify({ retired: retired.length, collected: retired.filter((r) => r.deref() === undefined).length }),
);
await host.close();
