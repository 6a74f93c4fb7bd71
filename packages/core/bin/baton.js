#!/usr/bin/env node
// The `baton` command. Runs the built CLI when @baton/core is built, else its TypeScript source
// through tsx (inside the workspace, where tsx is installed).
import { existsSync } from 'node:fs';

const built = new URL('../dist/cli/main.js', import.meta.url);
let main;
if (existsSync(built)) {
  ({ main } = await import(built.href));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import(new URL('../src/cli/main.ts', import.meta.url).href));
}
// Exit once the command is done: a plugin whose register() timed out may still hold timers.
process.exit(await main(process.argv.slice(2)));
