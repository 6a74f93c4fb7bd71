// The `baton` CLI as its own process, from the TypeScript sources (what bin/baton.js does with the
// build): for tests that signal the CLI or run it through npx.
// Usage: node --import tsx --conditions=@baton/source cliProcess.ts <baton arguments…>
import { main } from '../main.js';

process.exit(await main(process.argv.slice(2)));
