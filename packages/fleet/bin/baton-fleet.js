#!/usr/bin/env node
// The `baton-fleet` command. Runs the built CLI when @baton/fleet is built, else its TypeScript
// source through tsx (inside the workspace, where tsx is installed).
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
const stop = new globalThis.AbortController();
process.once('SIGINT', () => stop.abort());
process.exit(await main(process.argv.slice(2), console.log, console.error, stop.signal));
