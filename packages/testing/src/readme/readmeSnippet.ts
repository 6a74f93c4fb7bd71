import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The workspaces whose READMEs the readme tests read (the root README besides). */
export const readmeWorkspaces: readonly string[] = [
  'packages/core',
  'packages/kinds',
  'packages/testing',
  'packages/postgres',
  'packages/duckdb',
  'packages/fleet',
  'examples',
  'instruments',
];

/** One example of a README: its code and the output it documents. */
export interface ReadmeSnippet {
  readonly code: string;
  /** The `text` block after it ("It prints:"), if any. */
  readonly prints: string | undefined;
}

/**
 * The example marked `<!-- example: name … -->` in `readme`: the first `ts` or `js` block after the
 * marker, and the `text` block after that when one follows before the next heading.
 */
export async function readmeSnippet(readme: string, name: string): Promise<ReadmeSnippet> {
  const text = await readFile(readme, 'utf8');
  const at = text.indexOf(`<!-- example: ${name}`);
  if (at < 0) throw new Error(`${readme} has no example '${name}'`);
  const rest = text.slice(at);
  const code = /```(?:ts|js)\n([\s\S]*?)```/.exec(rest);
  if (!code) throw new Error(`example '${name}' in ${readme} has no ts or js block`);
  const after = rest.slice(code.index + code[0].length);
  const section = after.slice(0, after.search(/\n#{1,6} /) >>> 0);
  const prints = /```text\n([\s\S]*?)```/.exec(section);
  return { code: code[1]!, prints: prints?.[1] };
}

const here = dirname(fileURLToPath(import.meta.url));

/**
 * Runs a README example as a module of this package (so it imports `@baton/*` as a user's code
 * does) and returns what it printed with `console.log`.
 */
export async function runSnippet(name: string, code: string): Promise<string> {
  const directory = join(here, '..', '..', '.readme-snippets');
  await mkdir(directory, { recursive: true });
  const file = join(directory, `${name}-${process.pid}.ts`);
  await writeFile(file, code);
  const lines: string[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => void lines.push(args.map(String).join(' '));
  try {
    await import(pathToFileURL(file).href);
  } finally {
    console.log = log;
    await rm(file, { force: true });
  }
  return lines.join('\n') + '\n';
}
