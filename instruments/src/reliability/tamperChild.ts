// One engine process of the runtime-tampering trial: loads a signed artifact through
// loadPluginVersion and prints, as its last line, which code ran (the module sets
// globalThis.__batonOrigin) and whether the install repaired the copy.
// Usage: node --import tsx --conditions=@baton/source tamperChild.ts <artifact> <runtime> <public key file>
import { readFile } from 'node:fs/promises';
import { loadPluginVersion, trustedKey } from '@baton/core/loader';

const [artifact, runtime, keyFile] = process.argv.slice(2) as [string, string, string];
try {
  const loaded = await loadPluginVersion(artifact, {
    trustedKeys: [trustedKey(await readFile(keyFile, 'utf8'))],
    runtimeDirectory: runtime,
  });
  const origin = (globalThis as { __batonOrigin?: string }).__batonOrigin;
  console.log(JSON.stringify({ origin, repaired: loaded.installed?.repaired !== undefined }));
} catch (error) {
  const e = error as { code?: string; message?: string };
  console.log(JSON.stringify({ error: `${e.code ?? 'raw'}: ${String(e.message)}` }));
}
