import { fileURLToPath } from 'node:url';
import { main } from '../main.js';

/** What a run of the CLI printed and returned. */
export interface CliRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/**
 * Runs the `baton` CLI in this process and collects its exit code, stdout lines and stderr lines.
 * Relative paths resolve against the current directory (no npm variables are passed).
 */
export function runCli(...argv: string[]): Promise<CliRun> {
  return runCliIn({}, ...argv);
}

/** {@link runCli} with `env` as the environment that decides where relative paths resolve. */
export async function runCliIn(env: NodeJS.ProcessEnv, ...argv: string[]): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(
    argv,
    (l) => out.push(l),
    (l) => err.push(l),
    env,
  );
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const packageRoot = fileURLToPath(new URL('../../../', import.meta.url));
const cliProcess = fileURLToPath(new URL('./cliProcess.ts', import.meta.url));

/** The command line that runs the CLI from its sources in a process of its own (node, then its arguments). */
export function cliCommand(...argv: string[]): [string, string[]] {
  return [process.execPath, ['--import', 'tsx', '--conditions=@baton/source', cliProcess, ...argv]];
}

/** Where {@link cliCommand} must run (tsx resolves from the package). */
export const cliPackageRoot = packageRoot;
