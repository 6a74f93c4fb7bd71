import { parseArgs } from 'node:util';
import { isReloadError } from '../errors/reloadError.js';
import { DEFAULT_COLLECT_TIMEOUT_MS } from '../loader/collectRegistrations.js';
import { keygen, sign, verify } from './cliCommands.js';
import { inspect } from './inspectCommand.js';

const USAGE = `baton — sign, verify and inspect Baton plugin artifacts

usage:
  baton keygen [--out <dir>]                         write an ed25519 signing key pair
  baton sign <plugin-dir> --key <private.pem>         hash every file, write and sign baton-plugin.json
  baton verify <plugin-dir> --trust <public.pem>...   check the signature and every file hash
  baton inspect <plugin-dir> --trust <public.pem>... [--against <dir>] [options]
                                                      surfaces, versions, compat verdict against another version

inspect verifies both artifacts (like verify), then imports their code from a copy of the verified
bytes in a private temporary runtime directory, removed afterwards. Options:
  --against <dir>      the version to compare with (the one serving now); needs the plugins' code
  --unsigned           skip verification: inspect directories as they are (only code you trust)
  --services <module>  a module whose default export (container, { directory, signal }) registers
                       the host services the plugins resolve in register(), on the tsyringe
                       container it is given, e.g. container.register('my.env', { useValue: env })
  --timeout <ms>       how long each register() (and the services module) may take (default ${DEFAULT_COLLECT_TIMEOUT_MS})
  --runtime <dir>      where the temporary runtime directory is made (default: the current
                       directory); the plugins' bare imports (@baton/core, …) resolve from there

exit codes: 0 ok (compatible), 1 failed or incompatible, 2 usage error
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
        unsigned: { type: 'boolean', default: false },
        services: { type: 'string' },
        timeout: { type: 'string' },
        runtime: { type: 'string' },
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
      case 'inspect': {
        if (!target) throw usage('inspect needs <plugin-dir>');
        if (values.trust.length === 0 && !values.unsigned)
          throw usage('inspect verifies the artifacts: give --trust <public.pem> (or --unsigned for code you trust)');
        if (values.trust.length > 0 && values.unsigned) throw usage('give either --trust or --unsigned, not both');
        const timeoutMs = values.timeout === undefined ? DEFAULT_COLLECT_TIMEOUT_MS : Number(values.timeout);
        if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0)
          throw usage(`--timeout must be a positive number of milliseconds (got ${values.timeout})`);
        const compatible = await inspect(
          target,
          {
            against: values.against,
            trust: values.trust,
            unsigned: values.unsigned,
            services: values.services,
            timeoutMs,
            runtimeParent: values.runtime,
          },
          print,
        );
        return compatible ? 0 : 1;
      }
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
