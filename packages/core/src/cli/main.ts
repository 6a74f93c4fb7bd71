import { parseArgs } from 'node:util';
import { isReloadError } from '../errors/reloadError.js';
import { inspect, keygen, sign, verify } from './cliCommands.js';

const USAGE = `baton — sign, verify and inspect Baton plugin artifacts

usage:
  baton keygen [--out <dir>]                         write an ed25519 signing key pair
  baton sign <plugin-dir> --key <private.pem>         hash every file, write and sign baton-plugin.json
  baton verify <plugin-dir> --trust <public.pem>...   check the signature and every file hash
  baton inspect <plugin-dir> [--against <dir>] [--trust <public.pem>...]
                                                      surfaces, versions, compat verdict against another version
`;

/** Runs the CLI with `argv` (without node and script); returns the exit code. */
export async function main(
  argv: readonly string[],
  print: (line: string) => void = console.log,
  printError: (line: string) => void = console.error,
): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        out: { type: 'string', default: '.' },
        key: { type: 'string' },
        trust: { type: 'string', multiple: true, default: [] },
        against: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    printError(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, target] = positionals;
  if (values.help || command === undefined) {
    print(USAGE);
    return command === undefined && !values.help ? 2 : 0;
  }
  try {
    switch (command) {
      case 'keygen':
        await keygen(values.out, print);
        return 0;
      case 'sign':
        if (!target || !values.key) throw usage('sign needs <plugin-dir> and --key <private.pem>');
        await sign(target, values.key, print);
        return 0;
      case 'verify':
        if (!target || values.trust.length === 0)
          throw usage('verify needs <plugin-dir> and at least one --trust <public.pem>');
        await verify(target, values.trust, print);
        return 0;
      case 'inspect':
        if (!target) throw usage('inspect needs <plugin-dir>');
        return (await inspect(target, values.against, values.trust, print)) ? 0 : 1;
      default:
        throw usage(`unknown command '${command}'`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      printError(`${error.message}\n\n${USAGE}`);
      return 2;
    }
    printError(
      isReloadError(error)
        ? `baton: ${error.code}: ${error.message}`
        : `baton: ${error instanceof Error ? error.message : String(error)}`,
    );
    return 1;
  }
}

class UsageError extends Error {}
const usage = (message: string): UsageError => new UsageError(message);
