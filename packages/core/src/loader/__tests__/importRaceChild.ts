// A second process for the loader tests: imports a verified artifact while "another process"
// repairs the shared copy at the worst moment (between our check of the copy and our import), and
// prints, as the last line of stdout, which code ran and where from.
// Usage: node --import tsx importRaceChild.ts <artifact> <runtime> <public key PEM> <dir|load>
//   dir:  the whole copy is moved aside after our check, before our import;
//   load: lib/state.js is moved aside after Node resolved it, before Node reads it.
import { rename } from 'node:fs/promises';
import { register } from 'node:module';
import { importInstalled } from '../importInstalled.js';
import { trustedKey } from '../signing.js';
import { verifyPluginDirectory } from '../verifyDirectory.js';

const [artifact, runtime, publicKeyPem, mode] = process.argv.slice(2) as [string, string, string, string];
try {
  if (mode === 'load') register(new URL('./moveAsideOnLoad.mjs', import.meta.url));
  const verified = await verifyPluginDirectory(artifact, { trustedKeys: [trustedKey(publicKeyPem)] });
  const { installed } = await importInstalled(verified, runtime, {
    // What a repairing process does first: move the copy aside.
    beforeImport: async ({ directory }) => {
      if (mode === 'dir') await rename(directory, `${directory}.moved-aside`);
    },
  });
  const origin = (globalThis as { __batonOrigin?: string }).__batonOrigin;
  console.log(JSON.stringify({ origin, directory: installed.directory, repaired: installed.repaired ?? null }));
} catch (error) {
  const e = error as { code?: string; message?: string };
  console.log(JSON.stringify({ error: { code: e.code, message: String(e.message) } }));
}
