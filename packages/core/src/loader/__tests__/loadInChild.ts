// A second process for the loader tests: loads one artifact with loadPluginVersion and prints, as
// the last line of stdout, the origin the imported module announced (globalThis.__batonOrigin) and what the install did.
// Usage: node --import tsx loadInChild.ts <artifact> <runtime> <public key PEM>
import { loadPluginVersion } from '../loadPluginVersion.js';
import { trustedKey } from '../signing.js';

const [artifact, runtime, publicKeyPem] = process.argv.slice(2) as [string, string, string];
try {
  const loaded = await loadPluginVersion(artifact, {
    trustedKeys: [trustedKey(publicKeyPem)],
    runtimeDirectory: runtime,
  });
  const origin = (globalThis as { __batonOrigin?: string }).__batonOrigin; // set by the module that ran
  console.log(
    JSON.stringify({ origin, directory: loaded.installed!.directory, repaired: loaded.installed!.repaired ?? null }),
  );
} catch (error) {
  const e = error as { code?: string; message?: string };
  console.log(JSON.stringify({ error: { code: e.code, message: String(e.message) } }));
}
